"""Stage clocks of every timed workflow: the warn point, the traffic light, its SQL twins.

A timed stage has a deadline and a warn point (by default at 80 % of the time from its start
to its deadline, ``settings.GRIDGOV_WARN_FRACTION``). Its light is green before the warn
point, yellow from it, red after the deadline, none without a deadline. The same rules exist
three times, all here: for one object in Python (:func:`light`), as a database expression
(:func:`light_expression`) and as a filter (:func:`light_q`), each naming the subject's
deadline and warn-point columns.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Protocol

from django.conf import settings
from django.db.models import Case as When_
from django.db.models import CharField, Q, Value, When
from django.db.models.expressions import Expression
from django.utils import timezone

from . import calendar
from .units import Light, TimeUnit

__all__ = [
    "Light",
    "TimeUnit",
    "light",
    "light_expression",
    "light_label",
    "light_q",
    "next_alert",
    "shift",
    "warn_point",
    "year_start",
]

DEFAULT_WARN_FRACTION: Final = 0.8


def is_working(unit: str) -> bool:
    return unit.startswith("working")


def warn_fraction() -> float:
    """The share of a stage's time after which it turns yellow (clamped to 0..1)."""
    value = float(getattr(settings, "GRIDGOV_WARN_FRACTION", DEFAULT_WARN_FRACTION))
    return min(max(value, 0.0), 1.0)


def warn_point(start: dt.datetime, deadline: dt.datetime, unit: str, fraction: float | None = None) -> dt.datetime:
    """The moment the warn fraction of the time from ``start`` to ``deadline`` has passed:
    working time for working units, calendar time otherwise. Never after the deadline, and
    the deadline itself when there is no time between them."""
    share = warn_fraction() if fraction is None else fraction
    if deadline <= start:
        return deadline
    if is_working(unit):
        minutes = calendar.working_minutes_between(start, deadline)
        if minutes > 0:
            return min(calendar.add_working_minutes(start, minutes * share), deadline)
    return start + (deadline - start) * share


def shift(moment: dt.datetime, unit: str, paused_from: dt.datetime, paused_to: dt.datetime) -> dt.datetime:
    """``moment`` moved later by a pause (working time for working units)."""
    if is_working(unit):
        minutes = calendar.working_minutes_between(paused_from, paused_to)
        return calendar.add_working_minutes(moment, minutes) if minutes else moment
    return moment + (paused_to - paused_from)


def light_label(code: str) -> str:
    """The label of a light code ("" for an unknown one)."""
    return str(Light(code).label) if code in Light.values else ""


def light(deadline: dt.datetime | None, warn_at: dt.datetime | None, now: dt.datetime) -> str:
    """The light of a stage with this deadline and warn point at ``now``."""
    if deadline is None:
        return Light.NONE
    if now > deadline:
        return Light.RED
    if warn_at is not None and now >= warn_at:
        return Light.YELLOW
    return Light.GREEN


def light_expression(now: dt.datetime, *, deadline: str, warn_at: str) -> Expression:
    """The light of each row, computed by the database from the named columns."""
    return When_(
        When(Q(**{f"{deadline}__isnull": True}), then=Value(Light.NONE)),
        When(Q(**{f"{deadline}__lt": now}), then=Value(Light.RED)),
        When(Q(**{f"{warn_at}__lte": now}), then=Value(Light.YELLOW)),
        default=Value(Light.GREEN),
        output_field=CharField(),
    )


def light_q(value: str, now: dt.datetime, *, deadline: str, warn_at: str) -> Q:
    """A filter for the rows whose light is ``value``, on the named columns."""
    if value == Light.RED:
        return Q(**{f"{deadline}__lt": now})
    if value == Light.YELLOW:
        return Q(**{f"{warn_at}__lte": now, f"{deadline}__gte": now})
    if value == Light.GREEN:
        return Q(**{f"{deadline}__gte": now}) & (Q(**{f"{warn_at}__gt": now}) | Q(**{f"{warn_at}__isnull": True}))
    return Q(**{f"{deadline}__isnull": True})


class AlertedStage(Protocol):
    """A timed stage as the sweep sees it: its deadline, warn point and the alerts sent."""

    deadline: dt.datetime | None
    warn_at: dt.datetime | None
    warning_sent: bool
    overdue_sent: bool


def next_alert(stage: AlertedStage) -> dt.datetime | None:
    """When the sweep must look at the stage next: its warn point, then its deadline, then
    never."""
    if stage.deadline is None:
        return None
    if not stage.warning_sent and stage.warn_at is not None:
        return stage.warn_at
    if not stage.overdue_sent:
        return stage.deadline
    return None


def year_start(year: int) -> dt.datetime:
    """Midnight of 1 January of ``year`` in the site's time zone (where a calendar year's
    deadlines begin)."""
    return timezone.make_aware(dt.datetime(year, 1, 1), timezone.get_default_timezone())
