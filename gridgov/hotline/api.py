"""API of hotline work orders under ``/api/v1/hotline``: push, list, detail, act, events,
reveal, grants.

Every endpoint goes through the same services and selectors as the pages: what the caller may
not see answers 404, what is not their move 403, what the order's status does not allow 409,
bad input 422 with field ``details`` (see ``docs/hotline.md``). The petitioner is masked in
every answer except ``POST /orders/{id}/reveal``, which is recorded.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from gridgov.areas.selectors import current_grid
from gridgov.core.errors import Invalid, NotFound
from gridgov.core.schemas import ActionOut, code_name, code_names, filters_from_query
from gridgov.people import selectors as people_selectors
from gridgov.people.schemas import person_out

from . import deadlines, review, selectors, services
from .access import can_reveal
from .intake import AttachmentData, OrderData
from .models import Channel, HotlineOrder, OrderEvent, OrderStage, OrderStatus
from .schemas import (
    ActionIn,
    CallbackOut,
    DeadlinesOut,
    EventIn,
    GrantIn,
    LinkedCaseOut,
    OrderAttachmentOut,
    OrderCountersOut,
    OrderDeadlineOut,
    OrderDetailOut,
    OrderHistoryOut,
    OrderIn,
    OrderListQuery,
    OrderPageOut,
    OrderStageOut,
    OrderSummaryOut,
    PetitionerOut,
    ReviewReasonOut,
    SameCallerOut,
)
from .transitions import TABLE, Action, label

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

router = Router(tags=["hotline"])


# --- output builders --------------------------------------------------------------------


def _status_label(status: str) -> str:
    return str(OrderStatus(status).label) if status in OrderStatus.values else status


def summary_out(order: HotlineOrder, now: Any = None) -> OrderSummaryOut:
    now = now or timezone.now()
    return OrderSummaryOut(
        id=order.pk,
        source_system=order.source_system,
        upstream_number=order.upstream_number,
        channel=order.channel,
        status=order.status,
        status_label=_status_label(order.status),
        order_type=order.order_type,
        urgency_class=order.urgency_class,
        title=order.title,
        town=code_name(order.town),
        lead_department=code_name(order.lead_department),
        petitioner_name=order.petitioner_name_masked,
        petitioner_phone=order.petitioner_phone_masked,
        received_at=order.received_at,
        arrived_at=order.arrived_at,
        step=order.step,
        step_deadline=order.step_deadline,
        reply_deadline=order.reply_deadline,
        light=getattr(order, "light", None) or deadlines.light(order, now),
        needs_review=order.needs_review,
        version=order.version,
    )


def _history(event: OrderEvent) -> OrderHistoryOut:
    return OrderHistoryOut(
        action=event.action,
        action_label=label(event.action),
        origin=event.origin,
        actor=person_out(event.actor),
        at=event.at,
        from_status=event.from_status,
        to_status=event.to_status,
        comment=event.comment,
        data=event.data or {},
    )


def _stage(stage: OrderStage) -> OrderStageOut:
    return OrderStageOut(
        step=stage.step,
        started_at=stage.started_at,
        warn_at=stage.warn_at,
        deadline=stage.deadline,
        ended_at=stage.ended_at,
        on_time=stage.on_time,
        extended=stage.extended,
        department=code_name(stage.department),
    )


def _petitioner(order: HotlineOrder) -> PetitionerOut:
    return PetitionerOut(
        name=order.petitioner_name_masked,
        phone=order.petitioner_phone_masked,
        address=order.petitioner_address_masked,
        anonymous=order.anonymous,
        masked=bool(order.petitioner_name_masked or order.petitioner_phone_masked or order.petitioner_address_masked),
    )


def order_detail_out(user: User | AnonymousUser, order_id: int) -> OrderDetailOut:
    """Everything about an order the caller may see (:class:`OrderNotFound` otherwise)."""
    order = selectors.order_get(user, order_id)
    now = timezone.now()
    linked = services.case_result(order)
    return OrderDetailOut(
        id=order.pk,
        source_system=order.source_system,
        upstream_number=order.upstream_number,
        channel=order.channel,
        status=order.status,
        status_label=_status_label(order.status),
        order_type=order.order_type,
        urgency_class=order.urgency_class,
        complex=order.complex,
        title=order.title,
        content=order.content,
        upstream_category=order.upstream_category,
        address=order.address,
        town=code_name(order.town),
        grid=code_name(order.grid),
        petitioner=_petitioner(order),
        can_reveal=can_reveal(user, order),
        same_caller=[
            SameCallerOut(
                id=other.pk, upstream_number=other.upstream_number, status=other.status, arrived_at=other.arrived_at
            )
            for other in selectors.same_caller(user, order).orders
        ],
        lead_department=code_name(order.lead_department),
        cooperating_departments=code_names(order.cooperating_departments.all()),
        instruction=order.instruction,
        draft_text=order.draft_text,
        reply_text=order.reply_text,
        return_reason=order.return_reason,
        return_basis=order.return_basis,
        pending_extension=extension.to_json() if (extension := order.extension) is not None else None,
        case=LinkedCaseOut(**linked) if linked is not None else None,
        callback=CallbackOut(satisfaction=order.satisfaction, solved=order.solved, at=order.callback_at)
        if order.satisfaction
        else None,
        counters=OrderCountersOut(
            rejected=order.reject_count,
            reopened=order.reopen_count,
            reminders=order.reminder_count,
            supervision=order.supervision_count,
            extensions=order.extension_count,
            updates=order.update_count,
        ),
        deadlines=DeadlinesOut(
            current=OrderDeadlineOut(
                step=order.step,
                started_at=order.step_started_at,
                warn_at=order.step_warn_at,
                deadline=order.step_deadline,
                light=deadlines.light(order, now),
            ),
            acknowledge=deadlines.ack_deadline(order),
            reply=order.reply_deadline,
            return_until=deadlines.return_deadline(order),
        ),
        light=deadlines.light(order, now),
        needs_review=order.needs_review,
        review_reasons=[
            ReviewReasonOut(code=note.code, field=note.field, message=review.describe(note))
            for note in review.notes_of(order.review_reasons)
        ],
        received_at=order.received_at,
        arrived_at=order.arrived_at,
        acknowledged_at=order.acknowledged_at,
        replied_at=order.replied_at,
        closed_at=order.closed_at,
        returned_at=order.returned_at,
        ack_on_time=order.ack_on_time,
        reply_on_time=order.reply_on_time,
        version=order.version,
        url=services.order_url(order),
        attachments=[
            OrderAttachmentOut(id=a.pk, name=a.name, content_type=a.content_type, size=a.size)
            for a in order.attachments.order_by("id")
        ],
        allowed_actions=[
            ActionOut(code=code, label=label(code), comment_required=TABLE[Action(code)].comment_required)
            for code in services.allowed_actions(order, user, now)
        ],
        history=[_history(event) for event in selectors.order_history(order)],
        stages=[_stage(stage) for stage in order.stages.select_related("department").order_by("started_at", "id")],
    )


# --- input helpers ----------------------------------------------------------------------


def _attachments(payload: OrderIn) -> list[AttachmentData]:
    items = []
    for index, item in enumerate(payload.attachments):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            message = _("Attachment %(n)s is not valid base64.") % {"n": index + 1}
            raise Invalid.field("attachments", message) from None
        items.append(AttachmentData(name=item.name, content=content, content_type=item.content_type))
    return items


def _order_data(payload: OrderIn) -> OrderData:
    petitioner = payload.petitioner
    return OrderData(
        source_system=payload.source_system,
        upstream_number=payload.upstream_number,
        received_at=payload.received_at,
        order_type=payload.order_type,
        urgency_class=payload.urgency_class,
        content=payload.content,
        title=payload.title,
        upstream_category=payload.upstream_category,
        address=payload.address,
        upstream_ack_deadline=payload.upstream_ack_deadline,
        upstream_deadline=payload.upstream_deadline,
        petitioner_name=petitioner.name if petitioner else "",
        petitioner_phone=petitioner.phone if petitioner else "",
        petitioner_address=petitioner.address if petitioner else "",
        anonymous=payload.anonymous,
        complex=payload.complex,
        town_code=payload.town_code,
    )


def _grid_id(payload: ActionIn) -> int | None:
    if payload.grid_id is not None or not payload.grid.strip():
        return payload.grid_id
    found = current_grid(code=payload.grid.strip())
    if found is None:
        raise Invalid.field("grid", _("Unknown grid."))
    return found.pk


# --- endpoints --------------------------------------------------------------------------


@router.post(
    "/orders",
    response={200: OrderDetailOut, 201: OrderDetailOut},
    summary="Push an order (upstream role). The same order again answers 200 and never makes a second",
)
def order_push(request: HttpRequest, payload: OrderIn) -> Status[OrderDetailOut]:
    attachments = _attachments(payload)
    received = services.order_receive(
        actor=request.user, data=_order_data(payload), channel=Channel.API, attachments=attachments
    )
    body = order_detail_out(request.user, received.order.pk)
    return Status(201 if received.created else 200, body)


@router.get("/orders", response=OrderPageOut, summary="Orders the caller may see, filtered, newest first (keyset)")
def order_list(request: HttpRequest, query: Query[OrderListQuery]) -> OrderPageOut:
    filters = filters_from_query(query, selectors.OrderFilters)
    now = timezone.now()
    orders = selectors.apply_filters(request.user, selectors.orders_visible(request.user), filters, now)
    page = selectors.page(orders, cursor=query.cursor or None, limit=query.limit, now=now)
    return OrderPageOut(items=[summary_out(order, now) for order in page.items], next_cursor=page.next_cursor)


@router.get(
    "/orders/{int:order_id}",
    response=OrderDetailOut,
    summary="One order with its history, stages, deadlines, linked case and the caller's actions",
)
def order_detail(request: HttpRequest, order_id: int) -> OrderDetailOut:
    return order_detail_out(request.user, order_id)


@router.post(
    "/orders/{int:order_id}/actions/{action}",
    response=OrderDetailOut,
    summary="Take an action on an order (body per action, with the `version` last seen)",
)
def order_action(request: HttpRequest, order_id: int, action: str, payload: ActionIn) -> OrderDetailOut:
    if action not in {member.value for member in Action}:
        raise NotFound(_("Unknown action."), code="unknown_action")
    services.order_act(
        order_id=order_id,
        action=action,
        actor=request.user,
        version=payload.version,
        comment=payload.comment,
        instruction=payload.instruction,
        departments=payload.departments,
        text=payload.text,
        reason=payload.reason,
        basis=payload.basis,
        until=payload.until,
        case_id=payload.case_id,
        grid_id=_grid_id(payload),
        category=payload.category,
    )
    return order_detail_out(request.user, order_id)


@router.post(
    "/orders/{int:order_id}/events",
    response=OrderDetailOut,
    summary="An event reported by upstream (upstream role): close, callback, remind, supervise, reopen, "
    "extension_answer",
)
def order_event(request: HttpRequest, order_id: int, payload: EventIn) -> OrderDetailOut:
    data = payload.model_dump(mode="json", exclude={"type", "event_id"}, exclude_none=True)
    data = {key: value for key, value in data.items() if value != ""}
    services.order_event(
        order_id=order_id,
        actor=request.user,
        event_type=payload.type.strip(),
        data=data,
        event_id=payload.event_id,
    )
    return order_detail_out(request.user, order_id)


@router.post(
    "/orders/{int:order_id}/reveal",
    response=PetitionerOut,
    summary="The petitioner in full (roles allowed to reveal only; each reveal is recorded)",
)
def order_reveal(request: HttpRequest, order_id: int) -> PetitionerOut:
    full = services.petitioner_reveal(order_id=order_id, actor=request.user, request=request)
    order = selectors.order_get(request.user, order_id)
    return PetitionerOut(
        name=full.name, phone=full.phone, address=full.address, anonymous=order.anonymous, masked=False
    )


@router.post(
    "/orders/{int:order_id}/grants",
    response={201: dict[str, Any]},
    summary="The center lets a department of the order see its petitioner (complaints and reports)",
)
def order_grant(request: HttpRequest, order_id: int, payload: GrantIn) -> Status[dict[str, Any]]:
    department_id = people_selectors.department_id(payload.department.strip())
    selectors.order_get(request.user, order_id)
    if department_id is None:
        raise Invalid.field("department", _("Unknown department."))
    grant = services.identity_grant(
        order_id=order_id, department_id=department_id, actor=request.user, reason=payload.reason
    )
    return Status(
        201,
        {"department": payload.department.strip(), "granted_at": timezone.localtime(grant.granted_at).isoformat()},
    )


@router.get(
    "/orders/attachments/{int:attachment_id}",
    url_name="hotline_attachment_file",
    summary="One attachment of a visible order",
)
def order_attachment_file(request: HttpRequest, attachment_id: int) -> FileResponse:
    item = services.attachment_open(attachment_id=attachment_id, actor=request.user, request=request)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("No such attachment.")) from None
    response = FileResponse(handle, content_type=item.content_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "attachment"
    return response
