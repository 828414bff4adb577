"""The frozen milestones of a case (``registered_at`` … ``closed_on_time`` on
:class:`~gridgov.cases.models.Case`): what the statistics of a month need, written in the same
transaction as the step that reaches them (called by :meth:`CaseWorkflow.clock`), so that a
month recomputed later gives the same digits (``docs/stats.md``).

The rules (one place; :func:`milestones_backfill` replays them over old timelines):

- ``registered_at``: the first ``register`` (by the center) or ``accept`` (by the village);
- ``dispatched_at`` / ``dispatch_count``: the first dispatch, and how many there were;
- ``redispatched_at``: the first ``return`` of a dispatched case;
- ``handled_at`` / ``handled_on_time`` / ``handling_minutes``: the first ``report_back``, the
  frozen on-time flag of the handling stage it ended, and the working minutes from the first
  dispatch (or the village's acceptance) to it (:func:`handling_minutes`);
- ``reworked_at``: the first ``verify_fail``;
- ``verified_at`` / ``verified_on_time`` / ``verified_by``: the first verification by the grid
  worker (``verify_pass`` or ``verify_fail``) and its stage's on-time flag;
- ``due_at``: the deadline of the first handling stage, moved by extensions and parking while
  no rework happened;
- ``closed_on_time``: on closing, no handling or verification stage of the case ended late
  (cleared by ``reopen``, set again at the next close);
- ``voided_at``: ``void`` or ``merge``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gridgov.categories.models import Stage
from gridgov.workcalendar.calendar import working_minutes_between

from ..models import LATENESS_STAGES, Case, CaseStage, Status
from ..transitions import Action

if TYPE_CHECKING:
    import datetime as dt

    from gridgov.core.workflow import Step

__all__ = ["closed_on_time", "handling_minutes", "milestones_record"]

VERIFY_ACTIONS = frozenset({Action.VERIFY_PASS, Action.VERIFY_FAIL})


def closed_on_time(case_id: int) -> bool:
    """No handling or verification stage of the case ended late."""
    late = CaseStage.objects.filter(case_id=case_id, stage__in=LATENESS_STAGES, on_time=False)
    return not late.exists()


def handling_minutes(start: dt.datetime | None, handled: dt.datetime | None) -> int | None:
    """Working minutes from the start of handling (the first dispatch, or the village's
    acceptance) to the first report back; None without a start."""
    if start is None or handled is None:
        return None
    return max(0, working_minutes_between(start, handled))


def milestones_record(step: Step[Case], ended: CaseStage | None) -> None:
    """Set the milestones the step reaches (after the stage clock moved)."""
    values = milestone_changes(
        step.subject,
        action=step.action,
        before=step.before,
        target=step.target,
        now=step.now,
        actor_id=getattr(step.actor, "pk", None),
        ended_on_time=None if ended is None else ended.on_time,
    )
    if values:
        step.set(**values)


def milestone_changes(
    case: Case,
    *,
    action: str,
    before: str,
    target: str,
    now: dt.datetime,
    actor_id: int | None,
    ended_on_time: bool | None,
) -> dict[str, Any]:
    """The milestone fields to change on ``case`` for one step (the case's stage columns
    already describe the stage it is in after the step)."""
    values: dict[str, Any] = {}
    if action in (Action.REGISTER, Action.ACCEPT) and case.registered_at is None:
        values["registered_at"] = now
    if action == Action.DISPATCH:
        values["dispatch_count"] = case.dispatch_count + 1
        if case.dispatched_at is None:
            values["dispatched_at"] = now
    if action == Action.RETURN and case.dispatched_at is not None and case.redispatched_at is None:
        values["redispatched_at"] = now
    if action == Action.REPORT_BACK and case.handled_at is None:
        values["handled_at"] = now
        values["handled_on_time"] = ended_on_time
        values["handling_minutes"] = handling_minutes(case.dispatched_at or case.registered_at, now)
    if action == Action.VERIFY_FAIL and case.reworked_at is None:
        values["reworked_at"] = now
    if action in VERIFY_ACTIONS and case.verified_at is None:
        values["verified_at"] = now
        values["verified_on_time"] = ended_on_time
        values["verified_by_id"] = actor_id
    if action in (Action.VOID, Action.MERGE) and case.voided_at is None:
        values["voided_at"] = now
    if case.stage == Stage.HANDLE and case.status != Status.PARKED:
        first = case.due_at is None
        moved = action in (Action.APPROVE_EXTENSION, Action.RESUME) and case.rework_count == 0
        if first or moved:
            values["due_at"] = case.stage_deadline
    if target == Status.CLOSED and before != Status.CLOSED:
        values["closed_on_time"] = closed_on_time(case.pk)
    if before == Status.CLOSED and target != Status.CLOSED:
        # ``reopen``, or a dissatisfied call-back that reopens the case.
        values["closed_on_time"] = None
    return values
