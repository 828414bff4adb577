"""API of the upstream outbox under ``/api/v1/upstream``: the delivery state of the messages
sent up to the city and district hotlines (center operators and administrators)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gridgov.core.errors import Forbidden

from . import selectors, services
from .models import MessageKind, MessageState, UpstreamMessage

router = Router(tags=["upstream"])


class MessageQuery(Schema):
    state: MessageState | None = None
    kind: MessageKind | None = None
    source_system: str | None = Field(None, max_length=10)
    order: int | None = Field(None, description="Only the messages of this order (its id).")
    number: str | None = Field(None, max_length=64, description="Upstream number contains.")
    cursor: int | None = Field(None, description="`next_cursor` of the previous page.")
    limit: int = Field(50, ge=1, le=200)


class MessageOut(Schema):
    id: int
    order_id: int
    source_system: str
    upstream_number: str
    kind: str
    adapter: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str
    last_status_code: int | None
    delivered_at: datetime | None
    batch_id: int | None
    created_at: datetime
    payload: dict[str, Any]


class MessagePageOut(Schema):
    items: list[MessageOut]
    next_cursor: int | None


def _refuse_unless_manager(request: HttpRequest) -> None:
    if not selectors.may_manage(request.user):
        raise Forbidden(_("Only the center and administrators see upstream delivery."))


def _out(message: UpstreamMessage) -> MessageOut:
    return MessageOut(
        id=message.pk,
        order_id=message.order_id,
        source_system=message.source_system,
        upstream_number=message.upstream_number,
        kind=message.kind,
        adapter=message.adapter,
        state=message.state,
        attempts=message.attempts,
        next_attempt_at=message.next_attempt_at,
        last_attempt_at=message.last_attempt_at,
        last_error=message.last_error,
        last_status_code=message.last_status_code,
        delivered_at=message.delivered_at,
        batch_id=message.batch_id,
        created_at=message.created_at,
        payload=message.payload,
    )


@router.get("/messages", response=MessagePageOut, summary="List upstream messages")
def list_messages(request: HttpRequest, query: Query[MessageQuery]) -> MessagePageOut:
    """Newest first, keyset-paginated. Center operators see their town's orders' messages."""
    _refuse_unless_manager(request)
    filters = selectors.MessageFilters(
        state=query.state or "",
        kind=query.kind or "",
        source_system=query.source_system or "",
        order_id=query.order,
        text=query.number or "",
    )
    found = selectors.apply_filters(selectors.messages_visible(request.user), filters)
    cursor = None if query.cursor is None else str(query.cursor)
    result = selectors.page(found, cursor=cursor, limit=query.limit)
    next_cursor = None if result.next_cursor is None else int(result.next_cursor)
    return MessagePageOut(items=[_out(m) for m in result.items], next_cursor=next_cursor)


@router.post("/messages/{message_id}/retry", response=MessageOut, summary="Retry a message now")
def retry_message(request: HttpRequest, message_id: int) -> MessageOut:
    """A failed message gets a fresh round of attempts; a pending one is tried at once."""
    _refuse_unless_manager(request)
    services.retry(message_id=message_id, actor=request.user)
    return _out(selectors.messages_visible(request.user).get(pk=message_id))
