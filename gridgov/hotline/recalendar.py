"""Recompute the deadlines of open hotline orders when a year's official holiday schedule is loaded.

Registered in :data:`gridgov.workcalendar.services.YEAR_LOADED_HOOKS` by the app's ``ready``.
While a year is provisional (statutory holidays, no swapped working days) the deadlines that
reach into it are provisional too. Once the notice is loaded, every open order whose current
step starts or ends, or whose reply deadline falls, in or after the year is computed again
(see :mod:`gridgov.hotline.deadlines` for the rules):

- the reply deadline, from the arrival and the order type's limit, unless it is not ours to
  recompute: upstream gave it (``upstream_deadline``), upstream granted an extension to a date
  (``extension_count``), the order was reopened (the new deadline was counted from the
  reopening, or given by upstream: the history does not say which) or it was already replied;
- the open step, from its start and the limit stored on its row (``limit_amount``,
  ``limit_unit``): acknowledge from the arrival, instruct from its start capped at the reply
  deadline, draft and approve run to the reply deadline. A step whose deadline upstream gave
  (unit ``upstream``) is left as it is.

An order whose step or reply deadline moves gets its mirrored fields and the sweep's flags
updated like the services do, and one ``deadline_recomputed`` history line
(``{"step", "from", "to"}`` for the step deadline, plus ``reply_from``/``reply_to`` when the
reply deadline moved).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from django.db.models import Q
from django.utils import timezone

from gridgov.core.actors import signed_in
from gridgov.workcalendar.clock import next_alert, year_start

from . import deadlines
from .models import OPEN_ORDER_STATUSES, EventOrigin, HotlineOrder, OrderEvent, OrderStage, OrderStep

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

DEADLINE_RECOMPUTED: Final = "deadline_recomputed"
PETITIONER_SECRETS: Final = ("petitioner_name", "petitioner_phone", "petitioner_address")


def reply_is_computed(order: HotlineOrder) -> bool:
    """Whether the order's reply deadline is the type's limit from the arrival (ours to recompute)."""
    return (
        order.replied_at is None
        and order.upstream_deadline is None
        and order.extension_count == 0
        and order.reopen_count == 0
    )


def step_times(
    order: HotlineOrder, stage: OrderStage, reply: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime] | None:
    """The deadline and reminder point of the open ``stage`` on today's calendar; ``None`` when
    it is not recomputed (upstream's deadline, or no limit)."""
    unit = stage.limit_unit
    if not unit or unit == deadlines.UPSTREAM_UNIT:
        return None
    start = stage.started_at
    if stage.step == OrderStep.ACKNOWLEDGE:
        if stage.limit_amount is None:
            return None
        deadline = deadlines.limit_deadline(order.arrived_at, stage.limit_amount, unit)
        return deadline, deadlines.warn_point(order.arrived_at, deadline, unit)
    if stage.step == OrderStep.INSTRUCT:
        if stage.limit_amount is None:
            return None
        deadline = deadlines.limit_deadline(start, stage.limit_amount, unit)
        if reply is not None and deadline > reply:
            deadline = reply
        return deadline, deadlines.warn_point(start, deadline, unit)
    if reply is None:
        return None
    return reply, deadlines.warn_point(start, reply, unit)


def year_loaded(*, year: int, actor: User | AnonymousUser | None) -> dict[str, int]:
    """The hook: recompute the open orders that reach into ``year``; returns the counts."""
    now = timezone.now()
    first = year_start(year)
    reaching = Q(step_deadline__gte=first) | Q(step_started_at__gte=first) | Q(reply_deadline__gte=first)
    # Lock in id order (every writer locks one order at a time: no deadlock).
    orders = list(
        HotlineOrder.objects.select_for_update(of=("self",))
        .filter(reaching, status__in=OPEN_ORDER_STATUSES)
        .defer(*PETITIONER_SECRETS)  # encrypted columns: not needed, not decrypted
        .order_by("pk")
    )
    if not orders:
        return {"hotline_checked": 0, "hotline_moved": 0}
    stages = {
        s.order_id: s
        for s in OrderStage.objects.select_for_update().filter(order__in=[o.pk for o in orders], ended_at__isnull=True)
    }
    user = signed_in(actor)
    moved = 0
    for order in orders:
        before_reply = order.reply_deadline
        if reply_is_computed(order):
            order.reply_deadline = deadlines.reply_deadline(order)
        stage = stages.get(order.pk)
        before_step = stage.deadline if stage is not None else None
        times = step_times(order, stage, order.reply_deadline) if stage is not None else None
        step_changed = stage is not None and times is not None and times != (stage.deadline, stage.warn_at)
        if not step_changed and order.reply_deadline == before_reply:
            continue
        if stage is not None and times is not None and step_changed:
            stage.deadline, stage.warn_at = times
            # Reminders go out again for times still ahead; passed ones are the sweep's to send.
            stage.overdue_sent = stage.overdue_sent and now > times[0]
            stage.warning_sent = stage.warning_sent and now >= times[1]
            stage.save(update_fields=["deadline", "warn_at", "warning_sent", "overdue_sent"])
            order.step_deadline, order.step_warn_at = stage.deadline, stage.warn_at
            order.next_alert_at = next_alert(stage)
        order.version += 1
        order.save(
            update_fields=["reply_deadline", "step_deadline", "step_warn_at", "next_alert_at", "version", "updated_at"]
        )
        after_step = stage.deadline if stage is not None else None
        if after_step == before_step and order.reply_deadline == before_reply:
            continue  # only a reminder point moved
        moved += 1
        data: dict[str, Any] = {"step": order.step, "from": _iso(before_step), "to": _iso(after_step)}
        if order.reply_deadline != before_reply:
            data.update({"reply_from": _iso(before_reply), "reply_to": _iso(order.reply_deadline)})
        OrderEvent.objects.create(
            order=order,
            action=DEADLINE_RECOMPUTED,
            origin=EventOrigin.SYSTEM,
            actor=user,
            at=now,
            from_status=order.status,
            to_status=order.status,
            data=data,
        )
    return {"hotline_checked": len(orders), "hotline_moved": moved}


def _iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment is not None else None
