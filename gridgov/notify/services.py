"""Writes of the notification outbox.

:func:`notify` is what the rest of the platform calls: it queues one in-app notification
per recipient and one :class:`Delivery` per enabled external channel, inside the caller's
transaction. Nothing is sent from inside a transaction: the deliveries are handed to Celery
with ``transaction.on_commit``, and ``deliver_due`` (beat, every minute) picks up whatever
a lost message left behind. See ``docs/notifications.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone

from gridgov.core.audit import record

from . import channels
from .models import Delivery, DeliveryStatus, Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()

logger = logging.getLogger("gridgov.notify")

# Audit action codes.
QUEUED = "notify.queued"
RETRIED = "notify.delivery_retried"

DEFAULT_MAX_ATTEMPTS = 8
BACKOFF_CAP_MINUTES = 60
# A claimed delivery is not due again until this lease ends (longer than one HTTP attempt),
# so two workers never send the same row; a worker that died mid-send is retried after it.
CLAIM_LEASE = timedelta(minutes=2)


def max_attempts() -> int:
    return int(getattr(settings, "GRIDGOV_NOTIFY_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed try: 1, 2, 4, 8 … minutes, at most 60."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), BACKOFF_CAP_MINUTES))


def _check_url(url: str) -> None:
    """A link is a local path or an http(s) address (never ``javascript:`` and the like)."""
    if url and not (url.startswith("/") and not url.startswith("//")) and not url.startswith(("http://", "https://")):
        raise ValueError(f"notification url must be a local path or an http(s) URL: {url!r}")


# --- Queueing ----------------------------------------------------------------------------


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    obj: models.Model | None = None,
    actor: User | None = None,
) -> list[Notification]:
    """Queue one in-app notification per distinct active recipient (never the actor
    itself), plus one delivery per enabled external channel, sent after commit."""
    users = notify_recipients(recipients=recipients, kind=kind, title=title, url=url, actor=actor)
    return notify_queue(users=users, kind=kind, title=title, body=body, url=url, obj=obj, actor=actor)


def notify_recipients(
    *, recipients: Iterable[User], kind: str, title: str, url: str = "", actor: User | None = None
) -> list[User]:
    """The reading half of :func:`notify`: checks the arguments and returns the distinct
    active recipients other than the actor. Callers that keep their write transaction short
    run this before it and hand the result to :func:`notify_queue` inside it."""
    if not kind or not title:
        raise ValueError("a notification needs a kind and a title")
    _check_url(url)
    actor_id = getattr(actor, "pk", None)
    wanted: dict[int, Any] = {}
    for user in recipients:
        if user is not None and user.pk is not None and user.pk != actor_id:
            wanted.setdefault(user.pk, user)
    if not wanted:
        return []
    active = set(User.objects.filter(pk__in=list(wanted), is_active=True).values_list("pk", flat=True))
    return [user for pk, user in wanted.items() if pk in active]


def notify_queue(
    *,
    users: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    obj: models.Model | None = None,
    actor: User | None = None,
) -> list[Notification]:
    """The writing half of :func:`notify`, in the caller's transaction: one notification per
    user in ``users`` (distinct active users, not the actor, as :func:`notify_recipients`
    returns them), the deliveries, one ``notify.queued`` audit row, and the hand-over to
    Celery after commit. Plain inserts, no reads."""
    if not kind or not title:
        raise ValueError("a notification needs a kind and a title")
    _check_url(url)
    object_type = obj._meta.label_lower if obj is not None else ""
    object_id = str(obj.pk) if obj is not None else ""
    now = timezone.now()
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                kind=kind,
                title=title[:200],
                body=body,
                url=url,
                object_type=object_type,
                object_id=object_id,
                created_at=now,
            )
            for user in users
        ]
    )
    if not created:
        return []
    codes = channels.enabled_codes()
    deliveries = (
        Delivery.objects.bulk_create(
            [
                Delivery(notification=notification, channel=code, next_attempt_at=now, created_at=now)
                for notification in created
                for code in codes
            ]
        )
        if codes
        else []
    )
    # The audit trail keeps who caused which notifications to whom over which channels in
    # one row per call (the notification rows carry no actor).
    record(
        action=QUEUED,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        data={"kind": kind, "recipients": [n.recipient_id for n in created], "channels": codes},
    )
    if deliveries:
        transaction.on_commit(partial(enqueue, [d.pk for d in deliveries]))
    return created


def enqueue(delivery_ids: list[int]) -> None:
    """Hand deliveries to the worker. A broker that is down loses nothing: the rows stay
    pending and ``deliver_due`` sends them."""
    from .tasks import deliver

    for delivery_id in delivery_ids:
        try:
            deliver.delay(delivery_id)
        except Exception:
            logger.warning("Could not enqueue delivery %s; deliver_due will send it.", delivery_id, exc_info=True)


@transaction.atomic
def mark_read(*, actor: Any, notification_ids: list[int] | None = None) -> int:
    """Mark the actor's unread notifications read: those in ``notification_ids`` (ids of
    other users' notifications are ignored), or all of them for ``None``. Returns how many
    changed. Reading is not audited: ``read_at`` is the record."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return 0
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


# --- Delivering --------------------------------------------------------------------------


def _locking(queryset: models.QuerySet[Delivery]) -> models.QuerySet[Delivery]:
    """``SELECT … FOR UPDATE SKIP LOCKED`` where the database has it. SQLite has no row
    locks; its write transactions are serialized, which gives the same answer."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset


def due_delivery_ids(*, limit: int = 100) -> list[int]:
    """Pending deliveries whose time has come, oldest first; rows another worker is
    claiming right now are skipped."""
    with transaction.atomic():
        due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        return list(_locking(due.order_by("next_attempt_at", "id")).values_list("id", flat=True)[:limit])


def _claim(delivery_id: int) -> bool:
    """Take a due delivery for one attempt: count the attempt and lease the row."""
    now = timezone.now()
    with transaction.atomic():
        due = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        delivery = _locking(due).first()
        if delivery is None:
            return False
        delivery.attempts += 1
        delivery.next_attempt_at = now + CLAIM_LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return True


def delivery_attempt(*, delivery_id: int) -> str:
    """One attempt at one delivery, outside any transaction. Returns the outcome:
    ``sent``, ``skipped``, ``retry``, ``failed``, or ``not_due`` when the row is not
    pending, not due, or being sent by another worker."""
    if not _claim(delivery_id):
        return "not_due"
    delivery = Delivery.objects.select_related("notification__recipient__profile").get(pk=delivery_id)
    try:
        channels.get(delivery.channel).send(delivery.notification, delivery)
    except channels.DeliverySkipped as skipped:
        _finish(delivery_id, status=DeliveryStatus.SKIPPED, last_error=str(skipped))
        return "skipped"
    except Exception as error:
        if not isinstance(error, channels.DeliveryError):
            logger.exception("Channel %r raised on delivery %s", delivery.channel, delivery_id)
        message = str(error) or type(error).__name__
        if isinstance(error, KeyError):
            message = f"unknown channel {delivery.channel!r}"
        if delivery.attempts >= max_attempts():
            _finish(delivery_id, status=DeliveryStatus.FAILED, last_error=message)
            logger.warning("Delivery %s failed after %s attempts: %s", delivery_id, delivery.attempts, message)
            return "failed"
        Delivery.objects.filter(pk=delivery_id).update(
            next_attempt_at=timezone.now() + backoff(delivery.attempts), last_error=message[:2000]
        )
        return "retry"
    _finish(delivery_id, status=DeliveryStatus.SENT, last_error="", sent_at=timezone.now())
    return "sent"


def _finish(delivery_id: int, *, status: str, last_error: str, sent_at: Any = None) -> None:
    Delivery.objects.filter(pk=delivery_id).update(
        status=status, last_error=last_error[:2000], next_attempt_at=None, sent_at=sent_at
    )


@transaction.atomic
def delivery_retry(*, actor: Any, deliveries: Iterable[Delivery]) -> int:
    """Give failed deliveries a fresh round of attempts, starting now. Returns how many."""
    ids = [d.pk for d in deliveries if d.status == DeliveryStatus.FAILED]
    if not ids:
        return 0
    count = (
        Delivery.objects.select_for_update()
        .filter(pk__in=ids, status=DeliveryStatus.FAILED)
        .update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now())
    )
    record(action=RETRIED, actor=actor, object_type=Delivery._meta.label_lower, data={"deliveries": ids})
    transaction.on_commit(partial(enqueue, ids))
    return count
