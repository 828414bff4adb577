"""API of the case loop under ``/api/v1/cases``: report, list, map, detail, act, add photos.

Every endpoint goes through the same services and selectors as the web pages, so the same
rules apply: what the caller may not see answers 404, what is not their move 403, what the
case's status does not allow 409, bad input 422 (see ``docs/api.md``).

Create and act take a JSON body, or ``multipart/form-data`` with the JSON in a ``payload``
field and the photos as ``photos`` files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile as DjangoUpload
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from gridgov.access.scope import scope_for
from gridgov.categories.models import Urgency
from gridgov.core.bodies import body_doc, json_or_multipart
from gridgov.core.errors import NotFound
from gridgov.core.schemas import ActionOut, code_name, code_names, filters_from_query
from gridgov.people.models import Role
from gridgov.people.schemas import person_out

from . import deadlines, selectors, services
from .access import can_reveal, mask_name, mask_phone
from .models import AttachmentKind, Case, CaseAttachment, CaseEvent, CaseStage, Source
from .models import Status as CaseStatus
from .schemas import (
    ActionIn,
    AttachmentOut,
    CaseCreatedOut,
    CaseCreateIn,
    CaseDetailOut,
    CaseFilterQuery,
    CaseListQuery,
    CasePageOut,
    CaseRef,
    CaseSummaryOut,
    CountersOut,
    DeadlineOut,
    DuplicateOut,
    DuplicateQuery,
    HistoryOut,
    MapFeature,
    MapOut,
    MapProperties,
    PartyOut,
    PendingExtensionOut,
    PointGeometry,
    StageOut,
    VerifyItemOut,
    VerifyPackOut,
    VerifyResultOut,
)
from .transitions import ACTION_LABELS, TABLE, Action

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

router = Router(tags=["cases"])

MAP_MAX: Final = 5000
# Cases of the to-verify queue the phone keeps for verifying without signal
# (``GRIDGOV_MOBILE_VERIFY_CASES`` overrides).
VERIFY_PACK_CASES: Final = 100

# --- request bodies ---------------------------------------------------------------------


def _photos(files: Sequence[DjangoUpload], kinds: Sequence[str], default: Sequence[str]) -> list[services.Photo]:
    """``Photo`` objects: the kind of each file from ``kinds`` (same order), else from
    ``default`` (its last entry for the rest)."""
    photos = []
    for index, upload in enumerate(files):
        kind = kinds[index] if index < len(kinds) else default[min(index, len(default) - 1)]
        photos.append(services.Photo(file=upload, kind=kind, name=upload.name or "photo"))
    return photos


# --- output builders --------------------------------------------------------------------


def _deadline(case: Case, now: Any = None) -> DeadlineOut:
    now = now or timezone.now()
    return DeadlineOut(
        stage=case.stage,
        deadline=case.stage_deadline,
        warn_at=case.stage_warn_at,
        light=deadlines.light(case.stage_deadline, case.stage_warn_at, now),
    )


def _created(case: Case) -> CaseCreatedOut:
    return CaseCreatedOut(
        id=case.pk,
        number=case.number,
        status=case.status,
        grid=code_name(case.grid),
        deadlines=_deadline(case),
        version=case.version,
        url=services.case_url(case),
    )


def _summary(case: Case) -> CaseSummaryOut:
    return CaseSummaryOut(
        id=case.pk,
        number=case.number,
        status=case.status,
        status_label=str(CaseStatus(case.status).label),
        category=code_name(case.category),
        urgency=case.urgency,
        source=case.source,
        grid=code_name(case.grid),
        lat=case.lat,
        lng=case.lng,
        address=case.address,
        description=case.description[:80],
        reported_at=case.reported_at,
        lead_department=code_name(case.lead_department),
        stage=case.stage,
        stage_deadline=case.stage_deadline,
        light=getattr(case, "light", None) or deadlines.light(case.stage_deadline, case.stage_warn_at, timezone.now()),
        url=services.case_url(case),
    )


def attachment_out(attachment: CaseAttachment) -> AttachmentOut:
    """Links to the API's photo endpoint, which checks the caller may see the case (never the
    media URL; tokens work there). ``display`` is the upright copy without EXIF; both fall back
    to the original while the worker makes them."""
    return AttachmentOut(
        id=attachment.pk,
        kind=attachment.kind,
        url=reverse("api:case_attachment_file", args=[attachment.pk, "display"]),
        thumbnail_url=reverse("api:case_attachment_file", args=[attachment.pk, "thumbnail"]),
        width=attachment.width,
        height=attachment.height,
    )


def _history(event: CaseEvent) -> HistoryOut:
    label = ACTION_LABELS.get(event.action)
    return HistoryOut(
        action=event.action,
        action_label=str(label) if label is not None else event.action,
        actor=person_out(event.actor),
        at=event.at,
        from_status=event.from_status,
        to_status=event.to_status,
        comment=event.comment,
        data=event.data or {},
        photos=[attachment_out(a) for a in event.attachments.all()],
    )


def _stage(stage: CaseStage) -> StageOut:
    return StageOut(
        stage=stage.stage,
        started_at=stage.started_at,
        warn_at=stage.warn_at,
        deadline=stage.deadline,
        ended_at=stage.ended_at,
        on_time=stage.on_time,
        extended=stage.extended,
    )


def _party(request: HttpRequest, case: Case) -> tuple[PartyOut, bool]:
    """The involved party, always masked here; ``POST /cases/{id}/reveal`` shows it in full."""
    allowed = can_reveal(request.user, case)
    return (
        PartyOut(
            kind=case.party_kind,
            name=mask_name(case.party_name),
            phone=mask_phone(case.party_phone),
            masked=bool(case.party_name or case.party_phone),
        ),
        allowed,
    )


def _pending_extension(case: Case) -> PendingExtensionOut | None:
    request = case.extension_request
    return None if request is None else PendingExtensionOut(**asdict(request))


def case_detail_out(request: HttpRequest, case_id: int) -> CaseDetailOut:
    """Everything about a case the caller may see (``Case.DoesNotExist`` when they may not)."""
    user = request.user
    case = selectors.case_get(user, case_id)
    now = timezone.now()
    party, allowed = _party(request, case)
    actions = services.allowed_actions(case, user, now)
    return CaseDetailOut(
        id=case.pk,
        number=case.number,
        status=case.status,
        status_label=str(CaseStatus(case.status).label),
        town=code_name(case.town),
        grid=code_name(case.grid),
        category=code_name(case.category),
        urgency=case.urgency,
        source=case.source,
        description=case.description,
        address=case.address,
        lat=case.lat,
        lng=case.lng,
        party=party,
        can_reveal=allowed,
        reporter=person_out(case.reporter),
        lead_department=code_name(case.lead_department),
        cooperating_departments=code_names(case.cooperating_departments.all()),
        handled_by_village=case.handled_by_village,
        self_handled=case.self_handled,
        escalated=case.escalated,
        merged_into=CaseRef(id=case.merged_into.pk, number=case.merged_into.number) if case.merged_into else None,
        parked_from=case.parked_from,
        pending_extension=_pending_extension(case),
        supervision_pending=case.supervision_pending,
        counters=CountersOut(
            rework=case.rework_count,
            returns=case.return_count,
            extensions=case.extension_count,
            reminders=case.reminder_count,
            supervision=case.supervision_count,
            reopenings=case.reopen_count,
        ),
        deadlines=_deadline(case, now),
        reported_at=case.reported_at,
        occurred_at=case.occurred_at,
        occurred_at_doubtful=case.occurred_at_doubtful,
        closed_at=case.closed_at,
        callback_at=case.callback_at,
        satisfaction=case.satisfaction,
        updated_at=case.updated_at,
        version=case.version,
        url=services.case_url(case),
        history=[_history(event) for event in selectors.case_history(case)],
        stages=[_stage(stage) for stage in case.stages.order_by("started_at", "id")],
        attachments=[attachment_out(a) for a in case.attachments.order_by("id")],
        actions=[
            ActionOut(
                code=action.value,
                label=str(ACTION_LABELS[action]),
                comment_required=TABLE[action].comment_required,
                photo_required=services.photo_required(case, action),
            )
            for action in actions
        ],
    )


def _filters(query: CaseFilterQuery) -> selectors.CaseFilters:
    return filters_from_query(query, selectors.CaseFilters)


def _default_source(user: User | AnonymousUser) -> str:
    scope = scope_for(user)
    if scope.has_role(Role.CENTER_OPERATOR):
        return Source.CENTER
    if scope.has_role(Role.TOWN_LEADER) and not scope.has_role(Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_STAFF):
        return Source.LEADER
    return Source.GRID_REPORT


# --- endpoints --------------------------------------------------------------------------

IDEMPOTENCY_HEADER_DOC: Final = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 64},
    "description": "A client UUID: the same key from the same user returns the case already created (200).",
}
ACTION_IDEMPOTENCY_HEADER_DOC: Final = {
    **IDEMPOTENCY_HEADER_DOC,
    "description": "A client UUID: the same key from the same user for the same action on the same case (same "
    "body) is not acted on again and answers 200 with the case as it is now.",
}


def _idempotency_key(request: HttpRequest) -> str | None:
    return request.headers.get("Idempotency-Key") or None


@router.post(
    "",
    response={200: CaseCreatedOut, 201: CaseCreatedOut},
    summary="Report a case (JSON, or multipart with `payload` and `photos`)",
    openapi_extra=body_doc(CaseCreateIn, [IDEMPOTENCY_HEADER_DOC]),
)
def case_create(request: HttpRequest) -> Status[CaseCreatedOut]:
    payload, files = json_or_multipart(request, CaseCreateIn)
    default_kinds = (
        [AttachmentKind.BEFORE, AttachmentKind.AFTER]
        if payload.self_handle and len(files) > 1
        else [AttachmentKind.REPORT]
    )
    party = payload.party
    case, created = services.case_create(
        actor=request.user,
        category=payload.category.strip(),
        description=payload.description,
        lat=payload.lat,
        lng=payload.lng,
        address=payload.address,
        source=payload.source or _default_source(request.user),
        urgency=payload.urgency or Urgency.NORMAL,
        grid=payload.grid or None,
        party_kind=party.kind if party else "",
        party_name=party.name if party else "",
        party_phone=party.phone if party else "",
        self_handle=payload.self_handle,
        comment=payload.comment,
        photos_in=_photos(files, payload.photo_kinds, default_kinds),
        idempotency_key=_idempotency_key(request),
        occurred_at=_aware(payload.occurred_at),
    )
    return Status(201 if created else 200, _created(case))


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A device's time without an offset is read in the site's time zone."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment)


@router.get("", response=CasePageOut, summary="Cases the caller may see, filtered, newest first (keyset pages)")
def case_list(request: HttpRequest, query: Query[CaseListQuery]) -> CasePageOut:
    cases = selectors.apply_filters(request.user, selectors.cases_visible(request.user), _filters(query))
    page = selectors.page(cases, cursor=query.cursor or None, limit=query.limit)
    return CasePageOut(items=[_summary(case) for case in page.items], next_cursor=page.next_cursor)


@router.get("/map", response=MapOut, summary="The filtered cases as GeoJSON points (at most 5,000)")
def case_map(request: HttpRequest, query: Query[CaseFilterQuery]) -> MapOut:
    now = timezone.now()
    cases = selectors.apply_filters(request.user, selectors.cases_visible(request.user), _filters(query), now)
    rows, truncated = selectors.map_points(cases, limit=MAP_MAX, now=now)
    features = [
        MapFeature(
            id=row["id"],
            geometry=PointGeometry(coordinates=[row["point_lng"], row["point_lat"]]),
            properties=MapProperties(
                id=row["id"],
                number=row["number"],
                status=row["status"],
                category=row["category__code"],
                light=row["light"],
                approximate=row["approximate"],
                url=reverse("cases:detail", args=[row["id"]]),
            ),
        )
        for row in rows
    ]
    return MapOut(features=features, truncated=truncated)


@router.get(
    "/verify-pack",
    response=VerifyPackOut,
    summary="The caller's whole to-verify queue with results and photo links, for verifying without signal",
)
def case_verify_pack(request: HttpRequest) -> VerifyPackOut:
    now = timezone.now()
    limit = int(getattr(settings, "GRIDGOV_MOBILE_VERIFY_CASES", VERIFY_PACK_CASES))
    items, total = selectors.verify_pack(request.user, limit, now)
    return VerifyPackOut(
        count=total,
        truncated=total > len(items),
        items=[_verify_item(item) for item in items],
        generated_at=now,
    )


def _verify_item(item: selectors.VerifyPackItem) -> VerifyItemOut:
    case, event = item.case, item.result
    result = None
    if event is not None:
        result = VerifyResultOut(text=selectors.result_text(event), actor=person_out(event.actor), at=event.at)
    return VerifyItemOut(
        id=case.pk,
        number=case.number,
        status=case.status,
        status_label=str(CaseStatus(case.status).label),
        category=code_name(case.category),
        grid=code_name(case.grid),
        description=case.description,
        address=case.address,
        lat=case.lat,
        lng=case.lng,
        deadline=case.stage_deadline,
        light=case.light,  # type: ignore[attr-defined]
        version=case.version,
        photo_required=case.category.verify_photo_required,
        result=result,
        photos=[attachment_out(a) for a in item.photos],
    )


@router.get(
    "/duplicates", response=list[DuplicateOut], summary="Open cases of the same category near a point (duplicate hint)"
)
def case_duplicates(request: HttpRequest, query: Query[DuplicateQuery]) -> list[DuplicateOut]:
    found = selectors.possible_duplicates(request.user, category=query.category.strip(), lat=query.lat, lng=query.lng)
    return [
        DuplicateOut(
            id=case.pk,
            number=case.number,
            distance_m=metres,
            status=case.status,
            description=case.description[:80],
            reported_at=case.reported_at,
        )
        for case, metres in found
    ]


@router.get("/{int:case_id}", response=CaseDetailOut, summary="One case with its history, stages, photos and actions")
def case_detail(request: HttpRequest, case_id: int) -> CaseDetailOut:
    return case_detail_out(request, case_id)


@router.post(
    "/{int:case_id}/reveal",
    response=PartyOut,
    summary="The involved resident's or unit's name and phone in full (allowed roles only; audited)",
)
def case_reveal(request: HttpRequest, case_id: int) -> PartyOut:
    case = selectors.case_get(request.user, case_id)
    full = services.reveal_party(case, actor=request.user, request=request)
    return PartyOut(kind=case.party_kind, name=full["party_name"], phone=full["party_phone"], masked=False)


@router.post(
    "/{int:case_id}/actions/{action}",
    response=CaseDetailOut,
    summary="Take an action on a case (JSON, or multipart with `payload` and `photos`)",
    openapi_extra=body_doc(ActionIn, [ACTION_IDEMPOTENCY_HEADER_DOC]),
)
def case_action(request: HttpRequest, case_id: int, action: str) -> CaseDetailOut:
    payload, files = json_or_multipart(request, ActionIn)
    if action not in {member.value for member in Action}:
        # After parsing, so a bad body still reads as 422; before the case, which the
        # service would look up first (404 either way).
        raise NotFound(_("Unknown action."), code="unknown_action")
    default_kind = services.ACTION_PHOTO_KIND.get(action, AttachmentKind.OTHER)
    services.case_act(
        case_id,
        action,
        actor=request.user,
        comment=payload.comment,
        version=payload.version,
        departments=payload.departments,
        result=payload.result,
        into=payload.into,
        days=payload.days,
        grid=payload.grid,
        photos_in=_photos(files, payload.photo_kinds, [default_kind]),
        satisfaction=payload.satisfaction,
        idempotency_key=_idempotency_key(request),
    )
    return case_detail_out(request, case_id)


@router.post(
    "/{int:case_id}/attachments",
    response={200: list[AttachmentOut], 201: list[AttachmentOut]},
    summary="Add photos to a case (multipart: `photos`, optional `kind` and `comment`)",
    openapi_extra={
        "parameters": [
            {
                **IDEMPOTENCY_HEADER_DOC,
                "description": "A client UUID: the same photos sent again with the same key answer 200 with "
                "the photos the first request stored.",
            }
        ]
    },
)
def case_attachments_add(
    request: HttpRequest,
    case_id: int,
    photos: File[list[UploadedFile]],
    kind: Form[str] = AttachmentKind.OTHER,
    comment: Form[str] = "",
) -> Status[list[AttachmentOut]]:
    stored, replayed = services.attachments_add_once(
        case_id,
        actor=request.user,
        photos_in=[services.Photo(file=upload, kind=kind, name=upload.name or "photo") for upload in photos],
        comment=comment,
        idempotency_key=_idempotency_key(request),
    )
    return Status(200 if replayed else 201, [attachment_out(a) for a in stored])


@router.get(
    "/attachments/{int:attachment_id}/{variant}",
    url_name="case_attachment_file",
    summary="One photo of a visible case: `original`, `display` (upright, without EXIF) or `thumbnail`",
)
def case_attachment_file(request: HttpRequest, attachment_id: int, variant: str) -> FileResponse:
    try:
        handle, content_type = selectors.attachment_open(request.user, attachment_id, variant)
    except CaseAttachment.DoesNotExist:
        raise NotFound(_("No such photo.")) from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    # One phone may be used with several accounts' tokens: a cached photo is the token's.
    patch_vary_headers(response, ["Authorization"])
    return response
