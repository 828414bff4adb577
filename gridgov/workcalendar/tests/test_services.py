"""Writes to the working calendar: validation, replacement and the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gridgov.core.models import AuditEvent
from gridgov.people.tests.factories import UserFactory
from gridgov.workcalendar.models import CalendarDay, CalendarYear, DaySource, WorkingPeriod
from gridgov.workcalendar.services import (
    day_override_clear,
    day_override_set,
    official_year_load,
    official_year_unload,
    working_periods_set,
)

pytestmark = pytest.mark.django_db

D = dt.date


def test_setting_and_clearing_an_override_is_audited():
    admin = UserFactory()
    day = day_override_set(actor=admin, date=D(2026, 3, 9), is_workday=False, name=" 停电 ")
    assert (day.is_workday, day.name, day.source) == (False, "停电", DaySource.ADMIN)
    assert day_override_clear(actor=admin, date=D(2026, 3, 9)) is True
    assert day_override_clear(actor=admin, date=D(2026, 3, 9)) is False
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor"))
    assert actions == [("calendar.override", admin.pk), ("calendar.override_clear", admin.pk)]


def test_loading_a_year_replaces_its_earlier_official_rows():
    admin = UserFactory()
    official_year_load(actor=admin, year=2027, holidays=[(D(2027, 2, 8), "春节")], workdays=[(D(2027, 2, 20), "春节")])
    year = official_year_load(actor=admin, year=2027, holidays=[(D(2027, 2, 9), "春节")], workdays=[], note="v2")
    assert list(CalendarDay.objects.values_list("date", "is_workday")) == [(D(2027, 2, 9), False)]
    assert (year.year, year.loaded_by, year.note) == (2027, admin, "v2")
    assert CalendarYear.objects.count() == 1
    event = AuditEvent.objects.filter(action="calendar.year_load").latest("id")
    assert event.data["holidays"] == 1 and event.data["workdays"] == 0


def test_loading_a_year_keeps_other_overrides_and_replaces_those_on_listed_dates():
    day_override_set(actor=None, date=D(2027, 3, 1), is_workday=False, name="停电")
    day_override_set(actor=None, date=D(2027, 2, 8), is_workday=True, name="值班")
    official_year_load(actor=None, year=2027, holidays=[(D(2027, 2, 8), "春节")], workdays=[])
    rows = dict(CalendarDay.objects.values_list("date", "source"))
    assert rows == {D(2027, 2, 8): DaySource.OFFICIAL, D(2027, 3, 1): DaySource.ADMIN}
    event = AuditEvent.objects.filter(action="calendar.year_load").latest("id")
    assert event.data["replaced_overrides"] == ["2027-02-08"]


@pytest.mark.parametrize(
    ("holidays", "workdays"),
    [
        ([(D(2026, 12, 31), "元旦")], []),
        ([(D(2027, 2, 8), "春节")], [(D(2027, 2, 8), "春节")]),
        ([], []),
    ],
    ids=["outside the year", "listed both ways", "empty"],
)
def test_a_bad_schedule_is_rejected_and_nothing_changes(holidays, workdays):
    official_year_load(actor=None, year=2027, holidays=[(D(2027, 1, 1), "元旦")], workdays=[])
    with pytest.raises(ValidationError):
        official_year_load(actor=None, year=2027, holidays=holidays, workdays=workdays)
    assert list(CalendarDay.objects.values_list("date", flat=True)) == [D(2027, 1, 1)]


def test_unloading_a_year_removes_its_official_dates_only():
    official_year_load(actor=None, year=2027, holidays=[(D(2027, 1, 1), "元旦")], workdays=[])
    day_override_set(actor=None, date=D(2027, 3, 1), is_workday=False)
    assert official_year_unload(actor=None, year=2027) is True
    assert official_year_unload(actor=None, year=2027) is False
    assert list(CalendarDay.objects.values_list("date", flat=True)) == [D(2027, 3, 1)]
    assert not CalendarYear.objects.exists()


def test_working_periods_are_replaced_and_unchanged_rows_kept():
    kept = WorkingPeriod.objects.get(start=dt.time(8, 30))
    rows = working_periods_set(actor=None, periods=[(dt.time(14), dt.time(18)), (dt.time(8, 30), dt.time(12))])
    assert [(r.start, r.end) for r in rows] == [(dt.time(8, 30), dt.time(12)), (dt.time(14), dt.time(18))]
    assert rows[0].pk == kept.pk
    assert WorkingPeriod.objects.count() == 2
    assert AuditEvent.objects.filter(action="calendar.working_periods").exists()


@pytest.mark.parametrize(
    "periods",
    [
        [],
        [(dt.time(12), dt.time(8))],
        [(dt.time(8), dt.time(12)), (dt.time(11), dt.time(17))],
    ],
    ids=["none", "reversed", "overlapping"],
)
def test_invalid_working_periods_are_rejected(periods):
    with pytest.raises(ValidationError):
        working_periods_set(actor=None, periods=periods)
    assert WorkingPeriod.objects.count() == 2


def test_touching_working_periods_are_allowed():
    working_periods_set(actor=None, periods=[(dt.time(8), dt.time(12)), (dt.time(12), dt.time(16))])
    assert WorkingPeriod.objects.count() == 2


def test_loading_a_year_runs_the_hooks_inside_its_transaction_and_audits_their_counts(monkeypatch):
    from gridgov.workcalendar import calendar, services

    admin = UserFactory()
    seen = []

    def hook(*, year, actor):
        # The new dates are already what the calendar reads, and the year is no longer provisional.
        seen.append((year, actor, calendar.is_workday(D(2027, 2, 8)), calendar.is_provisional(year)))
        return {"things_moved": 2}

    monkeypatch.setattr(services, "YEAR_LOADED_HOOKS", [])
    services.register_year_loaded_hook(hook)
    services.register_year_loaded_hook(hook)
    official_year_load(actor=admin, year=2027, holidays=[], workdays=[(D(2027, 2, 8), "春节")])
    assert seen == [(2027, admin, True, False)]
    event = AuditEvent.objects.get(action="calendar.year_load")
    assert event.data["recomputed"] == {"things_moved": 2}


def test_a_failing_hook_rolls_the_load_back(monkeypatch):
    from gridgov.workcalendar import services

    def hook(*, year, actor):
        raise RuntimeError("broken")

    monkeypatch.setattr(services, "YEAR_LOADED_HOOKS", [hook])
    with pytest.raises(RuntimeError):
        official_year_load(actor=None, year=2027, holidays=[(D(2027, 2, 9), "春节")], workdays=[])
    assert not CalendarYear.objects.exists() and not CalendarDay.objects.exists()
    assert not AuditEvent.objects.filter(action="calendar.year_load").exists()
