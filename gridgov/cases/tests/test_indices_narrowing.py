"""The narrowing of the statistics queries (``indices.NARROW``): every index gives the same
figures, groupings and trend with and without it, over random milestones and many periods, and
no case behind a figure lies outside the dates ``indices.WINDOWS`` names for its index."""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from gridgov.cases import indices, rollups
from gridgov.cases.indices import Dimensions, Period
from gridgov.cases.models import Case, Satisfaction, Source, Status

from .loop_helpers import report

DATES = (
    "registered_at",
    "dispatched_at",
    "redispatched_at",
    "handled_at",
    "reworked_at",
    "verified_at",
    "due_at",
    "voided_at",
    "callback_at",
)


@pytest.fixture
def random_cases(people: dict[str, Any]) -> list[Case]:
    """Cases with random (not always consistent) milestones around the last three months, so
    that every edge of every condition is met somewhere; some filed at the village or the town
    without a grid (as the ledger import files a row naming only a village)."""
    rng = random.Random(7)
    first = report(people, at=timezone.now() - dt.timedelta(days=40))
    village = rollups.path_prefix(first.area_path, rollups.VILLAGE_DEPTH)
    town = rollups.path_prefix(first.area_path, rollups.TOWN_DEPTH)
    assert first.grid is not None and len({village, town, first.area_path}) == 3
    now = timezone.now()
    made = []
    for number in range(400):
        case = copy.copy(first)
        case.pk = None
        case.id = None
        case.number = f"N-{number:05d}"
        reported = now - dt.timedelta(hours=rng.uniform(0, 24 * 100))
        case.reported_at = reported
        case.self_handled = rng.random() < 0.1
        case.source = rng.choice(list(Source.values))
        for column in DATES:
            value = reported + dt.timedelta(hours=rng.uniform(0, 24 * 50)) if rng.random() < 0.6 else None
            setattr(case, column, value)
        closed = rng.random() < 0.5
        case.status = Status.CLOSED if closed else Status.DISPATCHED
        case.closed_at = reported + dt.timedelta(hours=rng.uniform(0, 24 * 60)) if closed else None
        case.closed_on_time = rng.choice([True, False]) if closed else None
        case.handled_on_time = rng.choice([True, False, None])
        case.verified_on_time = rng.choice([True, False, None])
        case.satisfaction = rng.choice(["", *Satisfaction.values])
        if number % 9 == 5 or number % 40 == 7:  # no grid: the village's path, or the town's
            case.grid = None
            case.area_path = village if number % 9 == 5 else town
        made.append(case)
    return Case.objects.bulk_create(made)


def periods() -> Iterator[Period]:
    today = timezone.localdate()
    yield Period(today, today)
    yield Period.of_month(today)  # running
    for back in (1, 2, 3):
        yield Period.of_month(today.replace(day=1) - dt.timedelta(days=28 * back))
    yield Period(today - dt.timedelta(days=17), today - dt.timedelta(days=3))
    yield Period(today - dt.timedelta(days=365), today)


def both(function: Any) -> tuple[Any, Any]:
    try:
        indices.NARROW = True
        narrowed = function()
        indices.NARROW = False
        whole = function()
    finally:
        indices.NARROW = True
    return narrowed, whole


@pytest.mark.django_db
def test_every_case_behind_a_figure_has_a_deciding_date_in_the_period(random_cases: list[Case]) -> None:
    cases = Case.objects.all()
    counted = 0
    for period in periods():
        for code, item in indices.INDICES.items():
            for part in item.parts:
                behind = indices.cases_for(cases, code, part, period)
                counted += behind.count()
                outside = behind.exclude(indices._candidates([period], [code]))
                assert not outside.exists(), (code, part, period)
    assert counted > 1000  # the random cases do count somewhere


@pytest.mark.django_db
def test_figures_groupings_and_trend_are_the_same_narrowed(random_cases: list[Case]) -> None:
    cases = Case.objects.all()
    for period in periods():
        narrowed, whole = both(lambda p=period: indices.figures(cases, p))
        assert narrowed.by_code == whole.by_code
        narrowed, whole = both(lambda p=period: indices.figures(cases, p, Dimensions(source=Source.HOTLINE)))
        assert narrowed.by_code == whole.by_code
        for by in indices.GROUPS:
            narrowed, whole = both(lambda p=period, b=by: indices.grouped(cases, p, b))
            assert [(r.key, r.figures.by_code) for r in narrowed] == [(r.key, r.figures.by_code) for r in whole]
        step = "day" if period.days <= 62 else "month"
        codes = [code for code, item in indices.INDICES.items() if item.kind != indices.HOURS]
        narrowed, whole = both(lambda p=period, s=step, c=codes: indices.trend(cases, p, s, c))
        assert [(b, f.by_code) for b, f in narrowed] == [(b, f.by_code) for b, f in whole]
