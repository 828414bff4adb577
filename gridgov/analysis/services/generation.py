"""Generation and the sweep: the drafts of a week (once), the beat task that makes them, and
the one notice of an overdue draft.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from gridgov.areas.models import Area, AreaLevel
from gridgov.core.audit import record
from gridgov.notify.services import notify
from gridgov.people.models import Role
from gridgov.workcalendar import clock
from gridgov.workcalendar.units import TimeUnit

from .. import figures
from ..models import AnalysisEvent, WeeklyAnalysis, WeeklyStatus
from .common import OPEN, _holders, due_of


def current_grids() -> QuerySet[Area]:
    return Area.objects.current().filter(level=AreaLevel.GRID)


def weekly_generate(week: dt.date, *, grids: QuerySet[Area] | None = None, now: dt.datetime | None = None) -> int:
    """The drafts of the week starting on Monday ``week``, one per grid that has none yet;
    returns how many were made. Safe to run twice, or in two workers at once."""
    if week.weekday() != 0:
        raise ValueError("a week starts on a Monday")
    now = now or timezone.now()
    due = due_of(week)
    start = figures.week_period(week).end_at
    warn = clock.warn_point(start, due, TimeUnit.WORKING_HOURS)
    made = 0
    done = set(WeeklyAnalysis.objects.filter(week=week).values_list("grid_id", flat=True))
    todo = list((grids if grids is not None else current_grids()).exclude(pk__in=done).order_by("code"))
    # The week's case figures of all the grids in one query (a district has thousands of grids).
    case_figures = figures.week_case_figures(todo, week)
    for grid in todo:
        values = figures.compute(grid, week, case_figures[grid.path])
        try:
            with transaction.atomic():
                analysis = WeeklyAnalysis.objects.create(
                    grid=grid, area_path=grid.path, week=week, figures=values, due_at=due, warn_at=warn
                )
                AnalysisEvent.objects.create(analysis=analysis, action="generate", at=now, to_status=WeeklyStatus.DRAFT)
        except IntegrityError:
            continue  # another worker made it meanwhile
        made += 1
    if made:
        record(action="weekly.generate", data={"week": week.isoformat(), "count": made})
    return made


def last_complete_week(today: dt.date) -> dt.date:
    return figures.week_of(today) - dt.timedelta(days=7)


def schedule_weekly(today: dt.date | None = None) -> int:
    """The beat task (daily; cheap once the week is done): the drafts of last week, and of the
    week before when the schedule missed it entirely."""
    today = today or timezone.localdate()
    last = last_complete_week(today)
    before = last - dt.timedelta(days=7)
    made = 0
    if (
        not WeeklyAnalysis.objects.filter(week=before).exists()
        and WeeklyAnalysis.objects.filter(week__lt=before).exists()
    ):
        made += weekly_generate(before)
    return made + weekly_generate(last)


def sweep_overdue(now: dt.datetime | None = None) -> int:
    """Tell the grid worker and the grid leader, once, that an analysis is overdue."""
    now = now or timezone.now()
    sent = 0
    for analysis in WeeklyAnalysis.objects.filter(status__in=OPEN, due_at__lt=now, submitted_at__isnull=True).filter(
        ~Q(events__action="overdue")
    ):
        with transaction.atomic():
            locked = WeeklyAnalysis.objects.select_for_update().filter(pk=analysis.pk).first()
            if locked is None or locked.events.filter(action="overdue").exists():
                continue
            AnalysisEvent.objects.create(analysis=locked, action="overdue", at=now, to_status=locked.status)
            notify(
                recipients=_holders(locked.grid, {Role.GRID_WORKER, Role.GRID_LEADER}),
                kind="weekly.overdue",
                params={"grid": locked.grid.name, "week": locked.week.isoformat()},
                url=reverse("analysis:weekly-detail", args=[locked.pk]),
                obj=locked,
            )
            sent += 1
    return sent
