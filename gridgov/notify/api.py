"""API of the notification outbox: the user's own notifications, and marking them read."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema

from . import selectors, services
from .models import Notification

router = Router(tags=["notifications"])


class ListQuery(Schema):
    unread: bool = False
    cursor: int | None = None
    limit: int = selectors.DEFAULT_PAGE


class ObjectRef(Schema):
    type: str
    id: str


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    object: ObjectRef | None
    created_at: datetime
    read_at: datetime | None


class PageOut(Schema):
    items: list[NotificationOut]
    next_cursor: int | None
    unread: int


class ReadAllOut(Schema):
    marked: int
    unread: int


def _out(notification: Notification) -> NotificationOut:
    return NotificationOut(
        id=notification.pk,
        kind=notification.kind,
        title=notification.title,
        body=notification.body,
        url=notification.url,
        object=ObjectRef(type=notification.object_type, id=notification.object_id)
        if notification.object_type
        else None,
        created_at=notification.created_at,
        read_at=notification.read_at,
    )


@router.get("", response=PageOut, summary="The user's notifications, newest first (keyset on id)")
def notification_list(request: HttpRequest, query: Query[ListQuery]) -> PageOut:
    cursor = None if query.cursor is None else str(query.cursor)
    page = selectors.notification_page(request.user, cursor=cursor, limit=query.limit, unread=query.unread)
    return PageOut(
        items=[_out(item) for item in page.items],
        next_cursor=None if page.next_cursor is None else int(page.next_cursor),
        unread=selectors.unread_count(request.user),
    )


@router.post("/read-all", response=ReadAllOut, summary="Mark all of the user's notifications read")
def notification_read_all(request: HttpRequest) -> ReadAllOut:
    marked = services.mark_read(actor=request.user)
    return ReadAllOut(marked=marked, unread=selectors.unread_count(request.user))


@router.post("/{notification_id}/read", response=NotificationOut, summary="Mark one notification read")
def notification_read(request: HttpRequest, notification_id: int) -> NotificationOut:
    notification = selectors.notification_get(request.user, notification_id)
    services.mark_read(actor=request.user, notification_ids=[notification.pk])
    notification.refresh_from_db(fields=["read_at"])
    return _out(notification)
