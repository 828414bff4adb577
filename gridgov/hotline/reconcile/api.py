"""The reconciliation under ``/api/v1/hotline/reconciliations``: upload a monthly list
(multipart), read the comparison and its differences, explain or reopen a difference. The same
services and rules as the pages (center operators of the town and administrators)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gridgov.areas.selectors import current_towns
from gridgov.core.errors import Forbidden, Invalid

from ..models import ReconcileDifference, Reconciliation
from . import services

router = Router(tags=["hotline reconciliation"])


class ReconciliationOut(Schema):
    id: int
    source_system: str
    town: str
    month: dt.date
    original_name: str
    status: str
    mapping: dict[str, str]
    figures: dict[str, dict[str, float | int | None]]
    list_rows: int
    town_orders: int
    matched: int
    difference_count: int
    open_count: int
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class ReconcileDifferenceOut(Schema):
    id: int
    kind: str
    upstream_number: str
    row: int | None
    order_id: int | None
    list_value: str
    town_value: str
    status: str
    explanation: str
    explained_at: dt.datetime | None
    version: int


class DifferenceFilters(Schema):
    kind: str | None = None
    status: str | None = None


class ExplainIn(Schema):
    reason: str
    version: int | None = None


class ReopenIn(Schema):
    version: int | None = None


def reconciliation_out(item: Reconciliation) -> ReconciliationOut:
    return ReconciliationOut(
        id=item.pk,
        source_system=item.source_system,
        town=item.town.code,
        month=item.month,
        original_name=item.original_name,
        status=item.status,
        mapping=item.mapping,
        figures=item.figures,
        list_rows=item.list_rows,
        town_orders=item.town_orders,
        matched=item.matched,
        difference_count=item.difference_count,
        open_count=services.open_count(item),
        error=item.error,
        created_at=item.created_at,
        finished_at=item.finished_at,
    )


def difference_out(item: ReconcileDifference) -> ReconcileDifferenceOut:
    return ReconcileDifferenceOut(
        id=item.pk,
        kind=item.kind,
        upstream_number=item.upstream_number,
        row=item.row,
        order_id=item.order_id,
        list_value=item.list_value,
        town_value=item.town_value,
        status=item.status,
        explanation=item.explanation,
        explained_at=item.explained_at,
        version=item.version,
    )


@router.get("/reconciliations", response=list[ReconciliationOut], summary="Recent reconciliations the user may see")
def reconciliation_list(request: HttpRequest) -> list[ReconciliationOut]:
    if not services.may_reconcile(request.user):
        raise Forbidden(services.forbidden_message())
    return [reconciliation_out(item) for item in services.reconciliations_visible(request.user)[:100]]


@router.post(
    "/reconciliations",
    response={202: ReconciliationOut},
    summary="Upload an upstream monthly list (multipart: `file`, `town` code, `source_system`, `month` YYYY-MM); "
    "compared in the background",
)
def reconciliation_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    town: Form[str],
    source_system: Form[str],
    month: Form[str],
) -> Status[ReconciliationOut]:
    try:
        first = dt.datetime.strptime(month.strip(), "%Y-%m").date()
    except ValueError:
        raise Invalid.field("month", services.month_message()) from None
    area = current_towns().filter(code=town).first()
    if area is None:
        raise Invalid.field("town", services.town_message())
    item = services.reconcile_upload(
        actor=request.user,
        town=area,
        source_system=source_system,
        month=first,
        name=file.name or "",
        file=file,
        size=file.size,
    )
    return Status(202, reconciliation_out(item))


@router.get(
    "/reconciliations/{int:reconciliation_id}", response=ReconciliationOut, summary="One reconciliation and its figures"
)
def reconciliation_detail(request: HttpRequest, reconciliation_id: int) -> ReconciliationOut:
    return reconciliation_out(services.reconciliation_get(request.user, reconciliation_id))


@router.get(
    "/reconciliations/{int:reconciliation_id}/differences",
    response=list[ReconcileDifferenceOut],
    summary="The differences of a reconciliation, filtered by `kind` and `status`",
)
def reconciliation_differences(
    request: HttpRequest, reconciliation_id: int, filters: Query[DifferenceFilters]
) -> list[ReconcileDifferenceOut]:
    item = services.reconciliation_get(request.user, reconciliation_id)
    query = item.differences.all()
    if filters.kind:
        query = query.filter(kind=filters.kind)
    if filters.status:
        query = query.filter(status=filters.status)
    return [difference_out(d) for d in query]


@router.post(
    "/reconciliations/differences/{int:difference_id}/explain",
    response=ReconcileDifferenceOut,
    summary="Mark a difference explained, with the reason",
)
def difference_explain(request: HttpRequest, difference_id: int, body: ExplainIn) -> ReconcileDifferenceOut:
    changed = services.difference_act(
        actor=request.user, difference_id=difference_id, action="explain", reason=body.reason, version=body.version
    )
    return difference_out(changed)


@router.post(
    "/reconciliations/differences/{int:difference_id}/reopen",
    response=ReconcileDifferenceOut,
    summary="Reopen an explained difference",
)
def difference_reopen(request: HttpRequest, difference_id: int, body: ReopenIn) -> ReconcileDifferenceOut:
    changed = services.difference_act(
        actor=request.user, difference_id=difference_id, action="reopen", version=body.version
    )
    return difference_out(changed)
