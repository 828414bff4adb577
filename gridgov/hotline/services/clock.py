"""The step bookkeeping of orders: each timed step an :class:`OrderStage` row, mirrored on the
order (``step``, ``step_deadline``, ``step_warn_at``, ``next_alert_at``) for lists and the
sweep. The times themselves come from :mod:`gridgov.hotline.deadlines` (on the shared stage
clock, :mod:`gridgov.workcalendar.clock`)."""

from __future__ import annotations

import datetime as dt

from django.db.models import BooleanField, Case, Value, When

from gridgov.core.inserts import insert
from gridgov.workcalendar.clock import next_alert

from .. import deadlines
from ..models import HotlineOrder, OrderStage, OrderStep


def open_stage(order: HotlineOrder) -> OrderStage | None:
    # At most one stage is open (constraint ``hotline_one_open_stage``): no ordering needed.
    found = list(OrderStage.objects.filter(order=order, ended_at__isnull=True).order_by()[:1])
    return found[0] if found else None


def end_stage(order: HotlineOrder, at: dt.datetime) -> None:
    """End the open step (if any) and freeze ``on_time``: one UPDATE, no read (at most one
    stage is open, constraint ``hotline_one_open_stage``)."""
    OrderStage.objects.filter(order=order, ended_at__isnull=True).update(
        ended_at=at,
        on_time=Case(
            When(deadline__isnull=True, then=Value(None)),
            When(deadline__gte=at, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(null=True),
        ),
    )


def clear_step(order: HotlineOrder) -> None:
    order.step = ""
    order.step_started_at = order.step_warn_at = order.step_deadline = order.next_alert_at = None


def mirror_step(order: HotlineOrder, step: str, at: dt.datetime) -> deadlines.StepTiming:
    """Put ``step`` started at ``at`` on the order (not saved) and return its times."""
    timing = deadlines.step_timing(order, step, at)
    order.step = step
    order.step_started_at = at
    order.step_warn_at = timing.warn_at
    order.step_deadline = timing.deadline
    order.next_alert_at = timing.warn_at
    return timing


def create_stage(order: HotlineOrder, step: str, at: dt.datetime, timing: deadlines.StepTiming) -> None:
    """The stage row of ``step`` started at ``at`` (the order is saved already)."""
    insert(
        OrderStage(
            order=order,
            step=step,
            started_at=at,
            warn_at=timing.warn_at,
            deadline=timing.deadline,
            limit_amount=timing.amount,
            limit_unit=timing.unit,
            department_id=order.lead_department_id if step == OrderStep.DRAFT else None,
        )
    )


def enter_step(order: HotlineOrder, at: dt.datetime) -> None:
    """End the open step and start the one the order's status now has (if any)."""
    end_stage(order, at)
    wanted = deadlines.STATUS_STEP.get(order.status, "")
    if not wanted:
        clear_step(order)
        return
    create_stage(order, wanted, at, mirror_step(order, wanted, at))


def retime_open_stage(order: HotlineOrder, now: dt.datetime, *, extended: bool = False) -> None:
    """Recompute the open step's deadline (after upstream changed the order or granted an
    extension); its reminders go out again if the new times lie ahead."""
    stage = open_stage(order)
    if stage is None:
        return
    timing = deadlines.step_timing(order, stage.step, stage.started_at)
    stage.deadline, stage.warn_at = timing.deadline, timing.warn_at
    stage.limit_amount, stage.limit_unit = timing.amount, timing.unit
    stage.extended = stage.extended or extended
    if stage.deadline is not None and now <= stage.deadline:
        stage.overdue_sent = False
    if stage.warn_at is not None and now < stage.warn_at:
        stage.warning_sent = False
    stage.save(
        update_fields=["deadline", "warn_at", "limit_amount", "limit_unit", "extended", "overdue_sent", "warning_sent"]
    )
    order.step_deadline, order.step_warn_at = stage.deadline, stage.warn_at
    order.next_alert_at = next_alert(stage)
