"""Reads of the notification outbox. A user only ever sees their own notifications."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from gridgov.core.outbox import Backlog, backlog_of
from gridgov.core.pagination import Page, keyset_page

from .models import Delivery, DeliveryStatus, Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

DEFAULT_PAGE = 50
MAX_PAGE = 100
# Newest first.
ORDER = ("-id",)


def notifications_for(user: User | AnonymousUser, *, unread: bool = False) -> QuerySet[Notification]:
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    # Through the user's own manager: each row knows its recipient (whose language renders
    # it) without a query per row.
    found = user.notifications.all()
    if unread:
        found = found.filter(read_at__isnull=True)
    return found.order_by("-id")


def unread_count(user: User | AnonymousUser) -> int:
    return notifications_for(user, unread=True).count()


def notification_page(
    user: User | AnonymousUser, *, cursor: str | None = None, limit: int = DEFAULT_PAGE, unread: bool = False
) -> Page[Notification]:
    """One page, newest first, of the notifications older than ``cursor`` (the id of the last
    one seen), with the cursor of the next page (``None`` on the last one)."""
    return keyset_page(notifications_for(user, unread=unread), ORDER, cursor, limit, max_limit=MAX_PAGE)


def notification_get(user: User | AnonymousUser, notification_id: int) -> Notification:
    """The user's own notification; another user's is "not found" like a missing one."""
    try:
        return notifications_for(user).get(pk=notification_id)
    except Notification.DoesNotExist as missing:
        raise Http404 from missing


def delivery_backlog(now: dt.datetime) -> Backlog:
    """External deliveries not yet sent, the oldest one's age, and those given up on (metrics)."""
    return backlog_of(
        Delivery.objects.all(),
        waiting=Q(status=DeliveryStatus.PENDING),
        failed=Q(status=DeliveryStatus.FAILED),
        now=now,
    )
