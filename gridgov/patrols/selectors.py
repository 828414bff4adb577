"""Reads of patrols, scoped: a grid worker sees their own patrols, a grid leader or village
staff those of their villages, the center, town leaders and supervisors those of their towns,
administrators (and supervisors without an area) every patrol."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gridgov.access.scope import scope_for
from gridgov.areas.selectors import latest_by_code, paths_of
from gridgov.cases.selectors import cases_visible, reported_case_ids
from gridgov.core.pagination import Page, keyset_page
from gridgov.people.models import Role

from .models import Patrol, PatrolFinding

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

PAGE_SIZE: Final = 50
PAGE_MAX: Final = 200
# Roles that see the patrols of everyone in their area (a grid worker sees only their own).
OVERSIGHT_ROLES: Final = frozenset(
    {Role.GRID_LEADER, Role.VILLAGE_STAFF, Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.SUPERVISOR}
)


def visible_q(user: User | AnonymousUser) -> Q:
    """A filter on Patrol for what ``user`` may see (nothing for a stranger)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    scope = scope_for(user)
    if scope.everything:
        return Q()
    query = Q(worker_id=user.pk)
    area_ids = sorted({area_id for role, area_id, _d in scope.assignments if role in OVERSIGHT_ROLES and area_id})
    for path in paths_of(area_ids):
        query |= Q(area_path__startswith=path)
    return query


def patrols_visible(user: User | AnonymousUser) -> QuerySet[Patrol]:
    return Patrol.objects.filter(visible_q(user))


def may_oversee(user: User | AnonymousUser) -> bool:
    """Does the user see other people's patrols (the web pages are for them)?"""
    scope = scope_for(user)
    return scope.everything or scope.has_role(*OVERSIGHT_ROLES)


def patrol_get(user: User | AnonymousUser, patrol_id: int) -> Patrol:
    """A patrol the user may see; ``Patrol.DoesNotExist`` otherwise (as for a missing one)."""
    return patrols_visible(user).select_related("worker", "worker__profile", "grid").get(pk=patrol_id)


@dataclass
class PatrolFilters:
    mine: bool = False
    grid: str = ""  # an area code: a grid, or a village/town for everything under it
    worker: str = ""  # a username
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def apply_filters(user: User | AnonymousUser, query: QuerySet[Patrol], filters: PatrolFilters) -> QuerySet[Patrol]:
    if filters.mine:
        query = query.filter(worker_id=user.pk)
    if filters.grid:
        area = latest_by_code(filters.grid.strip())
        query = query.filter(area_path__startswith=area.path) if area else query.none()
    if filters.worker:
        query = query.filter(worker__username=filters.worker.strip())
    tz = timezone.get_current_timezone()
    if filters.date_from:
        query = query.filter(started_at__gte=dt.datetime.combine(filters.date_from, dt.time.min, tz))
    if filters.date_to:
        query = query.filter(
            started_at__lt=dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, tz)
        )
    return query


# --- keyset pagination --------------------------------------------------------------------

# Latest start first; the id orders patrols that started at the same moment.
ORDER: Final = ("-started_at", "-id")


def page(query: QuerySet[Patrol], *, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page[Patrol]:
    """One page, latest start first, continuing after ``cursor``. The track is not loaded. A
    bad cursor is :class:`~gridgov.core.errors.Invalid`."""
    rows = (
        query.select_related("worker", "worker__profile", "grid")
        .defer("track")
        .annotate(finding_total=Count("findings"))
    )
    return keyset_page(rows, ORDER, cursor, int(limit), max_limit=PAGE_MAX)


def latest_of(user: User | AnonymousUser, limit: int = 5) -> list[Patrol]:
    """The user's own latest patrols (for the phone's home)."""
    return page(patrols_visible(user).filter(worker_id=user.pk), limit=limit).items


def findings_of(user: User | AnonymousUser, patrol: Patrol) -> list[tuple[PatrolFinding, Any]]:
    """Each finding of the patrol with its case when the user may see it (else None). A
    finding whose report reached the server after the patrol is found by its client id."""
    findings = list(patrol.findings.all())
    late = [f.client_id for f in findings if f.case_id is None]
    keyed = reported_case_ids(patrol.worker_id, late)
    ids = {f.case_id or keyed.get(f.client_id) for f in findings} - {None}
    cases = {c.pk: c for c in cases_visible(user).filter(pk__in=ids).select_related("category")}
    return [(f, cases.get(f.case_id or keyed.get(f.client_id) or 0)) for f in findings]
