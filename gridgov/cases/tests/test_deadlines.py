"""The traffic light and the deadline arithmetic: Python and database answers agree."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov.cases import deadlines, selectors
from gridgov.cases.models import Case, Light
from gridgov.cases.selectors import CaseFilters

from .loop_helpers import report

CST = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2024, 5, 13, 9, 0, tzinfo=CST)


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(0, Light.GREEN), (23, Light.GREEN), (24, Light.YELLOW), (30, Light.YELLOW), (31, Light.RED)],
)
def test_the_light_turns_yellow_at_80_percent_and_red_after_the_deadline(offset: int, expected: str) -> None:
    warn, deadline = MONDAY + minutes(24), MONDAY + minutes(30)
    assert deadlines.light(deadline, warn, MONDAY + minutes(offset)) == expected


def test_no_deadline_means_no_light() -> None:
    assert deadlines.light(None, None, MONDAY) == Light.NONE


def test_the_warning_point_counts_working_time_for_working_units(db: Any) -> None:
    friday = dt.datetime(2024, 5, 17, 17, 0, tzinfo=CST)
    deadline = dt.datetime(2024, 5, 20, 9, 20, tzinfo=CST)  # 30 + 50 working minutes
    assert deadlines.warn_point(friday, deadline, "working_minutes") == dt.datetime(2024, 5, 20, 9, 4, tzinfo=CST)
    assert deadlines.warn_point(friday, friday + minutes(100), "calendar_minutes") == friday + minutes(80)


def test_shifting_by_a_pause_counts_only_working_time_for_working_units(db: Any) -> None:
    # Parked from Friday 17:00 to Monday 09:00: 30 + 30 working minutes.
    start, end = dt.datetime(2024, 5, 17, 17, 0, tzinfo=CST), dt.datetime(2024, 5, 20, 9, 0, tzinfo=CST)
    moment = dt.datetime(2024, 5, 20, 10, 0, tzinfo=CST)
    assert deadlines.shift(moment, "working_days", start, end) == moment + minutes(60)
    assert deadlines.shift(moment, "calendar_hours", start, end) == moment + (end - start)
    assert deadlines.extend(moment, 2) == dt.datetime(2024, 5, 22, 10, 0, tzinfo=CST)


def test_database_lights_match_the_python_lights(people: dict[str, Any]) -> None:
    green = report(people, at=MONDAY)  # warn 09:24, deadline 09:30
    yellow = report(people, at=MONDAY - minutes(25))
    red = report(people, at=MONDAY - minutes(31))
    parked = report(people, at=MONDAY)
    Case.objects.filter(pk=parked.pk).update(stage_deadline=None, stage_warn_at=None)
    now = MONDAY + minutes(1)
    expected = {green.pk: Light.GREEN, yellow.pk: Light.YELLOW, red.pk: Light.RED, parked.pk: Light.NONE}
    rows = selectors.page(selectors.cases_visible(people["center01"]), now=now).items
    assert {case.pk: getattr(case, "light", None) for case in rows} == expected
    for case in Case.objects.all():
        assert deadlines.light(case.stage_deadline, case.stage_warn_at, now) == expected[case.pk]
    for colour in Light.values:
        query = selectors.apply_filters(
            people["center01"], selectors.cases_visible(people["center01"]), CaseFilters(light=colour), now=now
        )
        assert {case.pk for case in query} == {pk for pk, value in expected.items() if value == colour}, colour
