"""API of basic data and visits under ``/api/v1/visits`` (``docs/visits.md``).

A visit comes from the phone once, named by its client UUID (the ``Idempotency-Key`` header or
``client_id``): a retry answers the visit already stored (200) instead of a second one (201).
"""

from __future__ import annotations

from typing import Any, Final

from django.core.exceptions import ObjectDoesNotExist
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from gridgov.core.bodies import body_doc, json_or_multipart
from gridgov.core.errors import Invalid, NotFound
from gridgov.core.pagination import keyset_page
from gridgov.core.schemas import CodeName, code_name
from gridgov.people.schemas import person_out

from . import selectors, services
from .access import mask_address, mask_care, mask_name, mask_phone
from .models import Household, Unit, Visit, VisitPhoto
from .schemas import (
    BasicListQuery,
    CoverageOut,
    CoverageQuery,
    DueListOut,
    DueOut,
    HouseholdOut,
    HouseholdPageOut,
    HouseholdRevealOut,
    PlaceListOut,
    PlaceOut,
    UnitOut,
    UnitPageOut,
    VisitCaseIn,
    VisitIn,
    VisitListQuery,
    VisitOut,
    VisitPageOut,
    VisitPhotoOut,
    VisitTargetOut,
)

router = Router(tags=["visits"])

IDEMPOTENCY_HEADER_DOC: Final = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "format": "uuid"},
    "description": "The visit's client UUID (or `client_id` in the body): the same UUID from the same worker "
    "returns the visit already stored (200).",
}


def household_out(household: Household) -> HouseholdOut:
    return HouseholdOut(
        id=household.pk,
        grid=code_name(household.grid),
        address=mask_address(household.address),
        head_name=mask_name(household.head_name),
        head_phone=mask_phone(household.head_phone),
        member_count=household.member_count,
        care_tags=mask_care(household.care_tags),
        doubtful=household.doubtful,
        doubts=household.doubts,
    )


def unit_out(unit: Unit) -> UnitOut:
    return UnitOut(
        id=unit.pk,
        grid=code_name(unit.grid),
        kind=unit.kind,
        key_place=unit.is_key_place,
        name=unit.name,
        address=unit.address,
        contact_name=mask_name(unit.contact_name),
        contact_phone=mask_phone(unit.contact_phone),
        hazard_tags=list(unit.hazard_tags),
        lat=unit.lat,
        lng=unit.lng,
        doubtful=unit.doubtful,
    )


def target_label(visit: Visit) -> str:
    if visit.household_id and visit.household is not None:
        return mask_address(visit.household.address)
    return visit.unit.name if visit.unit is not None else ""


def visit_out(visit: Visit) -> VisitOut:
    return VisitOut(
        id=visit.pk,
        client_id=str(visit.client_id),
        worker=person_out(visit.worker),
        grid=code_name(visit.grid),
        target=VisitTargetOut(
            kind="household" if visit.household_id else "unit",
            id=visit.household_id or visit.unit_id or 0,
            label=target_label(visit),
        ),
        visited_at=visit.visited_at,
        finding=visit.finding,
        notes=visit.notes,
        lat=visit.lat,
        lng=visit.lng,
        accuracy=visit.accuracy,
        case_id=selectors.case_of(visit),
        photos=[
            VisitPhotoOut(
                id=photo.pk,
                url=reverse("api:visit_photo_file", args=[photo.pk, "display"]),
                thumbnail_url=reverse("api:visit_photo_file", args=[photo.pk, "thumbnail"]),
                width=photo.width,
                height=photo.height,
            )
            for photo in visit.photos.all()
        ],
        created_at=visit.created_at,
    )


def _due_out(due: selectors.DueVisit, *, full_address: bool) -> DueOut:
    household, unit = due.household, due.unit
    if household is not None:
        masked = [mask_care(household.care_tags)]
        target: dict[str, Any] = {
            "household_id": household.pk,
            "unit_id": None,
            "name": "",
            "unit_kind": "",
            "key_place": False,
            "grid": code_name(household.grid),
            "address": household.address if full_address else mask_address(household.address),
            "head_name": mask_name(household.head_name),
            # The worker's own due list carries the tags (the worker needs them at the door);
            # a leader's overdue list, like every other list, only that there are some.
            "care_tags": list(household.care_tags) if full_address else [],
            "care_labels": household.care_labels if full_address else masked,
            "tags": list(household.care_tags) if full_address else [],
            "tag_labels": household.care_labels if full_address else masked,
        }
    else:
        assert unit is not None
        target = {
            "household_id": None,
            "unit_id": unit.pk,
            "name": unit.name,
            "unit_kind": unit.kind,
            "key_place": unit.is_key_place,
            "grid": code_name(unit.grid),
            "address": unit.address,
            "head_name": mask_name(unit.contact_name),
            "care_tags": [],
            "care_labels": [],
            "tags": unit.plan_tags,
            "tag_labels": unit.plan_labels,
        }
    return DueOut(
        kind=due.kind,
        **target,
        interval_days=due.interval_days,
        last_visit=due.last_visit,
        due_on=due.due_on,
        overdue_days=due.overdue_days,
    )


# --- visits -----------------------------------------------------------------------------------


@router.post(
    "",
    response={200: VisitOut, 201: VisitOut},
    summary="Store a visit recorded on the phone (JSON, or multipart with `payload` and up to 9 `photos`; "
    "idempotent by the visit's client UUID)",
    openapi_extra=body_doc(VisitIn, [IDEMPOTENCY_HEADER_DOC]),
)
def visit_create(request: HttpRequest) -> Status[VisitOut]:
    payload, files = json_or_multipart(request, VisitIn)
    header = (request.headers.get("Idempotency-Key") or "").strip()
    body = (payload.client_id or "").strip()
    if header and body and header.lower() != body.lower():
        raise Invalid(
            _("The request is not valid."),
            details={"client_id": [_("The Idempotency-Key header and client_id differ.")]},
        )
    if not (header or body):
        raise Invalid(
            _("The request is not valid."),
            details={"client_id": [_("Send the visit's client UUID as the Idempotency-Key header.")]},
        )
    visit, created = services.visit_record(
        actor=request.user,
        client_id=header or body,
        household_id=payload.household_id,
        unit_id=payload.unit_id,
        visited_at=payload.visited_at,
        finding=payload.finding,
        notes=payload.notes,
        lat=payload.lat,
        lng=payload.lng,
        accuracy=payload.accuracy,
        case_client_id=payload.case_client_id,
        photos_in=files,
        request=request,
    )
    return Status(201 if created else 200, visit_out(selectors.visit_get(request.user, visit.pk)))


@router.get(
    "/photos/{int:visit_photo_id}/{variant}",
    url_name="visit_photo_file",
    summary="One photo of a visible visit: `original`, `display` (upright, without EXIF) or `thumbnail`",
)
def visit_photo_file(request: HttpRequest, visit_photo_id: int, variant: str) -> FileResponse:
    try:
        handle, content_type = selectors.visit_photo_open(request.user, visit_photo_id, variant)
    except VisitPhoto.DoesNotExist:
        raise NotFound(_("No such photo.")) from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    # One phone may be used with several accounts' tokens: a cached photo is the token's.
    patch_vary_headers(response, ["Authorization"])
    return response


@router.get("", response=VisitPageOut, summary="Visits the caller may see, latest first (keyset pages)")
def visit_list(request: HttpRequest, query: Query[VisitListQuery]) -> VisitPageOut:
    visits = selectors.visits_visible(request.user)
    if query.grid:
        visits = selectors.grid_filter(visits, query.grid)
    if query.mine:
        visits = visits.filter(worker_id=request.user.pk)
    page = selectors.visit_page(visits, cursor=query.cursor or None, limit=query.limit)
    return VisitPageOut(items=[visit_out(v) for v in page.items], next_cursor=page.next_cursor)


@router.get(
    "/due", response=DueListOut, summary="Today's visits: due or overdue households, units and key places of my grids"
)
def visit_due(request: HttpRequest) -> DueListOut:
    today = timezone.localdate()
    due = selectors.due_today(request.user, today=today)
    return DueListOut(today=today, count=len(due), items=[_due_out(d, full_address=True) for d in due])


def _place_out(place: Household | Unit) -> PlaceOut:
    last = place.last  # type: ignore[union-attr]
    if isinstance(place, Household):
        return PlaceOut(
            kind="household",
            household_id=place.pk,
            unit_id=None,
            name="",
            unit_kind="",
            key_place=False,
            grid=code_name(place.grid),
            address=place.address,
            head_name=mask_name(place.head_name),
            tag_labels=place.care_labels,
            last_visit=last,
        )
    return PlaceOut(
        kind="unit",
        household_id=None,
        unit_id=place.pk,
        name=place.name,
        unit_kind=place.kind,
        key_place=place.is_key_place,
        grid=code_name(place.grid),
        address=place.address,
        head_name=mask_name(place.contact_name),
        tag_labels=[str(place.get_kind_display()), *place.hazard_labels],
        last_visit=last,
    )


@router.get(
    "/places",
    response=PlaceListOut,
    summary="Every household and unit of my grids, planned or not, for a visit without a plan (at most 2,000)",
)
def visit_places(request: HttpRequest) -> PlaceListOut:
    found = selectors.places(request.user)
    return PlaceListOut(count=found.total, truncated=found.truncated, items=[_place_out(p) for p in found.items])


@router.get("/overdue", response=DueListOut, summary="Overdue visits in the caller's areas (grid leaders)")
def visit_overdue(request: HttpRequest) -> DueListOut:
    today = timezone.localdate()
    due = selectors.overdue(request.user, today=today)
    return DueListOut(today=today, count=len(due), items=[_due_out(d, full_address=False) for d in due])


@router.get("/coverage", response=list[CoverageOut], summary="Visit coverage per grid for a month")
def visit_coverage(request: HttpRequest, query: Query[CoverageQuery]) -> list[CoverageOut]:
    today = timezone.localdate()
    year, month = (int(p) for p in query.month.split("-")) if query.month else (today.year, today.month)
    if not 1 <= month <= 12 or not 2000 <= year <= 2999:
        raise Invalid.field("month", _("Not a month."))
    return [
        CoverageOut(
            grid=CodeName(code=code, name=name),
            month=f"{year:04d}-{month:02d}",
            households_due=c.households_due,
            households_visited=c.households_visited,
            units_due=c.units_due,
            units_visited=c.units_visited,
            rate=None if c.rate is None else round(c.rate, 4),
        )
        for code, name, c in selectors.coverage_for(request.user, year=year, month=month)
    ]


@router.get("/households", response=HouseholdPageOut, summary="Households the caller may see (masked)")
def household_list(request: HttpRequest, query: Query[BasicListQuery]) -> HouseholdPageOut:
    rows = selectors.households_visible(request.user).select_related("grid")
    if query.grid:
        rows = selectors.grid_filter(rows, query.grid)
    page = keyset_page(rows, ("id",), query.cursor or None, query.limit, max_limit=selectors.PAGE_MAX)
    return HouseholdPageOut(items=[household_out(h) for h in page.items], next_cursor=page.next_cursor)


@router.get("/households/{int:household_id}", response=HouseholdOut, summary="One household (masked)")
def household_detail(request: HttpRequest, household_id: int) -> HouseholdOut:
    try:
        return household_out(selectors.household_get(request.user, household_id))
    except ObjectDoesNotExist:
        raise NotFound(_("No such household.")) from None


@router.post(
    "/households/{int:household_id}/reveal",
    response=HouseholdRevealOut,
    summary="The head's name, phone and the address in full (audited, limited per hour)",
)
def household_reveal(request: HttpRequest, household_id: int) -> HouseholdRevealOut:
    try:
        household = selectors.household_get(request.user, household_id)
    except ObjectDoesNotExist:
        raise NotFound(_("No such household.")) from None
    revealed = services.household_reveal(household, actor=request.user, request=request)
    return HouseholdRevealOut(
        head_name=revealed["head_name"],
        head_phone=revealed["head_phone"],
        address=revealed["address"],
        care_tags=list(household.care_tags),
    )


@router.get("/units", response=UnitPageOut, summary="Units and key places the caller may see")
def unit_list(request: HttpRequest, query: Query[BasicListQuery]) -> UnitPageOut:
    rows = selectors.units_visible(request.user).select_related("grid")
    if query.grid:
        rows = selectors.grid_filter(rows, query.grid)
    page = keyset_page(rows, ("id",), query.cursor or None, query.limit, max_limit=selectors.PAGE_MAX)
    return UnitPageOut(items=[unit_out(u) for u in page.items], next_cursor=page.next_cursor)


@router.get("/units/{int:unit_id}", response=UnitOut, summary="One unit or key place")
def unit_detail(request: HttpRequest, unit_id: int) -> UnitOut:
    try:
        return unit_out(selectors.unit_get(request.user, unit_id))
    except ObjectDoesNotExist:
        raise NotFound(_("No such unit.")) from None


@router.get("/{int:visit_id}", response=VisitOut, summary="One visit")
def visit_detail(request: HttpRequest, visit_id: int) -> VisitOut:
    try:
        return visit_out(selectors.visit_get(request.user, visit_id))
    except ObjectDoesNotExist:
        raise NotFound(_("No such visit.")) from None


@router.post(
    "/{int:visit_id}/case",
    response={200: VisitOut, 201: VisitOut},
    summary="Turn the visit's finding into a case (idempotent: a second call answers the same case)",
)
def visit_case(request: HttpRequest, visit_id: int, payload: VisitCaseIn) -> Status[VisitOut]:
    try:
        visit = selectors.visit_get(request.user, visit_id)
    except ObjectDoesNotExist:
        raise NotFound(_("No such visit.")) from None
    _case, created = services.visit_case_create(
        visit, actor=request.user, category=payload.category, description=payload.description, request=request
    )
    return Status(201 if created else 200, visit_out(selectors.visit_get(request.user, visit_id)))
