"""The registry of automatic items: each figure an assessment scheme can weigh, defined once.

An :class:`Indicator` names the figure (code, label, definition), the target types it applies
to, whether lower is better, and how to measure it for one target over one window: a
:class:`Measure` with the value (percent), the numerator and denominator, and the identities of
the objects behind them (cases, patrols, visits, weekly analyses), which the snapshot freezes.
Every measure reads the figure's own definition in its app (:mod:`gridgov.cases.indices`,
:func:`gridgov.patrols.selectors.patrol_coverage`, :func:`gridgov.visits.selectors.visit_coverage`,
:func:`gridgov.analysis.services.weekly_timeliness`); nothing is counted twice in two ways.

Adding an automatic item is one entry in :data:`INDICATORS` (see ``docs/assessment.md``).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Final

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.analysis.models import WeeklyAnalysis
from gridgov.analysis.services import state_q, weekly_timeliness
from gridgov.areas.models import Area
from gridgov.assignments.figures import assignment_completion, figure_q, owner_q
from gridgov.assignments.models import AssignmentPart
from gridgov.cases import indices
from gridgov.cases.indices import DEN, NUM, Dimensions
from gridgov.cases.models import Case
from gridgov.patrols.models import Patrol
from gridgov.patrols.selectors import patrol_coverage, standard_of
from gridgov.visits.models import Visit
from gridgov.visits.selectors import visit_coverage

from .models import TargetType

T = TargetType
PEOPLE: Final = frozenset({T.GRID_WORKER, T.GRID_LEADER})
AREAS: Final = frozenset({T.GRID_WORKER, T.GRID_LEADER, T.VILLAGE})
ALL: Final = frozenset(T)


@dataclass(frozen=True)
class Target:
    """Who is assessed: a grid worker or grid leader (a user, answering for their grids or
    village), a village, or a department."""

    type: str
    key: str
    label: str
    user_id: int | None = None
    area_id: int | None = None
    area_code: str = ""
    department_id: int | None = None
    department_code: str = ""
    # The area paths the target answers for, and the grids among them.
    paths: tuple[str, ...] = ()
    grid_ids: tuple[int, ...] = ()

    def area_q(self, prefix: str = "") -> Q:
        return reduce(operator.or_, [Q(**{f"{prefix}area_path__startswith": p}) for p in self.paths], Q(pk__in=[]))

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "key": self.key,
            "label": self.label,
            "user": self.user_id,
            "area": self.area_id,
            "area_code": self.area_code,
            "department": self.department_id,
            "department_code": self.department_code,
            "paths": list(self.paths),
            "grids": list(self.grid_ids),
        }


@dataclass(frozen=True)
class Window:
    """The assessed days, ``start`` to ``end`` inclusive, and the moment of the computation."""

    start: dt.date
    end: dt.date
    now: dt.datetime

    @property
    def period(self) -> indices.Period:
        return indices.Period(self.start, self.end)

    @property
    def start_at(self) -> dt.datetime:
        return self.period.start_at

    @property
    def end_at(self) -> dt.datetime:
        return self.period.end_at

    @property
    def until(self) -> dt.datetime:
        """Deadlines before this moment have come: the end, or now while the window runs."""
        return min(self.end_at, self.now)

    def months(self) -> list[dt.date]:
        found = []
        day = self.start.replace(day=1)
        while day <= self.end:
            found.append(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return found


@dataclass
class Measure:
    """One figure of one target: ``value`` in percent (None: nothing to measure), the
    numerator and denominator, and the objects behind each part as ``[[id, label], …]``."""

    value: float | None
    num: float | None = None
    den: float | None = None
    refs: dict[str, list[list[Any]]] = field(default_factory=dict)
    link: dict[str, dict[str, str]] = field(default_factory=dict)  # the workbench's query per part
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "num": self.num,
            "den": self.den,
            "refs": self.refs,
            "link": self.link,
            "note": self.note,
        }


Memo = dict[Any, Any]
Measurer = Callable[[Target, Window, Memo], Measure | None]


@dataclass(frozen=True)
class Indicator:
    code: str
    label: Promise
    definition: Promise
    targets: frozenset[str]
    measure: Measurer
    ref_kind: str  # what the refs are: case, patrol, visit, analysis
    lower_is_better: bool = False
    # The refs that count against the target (evidence for a penalty): "misses" = den minus
    # num (higher is better), or "num" (lower is better).
    misses: str = "misses"


# --- cases ---------------------------------------------------------------------------------------

# The memo's entry for every target of one computation (``freeze_inputs`` sets it): the case
# measures read the cases of all of them at once, one query per figure and part, and give each
# target its own (a town's period measured every target with two queries of its own).
TARGETS: Final = "targets"


@dataclass(frozen=True)
class Pick:
    """Which cases are a target's, on one column: equal to ``value``, or (``area_path``) under
    one of ``prefixes``."""

    column: str
    value: int | None = None
    prefixes: tuple[str, ...] = ()

    def wanted(self) -> tuple[Any, ...]:
        return self.prefixes if self.prefixes else (self.value,)

    def holds(self, found: Any) -> bool:
        if self.prefixes:
            return isinstance(found, str) and found.startswith(self.prefixes)
        return found is not None and found == self.value


def _union(column: str, wanted: tuple[Any, ...], prefixed: bool) -> Q:
    """The cases of several picks on one column (prefixes under another kept out: their cases
    are the other's)."""
    if not prefixed:
        return Q(**{f"{column}__in": wanted})
    kept = [path for path in wanted if not any(path != other and path.startswith(other) for other in wanted)]
    return reduce(operator.or_, [Q(**{f"{column}__startswith": path}) for path in kept], Q(pk__in=[]))


CaseDimension = Callable[[Target], tuple[Pick, Dimensions | None] | None]


def by_area(target: Target) -> tuple[Pick, Dimensions | None] | None:
    """The cases of the target's grids or village (a department: those it leads)."""
    if target.type == T.DEPARTMENT:
        return Pick("lead_department_id", target.department_id), Dimensions(department=target.department_code)
    if not target.paths:
        return None
    return Pick("area_path", prefixes=target.paths), (Dimensions(area=target.area_code) if target.area_code else None)


def by_person(column: str, dimension: str) -> CaseDimension:
    """A grid worker's own cases (reported, verified); others by area."""

    def select(target: Target) -> tuple[Pick, Dimensions | None] | None:
        if target.type == T.GRID_WORKER and target.user_id:
            chosen = (
                Dimensions(reporter=target.user_id) if dimension == "reporter" else Dimensions(verifier=target.user_id)
            )
            return Pick(column, target.user_id), chosen
        if target.type == T.DEPARTMENT:
            return None
        return by_area(target)

    return select


def case_rate(code: str, dimension: CaseDimension) -> Measurer:
    """A rate of :data:`gridgov.cases.indices.INDICES` over the target's cases, with the case
    ids and numbers of both parts."""

    def refs_of(pick: Pick, target: Target, window: Window, memo: Memo) -> dict[str, list[list[Any]]]:
        together: list[Target] = memo.get(TARGETS) or []
        alone = target not in together
        union_key = ("union", dimension, pick.column, target if alone else None)
        if union_key not in memo:
            picks = [chosen[0] for other in ([target] if alone else together) if (chosen := dimension(other))]
            memo[union_key] = tuple(
                sorted({value for other in picks if other.column == pick.column for value in other.wanted()})
            )
        wanted = memo[union_key]
        refs = {}
        for part in (NUM, DEN):
            key = ("cases", code, part, window.start, window.end, pick.column, wanted)
            if key not in memo:
                cases = Case.objects.filter(_union(pick.column, wanted, bool(pick.prefixes)))
                memo[key] = list(
                    indices.cases_for(cases, code, part, window.period)
                    .order_by("pk")
                    .values_list("pk", "number", pick.column)
                )
            refs[part] = [[pk, number] for pk, number, found in memo[key] if pick.holds(found)]
        return refs

    def measure(target: Target, window: Window, memo: Memo) -> Measure | None:
        chosen = dimension(target)
        if chosen is None:
            return None
        pick, dimensions = chosen
        refs = refs_of(pick, target, window, memo)
        num, den = len(refs[NUM]), len(refs[DEN])
        link = (
            {part: indices.link_query(code, part, window.period, dimensions) for part in (NUM, DEN)}
            if dimensions is not None
            else {}
        )
        return Measure(round(num * 100 / den, 1) if den else None, num, den, refs, link)

    return measure


# --- patrols, visits, weekly analyses ---------------------------------------------------------


def _grids(target: Target, memo: Memo) -> list[Area]:
    key = ("grids", target.grid_ids)
    if key not in memo:
        memo[key] = list(Area.objects.filter(pk__in=target.grid_ids).order_by("path"))
    return memo[key]


def _worker(target: Target) -> int | None:
    return target.user_id if target.type == T.GRID_WORKER else None


def patrols_measure(target: Target, window: Window, memo: Memo) -> Measure | None:
    """The mean of the monthly patrol coverage of each of the target's grids over the window's
    months: a worker's own patrols, or everyone's for a leader or village. Only grids with a
    boundary and a patrol standard count (the standard is the center's requirement to patrol
    the grid); without any, the item has no data."""
    if target.type == T.DEPARTMENT or not target.grid_ids:
        return None
    worker = _worker(target)
    values = []
    for grid in _grids(target, memo):
        if ("standard", grid.pk) not in memo:
            memo[("standard", grid.pk)] = standard_of(grid) is not None
        if not memo[("standard", grid.pk)]:
            continue  # the center has not asked for patrols in this grid
        for month in window.months():
            key = ("patrol", grid.pk, month, worker)
            if key not in memo:
                memo[key] = patrol_coverage(grid, month, worker)
            if memo[key] is not None:
                values.append(memo[key])
    required = [grid.pk for grid in _grids(target, memo) if memo[("standard", grid.pk)]]
    if not required:
        return None
    patrols = Patrol.objects.filter(grid_id__in=required, started_at__gte=window.start_at, started_at__lt=window.end_at)
    if worker is not None:
        patrols = patrols.filter(worker_id=worker)
    refs = [
        [pk, f"{timezone.localtime(at):%Y-%m-%d %H:%M}"]
        for pk, at in patrols.order_by("started_at", "pk").values_list("pk", "started_at")
    ]
    if not values:
        return Measure(None, None, None, {NUM: refs})
    # A mean: the numerator is the sum of the grid-months' coverage (in percent), the denominator
    # the grid-months counted; the numerator opens the patrols behind it.
    total = round(sum(values) * 100, 1)
    return Measure(round(total / len(values), 1), total, len(values), {NUM: refs})


def visits_measure(target: Target, window: Window, memo: Memo) -> Measure | None:
    """Households and units visited over those due, summed over the window's months."""
    if target.type == T.DEPARTMENT or not target.grid_ids:
        return None
    worker = _worker(target)
    due = visited = 0
    for month in window.months():
        for coverage in visit_coverage(year=month.year, month=month.month, grid_ids=target.grid_ids, worker_id=worker):
            due += coverage.due
            visited += coverage.visited
    visits = Visit.objects.filter(
        grid_id__in=target.grid_ids, visited_at__gte=window.start_at, visited_at__lt=window.end_at
    )
    if worker is not None:
        visits = visits.filter(worker_id=worker)
    refs = [
        [pk, f"{timezone.localtime(at):%Y-%m-%d}"]
        for pk, at in visits.order_by("visited_at", "pk").values_list("pk", "visited_at")
    ]
    return Measure(round(visited * 100 / due, 1) if due else None, visited, due, {NUM: refs})


def weekly_measure(target: Target, window: Window, memo: Memo) -> Measure | None:
    """Weekly analyses of the target's grids submitted on time over those due in the window."""
    if target.type == T.DEPARTMENT or not target.paths:
        return None
    analyses = WeeklyAnalysis.objects.filter(target.area_q())
    figure = weekly_timeliness(analyses, window.start_at, window.end_at, now=window.until)
    within = analyses.filter(due_at__gte=window.start_at, due_at__lt=window.end_at)
    refs = {
        part: [
            [pk, f"{week:%Y-%m-%d}"]
            for pk, week in within.filter(state_q(state, window.until)).order_by("week", "pk").values_list("pk", "week")
        ]
        for part, state in ((NUM, "on_time"), (DEN, "due"))
    }
    return Measure(figure.rate, figure.on_time, figure.due, refs)


# --- leaders' tasks ----------------------------------------------------------------------------

UNITS: Final = frozenset({T.VILLAGE, T.DEPARTMENT})


def tasks_measure(target: Target, window: Window, memo: Memo) -> Measure | None:
    """A village's or department's parts of leaders' tasks done on time ÷ due in the window
    (:func:`gridgov.assignments.figures.assignment_completion`; a granted extension moves a part
    to its new deadline)."""
    if target.type == T.VILLAGE and target.area_code:
        key = f"village:{target.area_code}"
    elif target.type == T.DEPARTMENT and target.department_code:
        key = f"department:{target.department_code}"
    else:
        return None
    until = window.until
    figure = assignment_completion([key], window.period, now=until)[key]
    parts = AssignmentPart.objects.filter(owner_q([key])).select_related("assignment")
    refs = {
        part: [
            [row.assignment_id, row.assignment.title]
            for row in parts.filter(figure_q(name, window.period, until)).order_by("deadline", "pk")
        ]
        for part, name in ((NUM, "on_time"), (DEN, "due"))
    }
    value = round(figure.on_time * 100 / figure.due, 1) if figure.due else None
    return Measure(value, figure.on_time, figure.due, refs)


# --- the registry --------------------------------------------------------------------------------

INDICATORS: Final[dict[str, Indicator]] = {
    item.code: item
    for item in [
        Indicator(
            "on_time_closure_rate",
            indices.INDICES["on_time_closure_rate"].label,
            _("Cases of the target's grids or village (a department: those it leads) closed on time ÷ due to close."),
            ALL,
            case_rate("on_time_closure_rate", by_area),
            "case",
        ),
        Indicator(
            "rework_rate",
            indices.INDICES["rework_rate"].label,
            _("Cases first handled in the period whose verification failed ÷ cases first handled (lower is better)."),
            ALL,
            case_rate("rework_rate", by_area),
            "case",
            lower_is_better=True,
            misses="num",
        ),
        Indicator(
            "valid_report_rate",
            indices.INDICES["valid_report_rate"].label,
            _("A grid worker's own reports registered ÷ reported; a leader's or village's: their village's."),
            AREAS,
            case_rate("valid_report_rate", by_person("reporter_id", "reporter")),
            "case",
        ),
        Indicator(
            "on_time_verification_rate",
            indices.INDICES["on_time_verification_rate"].label,
            _("A grid worker's own first verifications on time ÷ first verifications; others: their village's."),
            AREAS,
            case_rate("on_time_verification_rate", by_person("verified_by_id", "verifier")),
            "case",
        ),
        Indicator(
            "satisfaction_rate",
            indices.INDICES["satisfaction_rate"].label,
            _("Cases called back satisfied or basically satisfied ÷ called back."),
            ALL,
            case_rate("satisfaction_rate", by_area),
            "case",
        ),
        Indicator(
            "patrol_coverage",
            _("Patrol coverage"),
            _(
                "Mean of each grid's monthly coverage (share of its area within 50 m of a patrol route): "
                "the grid-months' coverage added up ÷ grid-months; the numerator opens the patrols."
            ),
            AREAS,
            patrols_measure,
            "patrol",
        ),
        Indicator(
            "visit_coverage",
            _("Visit coverage"),
            _("Households and units visited at least once in a month ÷ due, summed over the months."),
            AREAS,
            visits_measure,
            "visit",
        ),
        Indicator(
            "weekly_timeliness",
            _("Weekly analyses on time"),
            _("Weekly analyses submitted by their deadline ÷ analyses whose deadline fell in the period."),
            AREAS,
            weekly_measure,
            "analysis",
        ),
        Indicator(
            "task_completion",
            _("Leaders' tasks done on time"),
            _(
                "The unit's parts of leaders' tasks done by their deadline ÷ parts whose deadline (as "
                "extended) fell in the period and that are done or past it."
            ),
            UNITS,
            tasks_measure,
            "task",
        ),
    ]
}


def indicator(code: str) -> Indicator:
    try:
        return INDICATORS[code]
    except KeyError:
        raise ValueError(f"unknown indicator {code!r}") from None


def misses(code: str, measure: dict[str, Any]) -> list[list[Any]]:
    """The objects behind a measure that count against the target (the evidence of a penalty):
    those due and not done, or those that went wrong when lower is better."""
    item = INDICATORS.get(code)
    refs = measure.get("refs") or {}
    if item is None:
        return []
    if item.misses == "num":
        return list(refs.get(NUM, []))
    done = {pair[0] for pair in refs.get(NUM, [])}
    return [pair for pair in refs.get(DEN, []) if pair[0] not in done]
