"""When the demo's open hotline orders arrived and moved, so the workbench looks like a working
morning: most open orders inside their limits, a few yellow, a few red.

An order's light depends on two clocks (:mod:`gridgov.hotline.deadlines`): its current step's
and its reply deadline from arrival. So the plan of an open order is searched, not solved: an
arrival is tried (a share of the limit that decides, back from now), the steps follow it as
shares of their own limits, and the light the order would have now is computed with the
hotline's own deadline functions on an unsaved order. The first plan with the wanted light is
kept (a few dozen tries at most, pure calendar arithmetic).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Final

from gridgov.hotline import conf, deadlines
from gridgov.hotline.models import HotlineOrder, OrderStatus
from gridgov.workcalendar import calendar, clock
from gridgov.workcalendar.units import Light

from .timing import FRACTIONS, between, working_before

# The demo's steps that move an open order to another status; the other steps of an open
# scenario (a reminder, an extension request, a case) keep it where it is.
STEP_STATUS: Final[dict[str, str]] = {
    "ack": OrderStatus.ACKNOWLEDGED,
    "instruct": OrderStatus.INSTRUCTED,
    "draft": OrderStatus.DRAFTED,
    "reject": OrderStatus.INSTRUCTED,
}
SIDE_STEPS: Final = frozenset({"remind", "extension", "case_open"})
TRIES: Final = 40


@dataclass
class OrderPlan:
    arrival: dt.datetime
    light: str = ""
    times: list[dt.datetime] = field(default_factory=list)


def plannable(steps: tuple[str, ...]) -> bool:
    """Can the open scenario with these steps be planned back from now?"""
    return all(step in STEP_STATUS or step in SIDE_STEPS for step in steps)


def plan_open(
    rng: random.Random, *, now: dt.datetime, steps: tuple[str, ...], light: str, order: HotlineOrder
) -> OrderPlan:
    """Arrival and step times of an open order with ``steps`` whose light is ``light`` now.

    ``order`` is an unsaved order with the type, urgency class and complexity the order will
    have; its times are filled in here while trying.
    """
    status: str = OrderStatus.RECEIVED
    pivot = -1
    for index, step in enumerate(steps):
        if step in STEP_STATUS:
            status, pivot = STEP_STATUS[step], index
    order.arrived_at = now
    scale, working = _scale(order, status)
    low, high = FRACTIONS.get(light, FRACTIONS[Light.GREEN])
    plan = OrderPlan(now)
    for attempt in range(TRIES):
        # First around the wanted share of the deciding limit, then anywhere up to 1.6 times it.
        share = rng.uniform(low, high) if attempt < TRIES // 2 else rng.uniform(0.02, 1.6)
        back = scale * share
        arrival = working_before(now, back) if working else now - dt.timedelta(minutes=back)
        plan = _try(rng, now=now, steps=steps, pivot=pivot, status=status, order=order, arrival=arrival)
        if plan.light == light:
            return plan
    return plan


def _scale(order: HotlineOrder, status: str) -> tuple[float, bool]:
    """The limit that mostly decides the light (in minutes), and whether it counts working time."""
    if status == OrderStatus.RECEIVED:
        timing = deadlines.ack_timing(order)
        unit = timing.unit
        deadline = timing.deadline
        assert deadline is not None
        if clock.is_working(unit):
            return max(calendar.working_minutes_between(order.arrived_at, deadline), 1), True
        return max((deadline - order.arrived_at) / dt.timedelta(minutes=1), 1), False
    per_day = calendar.working_minutes_per_day()
    if status == OrderStatus.ACKNOWLEDGED:
        return per_day * 1.3, True  # the acknowledgement, then the instruction's working day
    return conf.reply_limit_days(order.order_type) * per_day, True


def _try(
    rng: random.Random,
    *,
    now: dt.datetime,
    steps: tuple[str, ...],
    pivot: int,
    status: str,
    order: HotlineOrder,
    arrival: dt.datetime,
) -> OrderPlan:
    """Steps after ``arrival`` as shares of their limits; the light the order has now."""
    order.arrived_at = arrival
    order.status = OrderStatus.RECEIVED
    order.reply_deadline = deadlines.reply_deadline(order)
    times: list[dt.datetime] = []
    last = arrival
    started = arrival
    for step in steps[: pivot + 1]:
        if step in STEP_STATUS:
            step_deadline = deadlines.step_timing(order, deadlines.STATUS_STEP[order.status], started).deadline
            bound = min(step_deadline or now, now)
            last = max(between(rng, last, bound, 0.1, 0.6), last + dt.timedelta(minutes=1))
            order.status, started = STEP_STATUS[step], last
        else:
            last = max(between(rng, last, now, 0.05, 0.2), last + dt.timedelta(minutes=1))
        times.append(last)
    timing = deadlines.step_timing(order, deadlines.STATUS_STEP[status], started)
    order.status = status
    order.step_deadline, order.step_warn_at = timing.deadline, timing.warn_at
    bound = min(now, timing.deadline, order.reply_deadline) if timing.deadline else now
    for _step in steps[pivot + 1 :]:
        last = max(between(rng, last, max(bound, last), 0.1, 0.5), last + dt.timedelta(seconds=30))
        times.append(last)
    if times and times[-1] > now:
        return OrderPlan(arrival, "", times)
    return OrderPlan(arrival, str(deadlines.light(order, now)), times)
