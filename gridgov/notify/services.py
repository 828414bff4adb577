"""Writes of the notification outbox.

:func:`notify` is what the rest of the platform calls: it queues one in-app notification
per recipient and one :class:`Delivery` per enabled external channel, inside the caller's
transaction. Nothing is sent from inside a transaction: the deliveries are handed to Celery
with ``transaction.on_commit``, and ``deliver_due`` (beat, every minute) picks up whatever
a lost message left behind. See ``docs/notifications.md``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from gridgov.core.actors import signed_in
from gridgov.core.audit import record
from gridgov.core.inserts import insert_all
from gridgov.core.outbox import Backoff, Outbox

from . import channels
from .models import Delivery, DeliveryStatus, Notification
from .rendering import TEXT, renderer_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
else:
    User = get_user_model()

logger = logging.getLogger("gridgov.notify")

# Audit action codes.
QUEUED = "notify.queued"
RETRIED = "notify.delivery_retried"

DEFAULT_MAX_ATTEMPTS = 8
TITLE_MAX_CHARS = 200


def max_attempts() -> int:
    return int(getattr(settings, "GRIDGOV_NOTIFY_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


# The wait after the n-th failed try: 1, 2, 4, 8 … minutes, at most 60.
backoff: Final = Backoff(first=timedelta(minutes=1), cap=timedelta(minutes=60))


def _check_url(url: str) -> None:
    """A link is a local path or an http(s) address (never ``javascript:`` and the like)."""
    if url and not (url.startswith("/") and not url.startswith("//")) and not url.startswith(("http://", "https://")):
        raise ValueError(f"notification url must be a local path or an http(s) URL: {url!r}")


def _params(kind: str, params: Mapping[str, Any] | None, title: str) -> dict[str, Any]:
    """What is stored to render the notification: the params, or a title given as is. A kind
    without a title needs a registered renderer; the params must be plain JSON (a lazy,
    translated label is refused: labels are rendered when shown)."""
    if not kind:
        raise ValueError("a notification needs a kind")
    stored = dict(params or {})
    if title:
        stored[TEXT] = title[:TITLE_MAX_CHARS]
    elif renderer_for(kind) is None:
        raise ValueError(f"a notification of kind {kind!r} needs a title or a registered renderer")
    json.dumps(stored)  # TypeError for anything that is not plain JSON
    return stored


# --- Queueing ----------------------------------------------------------------------------


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    params: Mapping[str, Any] | None = None,
    title: str = "",
    body: str = "",
    url: str = "",
    obj: models.Model | None = None,
    actor: User | None = None,
) -> list[Notification]:
    """Queue one in-app notification per distinct active recipient (never the actor
    itself), plus one delivery per enabled external channel, sent after commit.

    What it says is rendered in each reader's language from ``kind`` and ``params`` by the
    kind's renderer (:mod:`gridgov.notify.rendering`); ``title`` instead gives a title as is.
    ``body`` is free text shown as typed under the title."""
    _params(kind, params, title)
    users = notify_recipients(recipients=recipients, url=url, actor=actor)
    return notify_queue(users=users, kind=kind, params=params, title=title, body=body, url=url, obj=obj, actor=actor)


def notify_recipients(*, recipients: Iterable[User], url: str = "", actor: User | None = None) -> list[User]:
    """The reading half of :func:`notify`: returns the distinct active recipients other than
    the actor. Callers that keep their write transaction short run this before it and hand
    the result to :func:`notify_queue` inside it."""
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
    params: Mapping[str, Any] | None = None,
    title: str = "",
    body: str = "",
    url: str = "",
    obj: models.Model | None = None,
    actor: User | None = None,
) -> list[Notification]:
    """The writing half of :func:`notify`, in the caller's transaction: one notification per
    user in ``users`` (distinct active users, not the actor, as :func:`notify_recipients`
    returns them), the deliveries, one ``notify.queued`` audit row, and the hand-over to
    Celery after commit. Plain inserts, no reads."""
    stored = _params(kind, params, title)
    _check_url(url)
    object_type = obj._meta.label_lower if obj is not None else ""
    object_id = str(obj.pk) if obj is not None else ""
    now = timezone.now()
    created = insert_all(
        [
            Notification(
                recipient=user,
                kind=kind,
                params=stored,
                note=body,
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
        insert_all(
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
    from .tasks import deliver  # tasks.py imports this module (services <-> tasks cycle)

    OUTBOX.hand_over(delivery_ids, deliver.delay)


@transaction.atomic
def mark_read(*, actor: User | AnonymousUser | None, notification_ids: list[int] | None = None) -> int:
    """Mark the actor's unread notifications read: those in ``notification_ids`` (ids of
    other users' notifications are ignored), or all of them for ``None``. Returns how many
    changed. Reading is not audited: ``read_at`` is the record."""
    reader = signed_in(actor)
    if reader is None:
        return 0
    unread = Notification.objects.filter(recipient=reader, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


# --- Delivering --------------------------------------------------------------------------


def _send(delivery: Delivery) -> None:
    """One try on the delivery's channel (the claim, backoff and bookkeeping are the outbox's)."""
    delivery = Delivery.objects.select_related("notification__recipient__profile").get(pk=delivery.pk)
    try:
        channel = channels.get(delivery.channel)
    except KeyError:
        raise channels.DeliveryError(f"unknown channel {delivery.channel!r}") from None
    channel.send(delivery.notification, delivery)


OUTBOX: Final = Outbox(
    model=Delivery,
    pending=DeliveryStatus.PENDING,
    done=DeliveryStatus.SENT,
    failed=DeliveryStatus.FAILED,
    send=_send,
    max_attempts=max_attempts,
    backoff=backoff,
    done_at_field="sent_at",
    final_errors={channels.DeliverySkipped: DeliveryStatus.SKIPPED},
    expected_errors=(channels.DeliveryError,),
    noun="delivery",
    logger=logger,
)


def delivery_attempt(*, delivery_id: int) -> str:
    """One attempt at one delivery, outside any transaction. Returns the outcome:
    ``sent``, ``skipped``, ``retry``, ``failed``, or ``not_due`` when the row is not
    pending, not due, or being sent by another worker."""
    return OUTBOX.attempt(delivery_id)


def deliver_due(*, limit: int = 100, budget_seconds: float = 45.0) -> int:
    """Attempt the due deliveries (beat, every minute); returns how many were attempted."""
    return OUTBOX.drain(limit=limit, budget_seconds=budget_seconds)


@transaction.atomic
def delivery_retry(*, actor: User | AnonymousUser | None, deliveries: Iterable[Delivery]) -> int:
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
