"""Reads of patrols, scoped: a grid worker sees their own patrols, a grid leader or village
staff those of their villages, the center, town leaders and supervisors those of their towns,
administrators (and supervisors without an area) every patrol."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gridgov.access.scope import scope_for
from gridgov.areas.selectors import latest_by_code, paths_of
from gridgov.cases.selectors import cases_visible, reported_case_ids
from gridgov.core.pagination import Page, keyset_page
from gridgov.people.models import Role
from gridgov.people.selectors import area_role_assignments
from gridgov.workcalendar import calendar

from . import roads
from .coverage import GridArea, coverage_of, usable_points
from .models import CoverageMeasure, Patrol, PatrolFinding, PatrolStandard, RoadLine
from .services import max_accuracy_m

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area

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


# --- standards and coverage -----------------------------------------------------------------


def standards_visible(user: User | AnonymousUser) -> QuerySet[PatrolStandard]:
    """Patrol standards of the grids in the user's areas (a worker sees their grid's)."""
    if not getattr(user, "is_authenticated", False):
        return PatrolStandard.objects.none()
    scope = scope_for(user)
    if scope.everything:
        return PatrolStandard.objects.all()
    query = Q(pk__in=[])
    for path in scope.area_paths:
        query |= Q(area_path__startswith=path)
    return PatrolStandard.objects.filter(query)


def standard_of(grid: Area) -> PatrolStandard | None:
    return PatrolStandard.objects.filter(grid=grid).first()


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local start of ``month``'s first day and of the next month's."""
    tz = timezone.get_current_timezone()
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return dt.datetime.combine(first, dt.time.min, tz), dt.datetime.combine(following, dt.time.min, tz)


def patrol_coverage(grid: Area, month: dt.date, worker_id: int | None = None) -> float | None:
    """**Patrol coverage** of a grid in a month (the figure the assessment reads).

    The share (0–1) of the grid lying within 50 m of at least one route of the patrols
    recorded in that grid that started in that month (local time), optionally only those of
    one worker: when the grid has road lines, length(roads in the grid ∩ union of the routes
    buffered by 50 m) / length(roads in the grid); otherwise area(grid ∩ the buffered routes) /
    area(grid) (:func:`coverage_measure` says which). Patrols without a route add nothing;
    ``None`` for a grid without a boundary. Not scoped: a figure about a grid, the caller
    decides who sees it (as the statistics do).
    """
    if not grid.boundary:
        return None
    start, end = month_bounds(month)
    query = Patrol.objects.filter(grid=grid, started_at__gte=start, started_at__lt=end)
    if worker_id is not None:
        query = query.filter(worker_id=worker_id)
    tracks = [usable_points(track, max_accuracy_m()) for track in query.values_list("track", flat=True)]
    return coverage_of(
        grid.boundary, tracks, list(RoadLine.objects.filter(grid=grid).values_list("geometry", flat=True))
    )


def coverage_measure(grid: Area) -> str:
    """``roads`` when the grid's coverage is measured on its road lines, else ``area``."""
    area = roads.grid_area(grid)
    return area.measure if area is not None else CoverageMeasure.AREA


def grid_coverages(grids: Iterable[Area], month: dt.date) -> dict[int, float | None]:
    """:func:`patrol_coverage` of each grid in ``month`` (for a table of grids)."""
    return {grid.pk: patrol_coverage(grid, month) for grid in grids}


@dataclass
class WorkerDay:
    """One worker's patrolling on one working day (the day view)."""

    worker: Any
    grid: Area | None
    day: dt.date
    patrols: list[Patrol]
    minutes: int
    coverage: float | None
    checkpoints_passed: list[str]
    checkpoint_total: int
    min_minutes: int
    measure: str = "area"
    workday: bool = True  # a rest day is shown only when someone patrolled on it, never missed
    running: bool = False  # today: not missed before it is over

    @property
    def patrolled(self) -> bool:
        """A patrol with a route that day (a patrol without a route is a day without a track)."""
        return any(p.point_count >= 2 for p in self.patrols)

    @property
    def missed(self) -> bool:
        """A working day that has ended without a patrol with a route."""
        return self.workday and not self.running and not self.patrolled

    @property
    def meets_minimum(self) -> bool:
        return self.patrolled and self.minutes >= self.min_minutes

    @property
    def coverage_percent(self) -> float | None:
        return None if self.coverage is None else round(self.coverage * 100, 1)


def _day_coverage(patrols: list[Patrol], grids: dict[int, GridArea | None]) -> float | None:
    if not patrols:
        return 0.0
    if len(patrols) == 1:
        return patrols[0].coverage
    grid_area = grids.get(patrols[0].grid_id)
    if grid_area is None:
        return None
    return grid_area.share(
        grid_area.route(usable_points(p.track, max_accuracy_m())) for p in patrols if p.grid_id == patrols[0].grid_id
    )


def _day_measure(patrols: list[Patrol], has_roads: bool) -> str:
    """The measure of a day's coverage: that of its one stored patrol, else the grid's now."""
    if len(patrols) == 1:
        return patrols[0].coverage_measure
    return CoverageMeasure.ROADS if has_roads else CoverageMeasure.AREA


def worker_days(
    user: User | AnonymousUser, date_from: dt.date, date_to: dt.date, *, grid_code: str = ""
) -> list[WorkerDay]:
    """The day view: every grid worker the user may see (a worker: themself) × every working
    day from ``date_from`` to ``date_to`` and every rest day someone of them patrolled on, with
    what they patrolled. A working day without a patrol with a route is ``patrolled`` False
    (shown to the grid leader); a rest day is never missed (``workday`` False)."""
    if not getattr(user, "is_authenticated", False):
        return []
    scope = scope_for(user)
    oversee: Q | None = None
    if not scope.everything:
        oversee = Q(user_id=user.pk)
        for path in paths_of(sorted({a for role, a, _d in scope.assignments if role in OVERSIGHT_ROLES and a})):
            oversee |= Q(area__path__startswith=path)
    assignments = area_role_assignments(Role.GRID_WORKER, oversee)
    if grid_code:
        area = latest_by_code(grid_code.strip())
        assignments = assignments.filter(area__path__startswith=area.path) if area else assignments.none()
    # In the areas' order (their codes), as every other list: the paths' ids sorted as text
    # put 新立村 before 太平村.
    pairs = sorted({(a.area.code if a.area else "", a.user.username): a for a in assignments}.items())
    rows = [a for _key, a in pairs]
    if not rows:
        return []
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tz)
    patrols = (
        patrols_visible(user)
        .select_related("grid")
        .filter(worker_id__in={a.user_id for a in rows}, started_at__gte=start, started_at__lt=end)
    )
    by_key: dict[tuple[int, dt.date], list[Patrol]] = {}
    for patrol in patrols.order_by("started_at"):
        by_key.setdefault((patrol.worker_id, timezone.localtime(patrol.started_at).date()), []).append(patrol)
    # Every working day up to today (a day to come is not missed), and a rest day (a Sunday, a
    # holiday) on which someone of the view patrolled: their patrol is shown, the others' is
    # not missing.
    today = timezone.localdate()
    patrolled_days = {day for _worker, day in by_key}
    days = [date_from + dt.timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    workdays = {d for d in days if calendar.is_workday(d) and d <= today}
    days = [d for d in days if d in workdays or d in patrolled_days]
    standards = {s.grid_id: s for s in PatrolStandard.objects.filter(grid_id__in={a.area_id for a in rows})}
    several = {p[0].grid for p in by_key.values() if len(p) > 1}
    grid_areas: dict[int, GridArea | None] = roads.grid_areas(list(several))
    measured = set(RoadLine.objects.filter(grid_id__in={a.area_id for a in rows}).values_list("grid_id", flat=True))
    result = []
    for assignment in rows:
        standard = standards.get(assignment.area_id or 0)
        for day in days:
            found = by_key.get((assignment.user_id, day), [])
            names: list[str] = []
            for patrol in found:
                names += [n for n in patrol.checkpoints_passed if n not in names]
            result.append(
                WorkerDay(
                    worker=assignment.user,
                    grid=assignment.area,
                    day=day,
                    patrols=found,
                    minutes=sum(p.duration_minutes for p in found),
                    coverage=_day_coverage(found, grid_areas),
                    checkpoints_passed=names,
                    checkpoint_total=len(standard.checkpoints) if standard else 0,
                    min_minutes=standard.min_minutes_per_day if standard else 0,
                    measure=_day_measure(found, assignment.area_id in measured),
                    workday=day in workdays,
                    running=day == today,
                )
            )
    return result


@dataclass
class GridMonth:
    """The month view of one grid: each day's patrols and coverage, and the month's."""

    grid: Area
    month: dt.date
    days: list[dict[str, Any]]
    coverage: float | None
    patrol_count: int
    minutes: int
    tracks: list[list[tuple[float, float]]]
    measure: str = "area"
    roads: list[dict[str, Any]] = field(default_factory=list)

    @property
    def coverage_percent(self) -> float | None:
        return None if self.coverage is None else round(self.coverage * 100, 1)


def grid_month(user: User | AnonymousUser, grid: Area, month: dt.date) -> GridMonth:
    """The month view of a grid, over the patrols ``user`` may see; the month's coverage is the
    union of all its routes (:func:`patrol_coverage` when the user sees them all)."""
    start, end = month_bounds(month)
    patrols = list(
        patrols_visible(user).filter(grid=grid, started_at__gte=start, started_at__lt=end).order_by("started_at")
    )
    grid_area = roads.grid_area(grid)
    tracks = [usable_points(p.track, max_accuracy_m()) for p in patrols]
    by_day: dict[dt.date, list[int]] = {}
    for index, patrol in enumerate(patrols):
        by_day.setdefault(timezone.localtime(patrol.started_at).date(), []).append(index)
    days = []
    today = timezone.localdate()
    day = start.date()
    while day < end.date():
        indexes = by_day.get(day, [])
        coverage = None
        if grid_area is not None:
            coverage = grid_area.share(grid_area.route(tracks[i]) for i in indexes) if indexes else 0.0
        days.append(
            {
                "day": day,
                "workday": calendar.is_workday(day),
                "future": day > today,
                "patrols": len(indexes),
                "minutes": sum(patrols[i].duration_minutes for i in indexes),
                "coverage": coverage,
                "coverage_percent": None if coverage is None else round(coverage * 100, 1),
            }
        )
        day += dt.timedelta(days=1)
    month_coverage = None if grid_area is None else grid_area.share(grid_area.route(t) for t in tracks)
    return GridMonth(
        grid=grid,
        month=start.date(),
        days=days,
        coverage=month_coverage,
        patrol_count=len(patrols),
        minutes=sum(p.duration_minutes for p in patrols),
        tracks=[t for t in tracks if t],
        measure=grid_area.measure if grid_area is not None else CoverageMeasure.AREA,
        roads=[
            {"name": name, "geometry": geometry}
            for name, geometry in RoadLine.objects.filter(grid=grid).values_list("name", "geometry")
        ],
    )


def road_grids(user: User | AnonymousUser) -> list[dict[str, Any]]:
    """The grids with road lines the user may load roads for: each with its roads' count and
    length (the import page's list)."""
    rows = (
        RoadLine.objects.select_related("grid")
        .order_by("grid__code", "name")
        .values("grid_id", "grid__code", "grid__name", "grid__path", "length_m")
    )
    grids: dict[int, dict[str, Any]] = {}
    for row in rows:
        if not roads.may_load(user, row["grid__path"]):
            continue
        entry = grids.setdefault(
            row["grid_id"], {"code": row["grid__code"], "name": row["grid__name"], "count": 0, "length_m": 0}
        )
        entry["count"] += 1
        entry["length_m"] += row["length_m"]
    return list(grids.values())
