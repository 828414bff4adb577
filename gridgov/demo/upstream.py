"""The demo's history and the upstream outbox: messages of orders loaded as history were
delivered long ago, so they are recorded as delivered instead of being sent again."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction

from gridgov.core.audit import record
from gridgov.upstream.models import MessageState, UpstreamMessage

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Audit action code.
HISTORY_SETTLED = "upstream.history_settled"


@transaction.atomic
def history_settle(
    *, order_ids: list[int], sent_at: list[dt.datetime], now: dt.datetime, actor: User | None = None
) -> int:
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
        message.delivered_at = moment + dt.timedelta(seconds=2)
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
