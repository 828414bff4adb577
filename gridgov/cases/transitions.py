"""The transition table of the case loop: status × action → next status, who may act.

This module is the only description of the workflow; it is declared on the core engine
(:mod:`gridgov.core.workflow`, ``docs/workflow.md``). :func:`gridgov.cases.services.case_act`
applies it through :data:`gridgov.cases.services.workflow.CASE_WORKFLOW`; nothing else sets a
case's status. Each row names:

- ``sources``: the statuses the action is allowed in (anything else answers 409);
- ``target``: the next status, ``SAME`` to keep it, or ``PARKED_FROM`` to go back to the
  status the case had when it was parked;
- ``parties``: who may act, as relations of the actor to the case (see :class:`Party`);
  anyone else who can see the case gets 403;
- ``guard``: a further condition on the case (409 with its own code when it fails);
- ``required``: the inputs the action cannot do without (``comment``: a written reason).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.core.workflow import SAME, Guard, Transition, row

from .models import OPEN_STATUSES, Case, Status

__all__ = ["PARKED_FROM", "ROWS", "SAME", "TABLE", "Action", "Guard", "Party", "Transition"]

PARKED_FROM: Final = "<parked_from>"
COMMENT: Final = ("comment",)


class Party(StrEnum):
    """How an actor relates to a case."""

    CENTER = "center"  # center operator of the case's town
    LEADER = "leader"  # town leader of the case's town, or a discipline supervisor over it
    VILLAGE_LEADER = "village_leader"  # grid leader of the case's village
    VILLAGE = "village"  # grid leader or village staff of the case's village
    GRID_WORKER = "grid_worker"  # grid worker of the case's grid
    LEAD_DEPARTMENT = "lead_department"  # handler of the case's lead department
    # Whoever handles the case now: the village when it handles, else the lead department.
    HANDLER = "handler"


class Action(StrEnum):
    ACCEPT = "accept"
    ESCALATE = "escalate"
    REGISTER = "register"
    VOID = "void"
    MERGE = "merge"
    DISPATCH = "dispatch"
    ACKNOWLEDGE = "acknowledge"
    REPORT_BACK = "report_back"
    RETURN = "return"
    VERIFY_PASS = "verify_pass"  # noqa: S105 - an action code
    VERIFY_FAIL = "verify_fail"
    CLOSE = "close"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"
    PARK = "park"
    RESUME = "resume"
    REMIND = "remind"
    SUPERVISE = "supervise"
    REPLY_SUPERVISION = "reply_supervision"
    REOPEN = "reopen"
    CALLBACK = "callback"


# Timeline entries that are not actions anyone takes through the table.
REPORT: Final = "report"
SELF_HANDLE: Final = "self_handle"
DEADLINE_WARNING: Final = "deadline_warning"
OVERDUE: Final = "overdue"
ATTACH: Final = "attach"

ACTION_LABELS: Final[dict[str, Promise]] = {
    REPORT: _("Report"),
    SELF_HANDLE: _("Self-handle"),
    DEADLINE_WARNING: _("Deadline warning"),
    OVERDUE: _("Overdue"),
    ATTACH: _("Add photos"),
    Action.ACCEPT: _("Accept for village handling"),
    Action.ESCALATE: _("Escalate to the center"),
    Action.REGISTER: _("Register"),
    Action.VOID: _("Void"),
    Action.MERGE: _("Merge as duplicate"),
    Action.DISPATCH: _("Dispatch"),
    Action.ACKNOWLEDGE: _("Acknowledge"),
    Action.REPORT_BACK: _("Report back"),
    Action.RETURN: _("Return"),
    Action.VERIFY_PASS: _("Verification passed"),
    Action.VERIFY_FAIL: _("Verification failed (rework)"),
    Action.CLOSE: _("Close"),
    Action.REQUEST_EXTENSION: _("Request extension"),
    Action.APPROVE_EXTENSION: _("Approve extension"),
    Action.REJECT_EXTENSION: _("Reject extension"),
    Action.PARK: _("Park"),
    Action.RESUME: _("Resume"),
    Action.REMIND: _("Remind"),
    Action.SUPERVISE: _("Supervision notice"),
    Action.REPLY_SUPERVISION: _("Reply to supervision"),
    Action.REOPEN: _("Reopen"),
    Action.CALLBACK: _("Record the call-back"),
    "deadline_recomputed": _("Deadline recomputed on the official holiday schedule"),
}


NOT_ESCALATED: Final[Guard[Case]] = Guard(
    "already_escalated", _("The village has already escalated this case."), lambda c, _now: not c.escalated
)
NO_VERIFICATION_NEEDED: Final[Guard[Case]] = Guard(
    "verification_required",
    _("This category needs on-site verification by the grid worker."),
    lambda c, _now: not c.category.verification_required,
)
NO_PENDING_EXTENSION: Final[Guard[Case]] = Guard(
    "extension_pending",
    _("An extension request is already waiting for a decision."),
    lambda c, _now: c.pending_extension is None,
)
EXTENSION_PENDING: Final[Guard[Case]] = Guard(
    "no_extension_pending",
    _("There is no extension request to decide."),
    lambda c, _now: c.pending_extension is not None,
)
SUPERVISION_PENDING: Final[Guard[Case]] = Guard(
    "no_supervision_pending",
    _("There is no supervision notice awaiting a reply."),
    lambda c, _now: c.supervision_pending,
)


def _before_deadline(case: Case, now: dt.datetime) -> bool:
    return case.stage_deadline is not None and now < case.stage_deadline and case.pending_extension is None


BEFORE_DEADLINE: Final[Guard[Case]] = Guard(
    "extension_not_allowed",
    _("An extension can only be requested before the stage deadline, once at a time."),
    _before_deadline,
)


def callback_due(case: Case) -> bool:
    """A closed case whose party left a phone, not called back since it closed."""
    return bool(case.party_phone) and (
        case.callback_at is None or (case.closed_at is not None and case.callback_at < case.closed_at)
    )


CALLBACK_DUE: Final[Guard[Case]] = Guard(
    "callback_not_due",
    _("Only a closed case whose party left a phone is called back, once after each closing."),
    lambda c, _now: callback_due(c),
)


S = Status
P = Party
HANDLING = {S.DISPATCHED, S.IN_PROGRESS}
OPEN = set(OPEN_STATUSES)

ROWS: Final[list[Transition]] = [
    row(Action.ACCEPT, {S.REPORTED}, S.IN_PROGRESS, {P.VILLAGE_LEADER}, NOT_ESCALATED),
    row(Action.ESCALATE, {S.REPORTED}, SAME, {P.VILLAGE_LEADER}, NOT_ESCALATED),
    row(Action.REGISTER, {S.REPORTED}, S.REGISTERED, {P.CENTER}),
    row(Action.VOID, {S.REPORTED, S.REGISTERED, S.RETURNED}, S.VOIDED, {P.CENTER}, required=COMMENT),
    row(Action.MERGE, {S.REPORTED, S.REGISTERED, S.RETURNED}, S.VOIDED, {P.CENTER}),
    row(Action.DISPATCH, {S.REGISTERED, S.RETURNED}, S.DISPATCHED, {P.CENTER}),
    row(Action.ACKNOWLEDGE, {S.DISPATCHED}, S.IN_PROGRESS, {P.LEAD_DEPARTMENT}),
    row(Action.REPORT_BACK, {S.IN_PROGRESS}, S.AWAITING_VERIFICATION, {P.HANDLER}),
    row(Action.RETURN, HANDLING, S.RETURNED, {P.HANDLER}, required=COMMENT),
    row(Action.VERIFY_PASS, {S.AWAITING_VERIFICATION}, S.CLOSED, {P.GRID_WORKER}),
    row(Action.VERIFY_FAIL, {S.AWAITING_VERIFICATION}, S.IN_PROGRESS, {P.GRID_WORKER}, required=COMMENT),
    row(Action.CLOSE, {S.AWAITING_VERIFICATION}, S.CLOSED, {P.CENTER}, NO_VERIFICATION_NEEDED),
    row(Action.REQUEST_EXTENSION, HANDLING, SAME, {P.HANDLER}, BEFORE_DEADLINE, required=COMMENT),
    row(Action.APPROVE_EXTENSION, HANDLING, SAME, {P.CENTER}, EXTENSION_PENDING),
    row(Action.REJECT_EXTENSION, HANDLING, SAME, {P.CENTER}, EXTENSION_PENDING, required=COMMENT),
    row(
        Action.PARK,
        {S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED},
        S.PARKED,
        {P.CENTER},
        required=COMMENT,
    ),
    row(Action.RESUME, {S.PARKED}, PARKED_FROM, {P.CENTER}),
    row(Action.REMIND, OPEN - {S.PARKED}, SAME, {P.CENTER, P.LEADER}, nudge=True),
    row(Action.SUPERVISE, OPEN, SAME, {P.LEADER}, required=COMMENT, nudge=True),
    # A supervision notice needs its reply even when the case finished meanwhile.
    row(
        Action.REPLY_SUPERVISION,
        OPEN | {S.CLOSED, S.VOIDED},
        SAME,
        {P.HANDLER, P.CENTER},
        SUPERVISION_PENDING,
        required=COMMENT,
    ),
    row(Action.REOPEN, {S.CLOSED}, S.REGISTERED, {P.CENTER}, required=COMMENT),
    # A dissatisfied answer reopens the case (its effect moves it to registered).
    row(Action.CALLBACK, {S.CLOSED}, SAME, {P.CENTER}, CALLBACK_DUE, required=("satisfaction",)),
]

TABLE: Final[dict[Action, Transition]] = {Action(transition.action): transition for transition in ROWS}
"""The rows by action (the engine keeps its own copy; this one is keyed by :class:`Action`)."""


def resumed_status(case: Case) -> str:
    """Where ``resume`` (the :data:`PARKED_FROM` target) takes a case: back to its status before
    parking."""
    return case.parked_from or Status.REGISTERED
