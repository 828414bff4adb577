"""The monthly bulletins under ``/api/v1/bulletins``: ask for one (generated in the background),
follow it, read its frozen figures, download its documents, retry or write them again. The same
services and rules as the pages (the readers of the statistics, their towns and villages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from gridgov.core.audit import record
from gridgov.core.downloads import document_response
from gridgov.core.errors import Forbidden, Invalid
from gridgov.core.schemas import LocalTime

from . import platform, services
from .models import Bulletin, PlatformCheck

router = Router(tags=["bulletins"])


class BulletinProgressOut(Schema):
    step: str
    percent: int
    label: str


class BulletinOut(Schema):
    id: int
    area: str
    area_name: str
    month: str
    revision: int
    scheduled: bool
    status: str
    progress: BulletinProgressOut
    error: str
    created_at: LocalTime
    finished_at: LocalTime | None
    documents: dict[str, str]
    figures: dict[str, Any] | None = None


class BulletinIn(Schema):
    area: str
    month: str  # YYYY-MM


def bulletin_out(item: Bulletin, *, figures: bool = False) -> BulletinOut:
    documents = {}
    if services.has_documents(item):
        documents = {extension: f"/api/v1/bulletins/{item.pk}/file.{extension}" for extension in services.FORMATS}
    return BulletinOut(
        id=item.pk,
        area=item.area.code,
        area_name=item.area.name,
        month=f"{item.month:%Y-%m}",
        revision=item.revision,
        scheduled=item.scheduled,
        status=item.status,
        progress=BulletinProgressOut(**services.progress(item)),
        error=item.error,
        created_at=item.created_at,
        finished_at=item.finished_at,
        documents=documents,
        figures=item.figures or None if figures else None,
    )


def _check(request: HttpRequest) -> None:
    if not services.may_use(request.user):
        raise Forbidden(_("You may not generate bulletins."))


@router.get("", response=list[BulletinOut], summary="Recent bulletins of the towns and villages the user may see")
def bulletin_list(request: HttpRequest, area: str = "", month: str = "") -> list[BulletinOut]:
    _check(request)
    query = services.bulletins_visible(request.user)
    if area:
        query = query.filter(area__code=area)
    if month:
        query = query.filter(month=_month(month))
    return [bulletin_out(item) for item in query[:100]]


def _month(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError:
        raise Invalid.field("month", _("Enter a month such as 2026-11.")) from None


@router.post("", response={202: BulletinOut}, summary="Generate the bulletin of a town or village for a month")
def bulletin_create(request: HttpRequest, body: BulletinIn) -> Status[BulletinOut]:
    _check(request)
    item = services.bulletin_request(actor=request.user, area_code=body.area, month=_month(body.month))
    return Status(202, bulletin_out(services.bulletin_get(request.user, item.pk)))


class PlatformCheckOut(Schema):
    id: int
    town: str
    month: str
    platform: str
    status: str
    entered: dict[str, int]
    ours: dict[str, int]
    differences: list[str]
    explanations: dict[str, dict[str, str]]
    version: int
    updated_at: LocalTime


class PlatformCheckIn(Schema):
    town: str
    month: str  # YYYY-MM
    platform: str = ""
    figures: dict[str, Any]


class PlatformExplainIn(Schema):
    code: str
    reason: str
    version: int | None = None


def check_out(check: PlatformCheck) -> PlatformCheckOut:
    return PlatformCheckOut(
        id=check.pk,
        town=check.town.code,
        month=f"{check.month:%Y-%m}",
        platform=check.platform,
        status=check.status,
        entered=check.entered,
        ours=check.ours,
        differences=platform.differences(check),
        explanations=check.explanations,
        version=check.version,
        updated_at=check.updated_at,
    )


@router.get(
    "/platform-checks", response=list[PlatformCheckOut], summary="Checks of the case figures against a city platform"
)
def check_list(request: HttpRequest) -> list[PlatformCheckOut]:
    _check(request)
    return [check_out(check) for check in platform.checks_visible(request.user)[:100]]


@router.post(
    "/platform-checks",
    response={201: PlatformCheckOut},
    summary="Enter a city platform's monthly case figures of a town (`figures`: reported, registered, due, closed, "
    "closed_on_time); the system's own are put beside them",
)
def check_create(request: HttpRequest, body: PlatformCheckIn) -> Status[PlatformCheckOut]:
    _check(request)
    check = platform.check_enter(
        actor=request.user, town_code=body.town, month=_month(body.month), platform=body.platform, figures=body.figures
    )
    return Status(201, check_out(check))


@router.get("/platform-checks/{int:check_id}", response=PlatformCheckOut, summary="One check and its differences")
def check_detail(request: HttpRequest, check_id: int) -> PlatformCheckOut:
    return check_out(platform.check_get(request.user, check_id))


@router.post(
    "/platform-checks/{int:check_id}/explain", response=PlatformCheckOut, summary="Explain one figure that differs"
)
def check_explain(request: HttpRequest, check_id: int, body: PlatformExplainIn) -> PlatformCheckOut:
    check = platform.check_explain(
        actor=request.user, pk=check_id, code=body.code, reason=body.reason, version=body.version
    )
    return check_out(check)


@router.get("/{int:bulletin_id}", response=BulletinOut, summary="One bulletin, its progress and its frozen figures")
def bulletin_detail(request: HttpRequest, bulletin_id: int) -> BulletinOut:
    return bulletin_out(services.bulletin_get(request.user, bulletin_id), figures=True)


@router.post("/{int:bulletin_id}/retry", response=BulletinOut, summary="Generate a failed bulletin again")
def bulletin_retry(request: HttpRequest, bulletin_id: int) -> BulletinOut:
    services.bulletin_act(actor=request.user, pk=bulletin_id, action="retry")
    return bulletin_out(services.bulletin_get(request.user, bulletin_id))


@router.post(
    "/{int:bulletin_id}/rewrite", response=BulletinOut, summary="Write the documents again from the frozen figures"
)
def bulletin_rewrite(request: HttpRequest, bulletin_id: int) -> BulletinOut:
    services.bulletin_act(actor=request.user, pk=bulletin_id, action="rewrite")
    return bulletin_out(services.bulletin_get(request.user, bulletin_id))


@router.get(
    "/{int:bulletin_id}/file.{extension}",
    response={200: None},
    summary="A finished bulletin's document: `docx`, `pdf` or `xlsx`",
)
def bulletin_file(request: HttpRequest, bulletin_id: int, extension: str) -> HttpResponse:
    item = services.bulletin_get(request.user, bulletin_id)
    content = services.open_document(item, extension)
    record(action="bulletin.download", actor=request.user, obj=item, request=request, data={"format": extension})
    return document_response(
        content,
        extension,
        services.download_name(item, extension),
        fallback=services.download_fallback(item, extension),
    )
