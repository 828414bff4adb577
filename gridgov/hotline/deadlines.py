"""Deadlines of hotline orders on the working calendar, the reminder point, the traffic light.

- Acknowledge: upstream's acknowledge deadline if it gave one, else the urgency class's limit
  from arrival (``life_safety`` 15 and ``utilities`` 30 calendar minutes, ``general`` 1 working
  day by default).
- Reply: upstream's completion deadline if given, else the order type's limit in working days
  from arrival. The draft and approval steps both run to it.
- Instruct: a configured limit from the acknowledgement (1 working day), never past the reply
  deadline.
- Return window: 1 working day from arrival (2 for complex orders).

**Overdue** has one definition (:func:`overdue_q`, :func:`is_overdue`): an open order whose
current step's deadline or whose reply deadline has passed. The light of an order is red when
it is overdue, else the light of its current step (green, yellow from the reminder point at
the hotline's ``WARN_FRACTION``, 80 % by default): the stage clock every timed workflow shares
(:mod:`gridgov.workcalendar.clock`), on the order's ``step_deadline`` and ``step_warn_at``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from django.db.models import Case as When_
from django.db.models import CharField, Q, Value, When
from django.db.models.expressions import Expression
from django.utils import timezone

from gridgov.workcalendar import calendar, clock
from gridgov.workcalendar.units import Light, TimeUnit

from . import conf
from .models import HotlineOrder, OrderStatus, OrderStep

UPSTREAM_UNIT: Final = "upstream"  # limit_unit of a step whose deadline upstream gave

# The timed step of each status (statuses without one stop the clock).
STATUS_STEP: Final[dict[str, str]] = {
    OrderStatus.RECEIVED: OrderStep.ACKNOWLEDGE,
    OrderStatus.ACKNOWLEDGED: OrderStep.INSTRUCT,
    OrderStatus.INSTRUCTED: OrderStep.DRAFT,
    OrderStatus.DRAFTED: OrderStep.APPROVE,
}


@dataclass(frozen=True)
class StepTiming:
    deadline: dt.datetime | None
    warn_at: dt.datetime | None
    amount: int | None
    unit: str


def warn_point(start: dt.datetime, deadline: dt.datetime, unit: str) -> dt.datetime:
    """The moment the hotline's share (``WARN_FRACTION``, 80 %) of the time from ``start`` to
    ``deadline`` has passed (see :func:`gridgov.workcalendar.clock.warn_point`)."""
    return clock.warn_point(start, deadline, unit, conf.warn_fraction())


def limit_deadline(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """``start`` plus a limit. Working days count as that many days of office time, so that an
    order arriving after hours has the whole next working day: it ends at the close of the
    last working period (Wednesday 18:00 + 1 working day = Thursday 17:30): the same working
    time as the case loop's "same clock time" rule (Friday 08:30), shown on the day it falls."""
    if unit == TimeUnit.WORKING_DAYS:
        return calendar.add_working_minutes(start, amount * calendar.working_minutes_per_day())
    return calendar.deadline(start, amount, unit)


def _timing(start: dt.datetime, amount: int, unit: str) -> StepTiming:
    deadline = limit_deadline(start, amount, unit)
    return StepTiming(deadline, warn_point(start, deadline, unit), amount, unit)


def _given(start: dt.datetime, deadline: dt.datetime) -> StepTiming:
    return StepTiming(deadline, warn_point(start, deadline, UPSTREAM_UNIT), None, UPSTREAM_UNIT)


def ack_timing(order: HotlineOrder) -> StepTiming:
    """The acknowledge step from the order's arrival."""
    if order.upstream_ack_deadline is not None:
        return _given(order.arrived_at, order.upstream_ack_deadline)
    amount, unit = conf.ack_limit(order.urgency_class)
    return _timing(order.arrived_at, amount, unit)


def ack_deadline(order: HotlineOrder) -> dt.datetime:
    deadline = ack_timing(order).deadline
    assert deadline is not None
    return deadline


def reply_deadline(order: HotlineOrder) -> dt.datetime:
    """Upstream's completion deadline, else the type's limit in working days from arrival."""
    if order.upstream_deadline is not None:
        return order.upstream_deadline
    return limit_deadline(order.arrived_at, conf.reply_limit_days(order.order_type), TimeUnit.WORKING_DAYS)


def return_deadline(order: HotlineOrder) -> dt.datetime:
    """The last moment the order may be returned upstream."""
    return limit_deadline(order.arrived_at, conf.return_window_days(order.complex), TimeUnit.WORKING_DAYS)


def step_timing(order: HotlineOrder, step: str, start: dt.datetime) -> StepTiming:
    """The deadline and reminder point of ``step`` started at ``start``."""
    if step == OrderStep.ACKNOWLEDGE:
        return ack_timing(order)
    reply = order.reply_deadline or reply_deadline(order)
    if step == OrderStep.INSTRUCT:
        amount, unit = conf.instruct_limit()
        timing = _timing(start, amount, unit)
        if timing.deadline is not None and timing.deadline > reply:
            return StepTiming(reply, warn_point(start, reply, unit), amount, unit)
        return timing
    unit = UPSTREAM_UNIT if order.upstream_deadline is not None else TimeUnit.WORKING_DAYS
    return StepTiming(reply, warn_point(start, reply, unit), None, unit)


# --- overdue and the light: ONE definition ---------------------------------------------------
#
# An order is overdue when it is still open (to acknowledge, acknowledged, instructed, drafted)
# and either its current step's deadline or its reply deadline has passed. The workbench's
# queues and lights, the order page, the API, the statistics and the exports all use the
# functions below (one rule in Python, its twin as a database expression and filter), so that
# no page can count an order overdue that another shows green: an order imported after
# upstream's deadline passed is red from the start, even while its acknowledge step is young.


def _open_q() -> Q:
    return Q(status__in=sorted(STATUS_STEP))


def overdue_q(now: dt.datetime) -> Q:
    """A filter on HotlineOrder for the overdue orders (see above)."""
    return _open_q() & (Q(step_deadline__lt=now) | Q(reply_deadline__lt=now))


def is_overdue(order: HotlineOrder, now: dt.datetime | None = None) -> bool:
    """Is the order overdue (see above)?"""
    if order.status not in STATUS_STEP:
        return False
    now = now or timezone.now()
    return any(deadline is not None and now > deadline for deadline in (order.step_deadline, order.reply_deadline))


def due(order: HotlineOrder) -> dt.datetime | None:
    """The deadline that decides whether an open order is overdue: the earlier of its current
    step's deadline and its reply deadline (``None`` once the order is no longer open). What
    lists show beside the light."""
    if order.status not in STATUS_STEP:
        return None
    found = [moment for moment in (order.step_deadline, order.reply_deadline) if moment is not None]
    return min(found) if found else None


def light(order: HotlineOrder, now: dt.datetime | None = None) -> str:
    """The traffic light of an order: red when overdue, else its current step's light (yellow
    from the step's reminder point); none once it is no longer open."""
    if order.status not in STATUS_STEP:
        return Light.NONE
    now = now or timezone.now()
    if is_overdue(order, now):
        return Light.RED
    return clock.light(order.step_deadline, order.step_warn_at, now)


def light_expression(now: dt.datetime) -> Expression:
    """:func:`light` computed by the database."""
    return When_(
        When(~_open_q(), then=Value(Light.NONE)),
        When(overdue_q(now), then=Value(Light.RED)),
        default=clock.light_expression(now, deadline="step_deadline", warn_at="step_warn_at"),
        output_field=CharField(),
    )


def light_q(value: str, now: dt.datetime) -> Q:
    """A filter on HotlineOrder for one light colour of :func:`light`."""
    if value == Light.RED:
        return overdue_q(now)
    if value == Light.NONE:
        return ~_open_q() | Q(step_deadline__isnull=True)
    step_light = clock.light_q(value, now, deadline="step_deadline", warn_at="step_warn_at")
    return _open_q() & ~overdue_q(now) & step_light
