"""Reading the working calendar: which days are working days, and working-time arithmetic.

Precedence for one date (see ``docs/calendar.md``):

1. a ``CalendarDay`` row (an administrator's override, or a date of a loaded official schedule);
2. for a year with a ``CalendarYear`` row: Monday–Friday are working days;
3. for a year the ``chinese-calendar`` package knows: the package's data;
4. otherwise the year is *provisional*: Monday–Friday minus the statutory holidays computed
   from the rules (:mod:`.statutory`), with no swapped working days until the notice is loaded.

Working-time arithmetic works on the working periods (office hours) of each working day, in
the project's time zone. Day tables are built once per year and kept in-process; services
clear them when they change calendar data, and other processes notice through a version
number in Django's cache (checked at most every ``VERSION_CHECK_SECONDS``).
"""

from __future__ import annotations

import datetime as dt
import time as _time
import uuid
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import chinese_calendar
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from . import statutory
from .models import CalendarDay, CalendarYear, DaySource, WorkingPeriod
from .units import TimeUnit

VERSION_CACHE_KEY = "workcalendar:version"
VERSION_CHECK_SECONDS = 2.0
# Forward searches (deadlines) give up after this many years without enough working days.
MAX_SEARCH_YEARS = 50
DEFAULT_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(8, 30), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)
# The package's short Chinese names, spelt as the State Council's notices spell them.
_PACKAGE_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}

SOURCE_OVERRIDE = "override"
SOURCE_OFFICIAL = "official"
SOURCE_PACKAGE = "package"
SOURCE_STATUTORY = "statutory"  # a provisional year: statutory holidays and weekends only

_US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60 * _US_PER_SECOND
_ONE_DAY = dt.timedelta(days=1)


class CalendarError(Exception):
    """A working-time computation cannot be answered (no working periods, no working days)."""


@dataclass(frozen=True, slots=True)
class DayInfo:
    date: dt.date
    is_workday: bool
    name: str
    source: str


class _YearTable:
    """Every day of one year: working day or not, name, source, and a running count of working days."""

    __slots__ = ("cum", "first", "names", "sources", "workday", "year")

    def __init__(self, year: int, workday: list[bool], names: list[str], sources: list[str]) -> None:
        self.year = year
        self.first = dt.date(year, 1, 1)
        self.workday = workday
        self.names = names
        self.sources = sources
        cum = [0]
        for flag in workday:
            cum.append(cum[-1] + flag)
        # cum[i]: working days among the first i days of the year.
        self.cum = cum

    def index(self, d: dt.date) -> int:
        return (d - self.first).days


class _State:
    def __init__(self) -> None:
        self.tables: dict[int, _YearTable] = {}
        self.loaded_years: frozenset[int] | None = None
        self.periods: tuple[tuple[int, int], ...] | None = None
        self.version: Any = None
        self.checked_at = float("-inf")
        # The atomic blocks around an uncommitted calendar write; when one of them ends
        # without the commit hook having run, its data may have been rolled back.
        self.pending_blocks: tuple[Any, ...] = ()

    def clear(self) -> None:
        self.tables = {}
        self.loaded_years = None
        self.periods = None


_state = _State()


# --- Cache management -------------------------------------------------------------------


def reset() -> None:
    """Forget everything cached in this process (tests, and after changes)."""
    _state.clear()
    _state.checked_at = float("-inf")
    _state.pending_blocks = ()


def mark_changed() -> None:
    """Called by the services inside their transaction after changing calendar data.

    The local tables are dropped at once (so the writing transaction reads its own changes)
    and again on commit, when the shared version is bumped for the other processes. If the
    write's atomic block ends without a commit (rollback to a savepoint or of the whole
    transaction), the next read drops the tables built from the uncommitted data.
    """
    _state.clear()
    if connection.in_atomic_block:
        _state.pending_blocks = tuple(connection.atomic_blocks)
    transaction.on_commit(_committed)


def _committed() -> None:
    _state.clear()
    _state.pending_blocks = ()
    version = uuid.uuid4().hex
    cache.set(VERSION_CACHE_KEY, version, None)
    _state.version = version
    _state.checked_at = _time.monotonic()


def _ensure_fresh() -> None:
    pending = _state.pending_blocks
    if pending:
        blocks = connection.atomic_blocks
        if len(blocks) < len(pending) or any(a is not b for a, b in zip(pending, blocks, strict=False)):
            # An atomic block around the write has ended (committed blocks clear this through
            # the commit hook): drop what may have been read from data now rolled back.
            _state.clear()
            keep = 0
            while keep < min(len(pending), len(blocks)) and pending[keep] is blocks[keep]:
                keep += 1
            _state.pending_blocks = pending[:keep]
    now = _time.monotonic()
    if now - _state.checked_at >= VERSION_CHECK_SECONDS:
        version = cache.get(VERSION_CACHE_KEY)
        if version != _state.version:
            _state.clear()
            _state.version = version
        _state.checked_at = now


# --- Day tables -------------------------------------------------------------------------


@lru_cache(maxsize=512)
def package_covers(year: int) -> bool:
    """Whether the installed ``chinese-calendar`` has data for ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _package_name(english: str | None) -> str:
    if not english:
        return ""
    try:
        chinese = chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english
    return _PACKAGE_NAMES.get(chinese, chinese)


def _loaded_years() -> frozenset[int]:
    years = _state.loaded_years
    if years is None:
        years = frozenset(CalendarYear.objects.values_list("year", flat=True))
        _state.loaded_years = years
    return years


def _build_year(year: int) -> _YearTable:
    first = dt.date(year, 1, 1)
    size = (dt.date(year + 1, 1, 1) - first).days
    loaded = year in _loaded_years()
    in_package = not loaded and package_covers(year)
    rule_days = statutory.holidays(year) if not (loaded or in_package) else {}
    workday: list[bool] = []
    names: list[str] = []
    sources: list[str] = []
    for i in range(size):
        d = first + dt.timedelta(days=i)
        weekday = d.weekday() < 5
        if loaded:
            workday.append(weekday)
            names.append("")
            sources.append(SOURCE_OFFICIAL)
        elif in_package:
            is_holiday, english = chinese_calendar.get_holiday_detail(d)
            workday.append(not is_holiday)
            names.append(_package_name(english))
            sources.append(SOURCE_PACKAGE)
        else:
            holiday = rule_days.get(d)
            workday.append(weekday and holiday is None)
            names.append(holiday or "")
            sources.append(SOURCE_STATUTORY)
    rows = CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday", "name", "source")
    for d, is_workday, name, source in rows:
        i = (d - first).days
        workday[i] = is_workday
        names[i] = name
        sources[i] = SOURCE_OFFICIAL if source == DaySource.OFFICIAL else SOURCE_OVERRIDE
    return _YearTable(year, workday, names, sources)


def _table(year: int) -> _YearTable:
    table = _state.tables.get(year)
    if table is None:
        if not 1 <= year <= 9998:
            raise CalendarError(f"year {year} is outside the supported range")
        table = _build_year(year)
        _state.tables[year] = table
    return table


# --- Days ---------------------------------------------------------------------------------


def day_info(d: dt.date) -> DayInfo:
    """Whether ``d`` is a working day, its holiday name (if any) and where that came from."""
    _ensure_fresh()
    table = _table(d.year)
    i = table.index(d)
    return DayInfo(date=d, is_workday=table.workday[i], name=table.names[i], source=table.sources[i])


def is_workday(d: dt.date) -> bool:
    _ensure_fresh()
    table = _table(d.year)
    return table.workday[table.index(d)]


def year_days(year: int) -> list[DayInfo]:
    """Every day of ``year`` (for the calendar view)."""
    _ensure_fresh()
    table = _table(year)
    return [
        DayInfo(date=table.first + dt.timedelta(days=i), is_workday=w, name=n, source=s)
        for i, (w, n, s) in enumerate(zip(table.workday, table.names, table.sources, strict=True))
    ]


def year_known(year: int) -> bool:
    """Whether the official schedule of ``year`` is known (package data or a loaded year)."""
    _ensure_fresh()
    return year in _loaded_years() or package_covers(year)


def _year_of(value: int | dt.date | dt.datetime) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            raise ValueError("a provisional check needs an aware datetime")
        return timezone.localtime(value, timezone.get_default_timezone()).year
    return value.year


def is_provisional(value: int | dt.date | dt.datetime) -> bool:
    """Whether the year of ``value`` (a year, a date, or an aware datetime taken in the
    project's time zone) is provisional: neither the package nor a loaded notice knows it,
    so its days follow the statutory holidays and the weekends only (no swaps yet)."""
    return not year_known(_year_of(value))


def deadline_is_provisional(moment: dt.datetime | dt.date | None) -> bool:
    """Whether a deadline falls in a provisional year (``False`` for no deadline): it was
    computed without the year's swapped working days and is recomputed when they are loaded."""
    if moment is None:
        return False
    return is_provisional(moment)


def next_year_missing(today: dt.date | None = None) -> int | None:
    """The year whose official schedule is missing and needed soon, else ``None``.

    That is next year if it is not known (deadlines set in December already reach into it),
    or the current year itself if even that is unknown. Administrators are told all year.
    """
    today = today or timezone.localdate()
    for year in (today.year, today.year + 1):
        if not year_known(year):
            return year
    return None


# From this day of the year on, everybody who follows deadlines is told about a provisional next year.
PROVISIONAL_NOTICE_FROM: tuple[int, int] = (11, 1)


def provisional_year_ahead(today: dt.date | None = None) -> int | None:
    """The provisional year the people who follow deadlines should be told about, else ``None``:
    the current year if it is provisional, or from 1 November next year if it is (the State
    Council publishes the notice in the autumn; deadlines set in November reach into January).
    """
    today = today or timezone.localdate()
    if is_provisional(today.year):
        return today.year
    month, day = PROVISIONAL_NOTICE_FROM
    if today >= dt.date(today.year, month, day) and is_provisional(today.year + 1):
        return today.year + 1
    return None


def _workdays_between(first: dt.date, stop: dt.date) -> int:
    """Working days in ``[first, stop)``."""
    count = 0
    d = first
    while d < stop:
        table = _table(d.year)
        year_end = dt.date(d.year + 1, 1, 1) if d.year < 9999 else stop
        end = min(stop, year_end)
        count += table.cum[table.index(end - _ONE_DAY) + 1] - table.cum[table.index(d)]
        d = end
    return count


def _nth_workday_after(d: dt.date, n: int) -> dt.date:
    """The ``n``-th working day strictly after ``d`` (``n`` ≥ 1)."""
    table = _table(d.year)
    after = table.index(d) + 1  # days of this year before the search starts
    for _ in range(MAX_SEARCH_YEARS + 1):
        available = table.cum[-1] - table.cum[after]
        if n <= available:
            target = table.cum[after] + n
            return table.first + dt.timedelta(days=bisect_left(table.cum, target) - 1)
        n -= available
        table = _table(table.year + 1)
        after = 0
    raise CalendarError(f"no working day found within {MAX_SEARCH_YEARS} years after {d}")


def next_workday(d: dt.date) -> dt.date:
    """The first working day on or after ``d``."""
    _ensure_fresh()
    return _nth_workday_after(d - _ONE_DAY, 1)


def workday_after(d: dt.date, n: int) -> dt.date:
    """The ``n``-th working day strictly after ``d`` (``d`` itself for ``n`` ≤ 0): a
    default answer date "within N working days" of today."""
    if n <= 0:
        return d
    _ensure_fresh()
    return _nth_workday_after(d, n)


# --- Working periods ----------------------------------------------------------------------


def _us(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US_PER_SECOND + t.microsecond


def _periods() -> tuple[tuple[int, int], ...]:
    periods = _state.periods
    if periods is None:
        rows = list(WorkingPeriod.objects.order_by("start").values_list("start", "end"))
        periods = tuple((_us(s), _us(e)) for s, e in (rows or DEFAULT_PERIODS))
        _state.periods = periods
    return periods


def working_periods() -> list[tuple[dt.time, dt.time]]:
    """The office hours of every working day, in order (the defaults if none are configured)."""
    _ensure_fresh()
    return [(_time_of(s), _time_of(e)) for s, e in _periods()]


def _time_of(us: int) -> dt.time:
    seconds, micro = divmod(us, _US_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return dt.time(hour, minute, second, micro)


def _daily(periods: tuple[tuple[int, int], ...]) -> int:
    total = sum(e - s for s, e in periods)
    if total <= 0:
        raise CalendarError("no working periods are configured")
    return total


def working_minutes_per_day() -> int:
    _ensure_fresh()
    return _daily(_periods()) // _US_PER_MINUTE


def _worked_before(periods: tuple[tuple[int, int], ...], us: int) -> int:
    """Working time of one working day before the clock position ``us``."""
    total = 0
    for s, e in periods:
        if us <= s:
            break
        total += min(us, e) - s
    return total


def _clock_at(periods: tuple[tuple[int, int], ...], position: int) -> int:
    """The clock position where ``position`` (0 < position ≤ daily) of working time is used up.

    A position that ends exactly at the end of a period gives that end (12:00, not 13:30).
    """
    for s, e in periods:
        length = e - s
        if position <= length:
            return s + position
        position -= length
    return periods[-1][1]


def _local(value: dt.datetime) -> tuple[dt.date, int]:
    if timezone.is_naive(value):
        raise ValueError("working-time arithmetic needs an aware datetime")
    local = timezone.localtime(value, timezone.get_default_timezone())
    return local.date(), _us(local.time())


def _at(d: dt.date, us: int) -> dt.datetime:
    naive = dt.datetime.combine(d, _time_of(us))
    return timezone.make_aware(naive, timezone.get_default_timezone())


# --- Working-time arithmetic --------------------------------------------------------------


def _add_working_us(start: dt.datetime, amount: int) -> dt.datetime:
    if amount < 0:
        raise ValueError("the amount of working time must not be negative")
    _ensure_fresh()
    d, us = _local(start)
    if amount == 0:
        return _at(d, us)
    periods = _periods()
    daily = _daily(periods)
    if is_workday(d):
        used = _worked_before(periods, us)
        left = daily - used
        if amount <= left:
            return _at(d, _clock_at(periods, used + amount))
        amount -= left
    full_days = (amount - 1) // daily
    target = _nth_workday_after(d, full_days + 1)
    return _at(target, _clock_at(periods, amount - full_days * daily))


def add_working_minutes(start: dt.datetime, minutes: int | float) -> dt.datetime:
    """The instant at which ``minutes`` of working time after ``start`` are used up.

    Only time inside the working periods of working days counts. When the amount ends
    exactly at the end of a period the result is that end (e.g. 12:00, not 13:30).
    """
    return _add_working_us(start, round(minutes * _US_PER_MINUTE))


def _effective_start(d: dt.date, us: int) -> tuple[dt.date, int]:
    """``(d, us)`` if it lies inside a working period of a working day, else the next period start."""
    periods = _periods()
    if is_workday(d):
        for s, e in periods:
            if us < e:
                return d, max(us, s)
    return _nth_workday_after(d, 1), periods[0][0]


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same clock time ``days`` working days later.

    A start outside working hours (evening, lunch break, a non-working day) first moves to the
    next working period start. So Friday 16:00 + 1 working day is the next working day at
    16:00, and Friday 18:00 + 1 working day is the second working day after it at 08:30. The
    working time in between is always ``days`` full working days.
    """
    if days < 0:
        raise ValueError("the number of working days must not be negative")
    _ensure_fresh()
    d, us = _local(start)
    if days == 0:
        return _at(d, us)
    _daily(_periods())
    d, us = _effective_start(d, us)
    return _at(_nth_workday_after(d, days), us)


def _working_us_between(start: dt.datetime, end: dt.datetime) -> int:
    if end < start:
        return -_working_us_between(end, start)
    _ensure_fresh()
    periods = _periods()
    d0, us0 = _local(start)
    d1, us1 = _local(end)
    if d0 == d1:
        if not is_workday(d0):
            return 0
        return _worked_before(periods, us1) - _worked_before(periods, us0)
    daily = _daily(periods)
    total = 0
    if is_workday(d0):
        total += daily - _worked_before(periods, us0)
    if is_workday(d1):
        total += _worked_before(periods, us1)
    total += _workdays_between(d0 + _ONE_DAY, d1) * daily
    return total


def working_minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole minutes of working time from ``start`` to ``end`` (negative if ``end`` is earlier)."""
    value = _working_us_between(start, end)
    minutes = abs(value) // _US_PER_MINUTE
    return minutes if value >= 0 else -minutes


def deadline(start: dt.datetime, amount: int, unit: TimeUnit | str) -> dt.datetime:
    """``start`` plus ``amount`` in ``unit`` (any ``TimeUnit``); calendar units are plain durations."""
    unit = TimeUnit(unit)
    if unit == TimeUnit.WORKING_MINUTES:
        return add_working_minutes(start, amount)
    if unit == TimeUnit.WORKING_HOURS:
        return add_working_minutes(start, amount * 60)
    if unit == TimeUnit.WORKING_DAYS:
        return add_working_days(start, amount)
    if unit == TimeUnit.CALENDAR_MINUTES:
        return start + dt.timedelta(minutes=amount)
    if unit == TimeUnit.CALENDAR_HOURS:
        return start + dt.timedelta(hours=amount)
    return start + dt.timedelta(days=amount)


def elapsed(start: dt.datetime, end: dt.datetime, unit: TimeUnit | str) -> float:
    """Time from ``start`` to ``end`` expressed in ``unit`` (a working day is one day's working periods)."""
    unit = TimeUnit(unit)
    if unit == TimeUnit.CALENDAR_MINUTES:
        return (end - start) / dt.timedelta(minutes=1)
    if unit == TimeUnit.CALENDAR_HOURS:
        return (end - start) / dt.timedelta(hours=1)
    if unit == TimeUnit.CALENDAR_DAYS:
        return (end - start) / dt.timedelta(days=1)
    value = _working_us_between(start, end)
    if unit == TimeUnit.WORKING_MINUTES:
        return value / _US_PER_MINUTE
    if unit == TimeUnit.WORKING_HOURS:
        return value / (60 * _US_PER_MINUTE)
    return value / _daily(_periods())
