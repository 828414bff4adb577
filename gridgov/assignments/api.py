"""Leaders' tasks under ``/api/v1/assignments``: the list with its filters, one task with its
parts, files and history, giving a task (by hand, from a document, from a resolution), each
step of a part and of the task (the leader's edit and cancel among them), the progress reports,
a file, the task sheet (the same services and rules as the pages: out of scope is 404)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from gridgov.core.audit import record
from gridgov.core.downloads import document_response
from gridgov.core.errors import Invalid, NotFound
from gridgov.core.schemas import LIST_MAX, LocalTime
from gridgov.people.selectors import display_name

from . import documents, selectors, services
from .models import OPEN_STATUSES, PART_OPEN, Assignment, AssignmentEvent, AssignmentFile, AssignmentPart
from .transitions import EVENT_LABELS

router = Router(tags=["assignments"])
LIMIT = 200
# The inputs only an edit of the task takes.
TASK_ONLY = frozenset({"requirement", "priority", "deadline", "cooperating"})


class FileIn(Schema):
    name: str
    content_base64: str
    content_type: str = ""


class FileOut(Schema):
    id: int
    name: str
    kind: str
    size: int
    url: str


class PartOut(Schema):
    id: int
    owner: str
    owner_name: str
    lead: bool
    status: str
    light: str
    percent: int
    deadline: LocalTime
    extension_until: LocalTime | None
    extension_reason: str
    submitted_at: LocalTime | None
    completed_at: LocalTime | None
    on_time: bool | None
    version: int
    allowed_actions: list[str]


class AssignmentOut(Schema):
    id: int
    town: str
    title: str
    source: str
    priority: str
    status: str
    light: str
    leader: str
    assigned_at: LocalTime
    deadline: LocalTime
    due_at: LocalTime | None
    supervision_pending: bool
    supervision_due: LocalTime | None
    resolution: int | None
    cancelled_at: LocalTime | None
    version: int


class EventOut(Schema):
    id: int
    part: int | None
    action: str
    label: str
    actor: str
    at: LocalTime
    from_status: str
    to_status: str
    comment: str
    data: dict[str, Any]
    files: list[FileOut]


class AssignmentDetailOut(AssignmentOut):
    requirement: str
    document_number: str
    parts: list[PartOut]
    files: list[FileOut]
    history: list[EventOut]
    allowed_actions: list[str]


class AssignmentIn(Schema):
    title: str = ""
    requirement: str = ""
    lead: str = ""
    cooperating: list[str] = Field(default_factory=list, max_length=LIST_MAX)
    deadline: dt.date | None = None
    priority: str = "normal"
    leader: int | None = None
    town: str = ""
    document_number: str = ""
    resolution: int | None = None
    files: list[FileIn] = Field(default_factory=list, max_length=LIST_MAX)


class AssignmentActionIn(Schema):
    version: int | None = None
    comment: str | None = None
    percent: int | None = None
    until: dt.date | None = None
    files: list[FileIn] = Field(default_factory=list, max_length=LIST_MAX)
    # An edit of the task (the leader): what changes; ``cooperating`` is the whole new list.
    requirement: str | None = None
    priority: str | None = None
    deadline: dt.date | None = None
    cooperating: list[str] | None = None


class ListFilters(Schema):
    status: str = ""
    light: str = ""
    owner: str = ""
    priority: str = ""
    mine: bool = False
    supervision: bool = False
    text: str = ""
    figure: str = ""
    waiting: str = ""
    start: dt.date | None = None
    end: dt.date | None = None


def _uploads(items: list[FileIn]) -> list[services.Upload]:
    found = []
    for index, item in enumerate(items):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid.field("files", _("File %(n)s is not valid base64.") % {"n": index + 1}) from None
        found.append(services.Upload(name=item.name, content=content, content_type=item.content_type))
    return found


def _file(item: AssignmentFile, request: HttpRequest) -> FileOut:
    return FileOut(
        id=item.pk,
        name=item.name,
        kind=item.kind,
        size=item.size,
        url=request.build_absolute_uri(f"/api/v1/assignments/files/{item.pk}"),
    )


def _part(part: AssignmentPart, request: HttpRequest, now: dt.datetime) -> PartOut:
    return PartOut(
        id=part.pk,
        owner=part.owner_key,
        owner_name=part.owner_name,
        lead=part.lead,
        status=part.status,
        light=selectors.light_of(part.deadline, part.warn_at, now) if part.status in PART_OPEN else "",
        percent=part.percent,
        deadline=part.deadline,
        extension_until=part.extension_until,
        extension_reason=part.extension_reason,
        submitted_at=part.submitted_at,
        completed_at=part.completed_at,
        on_time=part.on_time,
        version=part.version,
        allowed_actions=services.PARTS.allowed_actions(part, request.user, now),
    )


def _fields(assignment: Assignment, now: dt.datetime) -> dict[str, Any]:
    open_task = assignment.status in OPEN_STATUSES
    return {
        "id": assignment.pk,
        "town": assignment.town.code,
        "title": assignment.title,
        "source": assignment.source,
        "priority": assignment.priority,
        "status": assignment.status,
        "light": selectors.light_of(assignment.due_at, assignment.warn_at, now) if open_task else "",
        "leader": display_name(assignment.leader),
        "assigned_at": assignment.assigned_at,
        "deadline": assignment.deadline,
        "due_at": assignment.due_at,
        "supervision_pending": assignment.supervision_pending,
        "supervision_due": assignment.supervision_due,
        "resolution": assignment.resolution_id,
        "cancelled_at": assignment.cancelled_at,
        "version": assignment.version,
    }


def _event(event: AssignmentEvent, request: HttpRequest) -> EventOut:
    label = services.PARTS.labels.get(event.action) or services.TASKS.labels.get(event.action)
    return EventOut(
        id=event.pk,
        part=event.part_id,
        action=event.action,
        label=str(label or EVENT_LABELS.get(event.action, event.action)),
        actor=display_name(event.actor) if event.actor else "",
        at=event.at,
        from_status=event.from_status,
        to_status=event.to_status,
        comment=event.comment,
        data=event.data,
        files=[_file(item, request) for item in event.files.all()],
    )


def _detail(assignment: Assignment, request: HttpRequest) -> AssignmentDetailOut:
    now = timezone.now()
    return AssignmentDetailOut(
        **_fields(assignment, now),
        requirement=assignment.requirement,
        document_number=assignment.document_number,
        parts=[_part(part, request, now) for part in selectors.parts_of(assignment)],
        files=[_file(item, request) for item in assignment.files.all()],
        history=[_event(event, request) for event in selectors.history(assignment)],
        allowed_actions=services.TASKS.allowed_actions(assignment, request.user, now),
    )


@router.get("", response=list[AssignmentOut], summary="The tasks the user sees, with filters, newest first")
def assignment_list(request: HttpRequest, filters: Query[ListFilters]) -> list[AssignmentOut]:
    chosen = selectors.Filters(
        status=filters.status,
        light=filters.light,
        owner=filters.owner,
        priority=filters.priority,
        mine=filters.mine,
        supervision=filters.supervision,
        text=filters.text.strip()[:100],
        figure=filters.figure,
        waiting=filters.waiting,
        start=filters.start,
        end=filters.end,
    )
    now = timezone.now()
    return [AssignmentOut(**_fields(item, now)) for item in selectors.filtered(request.user, chosen, now)[:LIMIT]]


@router.post(
    "", response={201: AssignmentDetailOut}, summary="Give a task (a leader, or the center on a leader's behalf)"
)
def assignment_create(request: HttpRequest, payload: AssignmentIn) -> Status[AssignmentDetailOut]:
    if payload.deadline is None and payload.resolution is None:
        raise Invalid.field("deadline", _("This field is required."))
    values: dict[str, Any] = {
        "title": payload.title,
        "requirement": payload.requirement,
        "lead": payload.lead,
        "cooperating": payload.cooperating,
        "deadline": payload.deadline,
        "priority": payload.priority,
        "leader_id": payload.leader,
        "town_code": payload.town,
        "document_number": payload.document_number,
        "files": _uploads(payload.files),
    }
    if payload.resolution is not None:
        assignment = services.assignment_from_resolution(actor=request.user, resolution_id=payload.resolution, **values)
    else:
        assignment = services.assignment_create(actor=request.user, **values)
    return Status(201, _detail(selectors.assignment_get(request.user, assignment.pk), request))


@router.get("/files/{int:assignment_file_id}", url_name="assignment_file", summary="One file of a visible task")
def assignment_file(request: HttpRequest, assignment_file_id: int) -> FileResponse:
    item = selectors.file_get(request.user, assignment_file_id)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("No such file.")) from None
    record(
        action="assignment.file_open", actor=request.user, obj=item.assignment, request=request, data={"file": item.pk}
    )
    response = FileResponse(handle, content_type=item.content_type or "application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "attachment"
    return response


@router.post(
    "/parts/{int:part_id}/{action}",
    response=AssignmentDetailOut,
    summary="A step of an owner's part: accept, progress, request_extension, submit (owner); "
    "grant_extension, refuse_extension, approve, return (the assigning leader)",
)
def part_act(request: HttpRequest, part_id: int, action: str, payload: AssignmentActionIn) -> AssignmentDetailOut:
    inputs: dict[str, Any] = {
        key: value for key, value in payload.dict(exclude={"version", "files", *TASK_ONLY}).items() if value is not None
    }
    if payload.files:
        inputs["files"] = _uploads(payload.files)
    part = services.part_act(actor=request.user, pk=part_id, action=action, inputs=inputs, version=payload.version)
    return _detail(selectors.assignment_get(request.user, part.assignment_id), request)


@router.get("/{int:assignment_id}", response=AssignmentDetailOut, summary="A task with its parts, files and history")
def assignment_detail(request: HttpRequest, assignment_id: int) -> AssignmentDetailOut:
    return _detail(selectors.assignment_get(request.user, assignment_id), request)


@router.get(
    "/{int:assignment_id}/progress", response=list[EventOut], summary="The progress reports and submissions of a task"
)
def assignment_progress(request: HttpRequest, assignment_id: int) -> list[EventOut]:
    assignment = selectors.assignment_get(request.user, assignment_id)
    events = selectors.history(assignment).filter(action__in=("progress", "submit"))
    return [_event(event, request) for event in events]


@router.get(
    "/{int:assignment_id}/sheet.{extension}",
    response={200: None},
    summary="The task sheet (交办单): `docx` or `pdf`",
)
def assignment_sheet(request: HttpRequest, assignment_id: int, extension: str) -> HttpResponse:
    assignment = selectors.assignment_get(request.user, assignment_id)
    writer = {"docx": documents.write_docx, "pdf": documents.write_pdf}.get(extension)
    if writer is None:
        raise NotFound(_("Unknown format."), code="unknown_format")
    content = writer(assignment)
    record(action="assignment.sheet", actor=request.user, obj=assignment, request=request, data={"format": extension})
    return document_response(content, extension, f"assignment-{assignment.pk}.{extension}")


@router.post(
    "/{int:assignment_id}/{action}",
    response=AssignmentDetailOut,
    summary="A step of the task: supervise (a town leader or discipline supervisor), reply_supervision (an owner); "
    "edit (requirement, priority, deadline, cooperating) and cancel (the assigning leader), each with a reason",
)
def assignment_act(
    request: HttpRequest, assignment_id: int, action: str, payload: AssignmentActionIn
) -> AssignmentDetailOut:
    inputs = {
        key: value for key, value in payload.dict(exclude={"version", "files", "percent"}).items() if value is not None
    }
    services.task_act(actor=request.user, pk=assignment_id, action=action, inputs=inputs, version=payload.version)
    return _detail(selectors.assignment_get(request.user, assignment_id), request)
