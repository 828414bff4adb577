"""The task's own workflow (:mod:`..transitions`): supervision notices, the leader's edits and
cancelling."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.actors import signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Invalid, clean_text
from gridgov.core.workflow import Step, Transition, Workflow
from gridgov.workcalendar import calendar

from .. import access
from ..models import (
    PART_OPEN,
    Assignment,
    AssignmentEvent,
    AssignmentPart,
    AssignmentStatus,
    OwnerKind,
    PartStatus,
    Priority,
)
from ..transitions import TASK_LABELS, TASK_ROWS, PartAction, Party, TaskAction
from .common import (
    COMMENT_LIMIT,
    SUPERVISION_ANSWER_DAYS,
    TEXT_LIMIT,
    as_date,
    deadline_of,
    part_owner_ids,
    send,
    warn_of,
)
from .create import owner_of

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

from .part_flow import FlowActor, summarise

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
        inputs["comment"] = clean_text(inputs.get("comment"), "comment", COMMENT_LIMIT)
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
        # The end of the SUPERVISION_ANSWER_DAYS-th working day after today.
        day = calendar.workday_after(timezone.localdate(step.now), SUPERVISION_ANSWER_DAYS)
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
    if choice_key(lead) in wanted:  # was dropped without a word ("nothing changed")
        raise Invalid.field("cooperating", _("The lead owner cannot cooperate on its own task too."))
    keys = list(dict.fromkeys(wanted))
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
    # A key written otherwise may name an owner the task has under its own key (a 500 on the
    # parts' unique owner before): each owner once.
    taken = {(part.owner_kind, part.area_id, part.department_id) for part in parts if choice_key(part) not in added}
    for values in owners.values():
        area, department = values.get("area"), values.get("department")
        identity = (values["owner_kind"], getattr(area, "pk", None), getattr(department, "pk", None))
        if identity in taken:
            raise Invalid.field("cooperating", _("Name each owner once."))
        taken.add(identity)
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
