"""The tables of a leader's task and of an owner's part on the workflow engine.

Owner's part: ``assigned`` → the owner accepts it (``in_progress``), reports progress (text,
percent, files), may ask for an extension (the assigning leader grants it with a new deadline
or refuses it), and submits completion (``submitted``); the assigning leader approves it
(``done``) or returns it with a comment (``returned``, submitted again after more work).

The task: a leader of the town or a discipline supervisor issues a supervision notice (督办)
with an answer deadline; an owner of the task replies to it. The task's status itself is the
summary of its parts (``services.summary_status``), not a step anyone takes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.core.workflow import SAME, Guard, Transition, row

from .models import Assignment, AssignmentPart, AssignmentStatus, PartStatus


class Party(StrEnum):
    OWNER = "owner"
    LEADER = "leader"  # the assigning leader (or an administrator over the town)
    SUPERVISOR = "supervisor"  # a town leader of the town or a discipline supervisor over it
    # The center's operators of the town, for a task they gave in a leader's name: they edit or
    # cancel it for the leader as they gave it (they never decide on the parts).
    ISSUER = "issuer"


class PartAction(StrEnum):
    ACCEPT = "accept"
    PROGRESS = "progress"
    REQUEST_EXTENSION = "request_extension"
    GRANT_EXTENSION = "grant_extension"
    REFUSE_EXTENSION = "refuse_extension"
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"


class TaskAction(StrEnum):
    SUPERVISE = "supervise"
    REPLY_SUPERVISION = "reply_supervision"
    EDIT = "edit"
    CANCEL = "cancel"


S = PartStatus
A = AssignmentStatus
P = Party

EXTENSION_PENDING: Final[Guard[AssignmentPart]] = Guard(
    "no_extension_pending",
    _("No extension request is waiting for a decision."),
    lambda part, _now: part.extension_until is not None,
)
NO_EXTENSION_PENDING: Final[Guard[AssignmentPart]] = Guard(
    "extension_pending",
    _("An extension request is already waiting for the leader's decision."),
    lambda part, _now: part.extension_until is None,
)
SUPERVISION_PENDING: Final[Guard[Assignment]] = Guard(
    "no_supervision_pending",
    _("There is no supervision notice awaiting a reply."),
    lambda task, _now: task.supervision_pending,
)
NO_SUPERVISION_PENDING: Final[Guard[Assignment]] = Guard(
    "supervision_pending",
    _("A supervision notice on this task is already waiting for its reply."),
    lambda task, _now: not task.supervision_pending,
)

WORKING: Final = frozenset({S.IN_PROGRESS, S.RETURNED})
NOT_DONE: Final = frozenset({S.ASSIGNED, S.IN_PROGRESS, S.RETURNED})

PART_ROWS: Final[list[Transition]] = [
    row(PartAction.ACCEPT, {S.ASSIGNED}, S.IN_PROGRESS, {P.OWNER}),
    row(PartAction.PROGRESS, WORKING, SAME, {P.OWNER}, required=("comment",)),
    row(PartAction.REQUEST_EXTENSION, NOT_DONE, SAME, {P.OWNER}, NO_EXTENSION_PENDING, required=("until", "comment")),
    row(PartAction.GRANT_EXTENSION, {*NOT_DONE, S.SUBMITTED}, SAME, {P.LEADER}, EXTENSION_PENDING, required=("until",)),
    row(
        PartAction.REFUSE_EXTENSION,
        {*NOT_DONE, S.SUBMITTED},
        SAME,
        {P.LEADER},
        EXTENSION_PENDING,
        required=("comment",),
    ),
    row(PartAction.SUBMIT, WORKING, S.SUBMITTED, {P.OWNER}, required=("comment",)),
    row(PartAction.APPROVE, {S.SUBMITTED}, S.DONE, {P.LEADER}),
    row(PartAction.RETURN, {S.SUBMITTED}, S.RETURNED, {P.LEADER}, required=("comment",)),
]

PART_LABELS: Final[dict[str, Promise]] = {
    PartAction.ACCEPT: _("Accept the task"),
    PartAction.PROGRESS: _("Report progress"),
    PartAction.REQUEST_EXTENSION: _("Ask for an extension"),
    PartAction.GRANT_EXTENSION: _("Grant the extension"),
    PartAction.REFUSE_EXTENSION: _("Refuse the extension"),
    PartAction.SUBMIT: _("Submit completion"),
    PartAction.APPROVE: _("Approve completion"),
    PartAction.RETURN: _("Return for more work"),
}

OPEN: Final = frozenset({A.ASSIGNED, A.IN_PROGRESS, A.SUBMITTED})

TASK_ROWS: Final[list[Transition]] = [
    # One notice at a time: a second one while the first waits for its reply is refused.
    row(
        TaskAction.SUPERVISE,
        OPEN,
        SAME,
        {P.SUPERVISOR},
        NO_SUPERVISION_PENDING,
        required=("comment",),
        nudge=True,
    ),
    # A supervision notice needs its reply even when the task finished meanwhile.
    row(
        TaskAction.REPLY_SUPERVISION,
        {*OPEN, A.DONE},
        SAME,
        {P.OWNER},
        SUPERVISION_PENDING,
        required=("comment",),
        nudge=True,
    ),
    # The leader changes the requirement, priority, deadline or cooperating owners (with a reason).
    row(TaskAction.EDIT, OPEN, SAME, {P.LEADER, P.ISSUER}, required=("comment",)),
    # The leader withdraws the task (撤销): every open part ends as cancelled.
    row(TaskAction.CANCEL, OPEN, A.CANCELLED, {P.LEADER, P.ISSUER}, required=("comment",)),
]

TASK_LABELS: Final[dict[str, Promise]] = {
    TaskAction.SUPERVISE: _("Supervision notice"),
    TaskAction.REPLY_SUPERVISION: _("Reply to supervision"),
    TaskAction.EDIT: _("Edit the task"),
    TaskAction.CANCEL: _("Cancel the task"),
}

# Labels of the history rows that are not steps of a table.
EVENT_LABELS: Final[dict[str, Promise]] = {
    "create": _("Task assigned"),
    "warning": _("Deadline approaching"),
    "overdue": _("Overdue"),
    "complete": _("Task done"),
    "owner_added": _("Owner added"),
    "owner_removed": _("Owner taken off"),
    "deadline_moved": _("Deadline changed"),
}
