"""Reads of basic data and visits, scoped (see :mod:`.access`), the due and overdue visits of
the visit plans, and visit coverage (:func:`visit_coverage`)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from gridgov.access.scope import scope_for, visible_areas
from gridgov.areas.selectors import latest_by_code
from gridgov.cases import photos
from gridgov.cases.selectors import reported_case_ids
from gridgov.core.pagination import Page, keyset_page
from gridgov.people.models import Role

from . import access
from .models import KEY_KINDS, Household, Unit, UnitVisitPlan, Visit, VisitPhoto, VisitPlan

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

PAGE_SIZE: Final = 50
PAGE_MAX: Final = 200


def households_visible(user: User | AnonymousUser) -> QuerySet[Household]:
    return Household.objects.filter(access.area_q(user), active=True)


def units_visible(user: User | AnonymousUser, *, key_places: bool | None = None) -> QuerySet[Unit]:
    query = Unit.objects.filter(access.area_q(user), active=True)
    if key_places is True:
        query = query.filter(kind__in=KEY_KINDS)
    elif key_places is False:
        query = query.exclude(kind__in=KEY_KINDS)
    return query


def visits_visible(user: User | AnonymousUser) -> QuerySet[Visit]:
    """A grid worker sees the visits in their grids (their own and a colleague's on the same
    grid), a grid leader those of the village, and so on up, as for basic data."""
    return Visit.objects.filter(access.area_q(user))


def household_get(user: User | AnonymousUser, pk: int) -> Household:
    return households_visible(user).select_related("grid").get(pk=pk)


def unit_get(user: User | AnonymousUser, pk: int) -> Unit:
    return units_visible(user).select_related("grid").get(pk=pk)


def visit_get(user: User | AnonymousUser, pk: int) -> Visit:
    return (
        visits_visible(user)
        .select_related("grid", "worker", "worker__profile", "household", "unit", "case")
        .prefetch_related("photos")
        .get(pk=pk)
    )


def visit_photo_open(user: User | AnonymousUser, pk: int, variant: str) -> tuple[FieldFile, str]:
    """One photo of a visit the user may see, opened (``original``, ``display`` or
    ``thumbnail``: :func:`gridgov.cases.photos.open_variant`); ``VisitPhoto.DoesNotExist`` for
    anything else, a photo out of scope as a missing one."""
    item = VisitPhoto.objects.filter(pk=pk, visit__in=visits_visible(user)).first()
    opened = photos.open_variant(item, variant) if item is not None else None
    if opened is None:
        raise VisitPhoto.DoesNotExist
    return opened


def grid_filter(query: QuerySet, code: str) -> QuerySet:  # type: ignore[type-arg]
    area = latest_by_code(code.strip())
    return query.filter(area_path__startswith=area.path) if area else query.none()


ORDER: Final = ("-visited_at", "-id")


def visit_page(query: QuerySet[Visit], *, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page[Visit]:
    rows = query.select_related("grid", "worker", "worker__profile", "household", "unit").prefetch_related("photos")
    return keyset_page(rows, ORDER, cursor, int(limit), max_limit=PAGE_MAX)


def case_of(visit: Visit) -> int | None:
    """The id of the case the visit's finding became, looked up by its client key when the
    report reached the server after the visit."""
    if visit.case_id is not None:
        return visit.case_id
    if not visit.case_client_id:
        return None
    return reported_case_ids(visit.worker_id, [visit.case_client_id]).get(visit.case_client_id)


# --- the visit plans: due and overdue ----------------------------------------------------------


def plan_intervals() -> dict[str, int]:
    """``care tag -> days`` of the active visit plans."""
    return dict(VisitPlan.objects.filter(active=True).values_list("care_tag", "interval_days"))


def unit_plan_intervals() -> dict[str, int]:
    """``hazard tag or key-place kind -> days`` of the active unit visit plans."""
    return dict(UnitVisitPlan.objects.filter(active=True).values_list("tag", "interval_days"))


def interval_of(tags: Iterable[str], intervals: dict[str, int]) -> int | None:
    """The shortest interval among the tags that have a plan (None: no plan)."""
    days = [intervals[tag] for tag in tags if tag in intervals]
    return min(days) if days else None


@dataclass(frozen=True)
class DueVisit:
    """A household or a unit (key places included) and when its next visit is due.

    ``due_on`` is the local date of its last visit plus the shortest interval of its tags'
    plans (a household's care tags; a unit's hazard tags and key-place kind); one never visited
    is due from the day it was registered. It is *due* on ``due_on`` and *overdue* after it
    (``overdue_days`` > 0). Exactly one of ``household`` and ``unit`` is set."""

    household: Household | None
    interval_days: int
    last_visit: dt.datetime | None
    due_on: dt.date
    overdue_days: int
    unit: Unit | None = None

    @property
    def kind(self) -> str:
        return "household" if self.household is not None else "unit"

    @property
    def target(self) -> Household | Unit:
        target = self.household if self.household is not None else self.unit
        assert target is not None
        return target


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _due_on(last: dt.datetime | None, registered: dt.datetime, interval: int) -> dt.date:
    return _local_date(last) + dt.timedelta(days=interval) if last else _local_date(registered)


def due_visits(
    households: QuerySet[Household], *, units: QuerySet[Unit] | None = None, today: dt.date | None = None
) -> list[DueVisit]:
    """Every household of ``households`` and unit of ``units`` with a visit due on ``today`` or
    earlier, the most overdue first."""
    today = today or timezone.localdate()
    due: list[DueVisit] = []
    intervals = plan_intervals()
    if intervals:
        rows = households.filter(cared=True).annotate(last=Max("visits__visited_at")).select_related("grid")
        for household in rows:
            interval = interval_of(household.care_tags, intervals)
            if interval is None:
                continue
            last = household.last  # type: ignore[attr-defined]
            start = _due_on(last, household.created_at, interval)
            if start <= today:
                due.append(DueVisit(household, interval, last, start, (today - start).days))
    unit_intervals = unit_plan_intervals()
    if units is not None and unit_intervals:
        # Key places and tagged units; which tags have a plan is decided below (a JSON list's
        # contents are not filtered in the database on every backend).
        planned = Q(kind__in=list(KEY_KINDS)) | ~Q(hazard_tags=[])
        for unit in units.filter(planned).annotate(last=Max("visits__visited_at")).select_related("grid"):
            interval = interval_of(unit.plan_tags, unit_intervals)
            if interval is None:
                continue
            last = unit.last  # type: ignore[attr-defined]
            start = _due_on(last, unit.created_at, interval)
            if start <= today:
                due.append(DueVisit(None, interval, last, start, (today - start).days, unit=unit))
    due.sort(key=lambda d: (-d.overdue_days, d.target.grid.code, d.kind, d.target.pk))
    return due


def due_today(user: User | AnonymousUser, *, today: dt.date | None = None) -> list[DueVisit]:
    """The phone's "今日走访": households and units of the user's own grids whose visit is due
    today or overdue."""
    own = access.area_q(user, (Role.GRID_WORKER,))
    return due_visits(
        Household.objects.filter(own, active=True), units=Unit.objects.filter(own, active=True), today=today
    )


# The most places the phone keeps for visits without a plan (a grid holds a few hundred
# households and units; a worker rarely has more than a few grids).
PLACES_MAX: Final = 2000


@dataclass(frozen=True)
class Places:
    """Every active household and unit of the user's own grids (``items``, at most
    :data:`PLACES_MAX`, by grid code), and how many there are in all (``total``)."""

    items: list[Household | Unit]
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.items)


def places(user: User | AnonymousUser, *, limit: int = PLACES_MAX) -> Places:
    """The phone's "all places": the households and units the user may record a visit to
    without a plan (their own grids, as :func:`due_today`), each with its last visit
    (``last``), by grid code, households first; at most ``limit``."""
    own = access.area_q(user, (Role.GRID_WORKER,))
    households = Household.objects.filter(own, active=True)
    units = Unit.objects.filter(own, active=True)
    total = households.count() + units.count()
    items: list[Household | Unit] = []
    for rows in (households, units):
        room = limit - len(items)
        if room <= 0:
            break
        items += list(
            rows.annotate(last=Max("visits__visited_at")).select_related("grid").order_by("grid__code", "id")[:room]
        )
    return Places(items=items, total=total)


def overdue(user: User | AnonymousUser, *, today: dt.date | None = None) -> list[DueVisit]:
    """The grid leader's list: visits due before today and not made, in the user's scope."""
    due = due_visits(households_visible(user), units=units_visible(user), today=today)
    return [d for d in due if d.overdue_days > 0]


# --- coverage -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Visit coverage of one grid in one month (by one worker when ``worker_id`` is set)."""

    grid_id: int
    month: dt.date  # the first day
    worker_id: int | None
    households_due: int
    households_visited: int
    units_due: int
    units_visited: int

    @property
    def due(self) -> int:
        return self.households_due + self.units_due

    @property
    def visited(self) -> int:
        return self.households_visited + self.units_visited

    @property
    def rate(self) -> float | None:
        """Visited over due (0..1), None when nothing was due."""
        return self.visited / self.due if self.due else None


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month as [first day 00:00, first day of the next month 00:00) in local time."""
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    last = calendar.monthrange(year, month)[1]
    return start, dt.datetime.combine(dt.date(year, month, last) + dt.timedelta(days=1), dt.time.min, tz)


def visit_coverage(*, year: int, month: int, grid_ids: Sequence[int], worker_id: int | None = None) -> list[Coverage]:
    """Visit coverage of each grid in ``grid_ids`` for the month, unscoped (the caller has
    chosen the grids): the one definition the statistics page and the assessment read.

    - **Due**: every active household and every active unit (key places included) of the grid
      registered before the month's end: each should be visited at least once a month.
    - **Visited**: those of them visited at least once in the month (local time), by anyone,
      or by ``worker_id`` only when given (a worker's own coverage of a grid).
    - The rate is visited over due (:attr:`Coverage.rate`); a grid with nothing due has none.
    """
    ids = list(grid_ids)
    counts = _coverage_counts(year, month, ids, worker_id, by_grid=True)
    first = dt.date(year, month, 1)
    return [
        Coverage(
            grid_id=grid_id,
            month=first,
            worker_id=worker_id,
            households_due=counts["households"].get(grid_id, 0),
            households_visited=counts["households_visited"].get(grid_id, 0),
            units_due=counts["units"].get(grid_id, 0),
            units_visited=counts["units_visited"].get(grid_id, 0),
        )
        for grid_id in ids
    ]


def _coverage_counts(
    year: int, month: int, grid_ids: Sequence[int] | QuerySet[Any], worker_id: int | None, *, by_grid: bool
) -> dict[str, dict[Any, int]]:
    """The four counts of :func:`visit_coverage` for the grids ``grid_ids`` (a list, or a
    query of their ids), per grid or (``by_grid`` false) for all of them under None."""
    start, end = month_bounds(year, month)

    def counted(query: QuerySet[Any], grid: str, what: str, distinct: bool = False) -> dict[Any, int]:
        if not by_grid:
            return {None: int(query.aggregate(n=Count(what, distinct=distinct))["n"] or 0)}
        return dict(query.values(grid).annotate(n=Count(what, distinct=distinct)).values_list(grid, "n"))

    visits = Visit.objects.filter(visited_at__gte=start, visited_at__lt=end)
    if worker_id is not None:
        visits = visits.filter(worker_id=worker_id)
    households = Household.objects.filter(grid_id__in=grid_ids, active=True, created_at__lt=end)
    units = Unit.objects.filter(grid_id__in=grid_ids, active=True, created_at__lt=end)
    return {
        "households": counted(households, "grid_id", "id"),
        "units": counted(units, "grid_id", "id"),
        "households_visited": counted(
            visits.filter(household__grid_id__in=grid_ids, household__active=True, household__created_at__lt=end),
            "household__grid_id",
            "household_id",
            distinct=True,
        ),
        "units_visited": counted(
            visits.filter(unit__grid_id__in=grid_ids, unit__active=True, unit__created_at__lt=end),
            "unit__grid_id",
            "unit_id",
            distinct=True,
        ),
    }


def _coverage_grids(user: User | AnonymousUser) -> QuerySet[Any]:
    """The grids in force the user may see, for coverage."""
    scope = scope_for(user)
    grids = visible_areas(user).filter(level="grid")
    if not scope.everything:
        paths = scope.paths_for_roles(*access.VIEW_ROLES)
        query = Q(pk__in=[])
        for path in paths:
            query |= Q(path__startswith=path)
        grids = grids.filter(query)
    return grids


def coverage_for(user: User | AnonymousUser, *, year: int, month: int) -> list[tuple[str, str, Coverage]]:
    """``(grid code, grid name, coverage)`` of every grid in force the user may see."""
    rows = list(_coverage_grids(user).order_by("code").values_list("id", "code", "name"))
    by_id = {c.grid_id: c for c in visit_coverage(year=year, month=month, grid_ids=[r[0] for r in rows])}
    return [(code, name, by_id[pk]) for pk, code, name in rows]


def coverage_total(user: User | AnonymousUser, *, year: int, month: int) -> tuple[int, int]:
    """``(visited, due)`` summed over every grid of :func:`coverage_for`, in the database (the
    cockpit's tile: a district's thousands of grids are not listed)."""
    grids = _coverage_grids(user).order_by().values("id")
    counts = _coverage_counts(year, month, grids, None, by_grid=False)
    visited = counts["households_visited"][None] + counts["units_visited"][None]
    return visited, counts["households"][None] + counts["units"][None]
