"""The figure "weekly analyses on time" (:class:`Timeliness`), defined once here, and what
waits for whom (the list page's and the home panel's counts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gridgov.access.scope import scope_for
from gridgov.people.models import Role

from ..models import WeeklyAnalysis, WeeklyStatus
from .common import CENTER_ROLES, OPEN, analyses_visible

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class Timeliness:
    """The weekly analyses due in a period (their deadline fell in it and has come): how many
    came in on time (submitted by the worker before the deadline), late, or not yet."""

    due: int
    on_time: int
    late: int
    missing: int

    @property
    def rate(self) -> float | None:
        return round(self.on_time * 100 / self.due, 1) if self.due else None


STATES: Final = ("due", "on_time", "late", "missing")


def state_q(state: str, now: dt.datetime) -> Q:
    """The analyses counted in one part of :class:`Timeliness` (``due``, ``on_time``, ``late``,
    ``missing``), among those of any period."""
    due = Q(due_at__lt=now)
    return {
        "due": due,
        "on_time": due & Q(on_time=True),
        "late": due & Q(on_time=False),
        "missing": due & Q(submitted_at__isnull=True),
    }[state]


def timeliness(analyses: QuerySet[WeeklyAnalysis], now: dt.datetime | None = None) -> Timeliness:
    """The figure "weekly analyses on time" of ``analyses``: those whose deadline has come,
    split into on time, late (submitted after the deadline) and not submitted."""
    now = now or timezone.now()
    row = analyses.aggregate(**{f"n_{state}": Count("pk", filter=state_q(state, now)) for state in STATES})
    return Timeliness(row["n_due"], row["n_on_time"], row["n_late"], row["n_missing"])


def weekly_timeliness(
    analyses: QuerySet[WeeklyAnalysis], start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> Timeliness:
    """:func:`timeliness` of the analyses whose deadline fell in [start, end) (a month, a
    quarter: what the assessment reads)."""
    return timeliness(analyses.filter(due_at__gte=start, due_at__lt=end), now)


def overdue_for(user: User | AnonymousUser, now: dt.datetime | None = None) -> QuerySet[WeeklyAnalysis]:
    """The analyses ``user`` sees that are past their deadline and not submitted yet."""
    now = now or timezone.now()
    return analyses_visible(user).filter(status__in=OPEN, due_at__lt=now).order_by("due_at", "area_path")


def to_do_for(user: User | AnonymousUser) -> QuerySet[WeeklyAnalysis]:
    """What waits for ``user``: drafts of their grids, checks for their villages, the center's
    acceptance."""
    return analyses_visible(user).filter(_to_do_q(user)).order_by("due_at", "area_path")


def panel_counts(user: User | AnonymousUser, now: dt.datetime | None = None) -> tuple[int, int]:
    """How many analyses wait for ``user`` and how many of those they see are overdue (one query)."""
    now = now or timezone.now()
    row = analyses_visible(user).aggregate(
        waiting=Count("pk", filter=_to_do_q(user)),
        overdue=Count("pk", filter=Q(status__in=OPEN, due_at__lt=now)),
    )
    return row["waiting"], row["overdue"]


def _to_do_q(user: User | AnonymousUser) -> Q:
    scope = scope_for(user)
    wanted = Q(pk__in=[])
    if scope.has_role(Role.GRID_WORKER):
        for path in scope.paths_for_roles(Role.GRID_WORKER):
            wanted |= Q(area_path__startswith=path, status__in=OPEN)
    if scope.has_role(Role.GRID_LEADER):
        for path in scope.paths_for_roles(Role.GRID_LEADER):
            wanted |= Q(area_path__startswith=path, status=WeeklyStatus.CHECKING)
    if scope.has_role(*CENTER_ROLES):
        wanted |= Q(status=WeeklyStatus.SUBMITTED)
    return wanted
