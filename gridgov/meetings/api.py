"""Opinion meetings under ``/api/v1/meetings``: the meetings the user sees, one with its agenda,
attendance and resolutions, signing in with the QR code's key (the phone), and the steps of a
resolution for its owner (the same services and rules as the pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from gridgov.core.schemas import LocalTime
from gridgov.people.selectors import display_name

from . import services
from .models import Meeting, Resolution

router = Router(tags=["meetings"])
LIMIT = 200


class AgendaItemOut(Schema):
    title: str
    source: str
    note: str


class ResolutionOut(Schema):
    id: int
    meeting: int
    number: int
    text: str
    kind: str
    status: str
    state: str
    owner: str
    deadline: dt.date | None
    case_number: str
    report: str
    comment: str
    version: int
    allowed_actions: list[str]


class MeetingOut(Schema):
    id: int
    area: str
    area_name: str
    title: str
    starts_at: LocalTime
    place: str
    chair: str
    status: str
    version: int


class MeetingDetailOut(MeetingOut):
    agenda: list[AgendaItemOut]
    minutes: str
    attendance: list[str]
    resolutions: list[ResolutionOut]
    followup: list[ResolutionOut]


class SignInIn(Schema):
    key: str


class SignInOut(Schema):
    meeting: int
    signed_at: LocalTime
    created: bool


class ResolutionActionIn(Schema):
    version: int | None = None
    report: str | None = None
    comment: str | None = None


def _resolution_out(resolution: Resolution, request: HttpRequest) -> ResolutionOut:
    owner = ""
    if resolution.department is not None:
        owner = resolution.department.name
    elif resolution.village is not None:
        owner = resolution.village.name
    return ResolutionOut(
        id=resolution.pk,
        meeting=resolution.meeting_id,
        number=resolution.number,
        text=resolution.text,
        kind=resolution.kind,
        status=resolution.status,
        state=services.resolution_state(resolution),
        owner=owner,
        deadline=resolution.deadline,
        case_number=resolution.case.number if resolution.case else "",
        report=resolution.report,
        comment=resolution.comment,
        version=resolution.version,
        allowed_actions=services.RESOLUTIONS.allowed_actions(resolution, request.user),
    )


def _meeting_fields(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "area": meeting.area.code,
        "area_name": meeting.area.name,
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "place": meeting.place,
        "chair": display_name(meeting.chair),
        "status": meeting.status,
        "version": meeting.version,
    }


@router.get("", response=list[MeetingOut], summary="The opinion meetings the user sees, latest first")
def meeting_list(request: HttpRequest) -> list[MeetingOut]:
    return [MeetingOut(**_meeting_fields(m)) for m in services.meetings_visible(request.user)[:LIMIT]]


@router.get("/resolutions", response=list[ResolutionOut], summary="The resolutions the user's unit owns")
def resolution_list(request: HttpRequest) -> list[ResolutionOut]:
    owned = services.resolutions_owned(request.user).order_by("status", "deadline", "pk")[:LIMIT]
    return [_resolution_out(r, request) for r in owned]


@router.get("/{meeting_id}", response=MeetingDetailOut, summary="A meeting with its agenda, attendance and resolutions")
def meeting_detail(request: HttpRequest, meeting_id: int) -> MeetingDetailOut:
    meeting = services.meeting_get(request.user, meeting_id)
    resolutions = meeting.resolutions.select_related("case", "department", "village")
    return MeetingDetailOut(
        **_meeting_fields(meeting),
        agenda=[AgendaItemOut(**item) for item in meeting.agenda],
        minutes=meeting.minutes,
        attendance=[display_name(a.user) for a in meeting.attendance.select_related("user__profile")],
        resolutions=[_resolution_out(r, request) for r in resolutions],
        followup=[_resolution_out(r, request) for r in services.open_resolutions(meeting.area, before=meeting)],
    )


@router.post("/{meeting_id}/sign-in", response=SignInOut, summary="Sign in with the key of the meeting's QR code")
def meeting_sign_in(request: HttpRequest, meeting_id: int, payload: SignInIn) -> SignInOut:
    attendance, created = services.meeting_sign_in(actor=request.user, pk=meeting_id, key=payload.key)
    return SignInOut(meeting=meeting_id, signed_at=attendance.signed_at, created=created)


@router.post(
    "/resolutions/{resolution_id}/{action}",
    response=ResolutionOut,
    summary="A step of a resolution: report (its owner), confirm or return (the organisers)",
)
def resolution_act(request: HttpRequest, resolution_id: int, action: str, payload: ResolutionActionIn) -> ResolutionOut:
    inputs = {k: v for k, v in payload.dict(exclude={"version"}).items() if v is not None}
    services.resolution_act(actor=request.user, pk=resolution_id, action=action, inputs=inputs, version=payload.version)
    resolution = services.resolutions_visible(request.user).get(pk=resolution_id)
    return _resolution_out(resolution, request)
