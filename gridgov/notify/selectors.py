"""Reads of the notification outbox. A user only ever sees their own notifications."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .models import Notification

DEFAULT_PAGE = 50
MAX_PAGE = 100


def notifications_for(user: Any, *, unread: bool = False) -> QuerySet[Notification]:
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    # Through the user's own manager: each row knows its recipient (whose language renders
    # it) without a query per row.
    found = user.notifications.all()
    if unread:
        found = found.filter(read_at__isnull=True)
    return found.order_by("-id")


def unread_count(user: Any) -> int:
    return notifications_for(user, unread=True).count()


def notification_page(
    user: Any, *, cursor: int | None = None, limit: int = DEFAULT_PAGE, unread: bool = False
) -> tuple[list[Notification], int | None]:
    """One page, newest first, of the notifications older than ``cursor`` (an id); and the
    cursor of the next page, or ``None`` on the last one."""
    limit = max(1, min(limit, MAX_PAGE))
    found = notifications_for(user, unread=unread)
    if cursor is not None:
        found = found.filter(pk__lt=cursor)
    rows = list(found[: limit + 1])
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].pk
    return rows, None


def notification_get(user: Any, notification_id: int) -> Notification:
    """The user's own notification; another user's is "not found" like a missing one."""
    try:
        return notifications_for(user).get(pk=notification_id)
    except Notification.DoesNotExist as missing:
        raise Http404 from missing
