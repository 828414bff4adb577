"""The area path's prefix filter on the rollup rows (``gridgov.core.pathfield``): the same rows
as ``startswith`` means on both databases; on SQLite a village's or a grid's prefix is a range
of the level-area index, and a town's or a district's keeps the period's range."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q, QuerySet

from gridgov.cases import indices
from gridgov.cases.indices import Dimensions, Period
from gridgov.cases.models import CaseRollup, CaseRollupCoarse
from gridgov.core.pathfield import glob_prefix

MONTH = dt.date(2026, 3, 1)
PATHS = [
    "/1/2/",
    "/1/2/3/",
    "/1/2/3/4/",
    "/1/2/30/",
    "/1/2/3*/",
    "/1/2/3?/",
    "/1/2/3[/",
    "/1/20/",
    "/1/2*/",
    "/1/",
    "/9/2/",
]


def test_a_glob_prefix_escapes_the_wildcards() -> None:
    assert glob_prefix("/1/2/") == "/1/2/*"
    assert glob_prefix("/1/*?[/") == "/1/[*][?][[]/*"
    assert glob_prefix("") == "*"


@pytest.fixture
def rows(db: None) -> None:
    CaseRollupCoarse.objects.bulk_create(
        CaseRollupCoarse(level="village", month=MONTH, late=MONTH, area_path=path, reported=1) for path in PATHS
    )


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("/1/2/3/", {"/1/2/3/", "/1/2/3/4/"}),  # a village's: GLOB on SQLite
        ("/1/2/3", {"/1/2/3/", "/1/2/3/4/", "/1/2/30/", "/1/2/3*/", "/1/2/3?/", "/1/2/3[/"}),
        ("/1/2/3*", {"/1/2/3*/"}),
        ("/1/2/3?", {"/1/2/3?/"}),
        ("/1/2/3[", {"/1/2/3[/"}),
        ("/1/2/", {"/1/2/", "/1/2/3/", "/1/2/3/4/", "/1/2/30/", "/1/2/3*/", "/1/2/3?/", "/1/2/3[/"}),  # a town's: LIKE
        ("/1/2*", {"/1/2*/"}),
        ("", set(PATHS)),
    ],
)
def test_startswith_keeps_its_meaning(rows: None, prefix: str, expected: set[str]) -> None:
    found = CaseRollupCoarse.objects.filter(area_path__startswith=prefix).values_list("area_path", flat=True)
    assert set(found) == expected


def test_a_village_prefix_is_case_sensitive_as_django_means_it(db: None) -> None:
    CaseRollupCoarse.objects.create(level="village", month=MONTH, late=MONTH, area_path="/1/2/A/")
    assert not CaseRollupCoarse.objects.filter(area_path__startswith="/1/2/a/").exists()
    assert CaseRollupCoarse.objects.filter(area_path__startswith="/1/2/A/").exists()


@pytest.mark.django_db
def test_on_sqlite_an_area_filter_is_a_range_of_the_level_area_index() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps LIKE, served by the pattern operator class (test_rollups)")
    query = CaseRollupCoarse.objects.filter(level="village", area_path__startswith="/1/2/3/", month__gte=MONTH)
    plan = _plan(query.values("id"))
    assert "rollup_level_area" in plan and "area_path>? AND area_path<?" in plan, plan


def _plan(query: QuerySet[Any]) -> str:
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.django_db
def test_on_sqlite_a_town_month_keeps_the_periods_range() -> None:
    """A town's prefix stays ``LIKE``: without statistics SQLite would take a range of the path
    over the period's, and read every month of the town (of the district, for a district's)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner")
    month = Period.month(2026, 3)
    rows, on = indices._rollup_rows(Q(area_path__startswith="/1/2/"), month, Dimensions(source="hotline"), "grid")
    assert rows.model is CaseRollup
    grid_rows = _plan(rows.values(on).annotate(**indices._rollup_sums(["reported"])).order_by(on))
    assert "case_rollup_month" in grid_rows, grid_rows
    coarse = CaseRollupCoarse.objects.filter(
        level="town_category", month__gte=MONTH, month__lte=MONTH, late__lte=MONTH, area_path__startswith="/1/2/"
    )
    assert "case_rollup_level" in _plan(coarse), _plan(coarse)
