"""The evaluation indices of the case loop (GB/T 30428.4 terms), each defined once.

Every index is an :class:`Index` of :data:`INDICES`: its code, its label and its definition in
the reader's language (numerator, denominator, which date decides the period), and a filter on
:class:`~gridgov.cases.models.Case` for its numerator (and denominator, for a rate). The
statistics page, the cockpit, the workbench list behind every figure
(``?index=<code>&part=num|den``), ``docs/stats.md`` and the monthly bulletin all read them from
here, so that a figure and the list that makes it up are the same cases.

**Frozen.** The filters only read the case's frozen milestones (``registered_at``,
``due_at``, ``handled_on_time`` …, see :mod:`gridgov.cases.services.milestones`) and compare them
with the period's end, never with "now": a past period recomputed later gives the same digits
(a reopening is the one thing that can take a case back out of "closed").

**Dimensions** (:class:`Dimensions`): an area (town, village or grid: everything under it), the
lead department, the category (a minor class, or a major class for all its minors), the source,
the reporter and the verifying grid worker. The caller passes the cases the viewer may see.

Use :func:`figures` for one set of figures, :func:`grouped` for a table by department, village,
grid, category or source, :func:`trend` for a series by day, week or month, :func:`cases_for`
for the cases behind a figure. A bulletin for a town or a village and a month is
``figures(cases, Period.month(2026, 3), Dimensions(area=code))``.
"""

from __future__ import annotations

import bisect
import calendar as month_calendar
import datetime as dt
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache, reduce
from typing import Any, Final

from django.db import connection
from django.db.models import Case as Choice
from django.db.models import CharField, Count, F, Q, QuerySet, Sum, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import AreaLevel
from gridgov.areas.selectors import codes_by_id, latest_by_code
from gridgov.categories.selectors import category_by_code, category_ids
from gridgov.core import pathfield
from gridgov.core.schemas import FIRST_DATE, LAST_DATE
from gridgov.people.selectors import department_id

from . import rollups
from .models import ROLLUP_MEASURES, Case, CaseRollup, CaseRollupCoarse, Satisfaction

__all__ = [
    "INDICES",
    "Dimensions",
    "Figure",
    "Figures",
    "Index",
    "Period",
    "cases_for",
    "figures",
    "figures_by_path",
    "grouped",
    "trend",
]

COUNT: Final = "count"
RATE: Final = "rate"
HOURS: Final = "hours"
NUM: Final = "num"
DEN: Final = "den"
PARTS: Final = (NUM, DEN)


# --- periods ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole local days, ``start`` to ``end`` inclusive."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends after it starts")
        if self.start < FIRST_DATE or self.end > LAST_DATE:
            # The days around it (the previous period, the day after its end) must exist: a
            # link's 0001-01-01 or 9999-12-31 was a 500 on the lists and exports.
            raise ValueError("a period outside the dates the pages compute with")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(dt.date(year, month, 1), dt.date(year, month, month_calendar.monthrange(year, month)[1]))

    @classmethod
    def of_month(cls, day: dt.date) -> Period:
        return cls.month(day.year, day.month)

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, timezone.get_current_timezone())

    @property
    def end_at(self) -> dt.datetime:
        """The first moment after the period."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, timezone.get_current_timezone())

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> int:
        """How many whole calendar months the period is (0 when it is not whole months)."""
        if self.start.day != 1 or self.end != Period.of_month(self.end).end:
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> Period:
        """The period before: as many whole months before for whole months (a month, a
        quarter, a year), else as many days before."""
        if months := self.months:
            serial = self.start.year * 12 + self.start.month - 1 - months
            first = dt.date(serial // 12, serial % 12 + 1, 1)
            return Period(first, self.start - dt.timedelta(days=1))
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    @property
    def due_by(self) -> dt.datetime:
        """Deadlines before this moment have come: the period's end, or now while it runs."""
        return min(self.end_at, timezone.now())

    def deadline_within(self) -> Q:
        """The overall deadline fell in the period (and has come, while the period runs)."""
        return Q(due_at__gte=self.start_at, due_at__lt=self.due_by)

    def within(self, column: str) -> Q:
        return Q(**{f"{column}__gte": self.start_at, f"{column}__lt": self.end_at})

    def before_end(self, column: str) -> Q:
        return Q(**{f"{column}__lt": self.end_at})

    def query(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


# --- dimensions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimensions:
    """What the figures are narrowed to (empty: no narrowing)."""

    area: str = ""  # an area code: a town, a village or a grid, with everything under it
    department: str = ""  # the lead department's code
    category: str = ""  # a minor class code, or a major class code for all its minors
    source: str = ""
    reporter: int | None = None
    verifier: int | None = None

    def q(self) -> Q:
        condition = Q()
        if self.area:
            area = latest_by_code(self.area)
            condition &= Q(area_path__startswith=area.path) if area else Q(pk__in=[])
        if self.department and connection.vendor == "postgresql":
            # By the department's id, not a join on its code: PostgreSQL then knows how many
            # rows the department has (a small department's map read a whole year of the
            # district's cases backwards for a few thousand, 230 ms at one million cases).
            found = department_id(self.department)
            condition &= Q(lead_department_id=found) if found is not None else Q(pk__in=[])
        elif self.department:
            # SQLite, without statistics, takes an id as no better a start than the level's
            # months and reads all of them (a department's trend 3 -> 49 ms at one million
            # cases); joined on the code, it starts from the department.
            condition &= Q(lead_department__code=self.department)
        if self.category:
            condition &= Q(category_id__in=category_ids(self.category))
        if self.source:
            condition &= Q(source=self.source)
        if self.reporter is not None:
            condition &= Q(reporter_id=self.reporter)
        if self.verifier is not None:
            condition &= Q(verified_by_id=self.verifier)
        return condition

    def query(self) -> dict[str, str]:
        """As query parameters of the workbench list (see :func:`parse`)."""
        values = {
            "grid": self.area,
            "lead": self.department,
            "category": self.category,
            "source": self.source,
            "reporter": "" if self.reporter is None else str(self.reporter),
            "verifier": "" if self.verifier is None else str(self.verifier),
        }
        return {key: value for key, value in values.items() if value}


# --- the indices --------------------------------------------------------------------------

Condition = Callable[[Period], Q]
LOOP: Final = Q(self_handled=False)


def _reported(p: Period) -> Q:
    return LOOP & p.within("reported_at")


def _due(p: Period) -> Q:
    """Due to close: the overall deadline falls in the period, or the case closed in the
    period before its deadline came (or without one)."""
    early = p.within("closed_at") & (Q(due_at__isnull=True) | Q(due_at__gte=p.due_by))
    return LOOP & (p.deadline_within() | early)


def _closed(p: Period) -> Q:
    return _due(p) & Q(closed_at__isnull=False) & p.before_end("closed_at")


def _closed_on_time(p: Period) -> Q:
    return _closed(p) & Q(closed_on_time=True)


def _to_handle(p: Period) -> Q:
    """Due for handling: the overall deadline falls in the period, or the case was first
    handled in the period before its deadline came (or without one)."""
    early = p.within("handled_at") & (Q(due_at__isnull=True) | Q(due_at__gte=p.due_by))
    return LOOP & (p.deadline_within() | early)


def _handled(p: Period) -> Q:
    return _to_handle(p) & Q(handled_at__isnull=False) & p.before_end("handled_at")


def _handled_on_time(p: Period) -> Q:
    return _handled(p) & Q(handled_on_time=True)


def _first_handled(p: Period) -> Q:
    return LOOP & p.within("handled_at")


def _reworked(p: Period) -> Q:
    return _first_handled(p) & Q(reworked_at__isnull=False) & p.before_end("reworked_at")


def _dispatched(p: Period) -> Q:
    return LOOP & p.within("dispatched_at")


def _dispatched_accurately(p: Period) -> Q:
    returned = Q(redispatched_at__isnull=False) & p.before_end("redispatched_at")
    reworked = Q(reworked_at__isnull=False) & p.before_end("reworked_at")
    return _dispatched(p) & ~returned & ~reworked


def _valid_reports(p: Period) -> Q:
    registered = Q(registered_at__isnull=False) & p.before_end("registered_at")
    duplicate = Q(voided_at__isnull=False, merged_into__isnull=False) & p.before_end("voided_at")
    return _reported(p) & (registered | duplicate)


def _not_closed_on_time(p: Period) -> Q:
    """Due to close in the period and not closed on time by its end: closed late, or still
    open (the complement of :func:`_closed_on_time` within :func:`_due`)."""
    return _due(p) & ~(Q(closed_at__isnull=False) & p.before_end("closed_at") & Q(closed_on_time=True))


def _verified(p: Period) -> Q:
    return LOOP & p.within("verified_at")


def _verified_on_time(p: Period) -> Q:
    return _verified(p) & Q(verified_on_time=True)


SATISFIED: Final = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)


def _called_back(p: Period) -> Q:
    return LOOP & p.within("callback_at") & ~Q(satisfaction="")


def _satisfied(p: Period) -> Q:
    return _called_back(p) & Q(satisfaction__in=SATISFIED)


@dataclass(frozen=True)
class Index:
    """One index: a count (``num`` only), a rate (``num`` over ``den``, ``num`` a part of
    ``den``) or an average of working hours over the cases of ``den``."""

    code: str
    label: Promise
    definition: Promise
    month_by: Promise  # which date puts a case in the period
    num: Condition
    den: Condition | None = None
    kind: str = COUNT
    # The dimension it is typically read per (shown in the definitions).
    per: Promise | None = None

    def condition(self, part: str, period: Period) -> Q:
        if part == DEN:
            if self.den is None:
                raise ValueError(f"{self.code} has no denominator")
            return self.den(period)
        return self.num(period)

    @property
    def parts(self) -> tuple[str, ...]:
        return (NUM,) if self.den is None else PARTS


INDICES: Final[dict[str, Index]] = {
    index.code: index
    for index in [
        Index(
            "reported",
            _("Reported"),
            _("Cases reported from every source, self-handled cases apart."),
            _("the report date"),
            _reported,
        ),
        Index(
            "self_handled",
            _("Self-handled"),
            _("Problems the grid worker solved on the spot and recorded as self-handled; counted apart from the loop."),
            _("the report date"),
            lambda p: Q(self_handled=True) & p.within("reported_at"),
        ),
        Index(
            "registered",
            _("Registered"),
            _("Cases registered by the center, or accepted by the village for its own handling."),
            _("the first registration date"),
            lambda p: LOOP & p.within("registered_at"),
        ),
        Index(
            "voided",
            _("Voided"),
            _("Reports voided by the center, merged duplicates included."),
            _("the voiding date"),
            lambda p: LOOP & p.within("voided_at"),
        ),
        Index(
            "closed_in",
            _("Closed in the period"),
            _("Cases closed in the period, whatever their deadline."),
            _("the closing date"),
            lambda p: LOOP & p.within("closed_at"),
        ),
        Index(
            "due",
            _("Due to close"),
            _(
                "Cases whose overall deadline (the deadline of the first handling stage, with extensions and "
                "parking) falls in the period, and cases closed in the period before their deadline came "
                "or that have none. While the period runs, only deadlines already passed count."
            ),
            _("the overall deadline, or the closing date when closed earlier"),
            _due,
        ),
        Index(
            "closed",
            _("Closed"),
            _("Cases due to close in the period that were closed by the end of the period."),
            _("as due to close"),
            _closed,
        ),
        Index(
            "closed_on_time",
            _("Closed on time"),
            _("Closed cases none of whose handling or verification stages ended after its deadline."),
            _("as due to close"),
            _closed_on_time,
        ),
        Index(
            "not_closed_on_time",
            _("Not closed on time"),
            _(
                "Cases due to close in the period that were not closed on time by the end of the period: "
                "closed after a stage deadline, or still open. Due to close minus closed on time."
            ),
            _("as due to close"),
            _not_closed_on_time,
        ),
        Index(
            "closure_rate",
            _("Closure rate"),
            _("Closed ÷ due to close."),
            _("as due to close"),
            _closed,
            _due,
            RATE,
        ),
        Index(
            "on_time_closure_rate",
            _("On-time closure rate"),
            _("Closed on time ÷ due to close."),
            _("as due to close"),
            _closed_on_time,
            _due,
            RATE,
        ),
        Index(
            "handling_rate",
            _("Handling rate"),
            _(
                "Cases handled (first report back) by the end of the period ÷ cases due for handling: whose "
                "overall deadline falls in the period, or first handled in the period before it."
            ),
            _("the overall deadline, or the first report back when earlier"),
            _handled,
            _to_handle,
            RATE,
            _("per lead department"),
        ),
        Index(
            "on_time_handling_rate",
            _("On-time handling rate"),
            _("Cases handled within the time limit of their first handling stage ÷ cases due for handling."),
            _("the overall deadline, or the first report back when earlier"),
            _handled_on_time,
            _to_handle,
            RATE,
            _("per lead department"),
        ),
        Index(
            "rework_rate",
            _("Rework rate"),
            _(
                "Cases first handled in the period whose verification failed (rework) by the end of the period "
                "÷ cases first handled in the period."
            ),
            _("the first report back"),
            _reworked,
            _first_handled,
            RATE,
            _("per lead department"),
        ),
        Index(
            "accurate_dispatch_rate",
            _("Accurate dispatch rate"),
            _(
                "Cases first dispatched in the period that were neither returned for another dispatch nor "
                "reworked by the end of the period ÷ cases first dispatched in the period."
            ),
            _("the first dispatch"),
            _dispatched_accurately,
            _dispatched,
            RATE,
        ),
        Index(
            "valid_report_rate",
            _("Valid report rate"),
            _(
                "Reports registered (or merged as a duplicate of a case) by the end of the period ÷ cases "
                "reported in the period."
            ),
            _("the report date"),
            _valid_reports,
            _reported,
            RATE,
            _("per reporter"),
        ),
        Index(
            "on_time_verification_rate",
            _("On-time verification rate"),
            _("First verifications on site within the verification time limit ÷ first verifications on site."),
            _("the first verification"),
            _verified_on_time,
            _verified,
            RATE,
            _("per grid worker"),
        ),
        Index(
            "satisfaction_rate",
            _("Satisfaction rate"),
            _(
                "Cases whose party answered the call-back satisfied or basically satisfied ÷ cases called back, "
                "by the last call-back (a dissatisfied answer reopens the case; its next call-back replaces it)."
            ),
            _("the last call-back"),
            _satisfied,
            _called_back,
            RATE,
        ),
        Index(
            "handling_hours",
            _("Average handling time"),
            _(
                "Working hours (on the working calendar) from the first dispatch, or the village's acceptance, "
                "to the first report back, averaged over the cases first handled in the period."
            ),
            _("the first report back"),
            _first_handled,
            _first_handled,
            HOURS,
        ),
    ]
}


def index(code: str) -> Index:
    try:
        return INDICES[code]
    except KeyError:
        raise ValueError(f"unknown index {code!r}") from None


# --- figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    code: str
    num: int
    den: int | None = None
    value: float | None = None  # a rate in percent (one decimal) or hours; None when den is 0

    @property
    def display(self) -> str:
        kind = INDICES[self.code].kind
        if kind == COUNT:
            return str(self.num)
        if self.value is None:
            return "—"
        return f"{self.value:.1f}%" if kind == RATE else f"{self.value:.1f}"


@dataclass
class Figures:
    by_code: dict[str, Figure] = field(default_factory=dict)

    def __getitem__(self, code: str) -> Figure:
        return self.by_code[code]

    def get(self, code: str) -> Figure | None:
        return self.by_code.get(code)


# Narrow each aggregate query to the cases one of whose deciding dates falls in the period
# before counting: every condition of an index puts a case in a period by one of these dates
# (``WINDOWS``; ``test_indices_narrowing`` checks it), so the date indexes pick a period's
# cases instead of the whole table being read, and the counts stay the same (each ``Count``
# keeps its own exact filter). ``bench/stats.py --bare`` switches it off to compare.
NARROW: bool = True
DUE_DATES: Final = ("due_at", "closed_at")
WINDOWS: Final[dict[str, tuple[str, ...]]] = {
    "reported": ("reported_at",),
    "self_handled": ("reported_at",),
    "registered": ("registered_at",),
    "voided": ("voided_at",),
    "closed_in": ("closed_at",),
    "due": DUE_DATES,
    "closed": DUE_DATES,
    "closed_on_time": DUE_DATES,
    "not_closed_on_time": DUE_DATES,
    "closure_rate": DUE_DATES,
    "on_time_closure_rate": DUE_DATES,
    "handling_rate": ("due_at", "handled_at"),
    "on_time_handling_rate": ("due_at", "handled_at"),
    "rework_rate": ("handled_at",),
    "accurate_dispatch_rate": ("dispatched_at",),
    "valid_report_rate": ("reported_at",),
    "on_time_verification_rate": ("verified_at",),
    "satisfaction_rate": ("callback_at",),
    "handling_hours": ("handled_at",),
}


def _candidates(periods: Iterable[Period], codes: Iterable[str]) -> Q:
    """The cases one of whose deciding dates for ``codes`` falls within ``periods`` (a superset
    of the cases that count in any of their parts)."""
    spans = list(periods)
    span = Period(min(p.start for p in spans), max(p.end for p in spans))
    columns = sorted({column for code in codes for column in WINDOWS[code]})
    return reduce(operator.or_, [span.within(column) for column in columns], Q(pk__in=[]))


def _narrowed(query: QuerySet[Case], periods: Iterable[Period], codes: Iterable[str]) -> QuerySet[Case]:
    wanted = list(codes)
    return query.filter(_candidates(periods, wanted)) if NARROW and wanted else query


def _aggregates(period: Period, codes: Iterable[str]) -> dict[str, Count]:
    result: dict[str, Count] = {}
    for code in codes:
        item = INDICES[code]
        for part in item.parts:
            result[f"{code}__{part}"] = Count("pk", filter=item.condition(part, period))
    return result


def _figures_from(row: Mapping[str, Any], codes: Iterable[str], hours: Mapping[str, float | None]) -> Figures:
    result = Figures()
    for code in codes:
        item = INDICES[code]
        num = int(row.get(f"{code}__num") or 0)
        if item.den is None:
            result.by_code[code] = Figure(code, num)
            continue
        den = int(row.get(f"{code}__den") or 0)
        value = hours.get(code) if item.kind == HOURS else _percent(num, den)
        result.by_code[code] = Figure(code, num, den, value)
    return result


def _percent(num: int, den: int) -> float | None:
    return round(num * 100 / den, 1) if den else None


def _scoped(cases: QuerySet[Case], dimensions: Dimensions | None) -> QuerySet[Case]:
    return cases.filter(dimensions.q()) if dimensions else cases


def handling_minutes(cases: QuerySet[Case], period: Period, key: str | None = None) -> dict[Any, tuple[int, int]]:
    """The stored handling minutes (``Case.handling_minutes``) of the cases first handled in
    the period: their sum and how many there are, by ``key`` (a column) or all under None."""
    handled = cases.filter(_first_handled(period), handling_minutes__isnull=False)
    if key is None:
        row = handled.aggregate(total=Sum("handling_minutes"), n=Count("pk"))
        return {None: (int(row["total"] or 0), int(row["n"] or 0))}
    rows = handled.values(key).annotate(total=Sum("handling_minutes"), n=Count("pk")).order_by()
    return {row[key]: (int(row["total"] or 0), int(row["n"] or 0)) for row in rows}


def _average_hours(minutes: tuple[int, int] | None) -> float | None:
    """Average working hours from (sum of minutes, cases)."""
    return round(minutes[0] / minutes[1] / 60, 1) if minutes and minutes[1] else None


def figures(
    cases: QuerySet[Case],
    period: Period,
    dimensions: Dimensions | None = None,
    codes: Iterable[str] | None = None,
    *,
    scope: Q | None = None,
) -> Figures:
    """Every index (or ``codes``) over ``cases`` (already scoped to the viewer) for the period.
    ``scope`` is the same viewer's scope as a filter on ``area_path`` alone (see
    :func:`gridgov.cases.access.rollup_scope`): with it, the figures of a period of whole months
    that has ended come from the rollups."""
    wanted = list(codes or INDICES)
    if on_rollups(scope, period, dimensions):
        # While the period runs, the deadlines to come are read first (see _deadlines_to_come).
        to_come: Mapping[str, Any] = {}
        if running(period) and not _due_free(wanted):
            to_come = _deadlines_to_come(cases, period, dimensions).aggregate(**_due_counts(period))
        sums = _less(_rollup_rows(scope, period, dimensions)[0].aggregate(**_rollup_sums(wanted)), to_come)
        counts, averages = rollup_figures(sums, wanted)
        return _figures_from(counts, wanted, averages)
    query = _scoped(cases, dimensions)
    row = _narrowed(query, [period], wanted).aggregate(**_aggregates(period, wanted))
    hours: dict[str, float | None] = {}
    if "handling_hours" in wanted:
        hours["handling_hours"] = _average_hours(handling_minutes(query, period).get(None))
    return _figures_from(row, wanted, hours)


def figures_by_path(period: Period, paths: Iterable[str], codes: Iterable[str]) -> dict[str, Figures]:
    """The figures of ``codes`` for each of the leaf areas (grids) at ``paths``, counted live on
    their cases with one aggregate query: for a grid, what :func:`figures` gives with the grid as
    the area filter (its cases are those whose ``area_path`` is the grid's: a grid has no areas
    under it). Every path is in the result, one without a case with the figures of none.
    Average hours are not among the codes it takes."""
    wanted = list(codes)
    if any(INDICES[code].kind == HOURS for code in wanted):
        raise ValueError("figures_by_path does not average hours")
    chosen = sorted(set(paths))
    query = _narrowed(Case.objects.filter(area_path__in=chosen), [period], wanted)
    rows = {
        row["area_path"]: row for row in query.values("area_path").annotate(**_aggregates(period, wanted)).order_by()
    }
    return {path: _figures_from(rows.get(path, {}), wanted, {}) for path in chosen}


# The tables by a dimension: the column grouped on, and what the dimension filter is then.
GROUPS: Final[dict[str, str]] = {
    "department": "lead_department__code",
    "village": "grid__parent__code",
    "grid": "grid__code",
    "category": "category__code",
    "major": "category__parent__code",
    "source": "source",
    "reporter": "reporter_id",
    "verifier": "verified_by_id",
}
GROUP_DIMENSION: Final[dict[str, str]] = {
    "department": "department",
    "village": "area",
    "grid": "area",
    "category": "category",
    "major": "category",
    "source": "source",
    "reporter": "reporter",
    "verifier": "verifier",
}


@dataclass(frozen=True)
class Row:
    key: Any  # the group's value (a code, a source, a user id); None: not set
    dimensions: Dimensions  # the dimensions that select the row's cases
    figures: Figures


class Rows(list[Row]):
    """The rows of a table, and how many there are in all (``total``: more than the rows when
    they were cut to the busiest)."""

    total: int = 0


def grouped(
    cases: QuerySet[Case],
    period: Period,
    by: str,
    dimensions: Dimensions | None = None,
    codes: Iterable[str] | None = None,
    *,
    scope: Q | None = None,
    limit: int | None = None,
) -> Rows:
    """The figures per department, village, grid, category, major class, source, reporter or
    verifier (one aggregate query; rows with nothing in any figure are left out). With
    ``scope`` (see :func:`figures`), from the rollups when they can answer. With ``limit``,
    only the busiest rows (by the first code's denominator, else its numerator; ties in the
    order of the rows), whose figures alone are built (a district's thousands of grids); the
    result's ``total`` says how many rows there are in all."""
    wanted = list(codes or INDICES)
    base = dimensions or Dimensions()
    found: list[tuple[Any, Mapping[str, Any], Mapping[str, float | None]]]
    if by in ROLLUP_GROUPS and on_rollups(scope, period, dimensions, by):
        found = _grouped_rollups(cases, period, by, dimensions, wanted, scope)
    elif (reports := _reports_by_months_and_days(cases, period, by, dimensions, wanted, scope)) is not None:
        found = reports
    else:
        found = _grouped_live(cases, period, by, dimensions, wanted)
    parts = [f"{code}__{part}" for code in wanted for part in INDICES[code].parts]
    # No department / no village or grid: not a row of the table (still in the totals).
    found = [item for item in found if item[0] is not None and any(item[1].get(part) for part in parts)]
    total = len(found)
    if limit is not None and total > limit:
        first = wanted[0]
        found = sorted(
            found, key=lambda item: -(int(item[1].get(f"{first}__den") or 0) or int(item[1].get(f"{first}__num") or 0))
        )[:limit]
    result = Rows()
    result.total = total
    keep = _filter_is_narrower(base, by)
    for key, row, hours in found:
        value = key if by not in ("reporter", "verifier") else int(key)
        changes: dict[str, Any] = {GROUP_DIMENSION[by]: value}
        chosen = base if keep else replace(base, **changes)
        result.append(Row(key, chosen, _figures_from(row, wanted, hours)))
    return result


def _grouped_live(
    cases: QuerySet[Case], period: Period, by: str, dimensions: Dimensions | None, wanted: list[str]
) -> list[tuple[Any, Mapping[str, Any], Mapping[str, float | None]]]:
    """The rows of :func:`grouped` counted on the cases."""
    query, column = _grouping(_scoped(cases, dimensions), by, GROUPS[by])
    rows = _narrowed(query, [period], wanted).values(column).annotate(**_aggregates(period, wanted))
    counted = _keyed(rows.order_by(column), column, by)
    minutes = handling_minutes(query, period, column) if "handling_hours" in wanted else {}
    if by == "village":  # a village's cases without a grid too
        summed = _by_village((key, {"total": total, "n": n}) for key, (total, n) in minutes.items())
        minutes = {key: (row["total"], row["n"]) for key, row in summed.items()}
    return [(key, row, {"handling_hours": _average_hours(minutes.get(key))}) for key, row in counted.items()]


def _grouped_rollups(
    cases: QuerySet[Case], period: Period, by: str, dimensions: Dimensions | None, wanted: list[str], scope: Q | None
) -> list[tuple[Any, Mapping[str, Any], Mapping[str, float | None]]]:
    """The rows of :func:`grouped` summed from the rollups (the caller knows they answer)."""
    rows, on = _rollup_rows(scope, period, dimensions, by)
    rows, on = _grouping(rows, by, on)
    less: Mapping[Any, Mapping[str, Any]] = {}
    if running(period) and not _due_free(wanted):  # read first (see _deadlines_to_come)
        to_come, column = _grouping(_deadlines_to_come(cases, period, dimensions), by, GROUPS[by])
        less = _keyed(to_come.values(column).annotate(**_due_counts(period)).order_by(), column, by)
    summed = _keyed(rows.values(on).annotate(**_rollup_sums(wanted)).order_by(on), on, by)
    return [(key, *rollup_figures(_less(row, less.get(key, {})), wanted)) for key, row in summed.items()]


# A village's row counts every case of the village (what its figure, the area filter on the
# village's path, counts): those of its grids, grouped on the grid's parent, and those filed at
# the village without a grid (the ledger's rows that name only a village, a report placed on
# the village), which the grid rows and the coarse levels keep with the village's area path and
# no grid or area (``rollups.project``). A row without a grid (on a coarse level: without an
# area) is therefore grouped on its area path, and :func:`_by_village` adds it to the row of
# the village that path lies in; a town's case without a village is in no village's row.
VILLAGE_KEY: Final = "village_key"


def _grouping(query: QuerySet[Any], by: str, column: str) -> tuple[QuerySet[Any], str]:
    """The query and the name to group it ``by``: ``column``; for the villages, ``column`` or,
    on the rows without a grid (a coarse level's without an area), their area path."""
    if by != "village":
        return query, column
    area = "area" if query.model is CaseRollupCoarse else "grid"
    key = Choice(When(**{f"{area}__isnull": True}, then=F("area_path")), default=F(column), output_field=CharField())
    return query.annotate(**{VILLAGE_KEY: key}), VILLAGE_KEY


def _keyed(rows: Iterable[Mapping[str, Any]], on: str, by: str) -> dict[Any, Mapping[str, Any]]:
    """Rows grouped on ``on`` by their key; for the villages, summed per village's code."""
    if by != "village":
        return {row[on]: row for row in rows}
    return dict(_by_village((row[on], {name: value for name, value in row.items() if name != on}) for row in rows))


def _by_village(rows: Iterable[tuple[Any, Mapping[str, Any]]]) -> dict[str, Counter[str]]:
    """The counts of rows keyed by a village's code or, for cases without a grid, an area path
    (see :data:`VILLAGE_KEY`), summed per village's code in the order of the codes; the rows of
    a path above a village (a town's case) are left out, like those without a village."""
    listed = list(rows)
    village_of: dict[str, int] = {}  # an area path at least a village deep: its village's id
    for key, _row in listed:
        ids = pathfield.parts(key) if isinstance(key, str) and key.startswith("/") else []
        if len(ids) >= rollups.VILLAGE_DEPTH:
            village_of[key] = int(ids[rollups.VILLAGE_DEPTH - 1])
    codes = codes_by_id(village_of.values())
    summed: dict[str, Counter[str]] = defaultdict(Counter)
    for key, row in listed:
        code = codes.get(village_of[key]) if key in village_of else key
        if code is not None and not code.startswith("/"):
            summed[code].update({name: int(value or 0) for name, value in row.items()})
    return dict(sorted(summed.items()))


def _filter_is_narrower(dimensions: Dimensions, by: str) -> bool:
    """Whether the filter is already narrower than a row of ``by`` (a grid's village row, a
    minor class's major class row): such a row counts the filter's cases only, so its list
    keeps the filter rather than open the whole village or class."""
    if by == "village" and dimensions.area:
        area = latest_by_code(dimensions.area)
        return area is not None and area.level == AreaLevel.GRID
    if by == "major" and dimensions.category:
        category = category_by_code(dimensions.category)
        return category is not None and category.parent_id is not None
    return False


def standings(figures: list[Figure], names: list[str]) -> list[tuple[int, int | None]]:
    """The order and ranks of rows by one rate (the department ranking of the page and the
    bulletin): highest first; equal rates share a rank (1, 2, 2, 4), the one with more cases
    in the denominator listed first, then by name; rows without the rate last, unranked.
    Returns (index of the row, its rank) in the ranking's order."""
    order = sorted(
        range(len(figures)),
        key=lambda i: (figures[i].value is None, -(figures[i].value or 0), -(figures[i].den or 0), names[i]),
    )
    found: list[tuple[int, int | None]] = []
    for place, i in enumerate(order, start=1):
        value = figures[i].value
        if value is None:
            found.append((i, None))
        elif found and found[-1][1] is not None and figures[found[-1][0]].value == value:
            found.append((i, found[-1][1]))
        else:
            found.append((i, place))
    return found


TREND_STEPS: Final = ("day", "week", "month")
TREND_BUCKETS_A_QUERY: Final = 120


def buckets(period: Period, step: str) -> list[Period]:
    """The period cut into days, weeks (Monday to Sunday) or months, clipped to the period."""
    if step not in TREND_STEPS:
        raise ValueError(f"unknown step {step!r}")
    found: list[Period] = []
    day = period.start
    while day <= period.end:
        if step == "day":
            last = day
        elif step == "week":
            last = day + dt.timedelta(days=6 - day.weekday())
        else:
            last = Period.of_month(day).end
        last = min(last, period.end)
        found.append(Period(day, last))
        day = last + dt.timedelta(days=1)
    return found


def trend(
    cases: QuerySet[Case],
    period: Period,
    step: str,
    codes: Iterable[str],
    dimensions: Dimensions | None = None,
    *,
    scope: Q | None = None,
) -> list[tuple[Period, Figures]]:
    """Counts per day, week or month of the period (one aggregate query for all buckets; by
    month from the rollups, with ``scope``, when they can answer)."""
    wanted = list(codes)
    parts = buckets(period, step)
    counts = [c for c in wanted if INDICES[c].kind != HOURS]
    if on_rollups(scope, period, dimensions, "month") and (not running(period) or _due_free(counts)):
        if step == "month" and period.months:
            rows = _rollup_rows(scope, period, dimensions, "month")[0].filter(late=F("month")).values("month")
            sums = rows.annotate(**_rollup_sums(counts)).order_by()
            by_month = {row["month"]: rollup_figures(row, counts)[0] for row in sums}
            return [(bucket, _figures_from(by_month.get(bucket.start, {}), counts, {})) for bucket in parts]
        if (days := _day_trend(scope, period, dimensions, parts, counts)) is not None:
            return days
    scoped = _scoped(cases, dimensions)
    row: dict[str, Any] = {}
    # So many buckets' counts a query: the columns of one statement are limited (SQLite 2,000,
    # PostgreSQL 1,664; two years by day asked for 2,200).
    for first in range(0, len(parts), TREND_BUCKETS_A_QUERY):
        chunk = parts[first : first + TREND_BUCKETS_A_QUERY]
        aggregates: dict[str, Count] = {}
        for number, bucket in enumerate(chunk, start=first):
            for code, item in _aggregates(bucket, wanted).items():
                aggregates[f"b{number}__{code}"] = item
        if aggregates:
            row.update(_narrowed(scoped, chunk, wanted).aggregate(**aggregates))
    result = []
    for number, bucket in enumerate(parts):
        prefix = f"b{number}__"
        mine = {key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}
        result.append((bucket, _figures_from(mine, counts, {})))
    return result


def _day_trend(
    scope: Q | None, period: Period, dimensions: Dimensions | None, parts: list[Period], codes: list[str]
) -> list[tuple[Period, Figures]] | None:
    """The trend from the rows of a day level (None: no day level answers): a bucket sums the
    rows of its days whose second date (``late``) is before its end, as the live count's
    conditions are on the bucket. The rows are few (a district's month: its towns × days ×
    the days their second dates fall on), so they are put in buckets here."""
    if _coarse_level(scope, dimensions, "month", rollups.DAY) is None:
        return None
    rows = _rollup_rows(scope, period, dimensions, "month", rollups.DAY)[0].values("month", "late")
    starts = [bucket.start for bucket in parts]
    sums: list[Counter[str]] = [Counter() for _ in parts]
    for row in rows.annotate(**_rollup_sums(codes)).order_by():
        number = bisect.bisect_right(starts, row["month"]) - 1
        if row["late"] <= parts[number].end:
            sums[number].update({name: int(value or 0) for name, value in row.items() if name.startswith("m_")})
    made = zip(parts, sums, strict=True)
    return [(bucket, _figures_from(rollup_figures(part, codes)[0], codes, {})) for bucket, part in made]


# --- the rollups -----------------------------------------------------------------------------

# Read a period of whole months that has ended from the rollup table (``gridgov.cases.rollups``)
# when the caller gives the viewer's scope as an area filter; ``bench/stats.py --live``
# switches it off to compare.
ROLLUPS: bool = True
# The tables the rollups can give: every one; the reporters' and verifiers' only from their
# person levels (the grid rows keep no people), so not under a filter those levels do not keep.
ROLLUP_GROUPS: Final = frozenset(GROUPS)
PERSON_GROUPS: Final = frozenset({"reporter", "verifier"})


def whole_months(period: Period) -> bool:
    """The period is whole calendar months that have ended."""
    return period.months > 0 and period.end_at <= timezone.now()


def running(period: Period) -> bool:
    """The period runs now (this month, this year, the last 30 days to today)."""
    return period.start_at <= timezone.now() < period.end_at


def on_rollups(scope: Q | None, period: Period, dimensions: Dimensions | None, by: str | None = None) -> bool:
    """Whether figures (grouped ``by``, or a trend's under "month") for this viewer's
    ``scope``, period and dimensions come from the rollups: a period that has begun (while it
    runs, the deadlines still to come are taken out, :func:`_deadlines_to_come`); of whole
    months from the grid rows or a month level, of days from a day level that keeps what the
    question needs (else on the cases)."""
    if not ROLLUPS or scope is None or period.start_at > timezone.now():
        return False
    if dimensions is not None and (dimensions.reporter is not None or dimensions.verifier is not None):
        return False
    if not period.months:
        return _coarse_level(scope, dimensions, by, rollups.DAY) is not None
    return by not in PERSON_GROUPS or _coarse_level(scope, dimensions, by) is not None


# Read the coarse levels when they can answer (``bench/stats.py --grid-rows`` switches it off
# to compare, and the tests to check that both give the same figures).
COARSE: bool = True
# What a table groups on, as a coarse level must keep it (GROUPS: on the grid rows).
COARSE_GROUPS: Final[dict[str, tuple[str, str | None]]] = {
    "department": ("lead_department__code", rollups.DEPARTMENT),
    "category": ("category__code", rollups.CATEGORY),
    "major": ("category__parent__code", rollups.CATEGORY),
    "source": ("source", rollups.SOURCE),
    "village": ("area__code", None),
    "grid": ("area__code", None),
    "month": ("month", None),
    "reporter": ("person_id", rollups.REPORTER),
    "verifier": ("person_id", rollups.VERIFIER),
}


def _rollup_rows(
    scope: Q | None, period: Period, dimensions: Dimensions | None, by: str | None = None, grain: str = ""
) -> tuple[QuerySet[Any], str]:
    """The rows of the period (a measure's first date in it, its second, ``late``, before its
    end) and the column to group them ``by``: the rows of the smallest coarse level that keeps
    the areas and dimensions the question needs (``rollups.level_for``), else the grid rows; a
    period that is not whole months (or ``grain`` DAY), the rows of a day level (the caller
    knows that one answers)."""
    grain = grain or (rollups.MONTH if period.months else rollups.DAY)
    last = period.end.replace(day=1) if grain == rollups.MONTH else period.end
    condition = (scope or Q()) & (dimensions.q() if dimensions else Q())
    window = Q(month__gte=period.start, month__lte=last, late__lte=last)
    level = _coarse_level(scope, dimensions, by, grain)
    if level is None:
        if grain == rollups.DAY:
            raise ValueError("no day level answers this question")
        column = GROUPS.get(by or "", "month")
        return CaseRollup.objects.filter(window).filter(condition), column
    column = _coarse_column(level, by)
    # (Not for a trend, ``by`` month: its buckets need the rows of days, _day_trend.)
    if grain == rollups.DAY and by != "month" and (split := _months_and_days(scope, period, dimensions, by, level)):
        return CaseRollupCoarse.objects.filter(split).filter(condition), column
    return CaseRollupCoarse.objects.filter(window, level=level.name).filter(condition), column


def _coarse_column(level: rollups.Level, by: str | None) -> str:
    if by == "village" and level.depth == rollups.GRID_DEPTH:
        return "area__parent__code"  # rows of grids (under a grid filter)
    return COARSE_GROUPS[by][0] if by else "month"


def _months_and_days(
    scope: Q | None, period: Period, dimensions: Dimensions | None, by: str | None, day_level: rollups.Level
) -> Q | None:
    """For a period of days that holds whole calendar months (365 days to today: eleven or
    twelve), the rows that answer it from a month level for those months and from the day
    level for the days around them, as one condition on the coarse table; None when it holds
    no whole month or no month level groups like the day level.

    A measure counts when its first date is in the period and its second (``late``) not after
    its end. Split at the months ``m1 … m2`` (the days ``d1 …`` before them and ``… d2``
    after): a first date in the days before or after is a day row with ``late`` ≤ ``d2``; a
    first date in the months is a month row with ``late`` ≤ ``m2`` (a second date in those
    months or before), or a day row whose ``late`` is in the days after them (a second date
    after ``m2`` but not after ``d2``, which the month row cannot tell). Each measure's rows are
    taken once: a month row's ``late`` after ``m2`` is left to the day rows."""
    first, after = _months_inside(period)
    if first >= after:
        return None
    month_level = _coarse_level(scope, dimensions, by, rollups.MONTH)
    if month_level is None or _coarse_column(month_level, by) != _coarse_column(day_level, by):
        return None
    last_month = (after - dt.timedelta(days=1)).replace(day=1)
    months = Q(level=month_level.name, month__gte=first, month__lte=last_month, late__lte=last_month)
    # The day rows of the period (its bounds also let SQLite search the level's index by day).
    days = Q(level=day_level.name, month__gte=period.start, month__lte=period.end, late__lte=period.end)
    return months | (days & (Q(month__lt=first) | Q(month__gte=after) | Q(late__gte=after)))


def _months_inside(period: Period) -> tuple[dt.date, dt.date]:
    """The first day of the whole months inside ``period`` and the first day after them
    (``first >= after``: none)."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    after = _next_month(period.end) if period.end == Period.of_month(period.end).end else period.end.replace(day=1)
    return first, after


def _reports_by_months_and_days(
    cases: QuerySet[Case],
    period: Period,
    by: str,
    dimensions: Dimensions | None,
    wanted: list[str],
    scope: Q | None,
) -> list[tuple[Any, Mapping[str, Any], Mapping[str, float | None]]] | None:
    """The reports (the one index the top and rising categories read) per ``by`` for a period
    of days that holds whole months and that no day level answers (a category has no day
    level): the months from the rollups, the days around them counted on the cases. A report
    has one date, so the period's count is the sum of its parts'. None when that does not
    apply."""
    if wanted != ["reported"] or scope is None or period.months:
        return None
    first, after = _months_inside(period)
    months = Period(first, after - dt.timedelta(days=1)) if first < after else None
    if months is None or not on_rollups(scope, months, dimensions, by):
        return None
    parts = [grouped(cases, months, by, dimensions, wanted, scope=scope)]
    if period.start < first:
        parts.append(grouped(cases, Period(period.start, first - dt.timedelta(days=1)), by, dimensions, wanted))
    if after <= period.end:
        parts.append(grouped(cases, Period(after, period.end), by, dimensions, wanted))
    totals: Counter[Any] = Counter()
    for rows in parts:
        for row in rows:
            totals[row.key] += row.figures["reported"].num
    return [(key, {"reported__num": count}, {}) for key, count in sorted(totals.items(), key=lambda item: str(item[0]))]


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _coarse_level(
    scope: Q | None, dimensions: Dimensions | None, by: str | None, grain: str = rollups.MONTH
) -> rollups.Level | None:
    """The coarse level of ``grain`` for the viewer's ``scope``, the filters and the grouping
    (None: the grid rows, for months; for days, the cases)."""
    depth = _scope_depth(scope or Q())
    if not COARSE or depth is None or (by is not None and by not in COARSE_GROUPS):
        return None
    needs: set[str] = set()
    if by in ("village", "grid"):
        depth = max(depth, rollups.VILLAGE_DEPTH if by == "village" else rollups.GRID_DEPTH)
    elif by is not None and (dimension := COARSE_GROUPS[by][1]):
        needs.add(dimension)
    if dimensions is not None:
        if dimensions.area:
            area = latest_by_code(dimensions.area)
            depth = max(depth, rollups.path_depth(area.path) if area else 0)
        needs |= {
            name
            for name, value in (
                (rollups.DEPARTMENT, dimensions.department),
                (rollups.CATEGORY, dimensions.category),
                (rollups.SOURCE, dimensions.source),
            )
            if value
        }
    return rollups.level_for(depth, needs, grain)


def _scope_depth(scope: Q) -> int | None:
    """How deep the areas of a viewer's scope go (``access.rollup_scope``: an ``OR`` of
    ``area_path__startswith``; 0 for everything), or None for any other filter."""
    if scope.negated:
        return None
    depth = 0
    for child in scope.children:
        if isinstance(child, Q):
            inner = _scope_depth(child)
            if inner is None:
                return None
            depth = max(depth, inner)
        else:
            lookup, value = child  # type: ignore[misc]
            if lookup == "area_path__startswith":
                depth = max(depth, rollups.path_depth(value))
            elif not (lookup == "pk__in" and not value):  # (pk__in=[] matches nothing: any level)
                return None
    return depth


# While a period runs, a deadline counts once it has come (``Period.due_by``: now), but the
# rollups count every deadline of the period's months. The measures of a deadline (as the first
# date or the second, ``gridgov.cases.rollups``) are therefore counted again on the cases whose
# deadline is still to come in the period, and taken off: a few days of new cases, through the
# deadline index, where the whole running month was counted on the cases before. They are read
# before the rows, in a statement of their own: a case registered or closed between the two is
# in the rows and not taken off, so for that one reading a figure can be above the live count by
# the cases saved meanwhile, never below it (read the other way round, a "due" could go below 0).
def _deadlines_to_come(cases: QuerySet[Case], period: Period, dimensions: Dimensions | None) -> QuerySet[Case]:
    return _scoped(cases, dimensions).filter(self_handled=False, due_at__gte=period.due_by, due_at__lt=period.end_at)


def _due_counts(period: Period) -> dict[str, Count]:
    """The deadline measures of the cases of :func:`_deadlines_to_come`, as the rollups count
    them in the period's rows (``m_<measure>``): every deadline there is in the period and
    before its end; a second date counts when it is before the period's end (it has come: the
    period runs), a first date when it is in the period."""
    closed, handled = period.before_end("closed_at"), period.before_end("handled_at")
    cot, hot = Q(closed_on_time=True), Q(handled_on_time=True)
    closed_in, handled_in = period.within("closed_at"), period.within("handled_at")
    conditions = {
        "due": Q(),
        "due_closed": closed,
        "due_closed_cot": closed & cot,
        "due_handled": handled,
        "due_handled_hot": handled & hot,
        "closed_due": closed_in,
        "closed_due_cot": closed_in & cot,
        "handled_due": handled_in,
        "handled_due_hot": handled_in & hot,
    }
    return {f"m_{measure}": Count("pk", filter=condition) for measure, condition in conditions.items()}


def _less(sums: Mapping[str, Any], to_come: Mapping[str, Any]) -> dict[str, Any]:
    """The rollup sums without the deadline measures of the deadlines still to come."""
    found = dict(sums)
    for name, amount in to_come.items():
        if name.startswith("m_"):
            found[name] = int(found.get(name) or 0) - int(amount or 0)
    return found


def _due_free(codes: Iterable[str]) -> bool:
    return not DEADLINE_INDICES.intersection(codes)


def _rollup_sums(codes: Iterable[str]) -> dict[str, Sum]:
    """The sums of the measures the indices ``codes`` read (:data:`MEASURES_OF`): a table of
    two indices sums two or three columns of its rows, not all of them."""
    needed = set().union(*(MEASURES_OF[code] for code in codes))
    return {f"m_{measure}": Sum(measure) for measure in ROLLUP_MEASURES if measure in needed}


def _measures_of() -> dict[str, frozenset[str]]:
    """Which measures each index's parts and average read in :func:`rollup_figures`, found by
    changing one measure at a time (so the map cannot drift from the function): every part is a
    sum or a difference of measures, and the average a ratio, so a large change of a measure
    it reads always shows."""
    base = {f"m_{measure}": 10 + number for number, measure in enumerate(ROLLUP_MEASURES)}
    base["m_minutes"] = 60_000_000  # (an average well above the rounding)

    def computed(sums: Mapping[str, int]) -> dict[str, Any]:
        counts, averages = rollup_figures(sums)
        return {**counts, **averages}

    before = computed(base)
    found: dict[str, set[str]] = {code: set() for code in INDICES}
    for measure in ROLLUP_MEASURES:
        after = computed({**base, f"m_{measure}": base[f"m_{measure}"] + 100_000})
        for key, value in after.items():
            if value != before[key]:
                found[key.split("__")[0]].add(measure)
    return {code: frozenset(measures) for code, measures in found.items()}


# Each index's parts (numerator, denominator or None) from the sums of the measures ``m``, by
# the definitions of the indices above: "due" is due in the period, plus closed in it before a
# deadline after the period (or without one); "not closed on time" is due minus closed on time;
# "accurate" is dispatched minus returned or reworked by the end. (Closed in the period with the
# deadline after it or none: ``closed - closed_due``; handled likewise.)
Parts = Callable[[Mapping[str, int]], tuple[int, int | None]]


def _due_of(m: Mapping[str, int]) -> int:
    return m["due"] + m["closed"] - m["closed_due"]


def _closed_of(m: Mapping[str, int]) -> int:
    return m["due_closed"] + m["closed"] - m["closed_due"]


def _on_time_of(m: Mapping[str, int]) -> int:
    return m["due_closed_cot"] + m["closed_cot"] - m["closed_due_cot"]


def _to_handle_of(m: Mapping[str, int]) -> int:
    return m["due"] + m["handled"] - m["handled_due"]


def _handled_of(m: Mapping[str, int]) -> int:
    return m["due_handled"] + m["handled"] - m["handled_due"]


def _handled_on_time_of(m: Mapping[str, int]) -> int:
    return m["due_handled_hot"] + m["handled_hot"] - m["handled_due_hot"]


_PARTS: Final[dict[str, Parts]] = {
    "reported": lambda m: (m["reported"], None),
    "self_handled": lambda m: (m["self_handled"], None),
    "registered": lambda m: (m["registered"], None),
    "voided": lambda m: (m["voided"], None),
    "closed_in": lambda m: (m["closed"], None),
    "due": lambda m: (_due_of(m), None),
    "closed": lambda m: (_closed_of(m), None),
    "closed_on_time": lambda m: (_on_time_of(m), None),
    "not_closed_on_time": lambda m: (_due_of(m) - _on_time_of(m), None),
    "closure_rate": lambda m: (_closed_of(m), _due_of(m)),
    "on_time_closure_rate": lambda m: (_on_time_of(m), _due_of(m)),
    "handling_rate": lambda m: (_handled_of(m), _to_handle_of(m)),
    "on_time_handling_rate": lambda m: (_handled_on_time_of(m), _to_handle_of(m)),
    "rework_rate": lambda m: (m["reworked"], m["handled"]),
    "accurate_dispatch_rate": lambda m: (m["dispatched"] - m["misdispatched"], m["dispatched"]),
    "valid_report_rate": lambda m: (m["valid"], m["reported"]),
    "on_time_verification_rate": lambda m: (m["verified_on_time"], m["verified"]),
    "satisfaction_rate": lambda m: (m["satisfied"], m["called_back"]),
    "handling_hours": lambda m: (m["handled"], m["handled"]),
}


@dataclass(frozen=True)
class _Plan:
    """What :func:`rollup_figures` reads and writes for a set of indices, made once per set (it
    runs for every row of a district's grid table: thousands a request)."""

    sums: tuple[tuple[str, str], ...]  # (measure, its key in the row)
    parts: tuple[tuple[Parts, str, str, bool], ...]  # (formula, numerator key, denominator key, has one)
    hours: bool


@lru_cache(maxsize=64)
def _plan(codes: tuple[str, ...] | None) -> _Plan:
    chosen = tuple(INDICES) if codes is None else codes
    if codes is None:
        measures: Iterable[str] = ROLLUP_MEASURES
    else:
        read = set().union(*(MEASURES_OF[code] for code in chosen))
        measures = [measure for measure in ROLLUP_MEASURES if measure in read]
    return _Plan(
        sums=tuple((measure, f"m_{measure}") for measure in measures),
        parts=tuple((_PARTS[code], f"{code}__num", f"{code}__den", INDICES[code].den is not None) for code in chosen),
        hours="handling_hours" in chosen,
    )


def rollup_figures(
    sums: Mapping[str, Any], codes: Iterable[str] | None = None
) -> tuple[dict[str, int], dict[str, float | None]]:
    """The parts (``<code>__num`` / ``__den``) of every index, or of the indices ``codes``, and
    the average hours from the sums of the rollup measures (``m_<measure>``; see ``_PARTS``)."""
    plan = _plan(None if codes is None else tuple(codes))
    m: Mapping[str, int] = defaultdict(int, {measure: int(sums.get(key) or 0) for measure, key in plan.sums})
    row: dict[str, int] = {}
    for formula, num_key, den_key, has_den in plan.parts:
        num, den = formula(m)
        row[num_key] = num
        if has_den:
            row[den_key] = den or 0
    averages = {"handling_hours": _average_hours((m["minutes"], m["minutes_n"]))} if plan.hours else {}
    return row, averages


# The measures each index reads from the rollups (see _rollup_sums).
MEASURES_OF: Final = _measures_of()
# The measures of a deadline (_due_counts) and the indices that read one: while a period runs,
# those need the deadlines still to come taken off; the others read the rows alone.
DEADLINE_MEASURES: Final = frozenset(
    {
        "due",
        "due_closed",
        "due_closed_cot",
        "due_handled",
        "due_handled_hot",
        "closed_due",
        "closed_due_cot",
        "handled_due",
        "handled_due_hot",
    }
)
DEADLINE_INDICES: Final = frozenset(code for code, measures in MEASURES_OF.items() if measures & DEADLINE_MEASURES)


# --- the cases behind a figure ------------------------------------------------------------


def cases_for(
    cases: QuerySet[Case], code: str, part: str, period: Period, dimensions: Dimensions | None = None
) -> QuerySet[Case]:
    """The cases that make up the numerator or denominator of index ``code``."""
    item = index(code)
    if part not in item.parts:
        raise ValueError(f"{code} has no part {part!r}")
    return _narrowed(_scoped(cases, dimensions), [period], [code]).filter(item.condition(part, period))


def link_query(code: str, part: str, period: Period, dimensions: Dimensions | None = None) -> dict[str, str]:
    """The workbench list's query parameters that select the cases of a figure."""
    return {"index": code, "part": part, **period.query(), **(dimensions or Dimensions()).query()}


@dataclass(frozen=True)
class Selection:
    code: str
    part: str
    period: Period
    dimensions: Dimensions


def parse(params: Mapping[str, str]) -> Selection | None:
    """The figure a query string names (``index``, ``part``, ``start``, ``end`` and the
    dimensions ``grid``, ``lead``, ``category``, ``source``, ``reporter``, ``verifier``);
    None when it names none. Raises ``ValueError`` for a bad one."""
    code = params.get("index") or ""
    if not code:
        return None
    item = index(code)
    part = params.get("part") or NUM
    if part not in item.parts:
        raise ValueError(f"{code} has no part {part!r}")
    start = dt.date.fromisoformat(params.get("start") or "")
    end = dt.date.fromisoformat(params.get("end") or "")
    return Selection(code, part, Period(start, end), parse_dimensions(params))


def parse_dimensions(params: Mapping[str, str]) -> Dimensions:
    """The dimensions a query string names (``grid``, ``lead``, ``category``, ``source``,
    ``reporter``, ``verifier``). Raises ``ValueError`` for a bad one."""
    reporter = params.get("reporter") or ""
    verifier = params.get("verifier") or ""
    return Dimensions(
        area=params.get("grid") or "",
        department=params.get("lead") or "",
        category=params.get("category") or "",
        source=params.get("source") or "",
        reporter=_user_id(reporter),
        verifier=_user_id(verifier),
    )


def _user_id(value: str) -> int | None:
    """A user id from a link (ValueError past the database's integers: a huge one was a 500)."""
    if not value:
        return None
    number = int(value)
    if not 0 < number < 2**31:
        raise ValueError(f"no such user id {value!r}")
    return number


# --- the documentation ------------------------------------------------------------------

DOCS_START: Final = "<!-- indices:start (generated by `manage.py stats_docs`; do not edit by hand) -->"
DOCS_END: Final = "<!-- indices:end -->"


def definitions_markdown() -> str:
    """The definitions of every index as Markdown, in English with the Chinese terms (the
    generated part of ``docs/stats.md``; a test keeps the file in step)."""
    from django.utils import translation

    lines = [DOCS_START, ""]
    kinds = {COUNT: "count", RATE: "rate (numerator ÷ denominator, in %)", HOURS: "average of working hours"}
    for item in INDICES.values():
        with translation.override("zh-hans"):
            chinese = str(item.label)
        with translation.override("en"):
            lines.append(f"### {item.label} ({chinese}) — `{item.code}`")
            lines.append("")
            lines.append(f"- Kind: {kinds[item.kind]}{f'; read {item.per}' if item.per else ''}.")
            lines.append(f"- Definition: {item.definition}")
            lines.append(f"- The period is decided by: {item.month_by}.")
            lines.append(f"- List of the cases: `?index={item.code}&part={'|'.join(item.parts)}&start=…&end=…`")
            lines.append("")
    lines.append(DOCS_END)
    return "\n".join(lines) + "\n"
