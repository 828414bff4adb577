"""Stage bookkeeping of a case: one :class:`CaseStage` row per timed stage, mirrored on the
case (``stage``, ``stage_deadline``, ``stage_warn_at``, ``next_alert_at``) for lists and the
sweep. The rules of the warn point and its shift by a pause are the stage clock of every timed
workflow (:mod:`gridgov.workcalendar.clock`, through :mod:`gridgov.cases.deadlines`)."""

from __future__ import annotations

import datetime as dt
from typing import Final

from gridgov.core.inserts import insert
from gridgov.people.models import Department
from gridgov.workcalendar.clock import next_alert

from .. import deadlines
from ..models import STATUS_STAGE, Case, CaseStage, Status

# The case's columns that mirror its open stage (saved with every step).
STAGE_FIELDS: Final = ("stage", "stage_started_at", "stage_warn_at", "stage_deadline", "next_alert_at")
# The unit of a stage whose limit names none (rows written before units existed).
DEFAULT_UNIT: Final = "working_days"


def open_stage(case: Case) -> CaseStage | None:
    return CaseStage.objects.filter(case=case, ended_at__isnull=True).first()


def stage_department(case: Case) -> Department | None:
    return case.lead_department if case.status in (Status.DISPATCHED, Status.IN_PROGRESS) else None


def first_stage(case: Case, at: dt.datetime) -> CaseStage:
    """The stage of a new ``reported`` case, unsaved (its case is saved first), with its timing
    mirrored on the case."""
    wanted = STATUS_STAGE[Status.REPORTED]
    timing = deadlines.timing(at, case.category_id, case.urgency, wanted)
    case.stage = wanted
    case.stage_started_at = at
    case.stage_warn_at = case.next_alert_at = timing.warn_at
    case.stage_deadline = timing.deadline
    return CaseStage(
        stage=wanted,
        started_at=at,
        warn_at=timing.warn_at,
        deadline=timing.deadline,
        limit_amount=timing.amount,
        limit_unit=timing.unit,
        department=None,
    )


def stage_end(case: Case, at: dt.datetime) -> CaseStage | None:
    """End the open stage (its on-time flag is frozen now); the stage ended, if any."""
    stage = open_stage(case)
    if stage is None:
        return None
    stage.ended_at = at
    stage.on_time = None if stage.deadline is None else at <= stage.deadline
    stage.save(update_fields=["ended_at", "on_time"])
    return stage


def stage_enter(case: Case, at: dt.datetime, *, restart: bool = False) -> CaseStage | None:
    """Close the stage the case was in and open the one its status now has. With ``restart``
    a new stage row starts even if the stage name is unchanged (a rework). Returns the stage
    that ended, if any."""
    wanted = STATUS_STAGE.get(case.status, "")
    if case.status == Status.PARKED:
        return None  # the clock stops; resume shifts the open stage
    if wanted == case.stage and not restart and wanted:
        return None
    ended = stage_end(case, at)
    if not wanted:
        case.stage = ""
        case.stage_started_at = case.stage_warn_at = case.stage_deadline = case.next_alert_at = None
        return ended
    timing = deadlines.timing(at, case.category_id, case.urgency, wanted)
    insert(
        CaseStage(
            case=case,
            stage=wanted,
            started_at=at,
            warn_at=timing.warn_at,
            deadline=timing.deadline,
            limit_amount=timing.amount,
            limit_unit=timing.unit,
            department=stage_department(case),
        )
    )
    case.stage = wanted
    case.stage_started_at = at
    case.stage_warn_at = timing.warn_at
    case.stage_deadline = timing.deadline
    case.next_alert_at = timing.warn_at
    return ended


def clock_stop(case: Case) -> None:
    """Parked: the open stage keeps its row; the case shows no light and the sweep skips it."""
    case.stage_warn_at = case.stage_deadline = case.next_alert_at = None


def stage_extend(case: Case, days: int, now: dt.datetime) -> None:
    """An approved extension: the open stage's deadline ``days`` working days later."""
    stage = open_stage(case)
    if stage is None or stage.deadline is None:
        return
    stage.deadline = deadlines.extend(stage.deadline, days)
    stage.warn_at = deadlines.warn_point(stage.started_at, stage.deadline, stage.limit_unit or DEFAULT_UNIT)
    stage.extended = True
    stage.warning_sent = stage.warn_at <= now and stage.warning_sent
    stage.overdue_sent = False
    stage.save(update_fields=["deadline", "warn_at", "extended", "warning_sent", "overdue_sent"])
    case.stage_deadline = stage.deadline
    case.stage_warn_at = stage.warn_at
    case.next_alert_at = stage.deadline if stage.warning_sent else stage.warn_at


def stage_resume(case: Case, now: dt.datetime) -> None:
    """Resumed after parking: the open stage's deadline and warn point move by the parked
    (working) time."""
    stage = open_stage(case)
    if stage is None or case.parked_at is None:
        return
    if stage.deadline is not None:
        unit = stage.limit_unit or DEFAULT_UNIT
        stage.deadline = deadlines.shift(stage.deadline, unit, case.parked_at, now)
        if stage.warn_at is not None:
            stage.warn_at = deadlines.shift(stage.warn_at, unit, case.parked_at, now)
    stage.paused_minutes += int((now - case.parked_at).total_seconds() // 60)
    stage.save(update_fields=["deadline", "warn_at", "paused_minutes"])
    case.stage_deadline = stage.deadline
    case.stage_warn_at = stage.warn_at
    case.next_alert_at = next_alert(stage)
