"""The deadline sweep: the reminder at the warn point of a step and the overdue notice, each
sent once per step (``tasks.sweep_deadlines`` runs it every minute)."""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.db import transaction
from django.db.models import Q

from gridgov.workcalendar.clock import next_alert

from ..models import OPEN_ORDER_STATUSES, EventOrigin, HotlineOrder
from ..transitions import DEADLINE_WARNING, OVERDUE, Party
from .clock import open_stage
from .inputs import now_or
from .notifications import notify, responsible
from .store import record_event

SWEEP_KINDS: Final = {"overdue": "hotline.overdue", "warnings": "hotline.warning"}


def sweep_due(now: dt.datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Send the reminders (at 80 % of a step) and overdue notices that fell due, once per step.

    Reads only orders whose ``next_alert_at`` has passed (an indexed range), each in its own
    short transaction."""
    now = now_or(now)
    counts = {"warnings": 0, "overdue": 0}
    after: tuple[dt.datetime | None, int] | None = None
    while True:
        due = HotlineOrder.objects.filter(next_alert_at__lte=now)
        if after is not None:
            due = due.filter(Q(next_alert_at__gt=after[0]) | Q(next_alert_at=after[0], id__gt=after[1]))
        rows = list(due.order_by("next_alert_at", "id").values_list("next_alert_at", "id")[:batch])
        if not rows:
            break
        for _at, order_id in rows:
            outcome = _sweep_one(order_id, now)
            if outcome:
                counts[outcome] += 1
        after = rows[-1]
    return counts


@transaction.atomic
def _sweep_one(order_id: int, now: dt.datetime) -> str | None:
    order = (
        HotlineOrder.objects.select_for_update(of=("self",))
        .select_related("lead_department")
        .filter(pk=order_id, next_alert_at__lte=now)
        .first()
    )
    if order is None:
        return None
    stage = open_stage(order)
    outcome: str | None = None
    if stage is None or stage.deadline is None or order.status not in OPEN_ORDER_STATUSES:
        order.next_alert_at = None
    elif now > stage.deadline and not stage.overdue_sent:
        stage.overdue_sent = stage.warning_sent = True
        outcome = "overdue"
    elif stage.warn_at is not None and now >= stage.warn_at and not stage.warning_sent:
        stage.warning_sent = True
        outcome = "warnings"
    if stage is not None:
        stage.save(update_fields=["warning_sent", "overdue_sent"])
        order.next_alert_at = next_alert(stage) if order.status in OPEN_ORDER_STATUSES else None
    order.save(update_fields=["next_alert_at"])
    if outcome is not None:
        action = OVERDUE if outcome == "overdue" else DEADLINE_WARNING
        record_event(order, action, actor=None, at=now, from_status=order.status, origin=EventOrigin.SYSTEM,
                     data={"step": order.step})  # fmt: skip
        parties = responsible(order)
        if outcome == "overdue" and Party.CENTER not in parties:
            parties = [*parties, Party.CENTER]
        notify(order, parties, SWEEP_KINDS[outcome], actor=None)
    return outcome
