"""The case loop on the core workflow engine: the table of :mod:`gridgov.cases.transitions`
with the case's hooks (who may see and lock a case, how an actor relates to it, the stage
clock, the timeline row, the notices). The effect of each action is in
:mod:`gridgov.cases.services.effects`; :func:`gridgov.cases.services.case_act` applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.actors import signed_in
from gridgov.core.workflow import Step, Transition, Workflow

from ..access import parties_of, visible_q
from ..models import Case, CaseEvent, Status
from ..transitions import ACTION_LABELS, PARKED_FROM, ROWS, Action, resumed_status
from . import idempotency
from .attachments import action_photos_check, photos_check, photos_store
from .clock import STAGE_FIELDS, clock_stop, stage_enter
from .common import CLOSE_HOOKS, COMMENT_MAX, case_lock, clean_text, event_add
from .milestones import milestones_record
from .notifications import parties_notify

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

COMMENT_NEEDED: Final = _("Give a reason or comment for this action.")
# The input that carries a request's idempotency key and fingerprint (absent without a key).
IDEMPOTENCY: Final = "idempotency"


class CaseWorkflow(Workflow[Case]):
    """The hooks of the case loop. Inputs of a step (``case_act``'s arguments): ``comment``,
    ``departments``, ``result``, ``into``, ``days``, ``grid``, ``photos`` and ``idempotency``
    (the key and the request's fingerprint, or None)."""

    model = Case
    forbidden_message = _("This action is not yours to take on this case.")
    version_message = _("Someone else changed this case meanwhile. Reload it; your text is kept in the form.")

    # --- who and what -----------------------------------------------------------------

    def parties(self, actor: User | AnonymousUser, subject: Case) -> set[str]:
        return set(parties_of(actor, subject))

    def visible(self, actor: User | AnonymousUser) -> Q:
        return visible_q(actor)

    def lock(self, subject_id: int, actor: User | AnonymousUser) -> Case:
        return case_lock(subject_id, actor)

    def status_label(self, status: str) -> str:
        return str(Status(status).label)

    def invalid_message(self, subject: Case, transition: Transition) -> str:
        return str(
            _("“%(action)s” is not possible while the case is %(status)s.")
            % {"action": ACTION_LABELS[transition.action], "status": self.status_label(subject.status)}
        )

    # --- inputs -----------------------------------------------------------------------

    def replay(
        self, subject: Case, transition: Transition, actor: User | AnonymousUser, inputs: Mapping[str, Any]
    ) -> bool:
        """A retry of an action already taken with the same key and body: nothing is done."""
        used = inputs.get(IDEMPOTENCY)
        user = signed_in(actor)
        if used is None or user is None:
            return False
        key, digest = used
        done = idempotency.replayed(user, key, case_id=subject.pk, action=transition.action, digest=digest)
        return done is not None

    def clean_required(self, name: str, value: Any) -> Any:
        if name == "comment":
            return clean_text(value, "comment", required=True, maximum=COMMENT_MAX, message=COMMENT_NEEDED)
        return super().clean_required(name, value)

    def clean_inputs(
        self, subject: Case, transition: Transition, inputs: dict[str, Any], actor: User | AnonymousUser
    ) -> None:
        inputs["comment"] = clean_text(inputs.get("comment"), "comment", required=False, maximum=COMMENT_MAX)
        inputs["photos"] = photos_check(inputs.get("photos") or ())
        action_photos_check(subject, transition.action, actor, inputs["photos"])
        if inputs.get("grid") and transition.action != Action.REGISTER:
            raise ValidationError({"grid": [_("The grid can only be corrected when registering.")]})

    def next_status(self, step: Step[Case]) -> str:
        if step.transition.target == PARKED_FROM:
            return resumed_status(step.subject)
        return super().next_status(step)

    # --- after the effect -------------------------------------------------------------

    def clock(self, step: Step[Case]) -> None:
        """A new status drops an undecided extension request and closes or opens stages;
        parking stops the clock."""
        case = step.subject
        request = case.extension_request
        if step.target != step.before and request is not None:
            # A request belongs to the stage it was made in; a new stage drops it undecided.
            step.data["extension_dropped"] = request.days
            step.set(pending_extension=None)
        if step.target == Status.CLOSED and step.action != Action.CALLBACK:
            # Also on a move that keeps a closed case closed (a reply to supervision), as the
            # loop always did: closed_at moves to now and the close hooks run again. Not on a
            # call-back, which records the party's answer about the closing itself.
            step.set(closed_at=step.now)
            step.after.append(lambda _event: _run_close_hooks(step))
        ended = None
        if case.status == Status.PARKED:
            clock_stop(case)
        else:
            ended = stage_enter(case, step.now, restart=step.restart_clock)
        milestones_record(step, ended)

    def save(self, step: Step[Case]) -> None:
        step.fields.update(STAGE_FIELDS)
        step.fields.update({"status", "updated_at"})
        super().save(step)

    def record(self, step: Step[Case]) -> CaseEvent:
        """The timeline row, then the request's key and its photos, which point at it."""
        case = step.subject
        event = event_add(
            case,
            step.action,
            actor=step.actor,
            at=step.now,
            from_status=step.before,
            comment=step.input("comment", ""),
            data=step.data,
        )
        used = step.input(IDEMPOTENCY)
        user = signed_in(step.actor)
        if used is not None and user is not None:
            key, digest = used
            idempotency.remember(user, key, case=case, action=step.action, digest=digest, event=event)
        photos_store(case, step.input("photos", []), actor=step.actor, event=event)
        return event

    def send_notices(self, step: Step[Case]) -> None:
        parties_notify(
            step.subject,
            step.notify,
            f"case.{step.action}",
            {"action": step.action},
            actor=step.actor,
            body=step.input("comment", ""),
        )


def _run_close_hooks(step: Step[Case]) -> None:
    for hook in CLOSE_HOOKS:
        hook(step.subject, step.actor, step.now)


CASE_WORKFLOW: Final = CaseWorkflow("case", ROWS, labels=ACTION_LABELS)
CASE_WORKFLOW.check_complete()
