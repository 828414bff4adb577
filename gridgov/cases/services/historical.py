"""Closed cases brought in from a historical ledger (the town's old platform or spreadsheets).

:func:`case_import_historical` writes one ledger row as a ``closed`` case marked ``imported``,
in the caller's transaction (the ledger import writes a batch of rows per transaction):

- its timeline: ``report``, ``register``, ``dispatch``, ``report_back``, ``verify_pass`` and
  ``close`` at the ledger's times (only the times the ledger gives), no actor, each event's
  ``data`` naming the import (``{"ledger": {...}}``);
- its stages, each with the deadline the category's time limit gives on the working calendar
  from the stage's start, and its on-time flag frozen from the ledger's end time: register
  (reported → registered), dispatch (registered → dispatched), handle (dispatched → handled,
  the acknowledging folded into it: ledgers do not keep it), verify (handled → verified);
- the milestones the statistics read (``registered_at`` … ``closed_on_time``, see
  :mod:`.milestones`), so that the imported month's figures come out of the indices like any
  other closed case's.

The ledger's own overall deadline and on-time flag, when it has them, are kept over the
calendar's (``due_at`` and ``closed_on_time``), with a review note when they disagree.

Numbers: the case keeps the ledger's number when no other case has it. The same number already
imported (by the same town) is the same case: ``unchanged`` when the row says the same, else
``updated`` (its events and stages written again). A number taken by a case that was not
imported (or by another town) is imported under a derived number (``<number>-H``, ``-H2`` …)
with the review note ``number_taken``; importing it again finds that derived case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from gridgov.areas.models import AreaLevel
from gridgov.categories.models import Category, Stage
from gridgov.categories.selectors import time_limit_amount
from gridgov.core.audit import record

from .. import deadlines
from ..historical_notes import Code
from ..models import Case, CaseEvent, CaseStage, Source, Status, Urgency
from ..transitions import REPORT, Action
from .milestones import handling_minutes

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from gridgov.areas.models import Area
    from gridgov.people.models import Department

__all__ = [
    "CREATED",
    "UNCHANGED",
    "UPDATED",
    "HistoricalCase",
    "case_import_historical",
    "derived_numbers",
]

CREATED: Final = "created"
UPDATED: Final = "updated"
UNCHANGED: Final = "unchanged"

NUMBER_MAX: Final = 30
# The suffix of a number derived from a ledger number that another case already has.
DERIVED_SUFFIX: Final = "-H"
DERIVED_TRIES: Final = 20


@dataclass
class HistoricalCase:
    """One ledger row, read and matched: what :func:`case_import_historical` writes.

    ``closed_at`` and ``reported_at`` are required (the ledger import fills them from the row's
    other times, with a note, when the ledger lacks them); ``review`` holds the notes of the row
    (``{"code", "field", "value", "taken"}``: codes and what the file said, no personal data)."""

    number: str
    town: Area
    category: Category
    reported_at: dt.datetime
    closed_at: dt.datetime
    area: Area | None = None  # a grid or a village of the town; None: the town
    department: Department | None = None
    source: str = Source.CENTER
    urgency: str = Urgency.NORMAL
    description: str = ""
    address: str = ""
    result: str = ""
    registered_at: dt.datetime | None = None
    dispatched_at: dt.datetime | None = None
    handled_at: dt.datetime | None = None
    verified_at: dt.datetime | None = None
    deadline: dt.datetime | None = None  # the ledger's overall deadline
    on_time: bool | None = None  # the ledger's own on-time flag
    review: list[dict[str, str]] = field(default_factory=list)

    def note(self, code: str, field_name: str, value: Any = "", taken: Any = "") -> None:
        self.review.append({"code": code, "field": field_name, "value": str(value)[:60], "taken": str(taken)[:60]})

    def fingerprint(self) -> str:
        """What the row says, as a digest: the same row imported again changes nothing."""
        values = [
            self.number,
            self.town.pk,
            self.category.pk,
            self.area.pk if self.area else None,
            self.department.pk if self.department else None,
            self.source,
            self.urgency,
            self.description,
            self.address,
            self.result,
            *(_iso(moment) for moment in self.times()),
            _iso(self.deadline),
            self.on_time,
            self.review,
        ]
        return hashlib.sha256(json.dumps(values, default=str, ensure_ascii=False).encode()).hexdigest()

    def times(self) -> tuple[dt.datetime | None, ...]:
        return (
            self.reported_at,
            self.registered_at,
            self.dispatched_at,
            self.handled_at,
            self.verified_at,
            self.closed_at,
        )


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def derived_numbers(number: str) -> list[str]:
    """The numbers a ledger number is imported under when another case has it, in order."""
    base = number[: NUMBER_MAX - len(DERIVED_SUFFIX) - 2]
    return [f"{base}{DERIVED_SUFFIX}" + ("" if n == 1 else str(n)) for n in range(1, DERIVED_TRIES + 1)]


def _same_import(case: Case, row: HistoricalCase, number: str) -> bool:
    """Is ``case`` this row imported before (under ``number``, the ledger's)?"""
    if not case.imported or case.town_id != row.town.pk:
        return False
    if case.number == number:
        return True
    return any(n.get("code") == Code.NUMBER_TAKEN and n.get("value") == number[:60] for n in case.import_review)


def _place(row: HistoricalCase) -> tuple[str, int | None]:
    # The area path under which the case lies (a grid's, a village's when the ledger names only
    # the village, the town's when it names neither) and its grid: only a grid is a case's grid,
    # as for every other case, so that a village's case is in the village's and town's totals
    # and in no row of the village or grid tables (which group on the grid), live or rolled up.
    if row.area is None:
        return row.town.path, None
    return row.area.path, row.area.pk if row.area.level == AreaLevel.GRID else None


@dataclass(frozen=True)
class _StageSpan:
    stage: str
    start: dt.datetime
    end: dt.datetime
    department: Department | None = None


def _spans(row: HistoricalCase) -> list[_StageSpan]:
    spans: list[_StageSpan] = []
    pairs = (
        (Stage.REGISTER, row.reported_at, row.registered_at, None),
        (Stage.DISPATCH, row.registered_at, row.dispatched_at, None),
        (Stage.HANDLE, row.dispatched_at, row.handled_at, row.department),
        (Stage.VERIFY, row.handled_at, row.verified_at, None),
    )
    for stage, start, end, department in pairs:
        if start is not None and end is not None:
            spans.append(_StageSpan(stage, start, end, department))
    return spans


Limits = dict[tuple[int, str, str], "tuple[int, str] | None"]


def _stages(case: Case, row: HistoricalCase, limits: Limits) -> list[CaseStage]:
    stages: list[CaseStage] = []
    for span in _spans(row):
        key = (row.category.pk, row.urgency, span.stage)
        if key not in limits:
            limits[key] = time_limit_amount(*key)
        timing = deadlines.timing_of(span.start, limits[key])
        stages.append(
            CaseStage(
                case=case,
                stage=span.stage,
                started_at=span.start,
                warn_at=timing.warn_at,
                deadline=timing.deadline,
                limit_amount=timing.amount,
                limit_unit=timing.unit,
                ended_at=span.end,
                on_time=None if timing.deadline is None else span.end <= timing.deadline,
                department=span.department,
            )
        )
    return stages


def _events(case: Case, row: HistoricalCase, data: dict[str, Any]) -> list[CaseEvent]:
    """The timeline at the ledger's times; the last event closes the case."""
    steps: list[tuple[str, dt.datetime, str]] = [(REPORT, row.reported_at, Status.REPORTED)]
    if row.registered_at is not None:
        steps.append((Action.REGISTER, row.registered_at, Status.REGISTERED))
    if row.dispatched_at is not None:
        steps.append((Action.DISPATCH, row.dispatched_at, Status.DISPATCHED))
    if row.handled_at is not None:
        steps.append((Action.REPORT_BACK, row.handled_at, Status.AWAITING_VERIFICATION))
    if row.verified_at is not None:
        closes = row.verified_at == row.closed_at
        steps.append((Action.VERIFY_PASS, row.verified_at, Status.CLOSED if closes else Status.AWAITING_VERIFICATION))
    if steps[-1][2] != Status.CLOSED:
        steps.append((Action.CLOSE, row.closed_at, Status.CLOSED))
    events: list[CaseEvent] = []
    before = ""
    for action, at, status in steps:
        comment = row.result if status == Status.CLOSED or action == Action.REPORT_BACK else ""
        events.append(
            CaseEvent(
                case=case,
                action=action,
                actor=None,
                at=at,
                from_status=before,
                to_status=status,
                comment=comment if action != REPORT else "",
                data=data,
            )
        )
        before = status
    return events


def _milestones(row: HistoricalCase, stages: list[CaseStage]) -> dict[str, Any]:
    """The milestones the statistics read, from the ledger's times and the frozen stages; the
    ledger's own deadline and on-time flag over the calendar's, noted when they disagree."""
    by_stage = {stage.stage: stage for stage in stages}
    handle, verify = by_stage.get(Stage.HANDLE), by_stage.get(Stage.VERIFY)
    due_at = handle.deadline if handle is not None else None
    if row.deadline is not None:
        if due_at is not None and row.deadline != due_at:
            row.note(Code.DEADLINE_DIFFERS, "deadline", _iso(row.deadline), _iso(due_at))
        due_at = row.deadline
    calendar_on_time = not any(s.on_time is False for s in stages if s.stage in (Stage.HANDLE, Stage.VERIFY))
    closed_on_time = calendar_on_time
    ledger_on_time = row.on_time
    if ledger_on_time is None and row.deadline is not None:
        ledger_on_time = row.closed_at <= row.deadline
    if ledger_on_time is not None:
        if ledger_on_time != calendar_on_time:
            row.note(Code.ON_TIME_DIFFERS, "on_time", ledger_on_time, calendar_on_time)
        closed_on_time = ledger_on_time
    return {
        "registered_at": row.registered_at or row.reported_at,
        "dispatched_at": row.dispatched_at,
        "dispatch_count": 1 if row.dispatched_at is not None else 0,
        "handled_at": row.handled_at,
        "handled_on_time": None if handle is None else handle.on_time,
        "handling_minutes": handling_minutes(row.dispatched_at or row.registered_at or row.reported_at, row.handled_at),
        "verified_at": row.verified_at,
        "verified_on_time": None if verify is None else verify.on_time,
        "due_at": due_at,
        "closed_at": row.closed_at,
        "closed_on_time": closed_on_time,
    }


def _existing(row: HistoricalCase) -> tuple[Case | None, str, bool]:
    """The case this row was imported as before (if any), the number to use, and whether the
    ledger's number is taken by another case."""
    number = row.number
    candidates = [number] if len(number) <= NUMBER_MAX else []
    candidates += derived_numbers(number)
    found = {c.number: c for c in Case.objects.select_for_update().filter(number__in=candidates)}
    for candidate in candidates:
        case = found.get(candidate)
        if case is None:
            return None, candidate, candidate != number
        if _same_import(case, row, number):
            return case, candidate, candidate != number
    return None, "", True


def case_import_historical(
    *,
    row: HistoricalCase,
    actor: AbstractBaseUser | None,
    job: dict[str, Any],
    limits: Limits | None = None,
) -> tuple[Case, str]:
    """Write one ledger row as a closed, imported case (in the caller's transaction); returns
    the case and ``created``, ``updated`` or ``unchanged``. ``job`` names the import in the
    events' data (e.g. ``{"import": 12, "row": 5}``); ``limits`` keeps the categories' time
    limits read for the rows before (one dict for a whole import)."""
    case, number, taken = _existing(row)
    if not number:
        raise ValueError("no free number for the ledger row")  # 20 derived numbers all taken
    if taken and not any(n["code"] == Code.NUMBER_TAKEN for n in row.review):
        row.note(Code.NUMBER_TAKEN, "number", row.number, number)
    area_path, area_id = _place(row)
    data = {"ledger": {**job, "number": row.number[:60]}}
    # Stages first: the milestones' notes join the review before the fingerprint is taken.
    probe = Case(category=row.category)
    stages = _stages(probe, row, {} if limits is None else limits)
    milestones = _milestones(row, stages)
    digest = row.fingerprint()
    data["ledger"]["fingerprint"] = digest
    if case is not None and _fingerprint_of(case) == digest:
        return case, UNCHANGED
    values: dict[str, Any] = {
        "town": row.town,
        "grid_id": area_id,
        "area_path": area_path,
        "category": row.category,
        "urgency": row.urgency,
        "source": row.source,
        "status": Status.CLOSED,
        "description": row.description,
        "address": row.address[:200],
        "reported_at": row.reported_at,
        "lead_department": row.department,
        "stage": "",
        "stage_started_at": None,
        "stage_warn_at": None,
        "stage_deadline": None,
        "next_alert_at": None,
        "imported": True,
        "import_review": list(row.review),
        **milestones,
    }
    outcome = CREATED
    if case is None:
        case = Case(number=number, **values)
        case.save(force_insert=True)
    else:
        outcome = UPDATED
        for name, value in values.items():
            setattr(case, name, value)
        case.version += 1
        case.save()
        CaseEvent.objects.filter(case=case).delete()
        CaseStage.objects.filter(case=case).delete()
    for stage in stages:
        stage.case = case
    CaseStage.objects.bulk_create(stages)
    CaseEvent.objects.bulk_create(_events(case, row, data))
    record(
        action="cases.import_historical",
        actor=actor,
        obj=case,
        data={"number": case.number, "outcome": outcome, **job, "notes": [n["code"] for n in row.review]},
    )
    return case, outcome


def _fingerprint_of(case: Case) -> str:
    """The digest of the row a case was imported from (kept on its ``report`` event)."""
    event = CaseEvent.objects.filter(case=case, action=REPORT).only("data").first()
    ledger = (event.data or {}).get("ledger") if event is not None else None
    return str(ledger.get("fingerprint") or "") if isinstance(ledger, dict) else ""
