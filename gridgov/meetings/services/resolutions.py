"""Resolutions: added while a meeting is held (a task for its owner, or a case in the case
loop), their workflow (:data:`RESOLUTIONS`) and their state.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.cases.models import Source
from gridgov.cases.services import case_create
from gridgov.core.actors import signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound, clean_text
from gridgov.core.once import create_once
from gridgov.core.workflow import Step, Workflow
from gridgov.notify.services import notify
from gridgov.people.models import Role
from gridgov.people.selectors import department_by_code, role_holder_ids

from ..links import taken_over
from ..models import Meeting, MeetingStatus, Resolution, ResolutionKind, ResolutionStatus
from ..transitions import (
    RESOLUTION_LABELS,
    RESOLUTION_ROWS,
    MeetingParty,
    ResolutionAction,
)
from .agenda import resolution_done
from .common import VILLAGE_ROLES, MeetingActor, _owner_q, is_organiser, meetings_visible, resolutions_visible

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.core.models import AuditEvent


def resolution_add(
    *,
    actor: User | AnonymousUser,
    meeting_id: int,
    text: str,
    kind: str,
    deadline: dt.date | None = None,
    department_code: str = "",
    village_code: str = "",
    category: str = "",
    grid_code: str = "",
    submission_key: str | None = None,
) -> Resolution:
    """A resolution of a meeting being held: a task for its owner (a department or a village,
    with a deadline) or a case created at once in the case loop (source ``meeting``). The form's
    one-time key makes the same resolution sent twice one resolution (and one case)."""
    sent = {
        "meeting": meeting_id,
        "text": str(text).strip(),
        "kind": kind,
        "deadline": deadline,
        "owner": [department_code, village_code],
        "case": [category, grid_code],
    }
    resolution, _created = create_once(
        key=submission_key,
        user=actor,
        kind="meeting.resolution",
        sent=sent,
        create=lambda: _resolution_write(
            actor=actor,
            meeting_id=meeting_id,
            text=text,
            kind=kind,
            deadline=deadline,
            department_code=department_code,
            village_code=village_code,
            category=category,
            grid_code=grid_code,
        ),
        model=Resolution,
    )
    return resolution


def _resolution_write(
    *,
    actor: User | AnonymousUser,
    meeting_id: int,
    text: str,
    kind: str,
    deadline: dt.date | None,
    department_code: str,
    village_code: str,
    category: str,
    grid_code: str,
) -> Resolution:
    text = clean_text(text, "text", 2000)
    if not text:
        raise Invalid.field("text", _("Write the resolution."))
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update()
            .filter(pk__in=meetings_visible(actor).values("pk"), pk=meeting_id)
            .first()
        )
        if meeting is None:
            raise NotFound(_("No such meeting."))
        if not is_organiser(actor, meeting.area):
            raise Forbidden(_("Only the meeting's organisers may do this."))
        if meeting.status != MeetingStatus.HELD:
            raise Invalid.field("text", _("Resolutions are recorded while the meeting is held."))
        number = (meeting.resolutions.aggregate(last=Max("number"))["last"] or 0) + 1
        values: dict[str, Any] = {"meeting": meeting, "number": number, "text": text, "kind": kind}
        if kind == ResolutionKind.TASK:
            if deadline is None:
                raise Invalid.field("deadline", _("A task needs a deadline."))
            if deadline < timezone.localdate():
                raise Invalid.field("deadline", _("The deadline has passed."))
            department, village = _task_owner(actor, department_code, village_code)
            values.update(department=department, village=village, deadline=deadline)
        elif kind == ResolutionKind.CASE:
            if not category:
                raise Invalid.field("category", _("Choose the category of the case."))
            if not grid_code:
                raise Invalid.field("grid", _("Choose the grid where the work is to be done."))
            grid = areas_visible(actor).filter(code=grid_code, level=AreaLevel.GRID).first()
            if grid is None:
                raise Invalid.field("grid", _("Choose the grid where the work is to be done."))
            # Placed at the grid's centre, as a field report is placed by its position (only the
            # center may name a case's grid outright).
            where: dict[str, Any] = (
                {"lat": grid.center_lat, "lng": grid.center_lng} if grid.center_lat is not None else {"grid": grid}
            )
            case, _created = case_create(
                actor=actor,
                category=category,
                description=text,
                source=Source.MEETING,
                **where,
                comment=_("Resolution %(number)s of the meeting “%(title)s”")
                % {"number": number, "title": meeting.title},
            )
            values["case"] = case
        else:
            raise Invalid.field("kind", _("Choose what the resolution becomes."))
        resolution = Resolution.objects.create(**values)
        record(
            action="resolution.add",
            actor=actor,
            obj=resolution,
            data={"meeting": meeting.pk, "kind": kind, "case": getattr(resolution.case, "number", "")},
        )
        if kind == ResolutionKind.TASK:
            notify(
                recipients=_owners(resolution),
                kind="meeting.resolution",
                params={"title": meeting.title, "number": number, "deadline": deadline.isoformat() if deadline else ""},
                body=text[:500],
                url=reverse("meetings:resolutions"),
                obj=resolution,
                actor=signed_in(actor),
            )
    return resolution


def _task_owner(actor: User | AnonymousUser, department_code: str, village_code: str) -> tuple[Any, Any]:
    """The department (in service) or the visible village that owns a task; 422 without one."""
    department = department_by_code(department_code) if department_code else None
    if department is not None and not department.is_active:
        department = None
    village = areas_visible(actor).filter(code=village_code, level=AreaLevel.VILLAGE).first() if village_code else None
    if department is None and village is None:
        raise Invalid.field("department", _("Choose the department or village that owns the task."))
    if department is not None and village is not None:
        raise Invalid.field("department", _("A task has one owner: choose a department or a village, not both."))
    return department, village


def _owners(resolution: Resolution) -> list[User]:
    query = Q(pk__in=[])
    if resolution.department_id:
        query |= Q(role=Role.DEPARTMENT_HANDLER, department_id=resolution.department_id)
    if resolution.village_id:
        query |= Q(role__in=VILLAGE_ROLES, area_id=resolution.village_id)
    return list(get_user_model().objects.filter(pk__in=role_holder_ids(query)))


class ResolutionFlow(Workflow[Resolution, MeetingActor]):
    model = Resolution
    forbidden_message = _("This step of the resolution is not yours to take.")

    def parties(self, actor: MeetingActor, subject: Resolution) -> set[str]:
        if actor is None or subject.kind != ResolutionKind.TASK:
            return set()
        parties: set[str] = set()
        if is_organiser(actor, subject.meeting.area):
            parties.add(MeetingParty.ORGANISER)
        if Resolution.objects.filter(pk=subject.pk).filter(_owner_q(actor)).exists():
            parties.add(MeetingParty.OWNER)
        return parties

    def visible(self, actor: MeetingActor) -> Q:
        return Q() if actor is None else Q(pk__in=resolutions_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(ResolutionStatus(status).label) if status in ResolutionStatus.values else status

    def record(self, step: Step[Resolution, MeetingActor]) -> AuditEvent:
        return record(action=f"resolution.{step.action}", actor=step.actor, obj=step.subject, data=step.data)

    def state_refusal(self, subject: Resolution, transition: Any, now: dt.datetime) -> Conflict | None:
        """A resolution taken over (by a leader's task) is done through what took it over."""
        if taken_over(subject.pk):
            return Conflict(
                _("This resolution was made a leader's task: report and confirm it on the task."), code="taken_over"
            )
        return super().state_refusal(subject, transition, now)

    def allowed_actions(self, subject: Resolution, user: MeetingActor, now: dt.datetime | None = None) -> list[str]:
        return [] if taken_over(subject.pk) else super().allowed_actions(subject, user, now)


RESOLUTIONS = ResolutionFlow("resolution", RESOLUTION_ROWS, labels=RESOLUTION_LABELS)


@RESOLUTIONS.effect(ResolutionAction.REPORT)
def _report(step: Step[Resolution, MeetingActor]) -> None:
    step.set(report=str(step.input("report"))[:2000])


@RESOLUTIONS.effect(ResolutionAction.CONFIRM)
def _confirm(step: Step[Resolution, MeetingActor]) -> None:
    step.set(done_at=step.now, comment=str(step.input("comment", "") or "")[:1000])


@RESOLUTIONS.effect(ResolutionAction.RETURN)
def _return(step: Step[Resolution, MeetingActor]) -> None:
    step.set(comment=str(step.input("comment"))[:1000])


RESOLUTIONS.check_complete()


def resolution_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
) -> Resolution:
    return RESOLUTIONS.act(pk, action, actor=actor, inputs=inputs or {}, version=version)


def resolution_state(resolution: Resolution, today: dt.date | None = None) -> str:
    """``done``, ``overdue`` (a task past its deadline, or a case past its overall deadline) or
    ``open``."""
    if resolution_done(resolution):
        return "done"
    today = today or timezone.localdate()
    if resolution.kind == ResolutionKind.TASK:
        return "overdue" if resolution.deadline and resolution.deadline < today else "open"
    due = resolution.case.due_at if resolution.case else None
    return "overdue" if due and due < timezone.now() else "open"
