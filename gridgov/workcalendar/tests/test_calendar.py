"""The working calendar around 2026's Spring Festival and National Day, and into 2027."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from django.core.cache import cache

from gridgov.categories.models import TimeUnit
from gridgov.people.tests.factories import UserFactory
from gridgov.workcalendar import calendar, statutory
from gridgov.workcalendar.models import CalendarDay, DaySource
from gridgov.workcalendar.schedule import parse_notice
from gridgov.workcalendar.services import day_override_set, official_year_load, working_periods_set

from .conftest import NOTICE_2027, at

pytestmark = pytest.mark.django_db


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def span(first: str, last: str) -> set[dt.date]:
    return set(days(dt.date.fromisoformat(first), dt.date.fromisoformat(last)))


# The official 2026 schedule (State Council notice of November 2025), as the installed
# package also has it: Spring Festival Feb 15–23 off, Feb 14 and Feb 28 (Saturdays) worked;
# Mid-Autumn Sep 25–27 and National Day Oct 1–7 off, Sep 20 (Sunday) and Oct 10 (Saturday) worked.
HOLIDAYS_2026 = span("2026-02-15", "2026-02-23") | span("2026-09-25", "2026-09-27") | span("2026-10-01", "2026-10-07")
SWAPPED_2026 = {dt.date(2026, 2, 14), dt.date(2026, 2, 28), dt.date(2026, 9, 20), dt.date(2026, 10, 10)}
WINDOWS_2026 = days(dt.date(2026, 1, 25), dt.date(2026, 3, 10)) + days(dt.date(2026, 9, 20), dt.date(2026, 10, 15))


def expected_2026(d: dt.date) -> bool:
    if d in SWAPPED_2026:
        return True
    return d.weekday() < 5 and d not in HOLIDAYS_2026


@pytest.mark.parametrize("d", WINDOWS_2026, ids=str)
def test_every_day_around_the_2026_holidays_matches_the_package_and_the_official_schedule(d):
    info = calendar.day_info(d)
    assert info.is_workday == chinese_calendar.is_workday(d)
    assert info.is_workday == expected_2026(d)
    assert calendar.is_workday(d) == info.is_workday
    assert info.source == "package"


def test_holiday_and_swapped_workday_names_come_from_the_package_in_chinese():
    assert calendar.day_info(dt.date(2026, 2, 17)).name == "春节"
    assert calendar.day_info(dt.date(2026, 2, 14)).name == "春节"
    assert calendar.day_info(dt.date(2026, 9, 26)).name == "中秋节"
    assert calendar.day_info(dt.date(2026, 10, 1)).name == "国庆节"
    assert calendar.day_info(dt.date(2026, 3, 7)).name == ""


def test_a_friday_afternoon_plus_one_working_day_lands_on_the_swapped_saturday():
    assert calendar.add_working_days(at(2026, 2, 13, 16), 1) == at(2026, 2, 14, 16)


def test_the_swapped_saturday_evening_plus_four_working_hours_ends_after_the_spring_festival():
    # 30 minutes left on Feb 14, then 210 minutes on Feb 24 until the lunch break.
    assert calendar.deadline(at(2026, 2, 14, 17), 4, TimeUnit.WORKING_HOURS) == at(2026, 2, 24, 12)
    assert calendar.deadline(at(2026, 2, 14, 17), 5, TimeUnit.WORKING_HOURS) == at(2026, 2, 24, 14, 30)


def test_one_working_day_from_the_last_day_before_the_spring_festival_is_the_first_day_after():
    assert calendar.add_working_days(at(2026, 2, 14, 9), 1) == at(2026, 2, 24, 9)
    assert calendar.add_working_days(at(2026, 2, 14, 9), 4) == at(2026, 2, 27, 9)
    assert calendar.add_working_days(at(2026, 2, 14, 9), 5) == at(2026, 2, 28, 9)  # swapped Saturday


def test_working_time_over_the_spring_festival_counts_only_the_swapped_saturday():
    assert calendar.working_minutes_between(at(2026, 2, 13, 8, 30), at(2026, 2, 24, 8, 30)) == 900
    assert calendar.elapsed(at(2026, 2, 13, 8, 30), at(2026, 2, 24, 8, 30), TimeUnit.WORKING_DAYS) == 2.0
    assert calendar.elapsed(at(2026, 2, 14, 17), at(2026, 2, 24, 12), TimeUnit.WORKING_HOURS) == 4.0


def test_a_start_on_a_holiday_counts_from_the_next_working_period():
    assert calendar.add_working_minutes(at(2026, 2, 16, 10), 30) == at(2026, 2, 24, 9)
    assert calendar.add_working_days(at(2026, 2, 16, 10), 1) == at(2026, 2, 25, 8, 30)
    assert calendar.working_minutes_between(at(2026, 2, 15, 0), at(2026, 2, 23, 23, 59)) == 0


def test_the_lunch_break_does_not_count():
    assert calendar.add_working_minutes(at(2026, 3, 2, 11), 60) == at(2026, 3, 2, 12)
    assert calendar.add_working_minutes(at(2026, 3, 2, 11), 61) == at(2026, 3, 2, 13, 31)
    assert calendar.add_working_minutes(at(2026, 3, 2, 11), 120) == at(2026, 3, 2, 14, 30)
    assert calendar.add_working_minutes(at(2026, 3, 2, 12, 30), 30) == at(2026, 3, 2, 14)
    assert calendar.working_minutes_between(at(2026, 3, 2, 11), at(2026, 3, 2, 14)) == 90
    assert calendar.add_working_days(at(2026, 3, 2, 12, 30), 1) == at(2026, 3, 3, 13, 30)


def test_evenings_and_early_mornings_do_not_count():
    assert calendar.add_working_minutes(at(2026, 3, 2, 19), 30) == at(2026, 3, 3, 9)
    assert calendar.add_working_minutes(at(2026, 3, 3, 6), 30) == at(2026, 3, 3, 9)
    assert calendar.add_working_days(at(2026, 3, 2, 19), 1) == at(2026, 3, 4, 8, 30)
    assert calendar.working_minutes_between(at(2026, 3, 2, 17, 30), at(2026, 3, 3, 8, 30)) == 0
    assert calendar.add_working_minutes(at(2026, 3, 2, 17), 30) == at(2026, 3, 2, 17, 30)


def test_a_friday_evening_plus_one_working_day_runs_over_the_weekend():
    assert calendar.add_working_days(at(2026, 3, 6, 16), 1) == at(2026, 3, 9, 16)
    assert calendar.add_working_minutes(at(2026, 3, 6, 17), 450) == at(2026, 3, 9, 17)


def test_national_day_and_the_swapped_sunday_and_saturday():
    assert calendar.add_working_minutes(at(2026, 9, 19, 10), 1) == at(2026, 9, 20, 8, 31)
    assert calendar.add_working_days(at(2026, 9, 30, 16), 1) == at(2026, 10, 8, 16)
    assert calendar.deadline(at(2026, 9, 30, 17), 1, TimeUnit.WORKING_HOURS) == at(2026, 10, 8, 9)
    assert calendar.add_working_days(at(2026, 10, 9, 10), 1) == at(2026, 10, 10, 10)
    assert calendar.add_working_days(at(2026, 9, 24, 10), 1) == at(2026, 9, 28, 10)
    assert calendar.working_minutes_between(at(2026, 9, 30, 17, 30), at(2026, 10, 8, 8, 30)) == 0
    assert calendar.elapsed(at(2026, 9, 18, 8, 30), at(2026, 10, 12, 8, 30), TimeUnit.WORKING_DAYS) == 12.0


@pytest.mark.parametrize(
    ("unit", "amount", "expected"),
    [
        (TimeUnit.WORKING_MINUTES, 90, at(2026, 2, 14, 17, 30)),
        (TimeUnit.WORKING_HOURS, 2, at(2026, 2, 24, 9)),
        (TimeUnit.WORKING_DAYS, 1, at(2026, 2, 24, 16)),
        (TimeUnit.CALENDAR_MINUTES, 90, at(2026, 2, 14, 17, 30)),
        (TimeUnit.CALENDAR_HOURS, 2, at(2026, 2, 14, 18)),
        (TimeUnit.CALENDAR_DAYS, 3, at(2026, 2, 17, 16)),
    ],
)
def test_deadline_covers_every_time_unit(unit, amount, expected):
    start = at(2026, 2, 14, 16)
    assert calendar.deadline(start, amount, unit) == expected
    assert calendar.deadline(start, amount, unit.value) == expected
    assert calendar.elapsed(start, expected, unit) == pytest.approx(amount)


def test_end_of_2026_plus_two_working_days_counts_2027_as_provisional():
    assert calendar.day_info(dt.date(2027, 1, 1)) == calendar.DayInfo(dt.date(2027, 1, 1), False, "元旦", "statutory")
    # Thu Dec 31 → (Jan 1 holiday, Jan 2–3 weekend) → Mon Jan 4, Tue Jan 5.
    assert calendar.add_working_days(at(2026, 12, 31, 10), 2) == at(2027, 1, 5, 10)
    assert calendar.working_minutes_between(at(2026, 12, 31, 8, 30), at(2027, 1, 5, 8, 30)) == 900


def test_a_provisional_year_has_the_statutory_holidays_and_no_swaps():
    spring = days(dt.date(2027, 2, 5), dt.date(2027, 2, 8))  # 除夕 (Fri) to 初三 (Mon)
    assert [calendar.day_info(d) for d in spring] == [calendar.DayInfo(d, False, "春节", "statutory") for d in spring]
    assert calendar.is_workday(dt.date(2027, 2, 9))
    for d, name in [
        ((4, 5), "清明节"),
        ((5, 1), "劳动节"),
        ((6, 9), "端午节"),
        ((9, 15), "中秋节"),
        ((10, 1), "国庆节"),
    ]:
        assert calendar.day_info(dt.date(2027, *d)) == calendar.DayInfo(dt.date(2027, *d), False, name, "statutory")
    assert calendar.is_workday(dt.date(2027, 5, 3))  # a Monday: only the notice can add it to the holiday
    assert calendar.is_workday(dt.date(2027, 10, 4))  # the same
    assert not calendar.is_workday(dt.date(2027, 1, 31))  # a Sunday: only the notice can make it a working day
    assert calendar.day_info(dt.date(2027, 3, 1)) == calendar.DayInfo(dt.date(2027, 3, 1), True, "", "statutory")


def test_a_year_is_provisional_until_its_schedule_is_loaded():
    assert not calendar.is_provisional(2026)
    assert calendar.is_provisional(2027)
    assert calendar.is_provisional(dt.date(2027, 2, 5))
    # An aware moment counts in Shanghai time: 2026-12-31 16:30 UTC is already 2027 there.
    assert calendar.is_provisional(dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC))
    assert not calendar.deadline_is_provisional(at(2026, 12, 31, 17))
    assert calendar.deadline_is_provisional(at(2027, 1, 4, 9))
    assert not calendar.deadline_is_provisional(None)
    with pytest.raises(ValueError):
        calendar.is_provisional(dt.datetime(2027, 1, 4, 9))
    parsed = parse_notice(NOTICE_2027, 2027)
    official_year_load(actor=None, year=2027, holidays=parsed.holidays, workdays=parsed.workdays)
    assert not calendar.is_provisional(2027)
    assert not calendar.deadline_is_provisional(at(2027, 1, 4, 9))
    assert calendar.is_provisional(2028)


def test_an_acknowledge_deadline_across_the_2027_spring_festival_skips_every_statutory_day():
    # Thu Feb 4 16:00 + 1 working day (450 working minutes): 除夕 to 初三 are off, then Tue Feb 9.
    end = calendar.add_working_minutes(at(2027, 2, 4, 16), 450)
    assert end == at(2027, 2, 9, 16)
    assert calendar.add_working_days(at(2027, 2, 4, 16), 1) == at(2027, 2, 9, 16)
    for minutes in range(0, 450 * 3, 15):
        moment = calendar.add_working_minutes(at(2027, 2, 4, 16), minutes)
        assert moment.date() not in statutory.holidays(2027)


def test_people_following_deadlines_are_told_from_november_while_next_year_is_provisional():
    assert calendar.provisional_year_ahead(dt.date(2026, 10, 31)) is None
    assert calendar.provisional_year_ahead(dt.date(2026, 11, 1)) == 2027
    assert calendar.provisional_year_ahead(dt.date(2027, 3, 1)) == 2027  # the year itself, all year
    parsed = parse_notice(NOTICE_2027, 2027)
    official_year_load(actor=None, year=2027, holidays=parsed.holidays, workdays=parsed.workdays)
    assert calendar.provisional_year_ahead(dt.date(2026, 11, 1)) is None
    assert calendar.provisional_year_ahead(dt.date(2027, 10, 31)) is None
    assert calendar.provisional_year_ahead(dt.date(2027, 11, 1)) == 2028


def test_next_year_is_missing_until_its_schedule_is_loaded():
    assert calendar.next_year_missing(dt.date(2026, 11, 28)) == 2027
    assert calendar.next_year_missing(dt.date(2025, 11, 28)) is None
    assert not calendar.year_known(2027)
    parsed = parse_notice(NOTICE_2027, 2027)
    official_year_load(actor=UserFactory(), year=2027, holidays=parsed.holidays, workdays=parsed.workdays)
    assert calendar.year_known(2027)
    assert calendar.next_year_missing(dt.date(2026, 11, 28)) is None
    assert calendar.next_year_missing(dt.date(2027, 12, 1)) == 2028


def test_next_year_missing_names_the_current_year_first_when_even_that_is_missing():
    assert calendar.next_year_missing(dt.date(2028, 3, 1)) == 2028


def test_loading_2027_changes_deadlines_at_once():
    # Built before the load: the tables are cached.
    # Provisional 2027: Feb 5–8 (除夕 to 初三) are statutory holidays, then Tue Feb 9, Wed Feb 10.
    assert calendar.add_working_days(at(2027, 2, 4, 10), 2) == at(2027, 2, 10, 10)
    assert calendar.add_working_days(at(2027, 1, 29, 10), 1) == at(2027, 2, 1, 10)
    parsed = parse_notice(NOTICE_2027, 2027)
    official_year_load(actor=UserFactory(), year=2027, holidays=parsed.holidays, workdays=parsed.workdays)
    # Feb 5–13 off, Feb 14 a Sunday: Mon Feb 15, Tue Feb 16.
    assert calendar.add_working_days(at(2027, 2, 4, 10), 2) == at(2027, 2, 16, 10)
    # Sunday Jan 31 is a swapped working day.
    assert calendar.add_working_days(at(2027, 1, 29, 10), 1) == at(2027, 1, 31, 10)
    assert calendar.day_info(dt.date(2027, 1, 31)) == calendar.DayInfo(dt.date(2027, 1, 31), True, "春节", "official")
    assert calendar.day_info(dt.date(2027, 3, 1)).source == "official"
    assert not calendar.is_workday(dt.date(2027, 3, 6))  # a plain Saturday of a loaded year
    assert calendar.add_working_days(at(2026, 12, 31, 10), 2) == at(2027, 1, 5, 10)


def test_committing_a_change_bumps_the_shared_version(django_capture_on_commit_callbacks):
    before = cache.get(calendar.VERSION_CACHE_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        day_override_set(actor=None, date=dt.date(2026, 3, 9), is_workday=False, name="test")
    assert cache.get(calendar.VERSION_CACHE_KEY) not in (None, before)


def test_a_change_made_by_another_process_is_seen_after_the_version_check():
    assert calendar.is_workday(dt.date(2026, 3, 9))
    # Another process writes and bumps the version; this process still has its tables.
    CalendarDay.objects.create(date=dt.date(2026, 3, 9), is_workday=False, source=DaySource.ADMIN)
    cache.set(calendar.VERSION_CACHE_KEY, "from-another-process", None)
    calendar._state.checked_at = float("-inf")  # the check interval has passed
    assert not calendar.is_workday(dt.date(2026, 3, 9))


def test_a_rolled_back_change_is_forgotten():
    from django.db import transaction

    assert calendar.is_workday(dt.date(2026, 3, 9))
    with pytest.raises(RuntimeError), transaction.atomic():
        day_override_set(actor=None, date=dt.date(2026, 3, 9), is_workday=False)
        assert not calendar.is_workday(dt.date(2026, 3, 9))
        raise RuntimeError
    assert calendar.is_workday(dt.date(2026, 3, 9))


def test_an_override_beats_the_package():
    day_override_set(actor=None, date=dt.date(2026, 2, 16), is_workday=True, name="值班")
    day_override_set(actor=None, date=dt.date(2026, 2, 14), is_workday=False)
    assert calendar.day_info(dt.date(2026, 2, 16)) == calendar.DayInfo(dt.date(2026, 2, 16), True, "值班", "override")
    assert not calendar.is_workday(dt.date(2026, 2, 14))
    assert calendar.add_working_days(at(2026, 2, 13, 16), 1) == at(2026, 2, 16, 16)


def test_an_override_beats_a_loaded_year_too():
    parsed = parse_notice(NOTICE_2027, 2027)
    official_year_load(actor=None, year=2027, holidays=parsed.holidays, workdays=parsed.workdays)
    day_override_set(actor=None, date=dt.date(2027, 3, 1), is_workday=False, name="停电")
    assert calendar.day_info(dt.date(2027, 3, 1)).source == "override"


def test_other_working_hours_change_the_arithmetic():
    working_periods_set(actor=None, periods=[(dt.time(9), dt.time(12)), (dt.time(14), dt.time(18))])
    assert calendar.working_periods() == [(dt.time(9), dt.time(12)), (dt.time(14), dt.time(18))]
    assert calendar.working_minutes_per_day() == 420
    assert calendar.add_working_minutes(at(2026, 3, 2, 11), 120) == at(2026, 3, 2, 15)


def test_the_default_working_hours_are_seeded():
    assert calendar.working_periods() == [(dt.time(8, 30), dt.time(12)), (dt.time(13, 30), dt.time(17, 30))]
    assert calendar.working_minutes_per_day() == 450


def test_a_deadline_far_in_the_future_terminates():
    end = calendar.add_working_days(at(2026, 3, 2, 10), 250 * 40)
    assert end.year in range(2065, 2068)
    with pytest.raises(calendar.CalendarError):
        calendar.add_working_days(at(2026, 3, 2, 10), 10**9)


def test_a_calendar_without_working_days_gives_an_error_not_a_hang():
    # Two years with no working day at all (patched tables), and a search limit of one year.
    calendar.MAX_SEARCH_YEARS, saved = 1, calendar.MAX_SEARCH_YEARS
    try:
        table = calendar._table(2027)
        table.workday[:] = [False] * len(table.workday)
        table.cum[:] = [0] * len(table.cum)
        table28 = calendar._table(2028)
        table28.cum[:] = [0] * len(table28.cum)
        with pytest.raises(calendar.CalendarError):
            calendar.add_working_days(at(2026, 12, 31, 10), 1)
    finally:
        calendar.MAX_SEARCH_YEARS = saved


def test_naive_datetimes_and_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        calendar.add_working_minutes(dt.datetime(2026, 3, 2, 10), 10)
    with pytest.raises(ValueError):
        calendar.add_working_minutes(at(2026, 3, 2, 10), -1)


def test_elapsed_is_negative_when_the_end_comes_first():
    assert calendar.working_minutes_between(at(2026, 3, 2, 11), at(2026, 3, 2, 10)) == -60
    assert calendar.elapsed(at(2026, 3, 2, 11), at(2026, 3, 2, 10), TimeUnit.CALENDAR_MINUTES) == -60


def test_results_are_in_shanghai_time_whatever_the_input_zone():
    start = at(2026, 2, 13, 16).astimezone(dt.UTC)
    result = calendar.add_working_days(start, 1)
    assert result == at(2026, 2, 14, 16)
    assert str(result.tzinfo) == "Asia/Shanghai"


def test_the_nth_working_day_after_a_day_skips_the_day_itself_and_the_holidays():
    # Friday Feb 13, 2026: the next working day is the swapped Saturday, then Feb 24 after
    # the Spring Festival; a working day itself is never its own "first working day after".
    friday = dt.date(2026, 2, 13)
    assert calendar.workday_after(friday, 1) == dt.date(2026, 2, 14)
    assert calendar.workday_after(friday, 2) == dt.date(2026, 2, 24)
    assert calendar.workday_after(friday, 0) == friday
    for d in WINDOWS_2026:
        stepped = d
        for _n in range(3):
            stepped = calendar.next_workday(stepped + dt.timedelta(days=1))
        assert calendar.workday_after(d, 3) == stepped
