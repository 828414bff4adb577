"""Stage deadlines of cases: the category's time limit on the working calendar, and the case's
light read from its mirrored ``stage_deadline`` / ``stage_warn_at`` columns.

The rules themselves (the warn point, the light, a pause's shift) are the stage clock of every
timed workflow, :mod:`gridgov.workcalendar.clock`; this module names the case's columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q
from django.db.models.expressions import Expression

from gridgov.categories.selectors import time_limit, time_limit_amount
from gridgov.workcalendar import calendar, clock
from gridgov.workcalendar.clock import light, shift, warn_point
from gridgov.workcalendar.units import TimeUnit

if TYPE_CHECKING:
    from gridgov.categories.models import CategoryTimeLimit

__all__ = [
    "StageTiming",
    "extend",
    "light",
    "light_expression",
    "light_q",
    "limit_for",
    "shift",
    "timing",
    "warn_point",
]

# The case's columns of its current stage (mirrored from the open CaseStage row).
DEADLINE_COLUMN = "stage_deadline"
WARN_COLUMN = "stage_warn_at"


@dataclass(frozen=True)
class StageTiming:
    deadline: dt.datetime | None
    warn_at: dt.datetime | None
    amount: int | None
    unit: str


def limit_for(category_id: int, urgency: str, stage: str) -> CategoryTimeLimit | None:
    return time_limit(category_id, urgency, stage)


def timing(start: dt.datetime, category_id: int, urgency: str, stage: str) -> StageTiming:
    return timing_of(start, time_limit_amount(category_id, urgency, stage))


def timing_of(start: dt.datetime, limit: tuple[int, str] | None) -> StageTiming:
    """The timing of a stage starting at ``start`` under a time limit ``(amount, unit)`` read
    before (``None``: the stage has no limit)."""
    if limit is None:
        return StageTiming(None, None, None, "")
    amount, unit = limit
    deadline = calendar.deadline(start, amount, unit)
    return StageTiming(deadline, warn_point(start, deadline, unit), amount, unit)


def extend(deadline: dt.datetime, days: int) -> dt.datetime:
    """A deadline pushed ``days`` working days later."""
    return calendar.deadline(deadline, days, TimeUnit.WORKING_DAYS)


def light_expression(now: dt.datetime) -> Expression:
    """The traffic light of each case's current stage, computed by the database."""
    return clock.light_expression(now, deadline=DEADLINE_COLUMN, warn_at=WARN_COLUMN)


def light_q(value: str, now: dt.datetime) -> Q:
    """A filter on Case for one light colour."""
    return clock.light_q(value, now, deadline=DEADLINE_COLUMN, warn_at=WARN_COLUMN)
