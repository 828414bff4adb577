"""Writes of the upstream outbox: queue a message, deliver it, retry it, hand over a file batch.

:func:`enqueue` is what the hotline services call, inside their own transaction: the message
row commits (or rolls back) with the order's change, and delivery starts only after commit
(``transaction.on_commit`` → :func:`gridgov.upstream.tasks.deliver`). Beat runs
``deliver_due`` every minute, so a retry needs no queued task and a task the broker lost is
made up for a minute later: nothing is lost while upstream (or the broker) is down.

An attempt first *claims* its row in a short transaction (``SELECT … FOR UPDATE SKIP LOCKED``
on PostgreSQL; SQLite serializes writers): state ``sending``, the attempt counted, and
``next_attempt_at`` moved ahead as a lease. The HTTP request runs outside any transaction;
the outcome is written only if the row is still the claimed attempt. So one message has one
sender at a time, and a worker that died mid-send is retried when the lease ends.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any, TypeAlias

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from gridgov.core.audit import record
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound

from . import adapters, conf, selectors
from .models import FileBatch, MessageKind, MessageState, UpstreamMessage

logger = logging.getLogger("gridgov.upstream")

# Audit action codes.
RETRIED = "upstream.message_retry"
BATCH_SENT = "upstream.batch_sent"
HISTORY_SETTLED = "upstream.history_settled"

# A claimed message is not due again before this lease ends (longer than one HTTP attempt).
CLAIM_LEASE = timedelta(minutes=2)
# Keys a payload must never carry up (the petitioner stays with the town).
_PRIVATE_PREFIXES = ("petitioner",)


# Refusals of the outbox's services: the core error hierarchy under the outbox's old names.
UpstreamError: TypeAlias = DomainError
MessageNotFound: TypeAlias = NotFound
MessageForbidden: TypeAlias = Forbidden
MessageConflict: TypeAlias = Conflict


# --- Queueing --------------------------------------------------------------------------------


def _public(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if not str(key).startswith(_PRIVATE_PREFIXES)}


@transaction.atomic
def enqueue(
    *,
    source_system: str,
    kind: str,
    order_id: int,
    upstream_number: str,
    payload: dict[str, Any],
    actor: Any,
) -> UpstreamMessage:
    """Queue one message for upstream in the caller's transaction; delivered after commit.
    Keys naming the petitioner are dropped from ``payload``."""
    if kind not in MessageKind.values:
        raise ValueError(f"unknown upstream message kind {kind!r}")
    if not source_system or not upstream_number:
        raise ValueError("an upstream message needs the source system and the upstream number")
    config = conf.source_config(source_system)
    now = timezone.now()
    message = UpstreamMessage.objects.create(
        source_system=source_system,
        kind=kind,
        order_id=order_id,
        upstream_number=upstream_number,
        payload=_public(dict(payload or {})),
        adapter=config.adapter,
        state=MessageState.PENDING,
        next_attempt_at=now,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
    )
    transaction.on_commit(partial(schedule, [message.pk]))
    return message


def schedule(message_ids: list[int]) -> None:
    """Hand messages to the worker. A broker that is down loses nothing: the rows stay pending
    and ``deliver_due`` picks them up."""
    from .tasks import deliver as deliver_task

    # Only what is still waiting: history loaded in the same transaction (the demo) was recorded
    # as delivered before the commit and must not fill the queue.
    waiting = set(
        UpstreamMessage.objects.filter(pk__in=message_ids, state=MessageState.PENDING).values_list("pk", flat=True)
    )
    for message_id in message_ids:
        if message_id not in waiting:
            continue
        try:
            deliver_task.delay(message_id)
        except Exception:
            logger.warning("Could not queue upstream message %s; deliver_due will send it.", message_id, exc_info=True)


# --- Delivering ------------------------------------------------------------------------------


def _locking(queryset: models.QuerySet[UpstreamMessage]) -> models.QuerySet[UpstreamMessage]:
    """``FOR UPDATE SKIP LOCKED`` where the database has it; SQLite serializes writers."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset


def _due(now: Any) -> models.QuerySet[UpstreamMessage]:
    return UpstreamMessage.objects.filter(
        state__in=[MessageState.PENDING, MessageState.SENDING], next_attempt_at__lte=now
    )


def due_message_ids(*, limit: int = 100) -> list[int]:
    """Messages whose attempt is due (pending, or a lease that ran out), oldest first."""
    with transaction.atomic():
        due = _locking(_due(timezone.now()).order_by("next_attempt_at", "id"))
        return list(due.values_list("id", flat=True)[:limit])


def _claim(message_id: int) -> UpstreamMessage | None:
    now = timezone.now()
    with transaction.atomic():
        message = _locking(_due(now).filter(pk=message_id)).first()
        if message is None:
            return None
        if adapters.get(message.adapter).collects:
            _into_batch(message, now)
            return message
        message.attempts += 1
        message.state = MessageState.SENDING
        message.next_attempt_at = now + CLAIM_LEASE
        message.last_attempt_at = now
        message.save(update_fields=["attempts", "state", "next_attempt_at", "last_attempt_at"])
    return message


def _into_batch(message: UpstreamMessage, now: Any) -> None:
    """Put a file-adapter message into its source's open batch (made if there is none)."""
    town_id = message.order.town_id
    batch = FileBatch.objects.filter(source_system=message.source_system, town_id=town_id, sent_at__isnull=True).first()
    if batch is None:
        batch = FileBatch.objects.create(source_system=message.source_system, town_id=town_id, created_at=now)
    message.batch = batch
    message.state = MessageState.BATCHED
    message.next_attempt_at = None
    message.last_attempt_at = now
    message.save(update_fields=["batch", "state", "next_attempt_at", "last_attempt_at"])


def deliver(*, message_id: int) -> str:
    """One attempt at one message, outside any transaction. Returns the outcome: ``delivered``,
    ``batched`` (file adapter), ``retry``, ``failed``, or ``not_due`` when the message is not
    due or another worker holds it."""
    try:
        message = _claim(message_id)
    except adapters.DeliveryError as error:  # an unknown adapter code: keep the row, say why
        UpstreamMessage.objects.filter(pk=message_id, state=MessageState.PENDING).update(
            last_error=str(error), next_attempt_at=timezone.now() + conf.backoff(1)
        )
        return "retry"
    if message is None:
        return "not_due"
    if message.state == MessageState.BATCHED:
        return "batched"
    claimed = UpstreamMessage.objects.filter(pk=message.pk, state=MessageState.SENDING, attempts=message.attempts)
    config = conf.source_config(message.source_system)
    try:
        status = adapters.get(message.adapter).send(message, config)
    except Exception as error:
        if not isinstance(error, adapters.DeliveryError):
            logger.exception("Upstream adapter %r raised on message %s", message.adapter, message.pk)
        text = (str(error) or type(error).__name__)[:2000]
        code = getattr(error, "status_code", None)
        if message.attempts >= conf.max_attempts():
            with transaction.atomic():
                gave_up = claimed.update(
                    state=MessageState.FAILED, next_attempt_at=None, last_error=text, last_status_code=code
                )
                if gave_up:
                    notify_failed(message)
            logger.warning("Upstream message %s failed after %s attempts: %s", message.pk, message.attempts, text)
            return "failed"
        claimed.update(
            state=MessageState.PENDING,
            next_attempt_at=timezone.now() + conf.backoff(message.attempts),
            last_error=text,
            last_status_code=code,
        )
        return "retry"
    claimed.update(
        state=MessageState.DELIVERED,
        next_attempt_at=None,
        delivered_at=timezone.now(),
        last_error="",
        last_status_code=status,
    )
    return "delivered"


# --- Giving up -------------------------------------------------------------------------------

FAILED_KIND = "upstream.failed"


def failed_url(message: UpstreamMessage) -> str:
    """The delivery page filtered to the failed messages of the message's order number."""
    try:
        base, number_key = reverse("upstream:delivery"), "text"
    except NoReverseMatch:  # the pages are not installed: the API's list takes the same filters
        base, number_key = "/api/v1/upstream/messages", "number"
    return f"{base}?{urlencode({'state': str(MessageState.FAILED), number_key: message.upstream_number})}"


def notify_failed(message: UpstreamMessage) -> None:
    """Tell the center operators of the order's town that a message was given up on, in the
    transaction that marked it ``failed`` (so once per failure). Masked data only: the order
    number, what was being sent, the attempts and the order's type, class and masked phone."""
    from gridgov.hotline.models import HotlineOrder
    from gridgov.hotline.services import notice_body, recipient_ids
    from gridgov.hotline.transitions import Party
    from gridgov.notify.services import notify

    User = get_user_model()

    order = HotlineOrder.objects.filter(pk=message.order_id).first()
    if order is None:
        return
    user_ids = recipient_ids(order, Party.CENTER)
    if not user_ids:
        return
    with translation.override(settings.LANGUAGE_CODE):
        kind_label = MessageKind(message.kind).label if message.kind in MessageKind.values else message.kind
        title = _("12345 %(number)s: “%(kind)s” could not be delivered upstream") % {
            "number": message.upstream_number,
            "kind": kind_label,
        }
        body = " · ".join(
            [
                _("Gave up after %(attempts)s attempts; retry it from the delivery page.")
                % {"attempts": message.attempts},
                notice_body(order),
            ]
        )
    notify(
        recipients=[User(pk=user_id) for user_id in user_ids],
        kind=FAILED_KIND,
        title=title,
        body=body,
        url=failed_url(message),
        obj=message,
        actor=None,
    )


# --- By hand ---------------------------------------------------------------------------------


@transaction.atomic
def retry(*, message_id: int, actor: Any) -> UpstreamMessage:
    """A person asks for a message to be sent again now: a failed message gets a fresh round of
    attempts, a pending one is tried at once. The source's current adapter is used."""
    if not selectors.may_manage(actor):
        raise MessageForbidden(_("Only the center and administrators manage upstream delivery."))
    if not selectors.messages_visible(actor).filter(pk=message_id).exists():
        raise MessageNotFound(_("No such upstream message."))
    message = UpstreamMessage.objects.select_for_update().filter(pk=message_id).first()
    if message is None:
        raise MessageNotFound(_("No such upstream message."))
    if message.state not in (MessageState.FAILED, MessageState.PENDING):
        raise MessageConflict(
            _("Only a pending or failed message can be retried; this one is “%(state)s”.")
            % {"state": MessageState(message.state).label},
            code="invalid_state",
        )
    previous = message.state
    if previous == MessageState.FAILED:
        message.attempts = 0
    message.state = MessageState.PENDING
    message.next_attempt_at = timezone.now()
    message.adapter = conf.source_config(message.source_system).adapter
    message.save(update_fields=["attempts", "state", "next_attempt_at", "adapter"])
    record(
        action=RETRIED,
        actor=actor,
        obj=message,
        data={"order": message.order_id, "kind": message.kind, "from_state": previous},
    )
    transaction.on_commit(partial(schedule, [message.pk]))
    return message


@transaction.atomic
def batch_mark_sent(*, batch_id: int, actor: Any) -> FileBatch:
    """The batch's workbook was handed over: its messages are delivered; new messages start a
    new batch."""
    if not selectors.may_manage(actor):
        raise MessageForbidden(_("Only the center and administrators manage upstream delivery."))
    if not selectors.batches_visible(actor).filter(pk=batch_id).exists():
        raise MessageNotFound(_("No such file batch."))
    batch = FileBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise MessageNotFound(_("No such file batch."))
    if batch.sent_at is not None:
        raise MessageConflict(_("This batch was already marked sent."), code="already_sent")
    now = timezone.now()
    batch.sent_at = now
    batch.sent_by = actor
    batch.save(update_fields=["sent_at", "sent_by"])
    count = UpstreamMessage.objects.filter(batch=batch, state=MessageState.BATCHED).update(
        state=MessageState.DELIVERED, delivered_at=now, next_attempt_at=None, last_error=""
    )
    record(action=BATCH_SENT, actor=actor, obj=batch, data={"source": batch.source_system, "messages": count})
    return batch


@transaction.atomic
def history_settle(*, order_ids: list[int], sent_at: list[Any], now: Any, actor: Any = None) -> int:
    """Record the pending messages of orders loaded as history as delivered when they were sent,
    without sending them (half a year of demo history must not go upstream again).

    ``sent_at`` gives, in queueing order, when each message was queued; when it does not match
    the pending messages one to one, all are recorded at ``now``. Returns how many were settled.
    """
    messages = list(
        UpstreamMessage.objects.select_for_update()
        .filter(order_id__in=order_ids, state=MessageState.PENDING)
        .order_by("id")
    )
    times = sent_at if len(sent_at) == len(messages) else [now] * len(messages)
    for message, moment in zip(messages, times, strict=True):
        message.state = MessageState.DELIVERED
        message.attempts = 1
        message.created_at = message.last_attempt_at = moment
        message.delivered_at = moment + timedelta(seconds=2)
        message.next_attempt_at = None
        message.last_status_code = 200
    UpstreamMessage.objects.bulk_update(
        messages,
        ["state", "attempts", "created_at", "last_attempt_at", "delivered_at", "next_attempt_at", "last_status_code"],
        batch_size=500,
    )
    if messages:
        record(action=HISTORY_SETTLED, actor=actor, data={"orders": len(set(order_ids)), "messages": len(messages)})
    return len(messages)
