"""The statistics' rollup table (:class:`~gridgov.cases.models.CaseRollup`): what each case
adds to it, its upkeep in the transaction of every save of a case, its bulk build and its
check against a recount (``docs/stats.md``, "Rollups").

**What a case adds.** Each measure counts the case in the month of the date that decides it
(``month``). A measure of two dates — "due in the period and closed by its end" — counts it in
the row whose ``late`` is the month of the second date when that is later, else ``month``; a
case without the second date does not count for it. For a period of whole months ``m1 … m2``
that has ended, the sum over the rows with ``m1 ≤ month ≤ m2`` and ``late ≤ m2`` is then
exactly "first date in the period and second date before its end", which is how the indices
(:mod:`gridgov.cases.indices`) define their two-date conditions. The indices are derived from
the measures in :func:`gridgov.cases.indices.rollup_figures`:

=================== ==========================================================================
measure             counts the loop's cases (self-handled cases only in ``self_handled``)
=================== ==========================================================================
reported            by the report date
self_handled        self-handled cases, by the report date
valid               by the report date, registered (or merged) by the end: second date the
                    first of the registration and a merge
registered, voided  by their dates
closed, closed_cot  by the closing date (all, closed on time)
closed_due(_cot)    by the closing date, second date the overall deadline
due                 by the overall deadline
due_closed(_cot)    by the overall deadline, second date the closing
due_handled(_hot)   by the overall deadline, second date the first report back (handled on time)
handled(_hot)       by the first report back (all, on time)
handled_due(_hot)   by the first report back, second date the overall deadline
reworked            by the first report back, second date the first rework
minutes_n, minutes  by the first report back: cases with stored handling minutes, their sum
dispatched          by the first dispatch
misdispatched       by the first dispatch, second date the first of a return and a rework
verified(_on_time)  by the first verification
called_back,        by the last call-back (with an answer; satisfied or basically)
satisfied
=================== ==========================================================================

**Upkeep.** Every write of a case is a ``save`` by a service (report, the loop's steps, the
sweep, the call-back, the historical ledger import), inside the service's transaction: a
``pre_save`` hook reads the case's stored columns, a ``post_save`` hook reads them again (a
case just inserted: from the instance, which holds what the insert wrote) and adds the
difference of the two contributions to the rows (a save that touches none of the columns the
rollups read costs nothing). Bulk writes that bypass ``save`` (a bench's ``COPY``)
call :func:`rebuild`; :func:`check` (``manage.py stats_rollup_check``) compares the rows with a
recount and repairs them.

**Coarse levels.** The same measures summed to a town, a village or a grid with fewer
dimensions (``LEVELS``; :class:`~gridgov.cases.models.CaseRollupCoarse`), kept by the same
hooks in the same transaction (one more statement), rebuilt and checked with the grid rows;
:mod:`gridgov.cases.indices` reads the smallest level that answers a question
(:func:`level_for`). The person levels (``PERSON_LEVELS``) keep the same measures per grid and
reporter or verifying grid worker (and per lead department), for the page's reporters' and
verifiers' tables; the grid rows do not keep people, so those are made from the cases, not
from the grid rows. The day levels (``DAY_LEVELS``) keep local days where the others keep
months, for periods of days and the trends by day and week; made from the cases too.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, Final

from django.db import OperationalError, connection, transaction
from django.db.models import Q, Sum
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from gridgov.core import pathfield
from gridgov.core.inserts import insert_all

from .models import ROLLUP_MEASURES, Case, CaseRollup, CaseRollupCoarse, Satisfaction

__all__ = [
    "ALL_LEVELS",
    "CASE_KEY",
    "COARSE_KEY",
    "DAY",
    "DAYS",
    "DAY_LEVELS",
    "KEY",
    "LEVELS",
    "MONTH",
    "PEOPLE",
    "PERSON_LEVELS",
    "Level",
    "Upsert",
    "build_from_cases",
    "build_from_grid_rows",
    "check",
    "coarse",
    "coarse_by_town",
    "connect",
    "contributions",
    "describe",
    "grid_rows",
    "level_for",
    "level_rows",
    "levels_operation",
    "planned",
    "prepare",
    "project",
    "rebuild",
    "rebuild_coarse",
    "stored",
    "tally",
    "targets",
]

KEY: Final = ("month", "late", "grid_id", "area_path", "lead_department_id", "category_id", "source")
# The columns of a case the contributions are read from.
FIELDS: Final = (
    "self_handled",
    "reported_at",
    "registered_at",
    "voided_at",
    "merged_into_id",
    "closed_at",
    "closed_on_time",
    "due_at",
    "handled_at",
    "handled_on_time",
    "handling_minutes",
    "reworked_at",
    "dispatched_at",
    "redispatched_at",
    "verified_at",
    "verified_on_time",
    "callback_at",
    "satisfaction",
    "grid_id",
    "area_path",
    "lead_department_id",
    "category_id",
    "source",
    "reporter_id",
    "verified_by_id",
)
# The same as model field names (``grid`` for ``grid_id`` …), for ``update_fields``.
FIELD_NAMES: Final = frozenset(name.removesuffix("_id") for name in FIELDS)
SATISFIED: Final = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)

Key = tuple[Any, ...]
Contributions = dict[Key, Counter[str]]
# What a case adds is keyed by KEY and then by the people its person levels are kept for (the
# reporter, the verifying grid worker): CASE_KEY. The grid rows drop the people.
PEOPLE: Final = ("reporter_id", "verified_by_id")
# ... and last by the local days of its two dates (as ``month`` and ``late`` are their months),
# which the day levels keep.
DAYS: Final = ("day", "late_day")
CASE_KEY: Final = (*KEY, *PEOPLE, *DAYS)

# --- the coarse levels ------------------------------------------------------------------------

COARSE_KEY: Final = (
    "level",
    "month",
    "late",
    "area_id",
    "area_path",
    "lead_department_id",
    "category_id",
    "source",
    "person_id",
)
DISTRICT_DEPTH: Final = 1  # an area path's depth: /district/town/village/grid/
TOWN_DEPTH: Final = 2
VILLAGE_DEPTH: Final = 3
GRID_DEPTH: Final = 4
DEPARTMENT, CATEGORY, SOURCE = "department", "category", "source"
REPORTER, VERIFIER = "reporter", "verifier"
MONTH, DAY = "month", "day"  # a level's grain: what its ``month`` and ``late`` columns hold


@dataclass(frozen=True)
class Level:
    """A coarse rollup: the grid rows summed to the area at ``depth`` (a town, a village or a
    grid), keeping only the dimensions ``keeps``; a person level (``person``: one of
    ``PEOPLE``) keeps the user in that column of the case, and a case without one is in none
    of its rows. A day level (``grain`` DAY) keeps local days where the others keep months:
    its ``month`` is the day of a measure's first date, its ``late`` the day of the second."""

    name: str
    depth: int
    keeps: frozenset[str]
    person: str | None = None
    grain: str = MONTH


# Smallest first; a figure is read from the first level that keeps what it needs
# (level_for), else from the grid rows (docs/stats.md, "Coarse levels", has their sizes).
LEVELS: Final = (
    # A district's rows, the towns summed (migration cases/0032): what a district-wide viewer's
    # key figures, departments, categories and sources read. A town's rows of a year or two are
    # tens of thousands, one or two a page among the other levels' rows; a district's are a
    # tenth to a sixtieth of them, and grow with the district's departments and categories, not
    # with its cases.
    Level("district_source", DISTRICT_DEPTH, frozenset({SOURCE})),
    Level("district_category", DISTRICT_DEPTH, frozenset({CATEGORY})),
    Level("district_department", DISTRICT_DEPTH, frozenset({DEPARTMENT, SOURCE})),
    Level("town_source", TOWN_DEPTH, frozenset({SOURCE})),
    Level("town_category", TOWN_DEPTH, frozenset({CATEGORY})),
    Level("village_source", VILLAGE_DEPTH, frozenset({SOURCE})),
    Level("town_department", TOWN_DEPTH, frozenset({DEPARTMENT, SOURCE})),
    # A department's or a category's villages (migration cases/0023).
    Level("village_department", VILLAGE_DEPTH, frozenset({DEPARTMENT})),
    Level("village_category", VILLAGE_DEPTH, frozenset({CATEGORY})),
    Level("grid", GRID_DEPTH, frozenset()),
    # A source's categories (migration cases/0030): what a source's top and rising categories read.
    Level("town_category_source", TOWN_DEPTH, frozenset({CATEGORY, SOURCE})),
    Level("town", TOWN_DEPTH, frozenset({DEPARTMENT, CATEGORY, SOURCE})),
)
# The statistics page's reporters' and verifiers' tables: per grid and person, with no other
# dimension, with the lead department (a department's page) or with the source (a source's; a
# category's would be as many rows as the grid rows). Made from the cases (the grid rows do
# not keep people), so not by rebuild_coarse or migration cases/0016; migrations cases/0020
# and cases/0029 made them for the cases already there.
PERSON_LEVELS: Final = (
    Level(REPORTER, GRID_DEPTH, frozenset({REPORTER}), person="reporter_id"),
    Level(VERIFIER, GRID_DEPTH, frozenset({VERIFIER}), person="verified_by_id"),
    Level("reporter_department", GRID_DEPTH, frozenset({REPORTER, DEPARTMENT}), person="reporter_id"),
    Level("verifier_department", GRID_DEPTH, frozenset({VERIFIER, DEPARTMENT}), person="verified_by_id"),
    # A source's people (migration cases/0029).
    Level("reporter_source", GRID_DEPTH, frozenset({REPORTER, SOURCE}), person="reporter_id"),
    Level("verifier_source", GRID_DEPTH, frozenset({VERIFIER, SOURCE}), person="verified_by_id"),
)
# The day levels: a period that is not whole months (30 days, a week, 365 days to today) and
# the trends by day and week, for a town or a village, with one dimension at most (a grid's
# days, or a category's, would be as many rows as there are cases). Made from the cases, like
# the person levels; migration cases/0021 made them for the cases already there.
DAY_LEVELS: Final = (
    Level("day_town", TOWN_DEPTH, frozenset(), grain=DAY),
    Level("day_town_source", TOWN_DEPTH, frozenset({SOURCE}), grain=DAY),
    Level("day_town_department", TOWN_DEPTH, frozenset({DEPARTMENT}), grain=DAY),
    Level("day_village", VILLAGE_DEPTH, frozenset(), grain=DAY),
)
ALL_LEVELS: Final = (*LEVELS, *PERSON_LEVELS, *DAY_LEVELS)
# The levels whose rows span towns: a town's rebuild and check (under the town's path) leave
# them alone, and they are checked and made from the grid rows of their district
# (check(…, from_grid_rows=True), rebuild_coarse) once the towns' are right.
SPANNING_LEVELS: Final = tuple(level for level in ALL_LEVELS if level.depth < TOWN_DEPTH)


def levels_under(prefix: str, levels: Iterable[Level] = ALL_LEVELS) -> tuple[Level, ...]:
    """The ``levels`` whose rows lie under the area path ``prefix`` (all for ""): a level of
    areas above the prefix's has rows that count other areas' cases too."""
    depth = path_depth(prefix) if prefix else 0
    return tuple(level for level in levels if level.depth >= depth)


def level_for(depth: int, needs: Iterable[str], grain: str = MONTH) -> Level | None:
    """The smallest level of ``grain`` whose rows answer a question on areas down to ``depth``
    and the dimensions ``needs`` (filtered or grouped on); None: only the grid rows do (by
    month; by day, nothing does)."""
    wanted = frozenset(needs)
    for level in ALL_LEVELS:
        if level.grain != grain:
            continue
        # A person level holds only the cases that have its person: never for other questions.
        if level.person is not None and not wanted & {REPORTER, VERIFIER}:
            continue
        if depth <= level.depth and wanted <= level.keeps:
            return level
    return None


path_depth = pathfield.depth


def path_prefix(path: str, depth: int) -> str:
    """The path of the area ``depth`` levels down that ``path`` lies under (a town's at
    ``TOWN_DEPTH``); ``path`` itself when it is not that deep."""
    ids = pathfield.parts(path)
    return "/" + "/".join(ids[:depth]) + "/" if len(ids) >= depth else path


def project(key: Key, level: Level) -> Key:
    """The coarse key of ``level`` a grid row's key (``KEY``) or a case's (``CASE_KEY``) adds
    to; for a person level, a key without that person gives ``person_id`` None, which is in
    no row (:func:`targets`). A day level's needs a case's key (the grid rows keep no days)."""
    month, late, grid_id, area_path, department_id, category_id, source = key[: len(KEY)]
    if level.grain == DAY:
        month, late = key[len(KEY) + len(PEOPLE) :]
    ids = pathfield.parts(area_path)
    path = path_prefix(area_path, level.depth)  # filed above the level's areas: its own path
    # The area a table groups on; none above the level's areas, and none for a case without a
    # grid, as on the grid rows: it is in no grid's row. Filed at a village, it keeps the
    # village's path here, and the village table adds the rows of that path (no area) to the
    # village's (indices._grouping), as it adds the grid rows' without a grid.
    area_id = int(ids[level.depth - 1]) if grid_id is not None and len(ids) >= level.depth else None
    return (
        level.name,
        month,
        late,
        area_id,
        path,
        department_id if DEPARTMENT in level.keeps else None,
        category_id if CATEGORY in level.keeps else None,
        source if SOURCE in level.keeps else "",
        _person(key, level),
    )


def _person(key: Key, level: Level) -> Any:
    if level.person is None or len(key) == len(KEY):
        return None
    return key[len(KEY) + PEOPLE.index(level.person)]


def targets(key: Key, levels: Iterable[Level] = ALL_LEVELS) -> Iterator[Key]:
    """The coarse keys of ``levels`` that a case's key adds to (a person level's only when the
    case has that person; neither a person level's nor a day level's for a grid row's key)."""
    for level in levels:
        if len(key) == len(KEY) and (level.person is not None or level.grain == DAY):
            continue
        found = project(key, level)
        if level.person is None or found[-1] is not None:
            yield found


def grid_rows(counts: Contributions) -> Contributions:
    """Contributions by ``CASE_KEY`` summed to the grid rows' ``KEY`` (no zero counts)."""
    found: Contributions = defaultdict(Counter)
    for key, measures in counts.items():
        found[key[: len(KEY)]].update(measures)
    return _nonzero(found)


def _nonzero(counts: Contributions) -> Contributions:
    kept = {key: Counter({m: n for m, n in measures.items() if n}) for key, measures in counts.items()}
    return {key: measures for key, measures in kept.items() if measures}


def coarse_by_town(rows: Iterable[Mapping[str, Any]], levels: Iterable[Level] = LEVELS) -> Iterator[Contributions]:
    """The coarse rows of ``levels`` made by grid rows (``KEY`` and the measures) given in the
    order of their area path, one town at a time (what a database whose grid rows predate the
    coarse levels needs: migrations ``cases/0016`` and ``cases/0023``); the rows of the levels
    that span towns come last, summed over all of them (one row a key)."""
    chosen = [level for level in levels if level not in SPANNING_LEVELS]
    spanning = [level for level in levels if level in SPANNING_LEVELS]
    town: tuple[str, ...] | None = None
    found: Contributions = defaultdict(Counter)
    across: Contributions = defaultdict(Counter)
    for row in rows:
        ids = pathfield.parts(row["area_path"])
        here = tuple(ids[:TOWN_DEPTH])
        if here != town and found:
            yield found
            found = defaultdict(Counter)
        town = here
        counts = Counter({measure: row[measure] for measure in ROLLUP_MEASURES if row[measure]})
        key = tuple(row[name] for name in KEY)
        for level in chosen:
            found[project(key, level)].update(counts)
        for level in spanning:
            across[project(key, level)].update(counts)
    if found:
        yield found
    if across:
        yield across


def coarse_sql(level: Level, *, under: bool = False) -> str:
    """PostgreSQL: one ``INSERT … SELECT`` that writes the coarse rows of ``level`` from every
    grid row, as :func:`project` and :func:`coarse_by_town` would (migration ``cases/0016``:
    seconds where the rows read into Python took a quarter of an hour at ten million cases).
    Only the model's names and the level's fixed values are written in; with ``under``, from
    the grid rows under an area path given as the statement's one parameter (a ``LIKE``
    pattern)."""
    table, grid = CaseRollupCoarse._meta.db_table, CaseRollup._meta.db_table
    depth = level.depth
    deep = f"cardinality(parts) >= {depth}"
    area = f"CASE WHEN grid_id IS NOT NULL AND {deep} THEN parts[{depth}]::bigint END"
    path = f"CASE WHEN {deep} THEN '/' || array_to_string(parts[1:{depth}], '/') || '/' ELSE area_path END"
    department = "lead_department_id" if DEPARTMENT in level.keeps else "NULL::bigint"
    category = "category_id" if CATEGORY in level.keeps else "NULL::bigint"
    source = "source" if SOURCE in level.keeps else "''"
    measures = ", ".join(ROLLUP_MEASURES)
    sums = ", ".join(f"SUM({measure})" for measure in ROLLUP_MEASURES)
    columns = f"level, month, late, area_id, area_path, lead_department_id, category_id, source, {measures}"
    chosen = f"'{level.name}', month, late, {area}, {path}, {department}, {category}, {source}"
    rows = f"SELECT *, string_to_array(trim(both '/' from area_path), '/') AS parts FROM {grid}"  # noqa: S608
    if under:
        rows += " WHERE area_path LIKE %s"
    return (
        f"INSERT INTO {table} ({columns}) SELECT {chosen}, {sums} FROM ({rows}) AS g "  # noqa: S608
        "GROUP BY month, late, 4, 5, 6, 7, 8"
    )


def coarse(counts: Contributions, levels: Iterable[Level] = ALL_LEVELS) -> Contributions:
    """The coarse rows of ``levels`` that ``counts`` make: keyed by ``CASE_KEY`` (a recount,
    changes), every level; keyed by ``KEY`` (grid rows), the person levels have none."""
    chosen = tuple(levels)
    found: Contributions = defaultdict(Counter)
    for key, measures in counts.items():
        for target in targets(key, chosen):
            found[target].update(measures)
    return _nonzero(found)


def _earliest(*moments: dt.datetime | None) -> dt.datetime | None:
    found = [moment for moment in moments if moment is not None]
    return min(found) if found else None


def contributions(case: Mapping[str, Any]) -> Contributions:
    """What one case (its ``FIELDS``) adds to which rows."""
    found: Contributions = defaultdict(Counter)
    dims = (
        case["grid_id"],
        case["area_path"],
        case["lead_department_id"],
        case["category_id"],
        case["source"],
        case["reporter_id"],
        case["verified_by_id"],
    )
    zone = timezone.get_current_timezone()

    def add(first: dt.datetime | None, measure: str, amount: int = 1) -> None:
        if first is not None:
            day = first.astimezone(zone).date()
            month = day.replace(day=1)
            found[(month, month, *dims, day, day)][measure] += amount

    def add_until(first: dt.datetime | None, second: dt.datetime | None, measure: str) -> None:
        if first is not None and second is not None:
            day, until = first.astimezone(zone).date(), second.astimezone(zone).date()
            month = day.replace(day=1)
            found[(month, max(month, until.replace(day=1)), *dims, day, max(day, until))][measure] += 1

    if case["self_handled"]:
        add(case["reported_at"], "self_handled")
        return found
    merged = case["voided_at"] if case["merged_into_id"] is not None else None
    add(case["reported_at"], "reported")
    add_until(case["reported_at"], _earliest(case["registered_at"], merged), "valid")
    add(case["registered_at"], "registered")
    add(case["voided_at"], "voided")
    closed, due, handled = case["closed_at"], case["due_at"], case["handled_at"]
    closed_on_time, handled_on_time = case["closed_on_time"] is True, case["handled_on_time"] is True
    add(closed, "closed")
    add_until(closed, due, "closed_due")
    add(due, "due")
    add_until(due, closed, "due_closed")
    add_until(due, handled, "due_handled")
    if closed_on_time:
        add(closed, "closed_cot")
        add_until(closed, due, "closed_due_cot")
        add_until(due, closed, "due_closed_cot")
    add(handled, "handled")
    add_until(handled, due, "handled_due")
    if handled_on_time:
        add(handled, "handled_hot")
        add_until(handled, due, "handled_due_hot")
        add_until(due, handled, "due_handled_hot")
    add_until(handled, case["reworked_at"], "reworked")
    if case["handling_minutes"] is not None:
        add(handled, "minutes_n")
        add(handled, "minutes", case["handling_minutes"])
    add(case["dispatched_at"], "dispatched")
    add_until(case["dispatched_at"], _earliest(case["redispatched_at"], case["reworked_at"]), "misdispatched")
    add(case["verified_at"], "verified")
    if case["verified_on_time"] is True:
        add(case["verified_at"], "verified_on_time")
    if case["satisfaction"]:
        add(case["callback_at"], "called_back")
        if case["satisfaction"] in SATISFIED:
            add(case["callback_at"], "satisfied")
    return found


def difference(before: Contributions, after: Contributions) -> Contributions:
    """``after`` minus ``before``, without the keys and measures that did not change."""
    found: Contributions = {}
    for key in set(before) | set(after):
        change = Counter(after.get(key, Counter()))
        change.subtract(before.get(key, Counter()))
        change = Counter({measure: amount for measure, amount in change.items() if amount})
        if change:
            found[key] = change
    return found


def apply(changes: Contributions) -> None:
    """Add ``changes`` (by ``CASE_KEY``) to the grid rows and to the coarse rows of every level:
    one statement for each table (:func:`_upsert`), and one insert for the keys that had no
    row yet."""
    for upsert in planned(changes):
        upsert.run()


def planned(changes: Contributions) -> list[Upsert]:
    """The statements :func:`apply` runs for ``changes``, written but not run (a new case's
    are written before its transaction: ``prepare``)."""
    return [_upsert(CaseRollup, KEY, grid_rows(changes)), _upsert(CaseRollupCoarse, COARSE_KEY, coarse(changes))]


def _match(names: Iterable[str], key: Iterable[Any]) -> tuple[str, list[Any]]:
    """``name = %s AND …`` for one key (``IS NULL`` for a missing value) and its parameters."""
    column = connection.ops.quote_name
    terms: list[str] = []
    params: list[Any] = []
    for name, value in zip(names, key, strict=True):
        if value is None:
            terms.append(f"{column(name)} IS NULL")
        else:
            terms.append(f"{column(name)} = %s")
            params.append(value)
    return "(" + " AND ".join(terms) + ")", params


def _same(key: Iterable[Any]) -> tuple[str | None, ...]:
    """A key as text, to match the key columns a statement returns (dates may come back as
    text from SQLite) with the keys asked for."""
    return tuple(None if value is None else str(value) for value in key)


@dataclass(frozen=True)
class Upsert:
    """One table's ``UPDATE`` of :func:`_upsert`, written, and what it adds to which keys."""

    model: type[CaseRollup | CaseRollupCoarse]
    names: tuple[str, ...]
    changes: Contributions
    keys: tuple[tuple[Any, ...], ...]
    sql: str
    params: tuple[Any, ...]

    def run(self) -> None:
        """Run the ``UPDATE``; insert a row for each key it did not find."""
        if not self.keys:
            return
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            found = {_same(row) for row in cursor.fetchall()}
        missing = [key for key in self.keys if _same(key) not in found]
        if missing:
            insert_all(list(_rows(self.model, self.names, {key: self.changes[key] for key in missing})))


def _upsert(model: type[CaseRollup | CaseRollupCoarse], names: tuple[str, ...], changes: Contributions) -> Upsert:
    """Add each key's change to the first row of that key, all keys in one ``UPDATE`` that
    returns the keys it found; then one ``INSERT`` of a row for each key that had none. (Two
    rows of one key, from two transactions creating it at once, are summed like any others;
    a row another transaction commits meanwhile for a key this statement did not find is not
    taken for this one's: the keys come back from the rows it updated.)

    The statement is written here rather than by the ORM: compiling the keys' filters through
    the ORM took 7 of the 12 ms of a report (in-process, SQLite), inside the transaction that
    holds the database's write lock, and halved the intake rate (bench/intake.py). Only the
    model's quoted table and column names are written in; every value is a parameter."""
    if not changes:
        return Upsert(model, names, changes, (), "", ())
    column = connection.ops.quote_name
    table = column(model._meta.db_table)
    keys = sorted(changes, key=repr)
    matches: list[str] = []
    match_params: list[list[Any]] = []
    for key in keys:
        match, params = _match(names, key)
        matches.append(match)
        match_params.append(params)
    sets: list[str] = []
    set_params: list[Any] = []
    for measure in sorted(set().union(*changes.values())):
        amounts = [changes[key][measure] for key in keys]
        name = column(measure)
        if len(set(amounts)) == 1:  # the same for every key (a report: +1 everywhere)
            sets.append(f"{name} = {name} + %s")
            set_params.append(amounts[0])
            continue
        cases: list[str] = []
        for number, amount in enumerate(amounts):
            if amount:
                cases.append(f"WHEN {matches[number]} THEN %s")
                set_params.extend([*match_params[number], amount])
        sets.append(f"{name} = {name} + CASE {' '.join(cases)} ELSE 0 END")
    pk = column("id")
    key_columns = ", ".join(column(name) for name in names)
    where = " OR ".join(matches)
    firsts = f"SELECT MIN({pk}) FROM {table} WHERE {where} GROUP BY {key_columns}"  # noqa: S608
    if connection.vendor == "postgresql":
        # The rows locked in the order of their ids, whatever the plan: two transactions
        # adding to the same rows of a town or of the district (two reports, a report and a
        # desk action) then wait for each other instead of deadlocking. (SQLite has one write
        # lock for the whole database.)
        locked = f"SELECT {pk} FROM {table} WHERE {pk} IN ({firsts}) ORDER BY {pk} FOR UPDATE"  # noqa: S608
        sql = (
            f"UPDATE {table} SET {', '.join(sets)} FROM ({locked}) AS locked "  # noqa: S608
            f"WHERE {table}.{pk} = locked.{pk} RETURNING {', '.join(f'{table}.{column(name)}' for name in names)}"
        )
    else:
        sql = f"UPDATE {table} SET {', '.join(sets)} WHERE {pk} IN ({firsts}) RETURNING {key_columns}"  # noqa: S608
    arguments = (*set_params, *(value for key_params in match_params for value in key_params))
    return Upsert(model, names, changes, tuple(keys), sql, arguments)


# --- upkeep: the saves of a case --------------------------------------------------------------


def _stored(pk: int) -> dict[str, Any] | None:
    return Case.objects.filter(pk=pk).values(*FIELDS).first()


def _touches(update_fields: Iterable[str] | None) -> bool:
    return update_fields is None or bool(FIELD_NAMES.intersection(update_fields))


def _before_save(sender: type[Case], instance: Case, update_fields: Any = None, raw: bool = False, **_: Any) -> None:
    if raw or not _touches(update_fields):
        return
    instance._rollup_before = _stored(instance.pk) if instance.pk else None  # type: ignore[attr-defined]


def _inserted(instance: Case) -> dict[str, Any] | None:
    """The columns of a case just inserted, from the instance itself (what the insert wrote),
    or None when one of them is an expression the database computed (then it is read back)."""
    values = {name: getattr(instance, name) for name in FIELDS}
    if any(hasattr(value, "resolve_expression") for value in values.values()):
        return None
    return values


def prepare(case: Case) -> None:
    """Write a new case's rollup statements before its transaction (the report's write lock is
    then held for running them only), for :func:`run_deferred` to run at the end of the same
    transaction: a rollup row of a town or of the district is shared by every report of its
    day, and an ``UPDATE`` locks it to the commit, so run last, the other reports of the town
    wait for the rest of the transaction only. The ``post_save`` keeps them when the inserted
    values are still the ones they were written for; otherwise it computes and runs them."""
    values = _inserted(case)
    if case.pk is None and values is not None:
        case._rollup_prepared = (values, planned(difference({}, contributions(values))))  # type: ignore[attr-defined]


def run_deferred(case: Case) -> None:
    """Run the rollup statements :func:`prepare` left with the inserted case (nothing when its
    ``post_save`` had to compute and run them itself)."""
    pending = getattr(case, "_rollup_pending", None)
    case._rollup_pending = None  # type: ignore[attr-defined]
    for upsert in pending or ():
        upsert.run()


def _after_save(
    sender: type[Case],
    instance: Case,
    created: bool = False,
    update_fields: Any = None,
    raw: bool = False,
    **_: Any,
) -> None:
    if raw or not _touches(update_fields):
        return
    before = getattr(instance, "_rollup_before", None)
    instance._rollup_before = None  # type: ignore[attr-defined]
    prepared = getattr(instance, "_rollup_prepared", None)
    instance._rollup_prepared = None  # type: ignore[attr-defined]
    # A new case: its row holds exactly the instance's values, no need to read it back.
    after = (_inserted(instance) if created and before is None else None) or _stored(instance.pk)
    if created and before is None and prepared is not None and prepared[0] == after:
        instance._rollup_pending = prepared[1]  # type: ignore[attr-defined]  # run_deferred runs them
        return
    old = contributions(before) if before else {}
    new = contributions(after) if after else {}
    apply(difference(old, new))


def _before_delete(sender: type[Case], instance: Case, **_: Any) -> None:
    instance._rollup_before = _stored(instance.pk)  # type: ignore[attr-defined]


def _after_delete(sender: type[Case], instance: Case, **_: Any) -> None:
    before = getattr(instance, "_rollup_before", None)
    if before:
        apply(difference(contributions(before), {}))


def connect() -> None:
    """Keep the rollups with every save and deletion of a case (called once, by the app)."""
    pre_save.connect(_before_save, sender=Case, dispatch_uid="case_rollup_before")
    post_save.connect(_after_save, sender=Case, dispatch_uid="case_rollup_after")
    pre_delete.connect(_before_delete, sender=Case, dispatch_uid="case_rollup_before_delete")
    post_delete.connect(_after_delete, sender=Case, dispatch_uid="case_rollup_after_delete")


# --- recount, bulk build and check ------------------------------------------------------------

BATCH: Final = 5000


def _under(prefix: str) -> Q:
    return Q(area_path__startswith=prefix) if prefix else Q()


def recount(prefix: str = "") -> Contributions:
    """What the cases under the area path ``prefix`` (all cases: "") add, by ``CASE_KEY``
    (:func:`grid_rows` and :func:`coarse` make the rows)."""
    return tally(Case.objects.filter(_under(prefix)).order_by().values(*FIELDS).iterator(chunk_size=BATCH))


def tally(cases: Iterable[Mapping[str, Any]]) -> Contributions:
    """What ``cases`` (their ``FIELDS``) add, by ``CASE_KEY``."""
    found: Contributions = defaultdict(Counter)
    for case in cases:
        for key, counts in contributions(case).items():
            found[key].update(counts)
    return found


def stored(prefix: str = "", *, model: type[CaseRollup | CaseRollupCoarse] = CaseRollup) -> Contributions:
    """The rows kept under the area path ``prefix``, summed per key (zero counts left out): the
    grid rows, or with ``model=CaseRollupCoarse`` the coarse rows of every level."""
    key = KEY if model is CaseRollup else COARSE_KEY
    found: Contributions = defaultdict(Counter)
    totals = {measure: Sum(measure) for measure in ROLLUP_MEASURES}
    for row in model.objects.filter(_under(prefix)).values(*key).annotate(**totals).order_by():
        counts = Counter({measure: row[measure] for measure in ROLLUP_MEASURES if row[measure]})
        if counts:
            found[tuple(row[name] for name in key)] = counts
    return found


def _rows(model: type[CaseRollup | CaseRollupCoarse], key: tuple[str, ...], counts: Contributions) -> Iterator[Any]:
    for values, measures in counts.items():
        yield model(**dict(zip(key, values, strict=True)), **measures)


def write(prefix: str, counts: Contributions, *, grid: bool = True, levels: Iterable[Level] = ALL_LEVELS) -> int:
    """Replace the rows under ``prefix`` with those ``counts`` make: the grid rows (not with
    ``grid=False``) and the coarse rows of ``levels`` whose rows lie under it (:func:`levels_under`;
    the person levels need ``counts`` by ``CASE_KEY``, a recount of the cases); returns how many
    grid rows there are (written with ``COPY`` on PostgreSQL, for a bulk build of millions)."""
    chosen = levels_under(prefix, levels)
    rows = grid_rows(counts)
    tables: list[tuple[type[CaseRollup | CaseRollupCoarse], tuple[str, ...], Contributions, Q]] = [
        (CaseRollupCoarse, COARSE_KEY, coarse(counts, chosen), Q(level__in=[level.name for level in chosen]))
    ]
    if grid:
        tables.insert(0, (CaseRollup, KEY, rows, Q()))
    with transaction.atomic():
        for model, key, made, only in tables:
            model.objects.filter(_under(prefix)).filter(only).delete()
            if connection.vendor == "postgresql":
                _copy(model, key, made)
                continue
            instances = _rows(model, key, made)
            while batch := list(islice(instances, BATCH)):
                model.objects.bulk_create(batch)
    return len(rows)


def _copy(model: type[CaseRollup | CaseRollupCoarse], key: tuple[str, ...], counts: Contributions) -> None:
    columns = [*key, *ROLLUP_MEASURES]
    table = model._meta.db_table
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for values, measures in counts.items():
            copy.write_row((*values, *(measures.get(measure, 0) for measure in ROLLUP_MEASURES)))


@dataclass(frozen=True)
class Outcome:
    """One area's check: the keys whose rows differ from the recount (with the measures that
    differ: stored, recounted; a coarse key starts with its level's name), and whether they
    were rewritten."""

    prefix: str
    keys: int
    differences: dict[Key, dict[str, tuple[int, int]]]
    repaired: bool
    seconds: float


def compare(kept: Contributions, counted: Contributions) -> dict[Key, dict[str, tuple[int, int]]]:
    found: dict[Key, dict[str, tuple[int, int]]] = {}
    for key in set(kept) | set(counted):
        mine, theirs = kept.get(key, Counter()), counted.get(key, Counter())
        differing = {
            measure: (mine[measure], theirs[measure])
            for measure in set(mine) | set(theirs)
            if mine[measure] != theirs[measure]
        }
        if differing:
            found[key] = differing
    return found


def describe(key: Key) -> dict[str, Any]:
    """A key of either table as its column names and values (for the check's report)."""
    names = COARSE_KEY if isinstance(key[0], str) else KEY  # a coarse key starts with its level
    return dict(zip(names, key, strict=True))


# How often a repair is tried again when cases saved meanwhile changed the rows it rewrites.
REPAIR_TRIES: Final = 5
SERIALIZATION_FAILURE: Final = "40001"  # PostgreSQL's SQLSTATE


def check(prefix: str = "", *, repair: bool = False, from_grid_rows: bool = False) -> Outcome:
    """Compare the grid rows and the coarse rows under the area path ``prefix`` with a
    recount of its cases; with ``repair``, rewrite both from the recount when they differ.
    With ``from_grid_rows``, compare (and rewrite) only the rows of the levels that span towns
    (:data:`SPANNING_LEVELS`) under ``prefix`` with the sums of its grid rows: a district's,
    after its towns' check.

    Cases are saved while it runs. Read outside a transaction, a case saved between the
    recount and the rows' read looked like a difference, and a repair then wrote the recount
    without it over rows that had it: a count lost. So, unless the caller's transaction is
    already open, the check runs in one of its own: on PostgreSQL a ``REPEATABLE READ`` one (the
    recount and the rows are one snapshot; a repair whose rows a save changed meanwhile fails
    to serialise and is tried again, up to ``REPAIR_TRIES`` times), on SQLite, for a repair, one
    that holds the write lock (saves wait for it). A check without repair on SQLite reads
    without a transaction, so under load it can show the saves in flight: check again."""
    if connection.in_atomic_block or (connection.vendor != "postgresql" and not repair):
        return _check(prefix, repair, from_grid_rows)
    for attempt in range(1, REPAIR_TRIES + 1):
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                return _check(prefix, repair, from_grid_rows)
        except OperationalError as error:
            if attempt == REPAIR_TRIES or getattr(error.__cause__, "sqlstate", None) != SERIALIZATION_FAILURE:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _check(prefix: str, repair: bool, from_grid_rows: bool = False) -> Outcome:
    began = time.perf_counter()
    if from_grid_rows:
        levels = levels_under(prefix, SPANNING_LEVELS)
        kept = stored(prefix)
        differences = compare(_stored_levels(prefix, levels), coarse(kept, levels))
        if differences and repair:
            write(prefix, kept, grid=False, levels=levels)
        return Outcome(prefix, len(kept), differences, bool(differences and repair), time.perf_counter() - began)
    counted = recount(prefix)
    rows = grid_rows(counted)
    differences = compare(stored(prefix), rows)
    levels = levels_under(prefix)
    differences.update(compare(_stored_levels(prefix, levels), coarse(counted, levels)))
    if differences and repair:
        write(prefix, counted)
    return Outcome(prefix, len(rows), differences, bool(differences and repair), time.perf_counter() - began)


def _stored_levels(prefix: str, levels: tuple[Level, ...]) -> Contributions:
    """The coarse rows of ``levels`` kept under ``prefix``, summed per key."""
    names = {level.name for level in levels}
    return {key: counts for key, counts in stored(prefix, model=CaseRollupCoarse).items() if key[0] in names}


def rebuild(prefix: str = "") -> int:
    """Write the rows under ``prefix`` from the cases (after a bulk load); returns the grid rows.
    The rows of levels above the prefix's areas are left as they are: :func:`rebuild_towns`."""
    return write(prefix, recount(prefix))


def rebuild_towns(paths: Iterable[str]) -> int:
    """Rebuild the towns at ``paths`` from their cases, then the rows that span towns
    (:data:`SPANNING_LEVELS`) of their districts from the grid rows; returns the grid rows."""
    towns = sorted(set(paths))
    written = sum(rebuild(town) for town in towns)
    for district in sorted({path_prefix(town, DISTRICT_DEPTH) for town in towns}):
        rebuild_coarse(district, SPANNING_LEVELS)
    return written


def rebuild_coarse(prefix: str = "", levels: Iterable[Level] = LEVELS) -> int:
    """Write the coarse rows of the area ``levels`` under ``prefix`` from the grid rows kept (a
    database whose grid rows predate the coarse levels; a district's spanning levels after its
    towns' rows were built); returns how many grid rows there are (on PostgreSQL, one
    ``INSERT … SELECT`` a level, :func:`coarse_sql`)."""
    chosen = levels_under(prefix, levels)
    if connection.vendor != "postgresql":
        return write(prefix, stored(prefix), grid=False, levels=chosen)
    with transaction.atomic(), connection.cursor() as cursor:
        CaseRollupCoarse.objects.filter(_under(prefix), level__in=[level.name for level in chosen]).delete()
        for level in chosen:
            cursor.execute(coarse_sql(level, under=True), [f"{prefix}%"])
        return CaseRollup.objects.filter(_under(prefix)).count()


def levels_operation(names: Iterable[str], *, from_cases: bool) -> Any:
    """The migration step that makes the rows of the levels ``names`` added by that migration
    for what is already there (from the cases: :func:`build_from_cases`; from the grid rows:
    :func:`build_from_grid_rows`) and deletes them backwards. Rows of those levels already
    there (a migrate that also ran ``cases/0016`` or ``cases/0020`` with today's levels) are
    replaced."""
    from django.db.migrations import RunPython

    chosen = [level for level in ALL_LEVELS if level.name in set(names)]

    def backwards(apps: Any, schema_editor: Any) -> None:
        coarse_model = apps.get_model("cases", "CaseRollupCoarse")
        coarse_model.objects.filter(level__in=[level.name for level in chosen]).delete()

    def forwards(apps: Any, schema_editor: Any) -> None:
        backwards(apps, schema_editor)
        coarse_model = apps.get_model("cases", "CaseRollupCoarse")
        if from_cases:
            build_from_cases(apps.get_model("cases", "Case").objects, coarse_model, chosen)
        else:
            build_from_grid_rows(apps, schema_editor, chosen)

    return RunPython(forwards, backwards)


def build_from_grid_rows(apps: Any, schema_editor: Any, levels: Iterable[Level]) -> None:
    """Write the rows of the area ``levels`` from the grid rows already kept (a migration that
    adds such levels; ``apps`` its historical models): one ``INSERT … SELECT`` a level on
    PostgreSQL (:func:`coarse_sql`), town by town in Python elsewhere."""
    chosen = tuple(levels)
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for level in chosen:
                cursor.execute(coarse_sql(level))
        return
    coarse_model = apps.get_model("cases", "CaseRollupCoarse")
    grid_rows = apps.get_model("cases", "CaseRollup").objects.order_by("area_path", "pk")
    rows = grid_rows.values(*KEY, *ROLLUP_MEASURES).iterator(chunk_size=BATCH)
    for town in coarse_by_town(rows, chosen):
        made = (coarse_model(**dict(zip(COARSE_KEY, key, strict=True)), **counts) for key, counts in town.items())
        coarse_model.objects.bulk_create(made, batch_size=BATCH)


def build_from_cases(cases: Any, coarse_model: Any, levels: Iterable[Level]) -> None:
    """Write the rows of ``levels`` for the cases already there (a migration that adds levels
    made from the cases: ``cases`` and ``coarse_model`` are its historical manager and model),
    town by town, so that each key is one row."""
    chosen = tuple(levels)
    cases = cases.order_by()
    for town in list(cases.values_list("town_id", flat=True).distinct()):
        mine = cases.filter(town_id=town) if town is not None else cases.filter(town__isnull=True)
        made = level_rows(mine.values(*FIELDS).iterator(chunk_size=BATCH), chosen)
        rows = (coarse_model(**dict(zip(COARSE_KEY, key, strict=True)), **counts) for key, counts in made.items())
        coarse_model.objects.bulk_create(rows, batch_size=BATCH)


def level_rows(cases: Iterable[Mapping[str, Any]], levels: Iterable[Level]) -> Contributions:
    """The rows of ``levels`` that ``cases`` (their ``FIELDS``) make, summed case by case (far
    fewer keys than the cases' own contributions)."""
    chosen = tuple(levels)
    found: Contributions = defaultdict(Counter)
    for case in cases:
        for key, measures in coarse(contributions(case), chosen).items():
            found[key].update(measures)
    return _nonzero(found)
