"""The two workflows of a task (:mod:`..transitions`): an owner's part, and the task's
supervision notices; and the task's status summarised from its parts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.actors import Actor, signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Invalid
from gridgov.core.workflow import Step, Transition, Workflow
from gridgov.workcalendar import calendar

from .. import access
from ..models import (
    PART_OPEN,
    Assignment,
    AssignmentEvent,
    AssignmentPart,
    AssignmentStatus,
    FileKind,
    OwnerKind,
    PartStatus,
    Priority,
)
from ..transitions import PART_LABELS, PART_ROWS, TASK_LABELS, TASK_ROWS, PartAction, Party, TaskAction
from .common import (
    COMMENT_LIMIT,
    SUPERVISION_ANSWER_DAYS,
    TEXT_LIMIT,
    as_date,
    clean_text,
    deadline_of,
    files_check,
    files_store,
    part_owner_ids,
    send,
    warn_of,
)
from .create import owner_of

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
            comment = str(inputs["comment"]).strip()
            if len(comment) > COMMENT_LIMIT:
                raise Invalid.field("comment", _("At most %(limit)d characters.") % {"limit": COMMENT_LIMIT})
            inputs["comment"] = comment
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


# --- the task: supervision notices ----------------------------------------------------------


class TaskFlow(Workflow[Assignment, FlowActor]):
    model = Assignment
    forbidden_message = _("This step of the task is not yours to take.")

    def parties(self, actor: FlowActor, subject: Assignment) -> set[str]:
        if actor is None or not getattr(actor, "is_authenticated", False):
            return set()
        parties: set[str] = set()
        if access.may_supervise(actor, subject.town):
            parties.add(Party.SUPERVISOR)
        if any(access.owns(actor, part) for part in subject.parts.all()):
            parties.add(Party.OWNER)
        if access.is_leader(actor, subject):
            parties.add(Party.LEADER)
        if access.issues_for_leader(actor, subject):
            parties.add(Party.ISSUER)
        return parties

    def lock(self, subject_id: int, actor: FlowActor) -> Assignment:
        # The parts first, then the task: the order a part's step locks them in.
        list(AssignmentPart.objects.select_for_update().filter(assignment_id=subject_id).order_by("pk"))
        return super().lock(subject_id, actor)

    def visible(self, actor: FlowActor) -> Q:
        return Q() if actor is None else Q(pk__in=access.assignments_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(AssignmentStatus(status).label) if status in AssignmentStatus.values else status

    def clean_inputs(
        self, subject: Assignment, transition: Transition, inputs: dict[str, Any], actor: FlowActor
    ) -> None:
        comment = str(inputs.get("comment") or "").strip()
        if len(comment) > COMMENT_LIMIT:
            raise Invalid.field("comment", _("At most %(limit)d characters.") % {"limit": COMMENT_LIMIT})
        inputs["comment"] = comment
        if inputs.get("until") not in (None, ""):
            inputs["until"] = as_date(inputs["until"], "until")
        if transition.action != TaskAction.EDIT:
            return
        if inputs.get("requirement") not in (None, ""):
            inputs["requirement"] = clean_text(inputs["requirement"], "requirement", TEXT_LIMIT, required=True)
        if inputs.get("priority") not in (None, "") and inputs["priority"] not in Priority.values:
            raise Invalid.field("priority", _("Choose the priority."))
        if inputs.get("deadline") not in (None, ""):
            inputs["deadline"] = as_date(inputs["deadline"], "deadline")
        if inputs.get("cooperating") is not None:
            if isinstance(inputs["cooperating"], str):
                inputs["cooperating"] = [inputs["cooperating"]]
            inputs["cooperating"] = [str(key).strip() for key in inputs["cooperating"] if str(key).strip()]

    def clock(self, step: Step[Assignment, FlowActor]) -> None:
        if step.action == TaskAction.EDIT:
            summarise(step.subject, list(step.subject.parts.all()), now=step.now, actor=step.actor)

    def record(self, step: Step[Assignment, FlowActor]) -> AssignmentEvent:
        event = AssignmentEvent.objects.create(
            assignment=step.subject,
            action=step.action,
            actor=signed_in(step.actor) if step.actor is not None else None,
            at=step.now,
            from_status=step.before,
            to_status=step.target,
            comment=str(step.input("comment", "") or ""),
            data=step.data,
        )
        record(action=f"assignment.{step.action}", actor=step.actor, obj=step.subject, data=step.data)
        return event

    def send_notices(self, step: Step[Assignment, FlowActor]) -> None:
        task = step.subject
        ids: list[int] = []
        if Party.OWNER in step.notify:
            for part in task.parts.exclude(status=PartStatus.DONE):
                ids.extend(part_owner_ids(part))
        if Party.SUPERVISOR in step.notify:
            ids.append(task.leader_id)
            issuer = task.events.filter(action=TaskAction.SUPERVISE).order_by("-at", "-id").first()
            if issuer is not None and issuer.actor_id is not None:
                ids.append(issuer.actor_id)
        send(task, step.action, ids, actor=step.actor, note=str(step.input("comment", "") or ""))


TASKS = TaskFlow("assignment", TASK_ROWS, labels=TASK_LABELS)


@TASKS.effect(TaskAction.SUPERVISE)
def _supervise(step: Step[Assignment, FlowActor]) -> None:
    task = step.subject
    day = step.input("until")
    if day in (None, ""):
        day = timezone.localdate(step.now)
        for _n in range(SUPERVISION_ANSWER_DAYS):
            day = calendar.next_workday(day)
    due = deadline_of(day, "until", step.now)
    step.set(supervision_pending=True, supervision_due=due, supervision_count=task.supervision_count + 1)
    step.data["answer_by"] = due.isoformat()
    step.notify.append(Party.OWNER)


@TASKS.effect(TaskAction.REPLY_SUPERVISION)
def _reply(step: Step[Assignment, FlowActor]) -> None:
    task = step.subject
    step.data["in_time"] = task.supervision_due is None or step.now <= task.supervision_due
    step.set(supervision_pending=False)
    step.notify.append(Party.SUPERVISOR)


def choice_key(part: AssignmentPart) -> str:
    """The part's owner as the owner choices name it (``center``, ``department:<code>``…)."""
    return "center" if part.owner_kind == OwnerKind.CENTER else part.owner_key


def _has_progress(part: AssignmentPart) -> bool:
    """Whether an owner has worked on its part (a progress report, a submission)."""
    if part.status not in (PartStatus.ASSIGNED, PartStatus.IN_PROGRESS) or part.percent:
        return True
    return part.events.filter(action__in=[PartAction.PROGRESS, PartAction.SUBMIT]).exists()


def _part_event(step: Step[Assignment, FlowActor], part: AssignmentPart, action: str, **data: Any) -> None:
    AssignmentEvent.objects.create(
        assignment=step.subject,
        part=part,
        action=action,
        actor=signed_in(step.actor) if step.actor is not None else None,
        at=step.now,
        from_status=data.pop("from_status", part.status),
        to_status=part.status,
        comment=str(step.input("comment", "") or ""),
        data=data,
    )


def _tell_leader(step: Step[Assignment, FlowActor], ids: list[int]) -> list[int]:
    """The assigning leader is told what the center did in the leader's name."""
    actor_id = getattr(step.actor, "pk", None)
    return [*ids, step.subject.leader_id] if actor_id != step.subject.leader_id else ids


def _move_deadline(step: Step[Assignment, FlowActor], parts: list[AssignmentPart], told: dict[int, str]) -> Any:
    """The task's new deadline, and the open parts' deadlines moved with it; the change or None."""
    task = step.subject
    day = step.input("deadline")
    if day in (None, ""):
        return None
    due = deadline_of(day, "deadline", step.now)
    if due == task.deadline:
        return None
    change = [task.deadline.isoformat(), due.isoformat()]
    step.set(deadline=due)
    for part in parts:
        if part.status not in PART_OPEN or part.deadline == due or (part.extension_count and part.deadline > due):
            continue
        before = part.deadline
        part.deadline = due
        part.warn_at = warn_of(part.started_at, due)
        part.warning_sent = part.overdue_sent = False
        part.version += 1
        part.save(update_fields=["deadline", "warn_at", "warning_sent", "overdue_sent", "version"])
        _part_event(step, part, "deadline_moved", deadline=due.isoformat(), before=before.isoformat())
        told[part.pk] = "edit"
    return change


def _change_owners(step: Step[Assignment, FlowActor], parts: list[AssignmentPart], told: dict[int, str]) -> Any:
    """Take cooperating owners off (only without progress) and add new ones; the change or None."""
    task = step.subject
    wanted = step.input("cooperating")
    if wanted is None:
        return None
    lead = next(part for part in parts if part.lead)
    keys = [key for key in dict.fromkeys(wanted) if key != choice_key(lead)]
    by_key = {choice_key(part): part for part in parts if not part.lead}
    current = {key for key, part in by_key.items() if part.status != PartStatus.CANCELLED}
    removed, added = sorted(current - set(keys)), [key for key in keys if key not in current]
    for key in removed:
        if _has_progress(by_key[key]):
            raise Invalid.field(
                "cooperating",
                _("%(owner)s has already worked on its part: it stays on the task.")
                % {"owner": by_key[key].owner_name},
            )
    owners = {key: owner_of(task.town, key, "cooperating") for key in added}
    for key in removed:
        part = by_key[key]
        before = part.status
        part.status = PartStatus.CANCELLED
        part.extension_until, part.extension_reason = None, ""
        part.version += 1
        part.save(update_fields=["status", "extension_until", "extension_reason", "version"])
        _part_event(step, part, "owner_removed", from_status=before)
        told[part.pk] = "owner_removed"
    deadline = task.deadline
    for key in added:
        part = by_key.get(key) or AssignmentPart(assignment=task, **owners[key])
        if part.pk is not None:
            part.version += 1  # an owner taken off earlier comes back on a fresh part
        part.status, part.percent, part.started_at, part.deadline = PartStatus.ASSIGNED, 0, step.now, deadline
        part.warn_at = warn_of(step.now, deadline)
        part.accepted_at = part.submitted_at = part.completed_at = part.on_time = None
        part.warning_sent = part.overdue_sent = False
        part.extension_count = part.return_count = 0
        part.save()
        _part_event(step, part, "owner_added", from_status="", deadline=deadline.isoformat())
        told[part.pk] = "assigned"
    return [sorted(current), sorted(keys)] if removed or added else None


@TASKS.effect(TaskAction.EDIT)
def _edit(step: Step[Assignment, FlowActor]) -> None:
    """Change the requirement, priority, deadline or cooperating owners (``docs/assignments.md``).
    A new deadline moves every open part's deadline, except an individually extended part whose
    deadline is later than the new one (the task's deadline never shortens a granted extension).
    A cooperating owner is taken off only while it has no progress (its part ends as cancelled);
    an owner added gets a part due at the task's deadline."""
    task = step.subject
    parts = list(task.parts.select_related("department", "area").order_by("-lead", "id"))
    changes: dict[str, list[Any]] = {}
    told: dict[int, str] = {}  # part → the notice its owners get
    for name in ("requirement", "priority"):
        value = step.input(name)
        if value not in (None, "") and value != getattr(task, name):
            changes[name] = [getattr(task, name), value]
            step.set(**{name: value})
    if changes:
        told.update({part.pk: "edit" for part in parts if part.status in PART_OPEN})
    for name, change in (
        ("deadline", _move_deadline(step, parts, told)),
        ("cooperating", _change_owners(step, parts, told)),
    ):
        if change is not None:
            changes[name] = change
    if not changes:
        raise Invalid.field("__all__", _("Nothing was changed."))
    step.data["changes"] = changes
    note = str(step.input("comment", "") or "")

    def tell(_event: AssignmentEvent) -> None:
        for part in AssignmentPart.objects.filter(pk__in=told).select_related("department", "area"):
            kind = told[part.pk]
            send(
                task,
                kind,
                part_owner_ids(part),
                actor=step.actor,
                part=part,
                note=task.requirement if kind == "assigned" else note,
            )
        leader = _tell_leader(step, [])
        if leader:
            send(task, "edit", leader, actor=step.actor, note=note)

    step.after.append(tell)


@TASKS.effect(TaskAction.CANCEL)
def _cancel(step: Step[Assignment, FlowActor]) -> None:
    """Withdraw the task: every open part ends as cancelled, a supervision notice waiting for a
    reply is moot; the owners of those parts (and the leader, when the center acts) are told."""
    task = step.subject
    ended = list(task.parts.filter(status__in=PART_OPEN).select_related("department", "area").order_by("-lead", "id"))
    for part in ended:
        # (The version stays: the status alone refuses every form of the part from now on.)
        part.status = PartStatus.CANCELLED
        part.extension_until, part.extension_reason = None, ""
        part.save(update_fields=["status", "extension_until", "extension_reason"])
    step.set(cancelled_at=step.now, supervision_pending=False)
    step.data["owners"] = [part.owner_key for part in ended]
    note = str(step.input("comment", "") or "")

    def tell(_event: AssignmentEvent) -> None:
        for part in ended:
            send(task, "cancel", part_owner_ids(part), actor=step.actor, part=part, note=note)
        leader = _tell_leader(step, [])
        if leader:
            send(task, "cancel", leader, actor=step.actor, note=note)

    step.after.append(tell)


TASKS.check_complete()


def task_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
    at: dt.datetime | None = None,
) -> Assignment:
    return TASKS.act(pk, action, actor=actor, inputs=inputs or {}, version=version, at=at)
