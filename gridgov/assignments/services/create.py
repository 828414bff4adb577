"""Giving a task: by hand, from a document (attached), or from a meeting's resolution."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.core.actors import signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound, clean_text
from gridgov.meetings.models import ResolutionKind, ResolutionStatus
from gridgov.meetings.services import resolutions_visible
from gridgov.people.models import Role
from gridgov.people.selectors import departments_serving, role_holder_ids

from .. import access
from ..models import Assignment, AssignmentEvent, AssignmentPart, FileKind, OwnerKind, Priority, Source
from .common import (
    TEXT_LIMIT,
    TITLE_LIMIT,
    Upload,
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


def creator_towns(actor: User | AnonymousUser) -> QuerySet[Area]:
    """The towns where ``actor`` may give tasks (a leader, the center, an administrator)."""
    towns = areas_visible(actor).filter(level=AreaLevel.TOWN).order_by("code")
    return towns.filter(pk__in=[town.pk for town in towns if access.may_create(actor, town)])


def town_leader_ids(town: Area) -> list[int]:
    """The active town leaders of ``town`` (or of an area above it)."""
    return role_holder_ids(Q(role=Role.TOWN_LEADER, area_id__in=town.ancestor_ids()))


def owner_choices(town: Area) -> list[tuple[str, str]]:
    """The owners a task of ``town`` can have: the center, the departments in service that
    serve the town (or an area above it), the town's villages."""
    choices: list[tuple[str, str]] = [("center", str(_("The center")))]
    departments = departments_serving(town.ancestor_ids()).order_by("sort_order", "code")
    choices += [(f"department:{d.code}", d.name) for d in departments]
    villages = Area.objects.current().filter(level=AreaLevel.VILLAGE, path__startswith=town.path).order_by("code")
    choices += [(f"village:{v.code}", v.name) for v in villages]
    return choices


def owner_of(town: Area, key: str, field: str) -> dict[str, Any]:
    """A part's owner fields from ``center``, ``department:<code>`` or ``village:<code>``."""
    kind, _sep, code = str(key).strip().partition(":")
    if kind == OwnerKind.CENTER:
        return {"owner_kind": OwnerKind.CENTER, "area": town}
    if kind == OwnerKind.DEPARTMENT:
        # Only a department serving the town, as the form lists them.
        department = departments_serving(town.ancestor_ids()).filter(code=code).first()
        if department is not None:
            return {"owner_kind": OwnerKind.DEPARTMENT, "department": department}
    if kind == OwnerKind.VILLAGE:
        village = Area.objects.current().filter(level=AreaLevel.VILLAGE, code=code, path__startswith=town.path).first()
        if village is not None:
            return {"owner_kind": OwnerKind.VILLAGE, "area": village}
    raise Invalid.field(field, _("Choose the center, a department or a village of the town."))


def _town(actor: User | AnonymousUser, town_code: str) -> Area:
    towns = creator_towns(actor)
    if town_code:
        town = towns.filter(code=town_code).first()
        if town is None:
            raise Forbidden(_("You may not give tasks in this town."))
        return town
    found = list(towns[:2])
    if not found:
        raise Forbidden(_("Only a town leader or the center gives leaders' tasks."))
    if len(found) > 1:
        raise Invalid.field("town", _("Several towns are in your scope: give the town's code."))
    return found[0]


def _leader(actor: User | AnonymousUser, town: Area, leader_id: int | None) -> User:
    leaders = town_leader_ids(town)
    if leader_id is None and actor.pk in leaders:
        leader_id = actor.pk
    if leader_id is None or leader_id not in leaders:
        raise Invalid.field("leader", _("Choose the town leader who gives the task."))
    return get_user_model().objects.get(pk=leader_id)


def assignment_create(
    *,
    actor: User | AnonymousUser,
    title: str,
    requirement: str,
    lead: str,
    deadline: dt.date | str,
    cooperating: Sequence[str] = (),
    priority: str = Priority.NORMAL,
    leader_id: int | None = None,
    town_code: str = "",
    document_number: str = "",
    files: Sequence[Upload] = (),
    resolution_id: int | None = None,
    at: dt.datetime | None = None,
) -> Assignment:
    """Give a task: a town leader in their own name, the center on a named leader's behalf.
    One part per owner (the lead first); each owner is told. A task with files is one given
    from a document; one with ``resolution_id`` takes over a meeting's resolution (once)."""
    now = at or timezone.now()
    town = _town(actor, town_code)
    leader = _leader(actor, town, leader_id)
    title = clean_text(title, "title", TITLE_LIMIT, required=True)
    requirement = clean_text(requirement, "requirement", TEXT_LIMIT, required=True)
    if priority not in Priority.values:
        raise Invalid.field("priority", _("Choose the priority."))
    due = deadline_of(as_date(deadline, "deadline"), "deadline", now)
    owners = [owner_of(town, lead, "lead")]
    for key in cooperating:
        if key and key == lead:  # was dropped without a word
            raise Invalid.field("cooperating", _("The lead owner cannot cooperate on its own task too."))
        if key:
            owners.append(owner_of(town, key, "cooperating"))
    keys = {
        (o["owner_kind"], getattr(o.get("area"), "pk", None), getattr(o.get("department"), "pk", None)) for o in owners
    }
    if len(keys) != len(owners):
        raise Invalid.field("cooperating", _("Name each owner once."))
    uploads = files_check(files)
    resolution = None
    if resolution_id is not None:
        resolution = resolutions_visible(actor).filter(pk=resolution_id).first()
        if resolution is None:
            raise NotFound(_("No such resolution."))
        if resolution.kind != ResolutionKind.TASK:
            raise Invalid.field("resolution", _("Only a resolution that is a task becomes a leader's task."))
        if resolution.status != ResolutionStatus.OPEN:
            # Reported or confirmed done, it has its own state: a task would contradict it.
            raise Invalid.field("resolution", _("A resolution already reported done is not taken over."))
    source = Source.RESOLUTION if resolution is not None else Source.DOCUMENT if uploads else Source.MANUAL
    taken = Conflict(_("This resolution is already a leader's task."), code="resolution_taken")
    if resolution is not None and Assignment.objects.filter(resolution=resolution).exists():
        raise taken
    try:
        return _store(
            actor,
            town,
            leader,
            due,
            now,
            owners,
            uploads,
            resolution,
            title=title,
            requirement=requirement,
            source=source,
            priority=priority,
            document_number=clean_text(document_number, "document_number", 60),
        )
    except IntegrityError:
        # The same resolution taken over twice at once: the one-to-one link refuses the second.
        if resolution is not None:
            raise taken from None
        raise


@transaction.atomic
def _store(
    actor: User | AnonymousUser,
    town: Area,
    leader: User,
    due: dt.datetime,
    now: dt.datetime,
    owners: list[dict[str, Any]],
    uploads: list[Upload],
    resolution: Any,
    **values: Any,
) -> Assignment:
    """Write a checked task, its parts, its history row and files, and tell the owners."""
    warn = warn_of(now, due)
    assignment = Assignment.objects.create(
        town=town,
        area_path=town.path,
        resolution=resolution,
        leader=leader,
        **values,
        created_by=signed_in(actor) or leader,
        assigned_at=now,
        deadline=due,
        due_at=due,
        warn_at=warn,
    )
    parts = [
        AssignmentPart.objects.create(
            assignment=assignment, lead=index == 0, started_at=now, deadline=due, warn_at=warn, **owner
        )
        for index, owner in enumerate(owners)
    ]
    event = AssignmentEvent.objects.create(
        assignment=assignment,
        action="create",
        actor=signed_in(actor),
        at=now,
        to_status=assignment.status,
        data={
            "owners": [part.owner_key for part in parts],
            "deadline": due.isoformat(),
            "priority": values["priority"],
            **({"resolution": resolution.pk} if resolution is not None else {}),
            **({"on_behalf_of": leader.pk} if leader.pk != actor.pk else {}),
        },
    )
    files_store(assignment, uploads, kind=FileKind.DOCUMENT, actor=actor, event=event)
    record(
        action="assignment.create",
        actor=actor,
        obj=assignment,
        data={"town": town.code, "owners": [part.owner_key for part in parts], "source": values["source"]},
    )
    for part in parts:
        send(assignment, "assigned", part_owner_ids(part), actor=actor, part=part, note=values["requirement"])
    if leader.pk != actor.pk:
        send(assignment, "created_for", [leader.pk], actor=actor)
    return assignment


def assignment_from_resolution(*, actor: User | AnonymousUser, resolution_id: int, **overrides: Any) -> Assignment:
    """A leader's task that takes over a meeting's resolution (a task for a department or a
    village): its text, owner and deadline unless ``overrides`` say otherwise; linked to it."""
    resolution = resolutions_visible(actor).filter(pk=resolution_id).first()
    if resolution is None:
        raise NotFound(_("No such resolution."))
    values = resolution_defaults(resolution)
    values.update({key: value for key, value in overrides.items() if value not in (None, "")})
    return assignment_create(actor=actor, resolution_id=resolution.pk, **values)


def resolution_defaults(resolution: Any) -> dict[str, Any]:
    """What a task taken over from ``resolution`` starts with (the create form's initial)."""
    lead = (
        f"department:{resolution.department.code}"
        if resolution.department is not None
        else f"village:{resolution.village.code}"
        if resolution.village is not None
        else "center"
    )
    text = resolution.text.strip()
    values: dict[str, Any] = {
        "title": text.splitlines()[0][:TITLE_LIMIT] if text else "",
        "requirement": _("Resolution %(number)s of the meeting “%(title)s”: %(text)s")
        % {"number": resolution.number, "title": resolution.meeting.title, "text": text},
        "lead": lead,
    }
    if resolution.deadline is not None:
        values["deadline"] = resolution.deadline
    return values
