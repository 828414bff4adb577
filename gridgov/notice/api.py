"""The notice under ``/api/v1/notice``: the center's posters, publications and town settings,
and the residents' side without authentication (a public report, tracking by code). The same
services, forms and rules as the pages."""

from __future__ import annotations

from typing import Any, Final

from django.conf import settings
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from gridgov.areas.models import Area
from gridgov.core.errors import Forbidden, Invalid, NotFound
from gridgov.core.schemas import LocalTime

from . import selectors, services
from .forms import MAX_PHOTOS, ReportForm, report_submit
from .models import Poster, Publication, PublicReport

router = Router(tags=["notice"])


class PosterOut(Schema):
    id: int
    grid: str
    generated_at: LocalTime
    pdf_url: str


class PosterRowOut(Schema):
    grid: str
    grid_name: str
    public_url: str
    state: str
    poster: PosterOut | None


class PublicationOut(Schema):
    user_id: int
    username: str
    role: str
    area: str
    area_name: str
    published: bool
    display_name: str
    show_photo: bool
    work_phone: str
    duties: str
    service_hours: str


TEXT_FIELDS: Final = ("display_name", "work_phone", "duties", "service_hours")


class PublicationIn(Schema):
    published: bool
    display_name: str = ""
    show_photo: bool = True
    work_phone: str = ""
    duties: str = ""
    service_hours: str = ""


class NoticeSettingOut(Schema):
    town: str
    town_name: str
    supervision_phone: str
    service_hours: str


class NoticeSettingIn(Schema):
    supervision_phone: str = ""
    service_hours: str = ""


class PublicReportOut(Schema):
    code: str | None


class TrackingOut(Schema):
    code: str
    received_at: LocalTime
    category: str
    grid: str
    progress: str
    closed_at: LocalTime | None
    result: str


def _public_url(request: HttpRequest, area: Area) -> str:
    base = getattr(settings, "GRIDGOV_PUBLIC_BASE_URL", "") or request.build_absolute_uri("/")[:-1]
    return base.rstrip("/") + reverse("notice:public", args=[area.code])


def _center_only(request: HttpRequest) -> None:
    if not selectors.center_towns(request.user):
        raise Forbidden(_("Only the center of the town manages the public notice."))


def poster_out(poster: Poster) -> PosterOut:
    return PosterOut(
        id=poster.pk,
        grid=poster.grid.code,
        generated_at=poster.generated_at,
        pdf_url=reverse("api:notice_poster_pdf", args=[poster.pk]),
    )


# --- Posters -------------------------------------------------------------------------------------


@router.get("/posters", response=list[PosterRowOut], summary="The town's grids with their latest poster and state")
def poster_list(request: HttpRequest) -> list[PosterRowOut]:
    """``state``: ``none`` (no poster yet), ``up_to_date``, or ``reprint`` (the grid's published
    staff changed since the poster was generated)."""
    _center_only(request)
    return [
        PosterRowOut(
            grid=row.grid.code,
            grid_name=row.grid.name,
            public_url=_public_url(request, row.grid),
            state=row.state,
            poster=poster_out(row.poster) if row.poster else None,
        )
        for row in selectors.poster_rows(request.user)
    ]


@router.post("/grids/{code}/posters", response={201: PosterOut}, summary="Generate a grid's poster (A4 PDF)")
def poster_generate(request: HttpRequest, code: str) -> Status[PosterOut]:
    grid = selectors.grid_managed(request.user, code)
    if grid is None:
        raise NotFound(_("Not found."))
    poster = services.poster_generate(actor=request.user, grid=grid, public_url=_public_url(request, grid))
    return Status(201, poster_out(poster))


@router.get("/posters/{int:poster_id}/pdf", url_name="notice_poster_pdf", summary="Download a poster (PDF)")
def poster_pdf(request: HttpRequest, poster_id: int) -> FileResponse:
    poster = selectors.posters_managed(request.user).filter(pk=poster_id).first()
    if poster is None:
        raise NotFound(_("Not found."))
    return FileResponse(
        poster.pdf.open("rb"),
        as_attachment=True,
        filename=f"poster-{poster.grid.code}.pdf",
        content_type="application/pdf",
    )


# --- Publications and settings ---------------------------------------------------------------------


def _publication_rows(request: HttpRequest, user_id: int | None = None) -> list[PublicationOut]:
    query = selectors.staff_managed(request.user).select_related("user", "area")
    if user_id is not None:
        query = query.filter(user_id=user_id)
    rows = list(query)
    publications = {p.user_id: p for p in Publication.objects.filter(user__in=[row.user_id for row in rows])}
    out = []
    for row in rows:
        publication = publications.get(row.user_id) or Publication(user_id=row.user_id)
        if row.area is None:
            continue
        out.append(
            PublicationOut(
                user_id=row.user_id,
                username=row.user.get_username(),
                role=row.role,
                area=row.area.code,
                area_name=row.area.name,
                published=publication.published,
                display_name=publication.display_name,
                show_photo=publication.show_photo,
                work_phone=publication.work_phone,
                duties=publication.duties,
                service_hours=publication.service_hours,
            )
        )
    return out


@router.get(
    "/publications",
    response=list[PublicationOut],
    summary="What is published about each grid worker (per grid) and grid leader (per village) of the town",
)
def publication_list(request: HttpRequest) -> list[PublicationOut]:
    _center_only(request)
    return _publication_rows(request)


@router.get("/publications/{int:user_id}", response=list[PublicationOut], summary="What is published about one person")
def publication_detail(request: HttpRequest, user_id: int) -> list[PublicationOut]:
    """One row per role the person holds in the town (the same publication on each)."""
    rows = _publication_rows(request, user_id)
    if not rows:
        raise NotFound(_("Not found."))
    return rows


@router.post("/publications/{int:user_id}", response=list[PublicationOut], summary="Set what is published")
def publication_save(request: HttpRequest, user_id: int, body: PublicationIn) -> list[PublicationOut]:
    row = selectors.staff_managed(request.user).filter(user_id=user_id).select_related("user").first()
    if row is None:
        raise NotFound(_("Not found."))
    # The page's form holds the model's limits; text over one is refused, never cut.
    limits = {name: getattr(Publication._meta.get_field(name), "max_length", None) for name in TEXT_FIELDS}
    details = {
        name: [_("At most %(n)s characters.") % {"n": limit}]
        for name, limit in limits.items()
        if limit and len(getattr(body, name).strip()) > limit
    }
    if details:
        raise Invalid(_("The request is not valid."), details=details)
    services.publication_save(actor=request.user, user=row.user, request=request, **body.dict())
    return _publication_rows(request, user_id)


def _setting_out(town: Area) -> NoticeSettingOut:
    setting = selectors.town_setting(town)
    return NoticeSettingOut(
        town=town.code,
        town_name=town.name,
        supervision_phone=setting.supervision_phone,
        service_hours=setting.service_hours,
    )


@router.get("/settings", response=list[NoticeSettingOut], summary="The towns' supervision phone and service hours")
def setting_list(request: HttpRequest) -> list[NoticeSettingOut]:
    _center_only(request)
    return [_setting_out(town) for town in selectors.center_towns(request.user)]


@router.post("/settings/{code}", response=NoticeSettingOut, summary="Set a town's supervision phone and service hours")
def setting_save(request: HttpRequest, code: str, body: NoticeSettingIn) -> NoticeSettingOut:
    town = next((town for town in selectors.center_towns(request.user) if town.code == code), None)
    if town is None:
        raise NotFound(_("Not found."))
    services.notice_setting_save(
        actor=request.user,
        town=town,
        supervision_phone=body.supervision_phone,
        service_hours=body.service_hours,
        request=request,
    )
    return _setting_out(town)


# --- Residents (no authentication) ------------------------------------------------------------------

REPORT_FIELDS: Final[dict[str, Any]] = {
    "category": {"type": "string", "description": "a minor class's code"},
    "description": {"type": "string"},
    "address": {"type": "string", "maxLength": 200},
    "lat": {"type": "number"},
    "lng": {"type": "number"},
    "name": {"type": "string", "maxLength": 100},
    "phone": {"type": "string", "maxLength": 30},
    "website": {"type": "string", "description": "leave empty (a robot trap)"},
    "idempotency_key": {"type": "string", "maxLength": 64, "description": "a one-time key (or the header)"},
    "photos": {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": MAX_PHOTOS},
}


@router.post(
    "/public/{code}/reports",
    auth=None,
    response={200: PublicReportOut, 201: PublicReportOut},
    summary="A resident's report from a grid's or village's public page (no authentication; multipart)",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "required": ["category", "description"], "properties": REPORT_FIELDS}
                }
            }
        },
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": 64},
                "description": "A one-time key: the same report sent again answers 200 with the first tracking code.",
            }
        ],
    },
)
def public_report(request: HttpRequest, code: str) -> Status[PublicReportOut]:
    """The public page's form and rules: the same checks, the abuse limits (429 ``throttled``),
    the honeypot (``website`` filled: answered as received with a tracking code that no report
    has, nothing kept) and the
    one-time key (the same key again is the same report, 200)."""
    area = selectors.public_area(code)
    if area is None:
        raise NotFound(_("Not found."))
    form = ReportForm(request.POST)
    if not form.is_valid():
        details = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
        raise Invalid(_("The request is not valid."), details=details)
    header = (request.headers.get("Idempotency-Key") or "").strip()[:64] or None
    key = form.key or header
    replayed = bool(key) and PublicReport.objects.filter(submission_key=key).exists()
    report = report_submit(form, area=area, request=request, key=header)
    return Status(200 if replayed else 201, PublicReportOut(code=report.code if report else services.decoy_code()))


@router.get(
    "/track/{tracking_code}",
    auth=None,
    response=TrackingOut,
    summary="A resident's report's progress by its tracking code (no authentication, no personal data)",
)
def track(request: HttpRequest, tracking_code: str) -> TrackingOut:
    """``progress``: ``received``, ``handling``, ``closed`` or ``not_taken_up``."""
    report = services.report_by_code(tracking_code)
    if report is None:
        raise NotFound(_("No report has this tracking code."))
    tracking = services.tracking(report)
    return TrackingOut(**tracking.__dict__)
