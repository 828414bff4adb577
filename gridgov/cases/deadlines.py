"""Stage deadlines on the working calendar, the 80 % point, and the traffic light."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case as When_
from django.db.models import CharField, Q, Value, When
from django.db.models.expressions import Expression

from gridgov.categories.models import CategoryTimeLimit, TimeUnit
from gridgov.workcalendar import calendar

from .models import Light

WARN_FRACTION = 0.8


@dataclass(frozen=True)
class StageTiming:
    deadline: dt.datetime | None
    warn_at: dt.datetime | None
    amount: int | None
    unit: str


def _working(unit: str) -> bool:
    return unit.startswith("working")


def warn_point(start: dt.datetime, deadline: dt.datetime, unit: str) -> dt.datetime:
    """The moment 80 % of the time from ``start`` to ``deadline`` has passed, counting working
    time for working units and calendar time otherwise."""
    if _working(unit):
        minutes = calendar.working_minutes_between(start, deadline)
        return calendar.add_working_minutes(start, minutes * WARN_FRACTION)
    return start + (deadline - start) * WARN_FRACTION


def limit_for(category_id: int, urgency: str, stage: str) -> CategoryTimeLimit | None:
    return CategoryTimeLimit.objects.filter(category_id=category_id, urgency=urgency, stage=stage).first()


def timing(start: dt.datetime, category_id: int, urgency: str, stage: str) -> StageTiming:
    # Two columns of the unique (category, urgency, stage) row: no model, no ordering.
    found = (
        CategoryTimeLimit.objects.filter(category_id=category_id, urgency=urgency, stage=stage)
        .order_by()
        .values_list("amount", "unit")[:1]
    )
    limit = next(iter(found), None)
    if limit is None:
        return StageTiming(None, None, None, "")
    amount, unit = limit
    deadline = calendar.deadline(start, amount, unit)
    return StageTiming(deadline, warn_point(start, deadline, unit), amount, unit)


def extend(deadline: dt.datetime, days: int) -> dt.datetime:
    """A deadline pushed ``days`` working days later."""
    return calendar.deadline(deadline, days, TimeUnit.WORKING_DAYS)


def shift(moment: dt.datetime, unit: str, paused_from: dt.datetime, paused_to: dt.datetime) -> dt.datetime:
    """``moment`` moved later by the time a case was parked (working time for working units)."""
    if _working(unit):
        minutes = calendar.working_minutes_between(paused_from, paused_to)
        return calendar.add_working_minutes(moment, minutes) if minutes else moment
    return moment + (paused_to - paused_from)


def light(deadline: dt.datetime | None, warn_at: dt.datetime | None, now: dt.datetime) -> str:
    if deadline is None:
        return Light.NONE
    if now > deadline:
        return Light.RED
    if warn_at is not None and now >= warn_at:
        return Light.YELLOW
    return Light.GREEN


def light_expression(now: dt.datetime) -> Expression:
    """The traffic light of each case's current stage, computed by the database."""
    return When_(
        When(stage_deadline__isnull=True, then=Value(Light.NONE)),
        When(Q(stage_deadline__lt=now), then=Value(Light.RED)),
        When(Q(stage_warn_at__lte=now), then=Value(Light.YELLOW)),
        default=Value(Light.GREEN),
        output_field=CharField(),
    )


def light_q(value: str, now: dt.datetime) -> Q:
    """A filter on Case for one light colour."""
    if value == Light.RED:
        return Q(stage_deadline__lt=now)
    if value == Light.YELLOW:
        return Q(stage_warn_at__lte=now, stage_deadline__gte=now)
    if value == Light.GREEN:
        return Q(stage_deadline__gte=now) & (Q(stage_warn_at__gt=now) | Q(stage_warn_at__isnull=True))
    return Q(stage_deadline__isnull=True)
