"""The statutory holidays computed from the rules, checked against the package and known dates."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from gridgov.workcalendar import calendar, statutory

D = dt.date


def package_holidays(year: int) -> dict[dt.date, str]:
    """The holidays of ``year`` in the ``chinese-calendar`` package, with the calendar's names."""
    first = D(year, 1, 1)
    days = {}
    for i in range((D(year + 1, 1, 1) - first).days):
        d = first + dt.timedelta(days=i)
        is_holiday, english = chinese_calendar.get_holiday_detail(d)
        if is_holiday and english:
            days[d] = calendar._package_name(english)
    return days


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_computed_statutory_days_are_holidays_of_the_same_name_in_the_package(year):
    # The revised rules are in force from 2025; the package has the official notices of 2025 and 2026.
    official = package_holidays(year)
    computed = statutory.holidays(year)
    assert len(computed) == 13
    for d, name in computed.items():
        assert official.get(d) == name, d


# Expected dates of 2027–2030. Each one was checked two ways besides lunar-python:
# - 春节 (lunar 1/1), 端午 (5/5) and 中秋 (8/15): the published Chinese almanac dates, and the
#   1st day of each lunar month coincides with a new moon computed independently (Meeus,
#   Astronomical Algorithms, ch. 49, in UTC+8): 2027-02-06 23:56, 2027-06-05, 2027-09-01;
#   2028-01-26, 2028-05-24, 2028-09-19; 2029-02-13, 2029-06-12, 2029-09-08; 2030-02-03 00:07,
#   2030-06-01, 2030-08-29;
# - 除夕 is the day before 春节: 2025–2029 have no 腊月三十 (the 12th month has 29 days, widely
#   reported as "five years without 年三十"); 2030's 除夕 is 腊月三十 again;
# - 清明: the usual formula for the 21st century, day = int(Y × 0.2422 + 4.81) − int(Y / 4) with Y
#   the year's last two digits (2027 → 5, 2028 → 4, 2029 → 4, 2030 → 5).
EXPECTED = {
    2027: {"eve": D(2027, 2, 5), "qingming": D(2027, 4, 5), "dragon": D(2027, 6, 9), "moon": D(2027, 9, 15)},
    2028: {"eve": D(2028, 1, 25), "qingming": D(2028, 4, 4), "dragon": D(2028, 5, 28), "moon": D(2028, 10, 3)},
    2029: {"eve": D(2029, 2, 12), "qingming": D(2029, 4, 4), "dragon": D(2029, 6, 16), "moon": D(2029, 9, 22)},
    2030: {"eve": D(2030, 2, 2), "qingming": D(2030, 4, 5), "dragon": D(2030, 6, 5), "moon": D(2030, 9, 12)},
}


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_the_statutory_days_of_2027_to_2030(year):
    e = EXPECTED[year]
    spring = [e["eve"] + dt.timedelta(days=i) for i in range(4)]
    expected = {
        D(year, 1, 1): "元旦",
        **dict.fromkeys(spring, "春节"),
        e["qingming"]: "清明节",
        D(year, 5, 1): "劳动节",
        D(year, 5, 2): "劳动节",
        e["dragon"]: "端午节",
        D(year, 10, 1): "国庆节",
        D(year, 10, 2): "国庆节",
        D(year, 10, 3): "国庆节",
    }
    expected[e["moon"]] = f"{expected[e['moon']]}、中秋节" if e["moon"] in expected else "中秋节"
    assert dict(statutory.holidays(year)) == expected


def test_the_spring_festival_runs_from_new_years_eve_to_the_third_day():
    assert statutory.new_years_eve(2027) == D(2027, 2, 5)
    assert statutory.lunar_date(2027, 1, 1) == D(2027, 2, 6)
    assert statutory.lunar_date(2027, 1, 3) == D(2027, 2, 8)
    assert statutory.lunar_date(2028, 1, 1) == D(2028, 1, 26)
    assert statutory.lunar_date(2029, 1, 1) == D(2029, 2, 13)
    assert statutory.lunar_date(2030, 1, 1) == D(2030, 2, 3)


def test_mid_autumn_on_national_day_gives_twelve_days_and_one_day_two_names():
    days = statutory.holidays(2028)
    assert len(days) == 12
    assert days[D(2028, 10, 3)] == "国庆节、中秋节"


def test_each_year_is_computed_once():
    statutory.holidays.cache_clear()
    statutory.holidays(2031)
    statutory.holidays(2031)
    info = statutory.holidays.cache_info()
    assert (info.misses, info.hits) == (1, 1)
