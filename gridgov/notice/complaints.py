"""The handling of conduct complaints (群众举报) on the workflow engine.

A complaint is received from the public form (with a tracking code) and handled by the
discipline office only (``docs/oversight.md``):

    received ──investigate──▶ investigating ──conclude──▶ concluded
        │                          │
        ├──transfer─────────────────┴──▶ transferred   (to the competent authority)
        └──dismiss──▶ dismissed                         (not taken up, with the reason)

``note`` adds a note to the file of an open complaint without moving it. Every step is a
:class:`~gridgov.notice.models.ComplaintEvent` (its text encrypted) and an audit row
``complaint.<action>`` (without the text). The only party is the ``office``: a supervisor who
sees the complaint (:func:`gridgov.notice.selectors.complaints_visible`: never the staff
concerned nor their superiors). The table and its services live here, beside the model, because
the public form that creates complaints is this app's; the discipline office's pages are in
:mod:`gridgov.oversight`, a higher layer.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.actors import signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Invalid
from gridgov.core.workflow import SAME, Step, Transition, Workflow, row

from . import selectors
from .models import ComplaintEvent, ComplaintStatus, ConductComplaint

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

TEXT_MAX: Final = 4000
OFFICE: Final = "office"


class ComplaintAction(StrEnum):
    INVESTIGATE = "investigate"
    NOTE = "note"
    CONCLUDE = "conclude"
    TRANSFER = "transfer"
    DISMISS = "dismiss"


C = ComplaintStatus
OPEN: Final = frozenset({C.RECEIVED, C.INVESTIGATING})
FINAL: Final = frozenset({C.CONCLUDED, C.TRANSFERRED, C.DISMISSED})

ROWS: Final[list[Transition]] = [
    row(ComplaintAction.INVESTIGATE, {C.RECEIVED}, C.INVESTIGATING, {OFFICE}),
    row(ComplaintAction.NOTE, OPEN, SAME, {OFFICE}, required=("comment",)),
    row(ComplaintAction.CONCLUDE, {C.INVESTIGATING}, C.CONCLUDED, {OFFICE}, required=("conclusion",)),
    row(ComplaintAction.TRANSFER, OPEN, C.TRANSFERRED, {OFFICE}, required=("comment",)),
    row(ComplaintAction.DISMISS, {C.RECEIVED}, C.DISMISSED, {OFFICE}, required=("comment",)),
]

LABELS: Final[dict[str, Promise]] = {
    "received": gettext_lazy("Received"),
    ComplaintAction.INVESTIGATE: gettext_lazy("Open an investigation"),
    ComplaintAction.NOTE: gettext_lazy("Add a note"),
    ComplaintAction.CONCLUDE: gettext_lazy("Conclude"),
    ComplaintAction.TRANSFER: gettext_lazy("Transfer to the competent authority"),
    ComplaintAction.DISMISS: gettext_lazy("Do not take up"),
}

# What the resident's tracking page says for each status (the state only).
PUBLIC_STATES: Final[dict[str, Promise]] = {
    C.RECEIVED: gettext_lazy("Received by the discipline office"),
    C.INVESTIGATING: gettext_lazy("Under investigation"),
    C.CONCLUDED: gettext_lazy("Concluded"),
    C.TRANSFERRED: gettext_lazy("Transferred to the competent authority"),
    C.DISMISSED: gettext_lazy("Not taken up"),
}


def _clean(name: str, value: Any) -> str:
    text = str(value or "").strip()
    if len(text) > TEXT_MAX:
        raise Invalid.field(name, _("At most %(n)s characters.") % {"n": TEXT_MAX})
    return text


class ComplaintFlow(Workflow[ConductComplaint]):
    model = ConductComplaint
    forbidden_message = gettext_lazy("Only the discipline office handles complaints.")

    def parties(self, actor: User | AnonymousUser, subject: ConductComplaint) -> set[str]:
        if selectors.complaints_visible(actor).filter(pk=subject.pk).exists():
            return {OFFICE}
        return set()

    def visible(self, actor: User | AnonymousUser) -> Q:
        return Q(pk__in=selectors.complaints_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(ComplaintStatus(status).label) if status in ComplaintStatus.values else status

    def record(self, step: Step[ConductComplaint]) -> ComplaintEvent:
        event = ComplaintEvent.objects.create(
            complaint=step.subject,
            action=step.action,
            actor=signed_in(step.actor),
            at=step.now,
            from_status=step.before,
            to_status=step.target,
            comment=_clean("comment", step.input("comment") or step.input("conclusion")),
        )
        return event

    def audit(self, step: Step[ConductComplaint]) -> None:
        record(
            action=f"complaint.{step.action}",
            actor=step.actor,
            obj=step.subject,
            data={"from": step.before, "to": step.target},
        )


COMPLAINTS = ComplaintFlow("complaint", ROWS, labels=LABELS)


@COMPLAINTS.effect(ComplaintAction.CONCLUDE)
def _conclude(step: Step[ConductComplaint]) -> None:
    step.set(conclusion=_clean("conclusion", step.input("conclusion")), concluded_at=step.now)


@COMPLAINTS.effect(ComplaintAction.TRANSFER, ComplaintAction.DISMISS)
def _close(step: Step[ConductComplaint]) -> None:
    step.set(conclusion=_clean("comment", step.input("comment")), concluded_at=step.now)


COMPLAINTS.check_complete()


def complaint_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
    at: dt.datetime | None = None,
) -> ConductComplaint:
    """One step of a complaint's handling (the only code that changes its status); ``at``: the
    moment it was taken, for a history."""
    return COMPLAINTS.act(pk, action, actor=actor, inputs=inputs or {}, version=version, at=at)


def complaint_history(complaint: ConductComplaint) -> list[ComplaintEvent]:
    return list(complaint.events.select_related("actor__profile"))


def public_state(complaint: ConductComplaint) -> str:
    return str(PUBLIC_STATES.get(complaint.status, complaint.status))
