"""The statistics' rollups (``gridgov.cases.rollups``): kept by every save of a case through
the services, they give the same figures as a live count on the cases for every index, every
filter the page has, every grouping and the monthly trend, over periods of whole months; a
recount finds a tampered row and ``stats_rollup_check --repair`` mends it."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import itertools
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.cases import indices, rollups
from gridgov.cases.access import rollup_scope
from gridgov.cases.indices import Dimensions, Period
from gridgov.cases.models import Case, CaseRollup, CaseRollupCoarse, Satisfaction, Source, Status
from gridgov.cases.services.milestones import handling_minutes

from .loop_helpers import act, report
from .test_indices import (
    APRIL,
    DEPT,
    MARCH,
    at,
    finish_b,
    month,  # noqa: F401 - the hand-built March, as a fixture
)
from .test_indices_narrowing import random_cases  # noqa: F401 - random milestones, bulk-written, as a fixture

FEBRUARY = Period.month(2026, 2)


# Both take the demo's session snapshot by name: asked for only through getfixturevalue, it
# would be built inside the test's transaction when this module runs first in its process.
@pytest.fixture
def march(request: pytest.FixtureRequest, taiping: None) -> dict[str, Case]:
    """The hand-built March of ``test_indices`` (cases through the services)."""
    found: dict[str, Case] = request.getfixturevalue("month")
    return found


@pytest.fixture
def bulk(request: pytest.FixtureRequest, taiping: None) -> list[Case]:
    """The random milestones of ``test_indices_narrowing``, bulk-written (no save hooks)."""
    found: list[Case] = request.getfixturevalue("random_cases")
    return found


SPRING = Period(dt.date(2026, 2, 1), dt.date(2026, 4, 30))


def dimension_sets(case: Case) -> Iterator[Dimensions]:
    """No filter, then every filter of the page alone and in pairs, for the values of ``case``."""
    assert case.grid is not None and case.grid.parent is not None
    values: dict[str, list[str]] = {
        "area": [case.grid.code, case.grid.parent.code, case.town.code],
        "department": ["traffic_police", "urban_mgmt"],
        "category": [case.category.code, case.category.parent.code if case.category.parent else case.category.code],
        "source": [Source.GRID_REPORT, Source.HOTLINE],
    }
    yield Dimensions()
    for name, options in values.items():
        for value in options:
            yield narrowed({name: value})
    for (one, first), (two, second) in itertools.combinations(values.items(), 2):
        yield narrowed({one: first[0], two: second[0]})


def narrowed(values: dict[str, Any]) -> Dimensions:
    return replace(Dimensions(), **values)


def same(period: Period, dimensions: Dimensions, scope: Q | None = None) -> None:
    """The rollups and the live count agree on every index, grouping and the monthly trend."""
    cases = Case.objects.filter(scope or Q())
    assert indices.on_rollups(Q() if scope is None else scope, period, dimensions)
    scope = Q() if scope is None else scope
    live = indices.figures(cases, period, dimensions)
    rolled = indices.figures(cases, period, dimensions, scope=scope)
    assert rolled.by_code == live.by_code, (period, dimensions)
    for by in sorted(indices.ROLLUP_GROUPS):
        live_rows = [(r.key, r.dimensions, r.figures.by_code) for r in indices.grouped(cases, period, by, dimensions)]
        rows = indices.grouped(cases, period, by, dimensions, scope=scope)
        assert [(r.key, r.dimensions, r.figures.by_code) for r in rows] == live_rows, (period, dimensions, by)
    codes = [code for code, item in indices.INDICES.items() if item.kind != indices.HOURS]
    live_trend = indices.trend(cases, period, "month", codes, dimensions)
    assert indices.trend(cases, period, "month", codes, dimensions, scope=scope) == live_trend


def assert_kept() -> None:
    outcome = rollups.check()
    assert outcome.differences == {}


@pytest.mark.django_db
def test_the_services_keep_the_rollups_and_they_give_the_live_figures(
    people: dict[str, Any], march: dict[str, Case]
) -> None:
    assert_kept()
    a = Case.objects.select_related("grid__parent", "category__parent", "town").get(pk=march["A"].pk)
    for period in (MARCH, FEBRUARY, APRIL, SPRING):
        for dimensions in dimension_sets(a):
            same(period, dimensions)
    # More steps through the services, in April and May: the rows follow.
    finish_b(people, march["B"])
    act(people, march["H"], "dispatch", "center01", at=at("2026-04-21"), **DEPT)
    act(people, march["H"], "acknowledge", "dept01", at=at("2026-04-21", "11:00"))
    act(people, march["H"], "request_extension", "dept01", at=at("2026-04-21", "12:00"), days=2)
    act(people, march["H"], "approve_extension", "center01", at=at("2026-04-21", "13:00"))
    Case.objects.filter(pk__in=[march["A"].pk, march["C"].pk]).update(party_phone="13900001111")
    for key, answer in (("A", Satisfaction.DISSATISFIED), ("C", Satisfaction.SATISFIED)):  # A reopens
        act(people, march[key], "callback", "center01", at=at("2026-04-22", "15:00"), satisfaction=answer)
    late = report(people, by="grid02", at=at("2026-04-29", "16:00"))
    act(people, late, "void", "center01", at=at("2026-05-02", "09:00"))
    assert_kept()
    # A's reopening takes it out of March's closed cases, in the rollups as on the cases.
    assert indices.figures(Case.objects.all(), MARCH, scope=Q())["closed"].num == 3
    for period in (MARCH, APRIL, SPRING, Period(dt.date(2026, 4, 1), dt.date(2026, 5, 31))):
        for dimensions in list(dimension_sets(a))[:6]:
            same(period, dimensions)


@pytest.mark.django_db
def test_random_milestones_after_a_bulk_build(bulk: list[Case], monkeypatch: pytest.MonkeyPatch) -> None:
    # Bulk-written (no save hooks), so the rollups are built as after a bench's COPY.
    assert CaseRollup.objects.count() == 0 or rollups.check().differences
    # Three deadlines still to come today, closed and handled after today (as a ledger may
    # have it): a running period's rows count such a second date only before the period's
    # end, and so must what is taken off them. With the moment fixed, the test does not
    # depend on the time of day it runs at.
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    tonight = Period(timezone.localdate(), timezone.localdate()).end_at
    Case.objects.filter(pk__in=[made.pk for made in bulk[1:4]]).update(
        self_handled=False,
        status=Status.CLOSED,
        due_at=now + (tonight - now) / 2,
        handled_at=tonight + dt.timedelta(days=1),
        handled_on_time=True,
        closed_at=tonight + dt.timedelta(days=2),
        closed_on_time=True,
    )
    rollups.rebuild()
    assert_kept()
    today = timezone.localdate()
    first = today.replace(day=1)
    months = []
    for _back in range(4):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        months.append(Period.of_month(first))
    periods = [*months, Period(months[2].start, months[0].end), Period(months[3].start, months[1].end)]
    case = Case.objects.select_related("grid__parent", "category__parent", "town").get(pk=bulk[0].pk)
    for period in periods:
        villages_add_up(period)
        for dimensions in list(dimension_sets(case))[:8]:
            same(period, dimensions)
    # Periods of days around whole months (month rows for those, day rows around them): the
    # random second dates fall on both sides of every edge.
    assert case.grid is not None and case.grid.parent is not None
    choices = [
        Dimensions(),
        Dimensions(source=case.source),
        Dimensions(department="urban_mgmt"),
        Dimensions(area=case.town.code),
        Dimensions(area=case.grid.parent.code),
    ]
    around = [
        Period(months[2].start - dt.timedelta(days=9), months[1].end + dt.timedelta(days=11)),
        Period(months[2].start, months[0].start + dt.timedelta(days=13)),
        Period(months[3].end - dt.timedelta(days=4), months[1].end),
        Period(months[2].start - dt.timedelta(days=6), today),  # running
    ]
    day_level = rollups.level_for(0, set(), rollups.DAY)
    assert day_level is not None
    cases = Case.objects.all()
    for period in around:
        assert indices._months_and_days(Q(), period, None, None, day_level) is not None, period
        # Some of the cases are filed at the village or the town without a grid.
        villages_add_up(period)
        for dimensions in choices:
            same_days(period, dimensions, trends=False)  # (a trend reads days only: tested above)
            # The top and rising categories' reports: the months' rows and the days' cases.
            for by in ("category", "major"):
                live = [
                    (r.key, r.figures.by_code) for r in indices.grouped(cases, period, by, dimensions, ["reported"])
                ]
                rows = indices.grouped(cases, period, by, dimensions, ["reported"], scope=Q())
                assert [(r.key, r.figures.by_code) for r in rows] == live, (period, dimensions, by)
    assert indices._reports_by_months_and_days(cases, around[0], "category", None, ["reported"], Q()) is not None


@pytest.mark.django_db
def test_a_month_to_come_a_reporter_or_days_are_counted_live(march: dict[str, Case]) -> None:
    today = timezone.localdate()
    assert indices.on_rollups(Q(), Period.of_month(today), None)  # running: see below
    assert not indices.on_rollups(Q(), Period.of_month(today + dt.timedelta(days=40)), None)
    # A period of days from a day level, where one keeps what the question needs.
    assert indices.on_rollups(Q(), Period(MARCH.start, dt.date(2026, 3, 30)), Dimensions(source=Source.HOTLINE))
    assert not indices.on_rollups(Q(), Period(MARCH.start, dt.date(2026, 3, 30)), None, "grid")
    category = Dimensions(category=march["A"].category.code)
    assert not indices.on_rollups(Q(), Period(MARCH.start, dt.date(2026, 3, 30)), category)
    assert not indices.on_rollups(Q(), MARCH, Dimensions(reporter=march["A"].reporter_id))
    assert not indices.on_rollups(None, MARCH, None)
    assert indices.on_rollups(Q(), MARCH, Dimensions(source=Source.HOTLINE))


@pytest.mark.django_db
def test_the_viewer_scope_of_the_rollups(people: dict[str, Any], march: dict[str, Case]) -> None:
    center = rollup_scope(people["center01"])
    assert center is not None
    same(MARCH, Dimensions(), center)
    assert rollup_scope(people["dept01"]) is None  # sees cases through a department


@pytest.mark.django_db
def test_the_page_of_a_past_month_reads_the_rollups(people: dict[str, Any], march: dict[str, Case]) -> None:
    from .test_stats_pages import check_every_link, client_for, with_parts

    client = client_for(people["center01"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cases:stats"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code == 200
    assert any("cases_caserollup" in query["sql"] for query in queries.captured_queries)
    assert check_every_link(client, with_parts(client, response.content.decode()), 20) >= 20


@pytest.mark.django_db
def test_the_page_of_a_period_of_days_reads_the_day_levels(people: dict[str, Any], march: dict[str, Case]) -> None:
    from .test_stats_pages import client_for, list_count

    client = client_for(people["center01"])
    days = {"start": "2026-03-03", "end": "2026-03-24"}
    for step in ("day", "week"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("cases:stats-part", args=["trend"]), {**days, "step": step})
        assert response.status_code == 200
        assert any("cases_caserollupcoarse" in query["sql"] for query in queries.captured_queries)
        # (The viewer's scope asks whether they reported a case outside their areas: one row.)
        counted = [q["sql"] for q in queries.captured_queries if 'COUNT("cases_case"' in q["sql"]]
        assert counted == []
        points = [point for series in response.context["chart"]["trend"]["series"].values() for point in series]
        assert sum(point["value"] for point in points) > 0
        if step == "week":  # each point opens the list of its cases (by day: the same, 66 lists)
            for point in points:
                assert list_count(client, point["url"]) == point["value"], point
    response = client.get(reverse("cases:stats"), {**days, "step": "week"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_check_finds_and_repairs_a_tampered_row(march: dict[str, Case]) -> None:
    town = march["A"].town
    row = CaseRollup.objects.filter(reported__gt=0).first()
    assert row is not None
    CaseRollup.objects.filter(pk=row.pk).update(reported=row.reported + 3)
    out = io.StringIO()
    with pytest.raises(SystemExit) as failed:
        call_command("stats_rollup_check", "--town", town.code, stdout=out)
    assert failed.value.code == 1
    assert "reported" in out.getvalue()
    call_command("stats_rollup_check", "--town", town.code, "--repair", stdout=out)
    assert_kept()
    call_command("stats_rollup_check", stdout=out)
    assert out.getvalue().splitlines()[-1].endswith(" 0 differ")
    with pytest.raises(CommandError):
        call_command("stats_rollup_check", "--town", "nowhere", stdout=out)
    assert Area.objects.filter(code=town.code).exists()


@pytest.mark.django_db
def test_the_handling_minutes_are_frozen_with_the_first_report_back(march: dict[str, Case]) -> None:
    a = march["A"]
    assert a.handling_minutes == handling_minutes(a.dispatched_at, a.handled_at)
    assert march["H"].handling_minutes is None


@pytest.mark.django_db
def test_every_coarse_level_is_read_and_gives_the_grid_rows_figures(march: dict[str, Case]) -> None:
    a = Case.objects.select_related("grid__parent", "category__parent", "town").get(pk=march["A"].pk)
    questions = [(by, dims) for by in (None, "month", *sorted(indices.ROLLUP_GROUPS)) for dims in dimension_sets(a)]
    chosen = {getattr(indices._coarse_level(Q(), dims, by), "name", None) for by, dims in questions}
    months = [level for level in rollups.ALL_LEVELS if level.grain == rollups.MONTH]
    assert chosen == {level.name for level in months} | {None}  # None: the grid rows
    days = {getattr(indices._coarse_level(Q(), dims, by, rollups.DAY), "name", None) for by, dims in questions}
    assert days == {level.name for level in rollups.DAY_LEVELS} | {None}  # None: the cases
    cases = Case.objects.all()
    codes = [code for code, item in indices.INDICES.items() if item.kind != indices.HOURS]

    def everything(period: Period, dims: Dimensions) -> list[Any]:
        found: list[Any] = [indices.figures(cases, period, dims, scope=Q()).by_code]
        for by in sorted(indices.ROLLUP_GROUPS):
            found += [(r.key, r.figures.by_code) for r in indices.grouped(cases, period, by, dims, scope=Q())]
        return [*found, indices.trend(cases, period, "month", codes, dims, scope=Q())]

    for period in (MARCH, SPRING):
        for dims in dimension_sets(a):
            coarse = everything(period, dims)
            indices.COARSE = False
            try:
                assert everything(period, dims) == coarse, (period, dims)
            finally:
                indices.COARSE = True


@pytest.mark.django_db
def test_a_village_viewer_reads_no_town_rows(march: dict[str, Case]) -> None:
    a = Case.objects.select_related("grid__parent").get(pk=march["A"].pk)
    assert a.grid is not None and a.grid.parent is not None
    village = Q(pk__in=[]) | Q(area_path__startswith=a.grid.parent.path)
    level = indices._coarse_level(village, Dimensions(), None)
    assert level is not None and level.depth >= rollups.VILLAGE_DEPTH
    assert getattr(indices._coarse_level(village, Dimensions(), "department"), "name", "") == "village_department"
    assert indices._coarse_level(village, Dimensions(), "source") is not None
    assert indices._coarse_level(village, Dimensions(department="urban_mgmt"), "category") is None  # the grid rows
    assert getattr(indices._coarse_level(Q(), Dimensions(area=a.grid.code), None), "name", "") == "grid"
    assert indices._coarse_level(Q(), Dimensions(area=a.grid.code, source=Source.HOTLINE), None) is None
    assert indices._coarse_level(Q(reporter_id=a.reporter_id), Dimensions(), None) is None
    assert indices._coarse_level(~Q(area_path__startswith="/"), Dimensions(), None) is None
    for dims in (Dimensions(), Dimensions(source=Source.GRID_REPORT), Dimensions(department="urban_mgmt")):
        same(MARCH, dims, village)


@pytest.mark.django_db
def test_the_check_finds_a_tampered_coarse_row_and_the_migration_builds_them(march: dict[str, Case]) -> None:
    from gridgov.cases.models import ROLLUP_MEASURES, CaseRollupCoarse

    kept = rollups.stored(model=CaseRollupCoarse)
    built: rollups.Contributions = {}
    grid_rows = CaseRollup.objects.order_by("area_path", "pk").values(*rollups.KEY, *ROLLUP_MEASURES)
    for town in rollups.coarse_by_town(grid_rows):
        assert not set(town) & set(built)  # each town once, in the order of the paths
        built.update(town)
    areas = {level.name for level in rollups.LEVELS}
    assert rollups.compare({key: row for key, row in kept.items() if key[0] in areas}, built) == {}
    assert {key[0] for key in kept} == {level.name for level in rollups.ALL_LEVELS}
    row = CaseRollupCoarse.objects.filter(level="town_category", reported__gt=0).first()
    assert row is not None
    CaseRollupCoarse.objects.filter(pk=row.pk).update(reported=row.reported - 1)
    outcome = rollups.check()
    assert list(outcome.differences.values()) == [{"reported": (row.reported - 1, row.reported)}]
    assert rollups.describe(next(iter(outcome.differences)))["level"] == "town_category"
    rollups.check(repair=True)
    assert_kept()
    # A database from before the coarse levels: migration 0016 makes the area levels from the
    # grid rows, 0020 the person levels from the cases.
    CaseRollupCoarse.objects.all().delete()
    assert rollups.rebuild_coarse() == CaseRollup.objects.count()
    assert set(CaseRollupCoarse.objects.values_list("level", flat=True).distinct()) == areas
    importlib.import_module("gridgov.cases.migrations.0020_rollup_people_rows").build(django_apps, None)
    assert rollups.check().differences  # the day levels' rows are missing
    importlib.import_module("gridgov.cases.migrations.0021_rollup_day_rows").build(django_apps, None)
    assert_kept()
    days = CaseRollupCoarse.objects.filter(level__in=[level.name for level in rollups.DAY_LEVELS])
    assert days.count() == days.values(*rollups.COARSE_KEY).distinct().count()  # one row a key
    # Migration 0023 makes the two village levels added later (in Python here, in SQL on PostgreSQL).
    later = importlib.import_module("gridgov.cases.migrations.0023_rollup_village_levels")
    CaseRollupCoarse.objects.filter(level__in=later.NAMES).delete()
    assert rollups.check().differences
    later.Migration.operations[0].code(django_apps, connection.schema_editor())
    assert_kept()
    # Migration 0029 makes the two person levels of a source from the cases, 0030 a source's
    # categories from the grid rows.
    for name in ("0029_rollup_person_source", "0030_rollup_town_category_source"):
        added = importlib.import_module(f"gridgov.cases.migrations.{name}")
        assert CaseRollupCoarse.objects.filter(level__in=added.NAMES).exists()
        CaseRollupCoarse.objects.filter(level__in=added.NAMES).delete()
        assert rollups.check().differences
        added.Migration.operations[0].code(django_apps, connection.schema_editor())
        assert_kept()


@pytest.mark.django_db
def test_a_coarse_row_created_by_another_transaction_meanwhile_is_not_lost(
    march: dict[str, Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two transactions file the first case of a coarse key at once (PostgreSQL, read
    committed): the other one's row is committed between this one's statements. Both counts
    must be kept (two rows of one key are summed), none taken for the other's."""
    from collections import Counter

    from gridgov.cases.models import CaseRollupCoarse

    a = march["A"]
    grid_key = (dt.date(2030, 1, 1), dt.date(2030, 1, 1), a.grid_id, a.area_path, None, a.category_id, a.source)
    keys = [rollups.project(grid_key, level) for level in rollups.LEVELS]
    original = rollups.insert_all
    done: list[bool] = []

    def insert_all(rows: Any, **kwargs: Any) -> Any:
        # This transaction's update found no row of these keys; the other one commits its row
        # of the first key now, before this one inserts.
        if not done and rows and isinstance(rows[0], CaseRollupCoarse):
            done.append(True)
            CaseRollupCoarse.objects.create(**dict(zip(rollups.COARSE_KEY, keys[0], strict=True)), reported=1)
        return original(rows, **kwargs)

    monkeypatch.setattr(rollups, "insert_all", insert_all)
    rollups.apply({grid_key: Counter(reported=1)})
    assert done
    kept = rollups.stored(model=CaseRollupCoarse)
    assert kept[keys[0]] == Counter(reported=2)
    assert all(kept[key] == Counter(reported=1) for key in keys[1:])


@pytest.mark.django_db
def test_cases_moved_recategorised_or_deleted_keep_every_level(march: dict[str, Case]) -> None:
    """Saves that move a case to another village, another town or its town without a grid,
    change its category or lead department, merge or delete it: every level follows, and reads
    the live figures for a village viewer, a viewer of two towns, a period across a year's end
    and a major class within a grid."""
    from gridgov.areas.models import AreaLevel
    from gridgov.categories.models import Category
    from gridgov.people.models import Department

    a, b, c = (Case.objects.select_related("grid__parent", "town").get(pk=march[k].pk) for k in "ABC")
    assert a.grid is not None and a.grid.parent is not None
    grids = Area.objects.filter(level=AreaLevel.GRID).exclude(parent=a.grid.parent).select_related("parent__parent")
    elsewhere = grids.filter(parent__parent=a.town).first() or grids.first()
    made: list[Area] = []
    for code, level in (
        ("120116999000", AreaLevel.TOWN),
        ("120116999001", AreaLevel.VILLAGE),
        ("12011699900101", AreaLevel.GRID),
    ):
        area = Area.objects.create(code=code, name=code, level=level, parent=made[-1] if made else a.town.parent)
        area.path = f"{area.parent.path}{area.pk}/"  # type: ignore[union-attr]
        area.save(update_fields=["path"])
        made.append(area)
    town, other_town = made[0], made[-1]
    assert elsewhere is not None and other_town.path.startswith(town.path) and rollups.path_depth(other_town.path) == 4
    a.grid, a.area_path = elsewhere, elsewhere.path
    a.category = Category.objects.exclude(pk=a.category_id).filter(parent__isnull=False)[0]
    a.lead_department = Department.objects.exclude(pk=a.lead_department_id or 0).first()
    a.reported_at = at("2025-12-30")
    a.save()
    b.grid, b.area_path = other_town, other_town.path
    b.save()
    c.grid, c.area_path = None, c.town.path
    c.save()
    # Another verifier and another reporter (a case re-verified after rework, a report taken
    # over): the person levels move the case's counts from one person's rows to the other's.
    verified = Case.objects.filter(verified_by__isnull=False).exclude(pk__in=[a.pk, b.pk, c.pk]).first()
    assert verified is not None and a.reporter is not None
    verified.verified_by, verified.reporter = a.reporter, verified.verified_by
    verified.save()
    rest = Case.objects.exclude(pk__in=[a.pk, b.pk, c.pk]).order_by("pk")
    merged = rest.filter(closed_at__isnull=True, self_handled=False).first()
    assert merged is not None
    merged.merged_into, merged.voided_at, merged.status = a, at("2026-03-20"), Status.VOIDED
    merged.save()
    rest.exclude(pk=merged.pk).first().delete()  # type: ignore[union-attr]
    assert_kept()
    towns = list(Area.objects.filter(level=AreaLevel.TOWN).order_by("pk")[:2])
    village = elsewhere.parent
    assert village is not None
    scopes: list[Q] = [Q(), Q(pk__in=[]) | Q(area_path__startswith=village.path)]
    scopes.append(Q(pk__in=[]) | Q(area_path__startswith=towns[0].path) | Q(area_path__startswith=towns[-1].path))
    assert a.category is not None and a.category.parent is not None
    major = a.category.parent.code
    dims = [Dimensions(), Dimensions(category=major), Dimensions(category=major, area=elsewhere.code)]
    dims += [Dimensions(area=village.code), Dimensions(area=c.town.code, source=c.source)]
    for period in (MARCH, Period(dt.date(2025, 12, 1), dt.date(2026, 3, 31))):
        for scope in scopes:
            for dimensions in dims:
                same(period, dimensions, scope)


@pytest.mark.django_db
def test_the_command_finds_and_repairs_missing_and_doubled_coarse_rows(march: dict[str, Case]) -> None:
    from gridgov.cases.models import CaseRollupCoarse

    CaseRollupCoarse.objects.filter(level="village_source").delete()
    row = CaseRollupCoarse.objects.filter(level="town", reported__gt=0).first()
    assert row is not None
    row.pk = None
    row.save()  # a second row of the key: counted twice
    with pytest.raises(SystemExit):
        call_command("stats_rollup_check", stdout=io.StringIO())
    out = io.StringIO()
    call_command("stats_rollup_check", "--repair", stdout=out)
    assert "repaired" in out.getvalue()
    assert_kept()
    call_command("stats_rollup_check", stdout=io.StringIO())


def test_a_district_reads_its_own_rows_which_a_towns_check_leaves_alone(march: dict[str, Case]) -> None:
    from gridgov.cases.models import CaseRollupCoarse

    a = Case.objects.select_related("town").get(pk=march["A"].pk)
    district = rollups.path_prefix(a.town.path, rollups.DISTRICT_DEPTH)
    scope = Q(pk__in=[]) | Q(area_path__startswith=district)
    for by, name in (
        (None, "district_source"),
        ("department", "district_department"),
        ("category", "district_category"),
    ):
        assert getattr(indices._coarse_level(scope, Dimensions(), by), "name", None) == name
    town = Q(area_path__startswith=a.town.path)
    assert getattr(indices._coarse_level(town, Dimensions(), "department"), "name", None) == "town_department"
    assert getattr(indices._coarse_level(scope, Dimensions(area=a.town.code), None), "name", None) == "town_source"
    for dims in (Dimensions(), Dimensions(source=Source.GRID_REPORT), Dimensions(department="urban_mgmt")):
        same(MARCH, dims, scope)
    spanning = CaseRollupCoarse.objects.filter(level__in=[level.name for level in rollups.SPANNING_LEVELS])
    assert set(spanning.values_list("area_path", flat=True)) == {district}
    # A town's check and rebuild leave the district's rows alone (they count other towns too)...
    before = sorted(spanning.values_list("level", "month", "late", "source", "reported", "closed"))
    assert rollups.check(a.town.path).differences == {}
    rollups.rebuild(a.town.path)
    assert sorted(spanning.values_list("level", "month", "late", "source", "reported", "closed")) == before
    # ... and the district's check compares them with its grid rows, and repairs them.
    row = spanning.filter(level="district_department", reported__gt=0).first()
    assert row is not None
    CaseRollupCoarse.objects.filter(pk=row.pk).update(reported=row.reported + 2)
    assert rollups.check(a.town.path).differences == {}
    outcome = rollups.check(district, from_grid_rows=True)
    assert list(outcome.differences.values()) == [{"reported": (row.reported + 2, row.reported)}]
    with pytest.raises(SystemExit):
        call_command("stats_rollup_check", stdout=io.StringIO())
    out = io.StringIO()
    call_command("stats_rollup_check", "--repair", stdout=out)
    assert "1 towns and 1 districts checked" in out.getvalue() and "repaired" in out.getvalue()
    assert_kept()
    # Made again from the grid rows (migration 0032, a bulk load's last step): the same rows.
    spanning.delete()
    assert rollups.check(district, from_grid_rows=True).differences
    assert rollups.rebuild_coarse(district, rollups.SPANNING_LEVELS) == CaseRollup.objects.count()
    assert rollups.check(district, from_grid_rows=True).differences == {}
    assert spanning.count() == spanning.values(*rollups.COARSE_KEY).distinct().count()  # one row a key
    assert_kept()


def new_town(district: Area, code: str) -> Area:
    """A town of ``district`` with one village and one grid (codes from ``code``); its grid."""
    from gridgov.areas.models import AreaLevel

    made: list[Area] = []
    for suffix, level in (("000", AreaLevel.TOWN), ("001", AreaLevel.VILLAGE), ("00101", AreaLevel.GRID)):
        parent = made[-1] if made else district
        area = Area.objects.create(code=code + suffix, name=code + suffix, level=level, parent=parent)
        area.path = f"{parent.path}{area.pk}/"
        area.save(update_fields=["path"])
        made.append(area)
    return made[-1]


@pytest.mark.django_db
def test_a_towns_repair_leaves_its_district_to_a_check_of_every_town(march: dict[str, Case]) -> None:
    """The district's rows are the sums of every town's grid rows; ``--town`` checks one town's,
    so a grid row of another town that is wrong must not be written into the district's rows."""
    a = Case.objects.select_related("town__parent").get(pk=march["A"].pk)
    assert a.town.parent is not None
    grid = new_town(a.town.parent, "120116999")
    b = Case.objects.get(pk=march["B"].pk)
    b.grid, b.area_path = grid, grid.path
    b.save()
    assert_kept()
    row = CaseRollup.objects.filter(area_path=grid.path, reported__gt=0).first()
    assert row is not None
    CaseRollup.objects.filter(pk=row.pk).update(reported=row.reported + 3)  # the other town's, wrong
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("stats_rollup_check", "--town", a.town.code, "--repair", stdout=out)
    assert "1 towns and 1 districts checked, 1 differ" in out.getvalue()
    scope = Q(pk__in=[]) | Q(area_path__startswith=a.town.parent.path)
    differing = rollups.check(a.town.parent.path).differences  # recounted: the other town's grid row only
    assert [rollups.describe(key)["area_path"] for key in differing] == [grid.path]
    same(MARCH, Dimensions(), scope)
    call_command("stats_rollup_check", "--repair", stdout=io.StringIO())
    assert_kept()


def villages_add_up(period: Period, dimensions: Dimensions | None = None, codes: list[str] | None = None) -> list[Any]:
    """The village table counted on the cases, from the grid rows and from the coarse levels
    is the same, and each row has exactly the figures of its village (what its links' lists
    count: every case under the village's path, with a grid or without one)."""
    cases = Case.objects.all()
    found = []
    for scope, coarse in ((None, True), (Q(), False), (Q(), True)):
        indices.COARSE = coarse
        try:
            rows = indices.grouped(cases, period, "village", dimensions, codes, scope=scope)
        finally:
            indices.COARSE = True
        found.append([(r.key, r.dimensions, r.figures.by_code) for r in rows])
    assert found[0] == found[1] == found[2], (period, dimensions)
    assert found[0], (period, dimensions)
    for key, chosen, figures in found[0]:
        assert figures == indices.figures(cases, period, chosen, codes).by_code, (period, dimensions, key)
    return found[0]


@pytest.mark.django_db
def test_a_village_row_counts_the_village_cases_without_a_grid(
    march: dict[str, Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filed at a village without a grid (a ledger row naming only a village), a case counts
    in its village's row as in the village's figures, on every path the table is read from: a
    past month, a period of days (with whole months inside), a running month, under filters.
    Filed at the town, it is in no village's row."""
    a = Case.objects.select_related("grid__parent", "category", "town").get(pk=march["A"].pk)
    assert a.grid is not None and a.grid.parent is not None
    village, town = a.grid.parent, a.town
    for key, path in (("A", village.path), ("B", village.path), ("H", town.path)):
        case = Case.objects.get(pk=march[key].pk)
        case.area_path, case.grid = path, None  # saved: the hooks keep the rollups
        case.save()
    assert_kept()
    cases = Case.objects.all()
    # The coarse level read keeps the village case with the village's path and no area.
    level = indices._coarse_level(Q(), None, "village")
    assert level is not None and level.depth == rollups.VILLAGE_DEPTH
    assert CaseRollupCoarse.objects.filter(level=level.name, area__isnull=True, area_path=village.path).exists()

    rows = villages_add_up(MARCH)
    assert village.code in [key for key, _chosen, _figures in rows]
    reported = sum(figures["reported"].num for _key, _chosen, figures in rows)
    at_town = indices.cases_for(cases.filter(area_path=town.path), "reported", "num", MARCH).count()
    assert at_town >= 1
    assert reported == indices.figures(cases, MARCH, Dimensions(area=town.code))["reported"].num - at_town
    for dimensions in (
        Dimensions(area=village.code),
        Dimensions(area=town.code),
        Dimensions(source=a.source),
        Dimensions(department="traffic_police"),
        Dimensions(category=a.category.code),
    ):
        villages_add_up(MARCH, dimensions)
        villages_add_up(SPRING, dimensions)
    # Periods of days: the day level, and months inside days (the months' and the days' rows);
    # the reports of a category's villages, the months' from the rollups and the days' live.
    days, around = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 24)), Period(dt.date(2026, 2, 20), dt.date(2026, 4, 10))
    assert indices.on_rollups(Q(), days, None, "village") and indices.on_rollups(Q(), around, None, "village")
    for period in (days, around):
        villages_add_up(period)
        villages_add_up(period, Dimensions(source=a.source))
    category = Dimensions(category=a.category.code)
    assert indices._reports_by_months_and_days(cases, around, "village", category, ["reported"], Q()) is not None
    villages_add_up(around, category, ["reported"])
    # Running: B's deadline (at the village, no grid) still to come is taken off its village's row.
    due = Case.objects.get(pk=march["B"].pk).due_at
    assert due is not None and MARCH.start_at < due < MARCH.end_at
    moment = due - dt.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert indices.running(MARCH)
    to_come = indices._deadlines_to_come(cases, MARCH, None)
    assert to_come.filter(pk=march["B"].pk).exists()
    for dimensions in (Dimensions(), Dimensions(area=village.code), Dimensions(department="traffic_police")):
        villages_add_up(MARCH, dimensions)
    villages_add_up(Period(MARCH.start, timezone.localdate()))


@pytest.mark.django_db
def test_the_migrations_sql_makes_the_coarse_rows_the_hooks_keep(march: dict[str, Case]) -> None:
    from gridgov.cases.models import CaseRollupCoarse

    if connection.vendor != "postgresql":
        pytest.skip("the migration's INSERT … SELECT is for PostgreSQL")
    for key, depth in (("A", rollups.TOWN_DEPTH), ("B", rollups.VILLAGE_DEPTH)):  # filed without a grid
        case = Case.objects.select_related("grid__parent").get(pk=march[key].pk)
        assert case.grid is not None and case.grid.parent is not None
        case.area_path = case.grid.parent.path if depth == rollups.VILLAGE_DEPTH else case.town.path
        case.grid = None
        case.save()
    assert_kept()
    kept = rollups.stored(model=CaseRollupCoarse)
    CaseRollupCoarse.objects.filter(level__in=[level.name for level in rollups.LEVELS]).delete()
    with connection.cursor() as cursor:
        for level in rollups.LEVELS:
            cursor.execute(rollups.coarse_sql(level))
    assert rollups.compare(rollups.stored(model=CaseRollupCoarse), kept) == {}
    assert_kept()


@pytest.mark.django_db
def test_a_running_period_reads_the_rollups_without_the_deadlines_still_to_come(
    march: dict[str, Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    """This month (or this year) while it runs: its deadlines count once they have come, which
    the rollups' monthly rows cannot tell; the deadlines still to come are counted on the cases
    and taken off, and every index, table and the monthly trend equal the live count."""
    a = Case.objects.select_related("grid__parent", "category__parent", "town").get(pk=march["A"].pk)
    in_march = Case.objects.filter(self_handled=False, due_at__gte=MARCH.start_at, due_at__lt=MARCH.end_at)
    dues = sorted(due for due in in_march.values_list("due_at", flat=True) if due is not None)
    assert len(dues) >= 3
    for moment in (dues[len(dues) // 2] - dt.timedelta(minutes=1), dues[-1] - dt.timedelta(minutes=1)):
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        assert indices.running(MARCH) and not indices.whole_months(MARCH)
        to_come = indices._deadlines_to_come(Case.objects.all(), MARCH, None)
        taken = to_come.aggregate(**indices._due_counts(MARCH))
        assert {name.removeprefix("m_") for name in taken} == indices.DEADLINE_MEASURES
        assert taken["m_due"] > 0 and taken["m_due_closed"] + taken["m_closed_due"] + taken["m_due_handled"] > 0
        for dimensions in dimension_sets(a):
            same(MARCH, dimensions)
        same(SPRING, Dimensions())
        same(Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31)), Dimensions())
        for code in indices.INDICES:  # alone: without a deadline, no cases are read
            cases = Case.objects.all()
            live = [(r.key, r.figures.by_code) for r in indices.grouped(cases, MARCH, "reporter", None, [code])]
            rolled = indices.grouped(cases, MARCH, "reporter", None, [code], scope=Q())
            assert [(r.key, r.figures.by_code) for r in rolled] == live, code


@pytest.mark.django_db
def test_each_index_alone_sums_only_its_measures_and_gives_the_live_figure(march: dict[str, Case]) -> None:
    cases = Case.objects.all()
    for code in indices.INDICES:
        assert indices.MEASURES_OF[code]
        assert (
            indices.figures(cases, SPRING, None, [code], scope=Q()).by_code
            == indices.figures(cases, SPRING, None, [code]).by_code
        ), code
        for by in ("department", "reporter"):
            rolled = indices.grouped(cases, SPRING, by, None, [code], scope=Q())
            live = indices.grouped(cases, SPRING, by, None, [code])
            assert [(r.key, r.figures.by_code) for r in rolled] == [(r.key, r.figures.by_code) for r in live], code


def same_days(period: Period, dimensions: Dimensions, scope: Q | None = None, *, trends: bool = True) -> None:
    """A period of days (or a trend by day or week) read from a day level gives the live
    count: every index, the tables a day level has, the trends by day, week and month (unless
    ``trends`` is false)."""
    cases = Case.objects.filter(scope or Q())
    scope = Q() if scope is None else scope
    codes = [code for code, item in indices.INDICES.items() if item.kind != indices.HOURS]
    assert indices._coarse_level(scope, dimensions, "month", rollups.DAY) is not None, dimensions
    if not period.months:
        assert indices.on_rollups(scope, period, dimensions)
        live = indices.figures(cases, period, dimensions)
        assert indices.figures(cases, period, dimensions, scope=scope).by_code == live.by_code, (period, dimensions)
        for by in ("department", "village", "source"):
            if not indices.on_rollups(scope, period, dimensions, by):
                continue
            live_rows = [(r.key, r.figures.by_code) for r in indices.grouped(cases, period, by, dimensions)]
            rows = indices.grouped(cases, period, by, dimensions, scope=scope)
            assert [(r.key, r.figures.by_code) for r in rows] == live_rows, (period, dimensions, by)
    for step in indices.TREND_STEPS if trends else ():
        if step == "day" and period.days > 31:  # the live count's columns: every index by day
            continue
        live_trend = indices.trend(cases, period, step, codes, dimensions)
        with CaptureQueriesContext(connection) as queries:
            rolled = indices.trend(cases, period, step, codes, dimensions, scope=scope)
        assert rolled == live_trend, (period, dimensions, step)
        if not indices.running(period):
            assert all('"cases_case"' not in query["sql"] for query in queries.captured_queries), (period, step)


@pytest.mark.django_db
def test_periods_of_days_and_trends_by_day_read_the_day_levels(
    people: dict[str, Any], march: dict[str, Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    a = Case.objects.select_related("grid__parent", "category__parent", "town").get(pk=march["A"].pk)
    assert a.grid is not None and a.grid.parent is not None
    choices = [
        Dimensions(),
        Dimensions(source=Source.GRID_REPORT),
        Dimensions(source=Source.HOTLINE),
        Dimensions(department="urban_mgmt"),
        Dimensions(area=a.town.code),
        Dimensions(area=a.grid.parent.code),
    ]
    periods = [
        Period(dt.date(2026, 3, 3), dt.date(2026, 3, 17)),
        Period(dt.date(2026, 2, 20), dt.date(2026, 4, 10)),  # March from a month level, days around it
        MARCH,  # whole months: the trend by day and week only
        SPRING,
    ]
    for number, period in enumerate(periods):
        for dimensions in choices if number == 0 else choices[:2]:
            same_days(period, dimensions)
    village = Q(pk__in=[]) | Q(area_path__startswith=a.grid.parent.path)
    same_days(periods[0], Dimensions(), village)
    # A filter no day level keeps: counted on the cases, with the same figures.
    category = Dimensions(category=a.category.code)
    assert not indices.on_rollups(Q(), periods[0], category)
    cases = Case.objects.all()
    assert indices.figures(cases, periods[0], category, scope=Q()) == indices.figures(cases, periods[0], category)
    # While a period of days runs, its deadlines to come are taken off as for a running month.
    in_march = Case.objects.filter(self_handled=False, due_at__gte=MARCH.start_at, due_at__lt=MARCH.end_at)
    dues = sorted(due for due in in_march.values_list("due_at", flat=True) if due is not None)
    moment = dues[len(dues) // 2] - dt.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    running = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 29))
    assert indices.running(running)
    for dimensions in choices[:4]:
        same_days(running, dimensions)


@pytest.mark.django_db
def test_a_save_takes_one_update_and_at_most_one_insert_per_rollup_table(people: dict[str, Any]) -> None:
    """Whatever a step changes (the day levels' keys differ by the days of two dates), each
    rollup table gets one ``UPDATE`` and, for keys without a row yet, one ``INSERT``."""
    for round_ in range(2):  # the second time, most rows exist
        day = 10 + 5 * round_
        with CaptureQueriesContext(connection) as queries:
            case = report(people, at=at(f"2026-03-{day}"))
        steps: list[tuple[str, str, str, dict[str, Any]]] = [
            ("register", "center01", f"2026-03-{day}", {}),
            ("dispatch", "center01", f"2026-03-{day}", DEPT),
            ("acknowledge", "dept01", f"2026-03-{day}", {}),
            ("report_back", "dept01", f"2026-03-{day + 1}", {"result": "已处理"}),
            ("verify_pass", "grid01", f"2026-03-{day + 2}", {}),
        ]
        counted = [queries]
        for action, by, when, extra in steps:
            with CaptureQueriesContext(connection) as queries:
                act(people, case, action, by, at=at(when, "16:00"), **extra)
            counted.append(queries)
        Case.objects.filter(pk=case.pk).update(party_phone="13900001111")
        with CaptureQueriesContext(connection) as queries:  # dissatisfied: the case reopens
            answer = Satisfaction.DISSATISFIED
            act(people, case, "callback", "center01", at=at(f"2026-03-{day + 3}"), satisfaction=answer)
        counted.append(queries)
        with CaptureQueriesContext(connection) as queries:
            Case.objects.get(pk=case.pk).delete()
        counted.append(queries)
        updates = 0
        for captured in counted:
            for table in ('"cases_caserollup"', '"cases_caserollupcoarse"'):
                sql = [q["sql"] for q in captured.captured_queries if written(q["sql"]) == table]
                assert len([q for q in sql if q.startswith("UPDATE")]) <= 1, sql
                assert len([q for q in sql if q.startswith("INSERT")]) <= 1, sql
                updates += len([q for q in sql if q.startswith("UPDATE")])
        assert updates == 2 * len(counted)  # every step changes both tables
    assert_kept()


def written(sql: str) -> str:
    """The table an ``UPDATE`` or ``INSERT`` statement writes (else "")."""
    words = sql.split()
    if sql.startswith("UPDATE"):
        return words[1]
    return words[2] if sql.startswith("INSERT INTO") else ""


@pytest.mark.django_db
def test_an_area_filter_on_a_level_can_use_the_level_area_index() -> None:
    """``rollup_level_area`` (migration 0031, the model declares it too): on PostgreSQL its path
    is a pattern operator class, which lets ``LIKE '<path>%'`` (the area filter) be a range of
    the index under any collation; with the period first (``case_rollup_level``) a village's
    year read every village of the district."""
    if connection.vendor != "postgresql":
        pytest.skip("the pattern operator class is PostgreSQL's; SQLite keeps the plain index")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'rollup_level_area'")
        (definition,) = cursor.fetchone()
        assert "(level varchar_ops, area_path varchar_pattern_ops, month, late)" in definition
        query = CaseRollupCoarse.objects.filter(
            level="village_category", area_path__startswith="/1/2/3/", month__gte=dt.date(2026, 1, 1)
        ).values("id")
        sql, params = query.query.sql_with_params()
        # The table's other indexes dropped inside the test's transaction (rolled back after
        # it): on an empty table the planner's choice among them is a toss-up.
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'cases_caserollupcoarse' "
            "AND indexname NOT IN ('rollup_level_area', 'cases_caserollupcoarse_pkey')"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "rollup_level_area" in plan and "~>=~ '/1/2/3/'" in plan, plan


def test_the_figures_of_some_indices_are_those_of_all_of_them() -> None:
    """``rollup_figures`` asked for some indices reads only their measures and gives their
    parts and average exactly as when it computes every index."""
    import random

    from gridgov.cases.models import ROLLUP_MEASURES

    chance = random.Random(7)
    codes = list(indices.INDICES)
    for _ in range(200):
        sums = {f"m_{measure}": chance.choice([None, 0, chance.randint(0, 10**6)]) for measure in ROLLUP_MEASURES}
        counts, averages = indices.rollup_figures(sums)
        chosen = chance.sample(codes, chance.randint(1, len(codes)))
        # Only the measures the chosen indices read, as the statistics sum them.
        read = set().union(*(indices.MEASURES_OF[code] for code in chosen))
        some, some_averages = indices.rollup_figures(
            {key: value for key, value in sums.items() if key[2:] in read}, chosen
        )
        assert some == {key: value for key, value in counts.items() if key.split("__")[0] in chosen}
        assert some_averages == ({"handling_hours": averages["handling_hours"]} if "handling_hours" in chosen else {})
