"""Properties of working-time arithmetic over 2026 and into the provisional 2027."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.workcalendar import calendar

from .conftest import at

pytestmark = pytest.mark.django_db

starts = st.builds(
    lambda day, minute: at(2026, 1, 1) + dt.timedelta(days=day, minutes=minute),
    st.integers(min_value=0, max_value=400),
    st.integers(min_value=0, max_value=24 * 60 - 1),
)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(start=starts, minutes=st.integers(min_value=0, max_value=450 * 30))
def test_adding_working_minutes_then_measuring_gives_the_amount_back(start, minutes):
    end = calendar.add_working_minutes(start, minutes)
    assert end >= start
    assert calendar.working_minutes_between(start, end) == minutes


@SETTINGS
@given(start=starts, days=st.integers(min_value=1, max_value=60))
def test_adding_working_days_spans_that_many_full_working_days(start, days):
    end = calendar.add_working_days(start, days)
    assert calendar.is_workday(end.date())
    assert calendar.working_minutes_between(start, end) == days * calendar.working_minutes_per_day()


@SETTINGS
@given(a=starts, b=starts, c=starts)
def test_working_time_adds_up_over_consecutive_spans(a, b, c):
    a, b, c = sorted([a, b, c])
    total = calendar.working_minutes_between(a, c)
    assert total == calendar.working_minutes_between(a, b) + calendar.working_minutes_between(b, c)
