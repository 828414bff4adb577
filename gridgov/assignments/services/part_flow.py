"""An owner's part of a task, its workflow (:mod:`..transitions`), and the task's status
summarised from its parts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

from django.db.models import Q
from django.utils.translation import gettext as _

from gridgov.core.actors import Actor, signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Invalid, clean_text
from gridgov.core.workflow import Step, Transition, Workflow

from .. import access
from ..models import (
    PART_OPEN,
    Assignment,
    AssignmentEvent,
    AssignmentPart,
    AssignmentStatus,
    FileKind,
    PartStatus,
)
from ..transitions import PART_LABELS, PART_ROWS, PartAction, Party
from .common import (
    COMMENT_LIMIT,
    as_date,
    deadline_of,
    files_check,
    files_store,
    part_owner_ids,
    send,
    warn_of,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

FlowActor: TypeAlias = Actor


# --- the task's status, summarised from its parts ---------------------------------------------


def summary_status(statuses: Iterable[str], *, lead: str | None = None) -> str:
    """The task's status from its parts' statuses (``lead``: the lead part's): done when every
    part is; waiting for approval when every part not done is submitted; waiting for acceptance
    while the lead part is not accepted (without ``lead``: while no part is accepted); in
    progress otherwise. Cancelled parts do not count."""
    found = [status for status in statuses if status != PartStatus.CANCELLED]
    remaining = [status for status in found if status != PartStatus.DONE]
    if not remaining:
        return AssignmentStatus.DONE
    if all(status == PartStatus.SUBMITTED for status in remaining):
        return AssignmentStatus.SUBMITTED
    waiting = lead == PartStatus.ASSIGNED if lead is not None else all(s == PartStatus.ASSIGNED for s in remaining)
    if waiting:
        return AssignmentStatus.ASSIGNED
    return AssignmentStatus.IN_PROGRESS


def summarise(assignment: Assignment, parts: list[AssignmentPart], *, now: dt.datetime, actor: FlowActor) -> None:
    """Write the task's status and its earliest open deadline (for the lists' lights) from
    ``parts``; a task that has just become done gets its history row."""
    lead = next((part.status for part in parts if part.lead), None)
    status = summary_status((part.status for part in parts), lead=lead)
    open_parts = [part for part in parts if part.status in PART_OPEN]
    changes: dict[str, Any] = {"status": status}
    if open_parts:
        first = min(open_parts, key=lambda part: part.deadline)
        changes.update(due_at=first.deadline, warn_at=min(part.warn_at or part.deadline for part in open_parts))
    before = assignment.status
    if status == AssignmentStatus.DONE and before != AssignmentStatus.DONE:
        changes["completed_at"] = now
    elif status != AssignmentStatus.DONE:
        changes["completed_at"] = None
    for name, value in changes.items():
        setattr(assignment, name, value)
    assignment.save(update_fields=sorted(changes))
    if status == AssignmentStatus.DONE and before != AssignmentStatus.DONE:
        AssignmentEvent.objects.create(
            assignment=assignment, action="complete", at=now, from_status=before, to_status=status
        )
        record(action="assignment.complete", actor=actor, obj=assignment)


# --- an owner's part --------------------------------------------------------------------------


class PartFlow(Workflow[AssignmentPart, FlowActor]):
    model = AssignmentPart
    forbidden_message = _("This step of the task is not yours to take.")

    def parties(self, actor: FlowActor, subject: AssignmentPart) -> set[str]:
        if actor is None or not getattr(actor, "is_authenticated", False):
            return set()
        parties: set[str] = set()
        if access.owns(actor, subject):
            parties.add(Party.OWNER)
        if access.is_leader(actor, subject.assignment):
            parties.add(Party.LEADER)
        return parties

    def visible(self, actor: FlowActor) -> Q:
        if actor is None:
            return Q()
        return Q(assignment__in=access.assignments_visible(actor).values("pk"))

    def lock(self, subject_id: int, actor: FlowActor) -> AssignmentPart:
        part = super().lock(subject_id, actor)
        # The task is locked too: its summary changes with the part.
        Assignment.objects.select_for_update().filter(pk=part.assignment_id).first()
        return part

    def status_label(self, status: str) -> str:
        return str(PartStatus(status).label) if status in PartStatus.values else status

    def clean_inputs(
        self, subject: AssignmentPart, transition: Transition, inputs: dict[str, Any], actor: FlowActor
    ) -> None:
        if inputs.get("comment") is not None:
            inputs["comment"] = clean_text(inputs["comment"], "comment", COMMENT_LIMIT)
        if inputs.get("percent") not in (None, ""):
            try:
                percent = int(inputs["percent"])
            except (TypeError, ValueError):
                raise Invalid.field("percent", _("Give a whole number from 0 to 100.")) from None
            if not 0 <= percent <= 100:
                raise Invalid.field("percent", _("Give a whole number from 0 to 100."))
            inputs["percent"] = percent
        if inputs.get("until") not in (None, ""):
            inputs["until"] = as_date(inputs["until"], "until")
        inputs["files"] = files_check(inputs.get("files"))

    def clock(self, step: Step[AssignmentPart, FlowActor]) -> None:
        part = step.subject
        others = list(AssignmentPart.objects.filter(assignment_id=part.assignment_id).exclude(pk=part.pk))
        summarise(part.assignment, [part, *others], now=step.now, actor=step.actor)

    def record(self, step: Step[AssignmentPart, FlowActor]) -> AssignmentEvent:
        part = step.subject
        event = AssignmentEvent.objects.create(
            assignment_id=part.assignment_id,
            part=part,
            action=step.action,
            actor=signed_in(step.actor) if step.actor is not None else None,
            at=step.now,
            from_status=step.before,
            to_status=step.target,
            comment=str(step.input("comment", "") or ""),
            data=step.data,
        )
        record(
            action=f"assignment.{step.action}",
            actor=step.actor,
            obj=part.assignment,
            data={"part": part.pk, "owner": part.owner_key, **step.data},
        )
        files = step.input("files") or []
        if files:
            kind = FileKind.RESULT if step.action == PartAction.SUBMIT else FileKind.PROGRESS

            def store(stored_event: AssignmentEvent) -> None:
                files_store(part.assignment, files, kind=kind, actor=step.actor, part=part, event=stored_event)

            step.after.append(store)
        return event

    def send_notices(self, step: Step[AssignmentPart, FlowActor]) -> None:
        part = step.subject
        ids: list[int] = []
        if Party.LEADER in step.notify:
            ids.append(part.assignment.leader_id)
        if Party.OWNER in step.notify:
            ids.extend(part_owner_ids(part))
        send(
            part.assignment,
            step.action,
            ids,
            actor=step.actor,
            part=part,
            note=str(step.input("comment", "") or ""),
        )


PARTS = PartFlow("assignment_part", PART_ROWS, labels=PART_LABELS)


@PARTS.effect(PartAction.ACCEPT)
def _accept(step: Step[AssignmentPart, FlowActor]) -> None:
    step.set(accepted_at=step.now)
    step.notify.append(Party.LEADER)


@PARTS.effect(PartAction.PROGRESS)
def _progress(step: Step[AssignmentPart, FlowActor]) -> None:
    percent = step.input("percent")
    if percent not in (None, ""):
        step.set(percent=percent)
    step.data["percent"] = step.subject.percent
    if step.input("files"):
        step.data["files"] = len(step.input("files"))
    step.notify.append(Party.LEADER)


@PARTS.effect(PartAction.REQUEST_EXTENSION)
def _request_extension(step: Step[AssignmentPart, FlowActor]) -> None:
    part = step.subject
    until = deadline_of(step.input("until"), "until", step.now)
    if until <= part.deadline:
        raise Invalid.field("until", _("Ask for a date after the current deadline."))
    step.set(extension_until=until, extension_reason=step.input("comment"))
    step.data["until"] = until.isoformat()
    step.notify.append(Party.LEADER)


@PARTS.effect(PartAction.GRANT_EXTENSION)
def _grant_extension(step: Step[AssignmentPart, FlowActor]) -> None:
    part = step.subject
    until = deadline_of(step.input("until"), "until", step.now)
    step.data.update({"from": part.deadline.isoformat(), "until": until.isoformat()})
    step.set(
        deadline=until,
        warn_at=warn_of(step.now, until),
        warning_sent=False,
        overdue_sent=False,
        extension_until=None,
        extension_reason="",
        extension_count=part.extension_count + 1,
    )
    step.notify.append(Party.OWNER)


@PARTS.effect(PartAction.REFUSE_EXTENSION)
def _refuse_extension(step: Step[AssignmentPart, FlowActor]) -> None:
    step.data["asked"] = step.subject.extension_until.isoformat() if step.subject.extension_until else ""
    step.set(extension_until=None, extension_reason="")
    step.notify.append(Party.OWNER)


@PARTS.effect(PartAction.SUBMIT)
def _submit(step: Step[AssignmentPart, FlowActor]) -> None:
    # The percent before the submission is kept in the history: a return puts it back.
    step.data["percent_before"] = step.subject.percent
    step.set(submitted_at=step.now, percent=100)
    step.data["in_time"] = step.now <= step.subject.deadline
    if step.input("files"):
        step.data["files"] = len(step.input("files"))
    step.notify.append(Party.LEADER)


@PARTS.effect(PartAction.APPROVE)
def _approve(step: Step[AssignmentPart, FlowActor]) -> None:
    part = step.subject
    on_time = part.submitted_at is not None and part.submitted_at <= part.deadline
    # An extension still asked for is moot once the part is done.
    step.set(completed_at=step.now, on_time=on_time, extension_until=None, extension_reason="")
    step.data["on_time"] = on_time
    step.notify.append(Party.OWNER)


@PARTS.effect(PartAction.RETURN)
def _return(step: Step[AssignmentPart, FlowActor]) -> None:
    # Returned, the part is not complete: its progress goes back to the owner's last report (the
    # 100 % the submission set is not the owner's figure any more).
    submitted = (
        AssignmentEvent.objects.filter(part=step.subject, action=PartAction.SUBMIT).order_by("-at", "-id").first()
    )
    before = submitted.data.get("percent_before") if submitted is not None else None
    if isinstance(before, int):
        step.set(percent=before)
        step.data["percent"] = before
    step.set(return_count=step.subject.return_count + 1)
    step.notify.append(Party.OWNER)


PARTS.check_complete()


def part_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
    at: dt.datetime | None = None,
) -> AssignmentPart:
    return PARTS.act(pk, action, actor=actor, inputs=inputs or {}, version=version, at=at)
