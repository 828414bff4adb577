"""Writes of the upstream outbox: queue a message, deliver it, retry it, hand over a file batch.

:func:`enqueue` is what the hotline services call, inside their own transaction: the message
row commits (or rolls back) with the order's change, and delivery starts only after commit
(``transaction.on_commit`` → :func:`gridgov.upstream.tasks.deliver`). Beat runs
``deliver_due`` every minute, so a retry needs no queued task and a task the broker lost is
made up for a minute later: nothing is lost while upstream (or the broker) is down.

The claim, lease, backoff and drain are the platform's one outbox (:mod:`gridgov.core.outbox`);
this module declares what is particular to upstream: the state names (``sending`` while an
attempt holds the row), file adapters that gather messages into batches instead of sending
them, the status code kept from each answer, and the notice when a message is given up on.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from gridgov.core.actors import signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.inserts import insert
from gridgov.core.outbox import Outbox
from gridgov.hotline.access import recipient_ids
from gridgov.hotline.notices import order_note, order_params
from gridgov.hotline.transitions import Party
from gridgov.notify.services import notify

from . import adapters, conf, selectors
from .models import FileBatch, MessageKind, MessageState, UpstreamMessage
from .notices import FAILED_KIND

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

logger = logging.getLogger("gridgov.upstream")

# Audit action codes.
RETRIED = "upstream.message_retry"
BATCH_SENT = "upstream.batch_sent"

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
    actor: User | AnonymousUser | None,
) -> UpstreamMessage:
    """Queue one message for upstream in the caller's transaction; delivered after commit.
    Keys naming the petitioner are dropped from ``payload``."""
    if kind not in MessageKind.values:
        raise ValueError(f"unknown upstream message kind {kind!r}")
    if not source_system or not upstream_number:
        raise ValueError("an upstream message needs the source system and the upstream number")
    config = conf.source_config(source_system)
    now = timezone.now()
    message = UpstreamMessage(
        source_system=source_system,
        kind=kind,
        order_id=order_id,
        upstream_number=upstream_number,
        payload=_public(dict(payload or {})),
        adapter=config.adapter,
        state=MessageState.PENDING,
        next_attempt_at=now,
        created_by=signed_in(actor),
        created_at=now,
    )
    insert(message)
    transaction.on_commit(partial(schedule, [message.pk]))
    return message


def schedule(message_ids: list[int]) -> None:
    """Hand messages to the worker. A broker that is down loses nothing: the rows stay pending
    and ``deliver_due`` picks them up."""
    from .tasks import deliver as deliver_task  # tasks.py imports this module (services <-> tasks cycle)

    # Only what is still waiting: history loaded in the same transaction (the demo) was recorded
    # as delivered before the commit and must not fill the queue.
    waiting = set(
        UpstreamMessage.objects.filter(pk__in=message_ids, state=MessageState.PENDING).values_list("pk", flat=True)
    )
    OUTBOX.hand_over([pk for pk in message_ids if pk in waiting], deliver_task.delay)


# --- Giving up -------------------------------------------------------------------------------


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
    number, what was being sent, the attempts and the order's type, class and masked phone
    (rendered for each reader, ``notices.py``)."""
    User = get_user_model()

    order = message.order
    user_ids = recipient_ids(order, Party.CENTER)
    if not user_ids:
        return
    notify(
        recipients=[User(pk=user_id) for user_id in user_ids],
        kind=FAILED_KIND,
        params={**order_params(order), "message": message.kind, "attempts": message.attempts},
        body=order_note(order),
        url=failed_url(message),
        obj=message,
        actor=None,
    )


# --- Delivering ------------------------------------------------------------------------------


def _collect(message: UpstreamMessage, now: dt.datetime) -> bool:
    """In the claim's transaction: a message whose adapter collects goes into its source's open
    batch (made if there is none) instead of being sent. An unknown adapter code raises
    :class:`adapters.DeliveryError`: the row stays pending with the reason."""
    if not adapters.get(message.adapter).collects:
        return False
    town_id = message.order.town_id
    batch = FileBatch.objects.filter(source_system=message.source_system, town_id=town_id, sent_at__isnull=True).first()
    if batch is None:
        batch = FileBatch.objects.create(source_system=message.source_system, town_id=town_id, created_at=now)
    message.batch = batch
    message.state = MessageState.BATCHED
    message.next_attempt_at = None
    message.last_attempt_at = now
    message.save(update_fields=["batch", "state", "next_attempt_at", "last_attempt_at"])
    return True


def _send(message: UpstreamMessage) -> dict[str, Any]:
    """One try through the message's adapter; upstream's answer is kept."""
    status = adapters.get(message.adapter).send(message, conf.source_config(message.source_system))
    return {"last_status_code": status}


def _status_code(error: Exception) -> dict[str, Any]:
    return {"last_status_code": getattr(error, "status_code", None)}


OUTBOX: Final = Outbox(
    model=UpstreamMessage,
    pending=MessageState.PENDING,
    sending=MessageState.SENDING,
    done=MessageState.DELIVERED,
    failed=MessageState.FAILED,
    send=_send,
    max_attempts=conf.max_attempts,
    backoff=conf.backoff,
    status_field="state",
    done_at_field="delivered_at",
    attempted_at_field="last_attempt_at",
    expected_errors=(adapters.DeliveryError,),
    error_fields=_status_code,
    on_claim=_collect,
    on_give_up=notify_failed,
    noun="upstream message",
    logger=logger,
)


def due_message_ids(*, limit: int = 100) -> list[int]:
    """Messages whose attempt is due (pending, or a lease that ran out), oldest first."""
    return OUTBOX.due_ids(limit=limit)


def deliver(*, message_id: int) -> str:
    """One attempt at one message, outside any transaction. Returns the outcome: ``delivered``,
    ``batched`` (file adapter), ``retry``, ``failed``, or ``not_due`` when the message is not
    due or another worker holds it."""
    return OUTBOX.attempt(message_id)


def deliver_due(*, limit: int = 100, budget_seconds: float = 45.0) -> int:
    """Attempt the due messages (beat, every minute); returns how many were attempted."""
    return OUTBOX.drain(limit=limit, budget_seconds=budget_seconds)


# --- By hand ---------------------------------------------------------------------------------


@transaction.atomic
def retry(*, message_id: int, actor: User | AnonymousUser) -> UpstreamMessage:
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
def batch_mark_sent(*, batch_id: int, actor: User | AnonymousUser) -> FileBatch:
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
    batch.sent_by = signed_in(actor)
    batch.save(update_fields=["sent_at", "sent_by"])
    count = UpstreamMessage.objects.filter(batch=batch, state=MessageState.BATCHED).update(
        state=MessageState.DELIVERED, delivered_at=now, next_attempt_at=None, last_error=""
    )
    record(action=BATCH_SENT, actor=actor, obj=batch, data={"source": batch.source_system, "messages": count})
    return batch
