"""Deadlines of hotline orders on the working calendar, the reminder point, the traffic light.

- Acknowledge: upstream's acknowledge deadline if it gave one, else the urgency class's limit
  from arrival (``life_safety`` 15 and ``utilities`` 30 calendar minutes, ``general`` 1 working
  day by default).
- Reply: upstream's completion deadline if given, else the order type's limit in working days
  from arrival. The draft and approval steps both run to it.
- Instruct: a configured limit from the acknowledgement (1 working day), never past the reply
  deadline.
- Return window: 1 working day from arrival (2 for complex orders).

The light of an order is the light of its current step (green, yellow from the reminder
point at 80 %, red past the deadline), as in the case loop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from django.db.models import Case as When_
from django.db.models import CharField, Q, Value, When
from django.db.models.expressions import Expression
from django.utils import timezone

from gridgov.cases.models import Light
from gridgov.categories.models import TimeUnit
from gridgov.workcalendar import calendar

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


def _working(unit: str) -> bool:
    return unit.startswith("working")


def warn_point(start: dt.datetime, deadline: dt.datetime, unit: str) -> dt.datetime:
    """The moment the configured share (80 %) of the time from ``start`` to ``deadline`` has
    passed: working time for working units, calendar time otherwise."""
    fraction = conf.warn_fraction()
    if deadline <= start:
        return deadline
    if _working(unit):
        minutes = calendar.working_minutes_between(start, deadline)
        if minutes > 0:
            return min(calendar.add_working_minutes(start, minutes * fraction), deadline)
    return start + (deadline - start) * fraction


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


def light_of(deadline: dt.datetime | None, warn_at: dt.datetime | None, now: dt.datetime) -> str:
    if deadline is None:
        return Light.NONE
    if now > deadline:
        return Light.RED
    if warn_at is not None and now >= warn_at:
        return Light.YELLOW
    return Light.GREEN


def light(order: HotlineOrder, now: dt.datetime | None = None) -> str:
    """The traffic light of the order's current step."""
    if order.status not in STATUS_STEP:
        return Light.NONE
    return light_of(order.step_deadline, order.step_warn_at, now or timezone.now())


def light_expression(now: dt.datetime) -> Expression:
    """The light of each order's current step, computed by the database."""
    return When_(
        When(step_deadline__isnull=True, then=Value(Light.NONE)),
        When(Q(step_deadline__lt=now), then=Value(Light.RED)),
        When(Q(step_warn_at__lte=now), then=Value(Light.YELLOW)),
        default=Value(Light.GREEN),
        output_field=CharField(),
    )


def light_q(value: str, now: dt.datetime) -> Q:
    """A filter on HotlineOrder for one light colour."""
    if value == Light.RED:
        return Q(step_deadline__lt=now)
    if value == Light.YELLOW:
        return Q(step_warn_at__lte=now, step_deadline__gte=now)
    if value == Light.GREEN:
        return Q(step_deadline__gte=now) & (Q(step_warn_at__gt=now) | Q(step_warn_at__isnull=True))
    return Q(step_deadline__isnull=True)
