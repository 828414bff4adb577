"""The deadline sweep: a reminder at 80 % of a step and an overdue notice, once per step, to
who must act (and the center when overdue), with masked data only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gridgov.hotline import services, tasks
from gridgov.hotline.models import HotlineOrder, OrderStage
from gridgov.notify.models import Notification

from .core_helpers import NAME, PHONE, act, build, push

pytestmark = pytest.mark.django_db


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def test_a_life_safety_order_is_reminded_at_12_minutes_and_overdue_after_15(people: dict[str, Any]) -> None:
    start = timezone.now() - minutes(30)
    order = push(people, urgency_class="life_safety", at=start)
    assert services.sweep_due(start + minutes(11)) == {"warnings": 0, "overdue": 0}
    assert services.sweep_due(start + minutes(12)) == {"warnings": 1, "overdue": 0}
    assert services.sweep_due(start + minutes(13)) == {"warnings": 0, "overdue": 0}  # once per step
    assert services.sweep_due(start + minutes(16)) == {"warnings": 0, "overdue": 1}
    assert services.sweep_due(start + minutes(60)) == {"warnings": 0, "overdue": 0}
    order = HotlineOrder.objects.get(pk=order.pk)
    assert order.next_alert_at is None
    stage = OrderStage.objects.get(order=order, ended_at__isnull=True)
    assert stage.warning_sent and stage.overdue_sent
    assert list(order.events.values_list("action", "origin")) == [
        ("receive", "upstream"),
        ("deadline_warning", "system"),
        ("overdue", "system"),
    ]
    notices = Notification.objects.filter(recipient=people["center01"], object_id=str(order.pk))
    assert sorted(notices.values_list("kind", flat=True)) == ["hotline.overdue", "hotline.received", "hotline.warning"]
    for title, body in ((notice.title, notice.body) for notice in notices):
        assert PHONE not in title + body and NAME not in title + body
        assert order.upstream_number in title
    assert "138****8888" in notices.get(kind="hotline.overdue").body


def test_a_new_step_gets_its_own_reminders(people: dict[str, Any]) -> None:
    start = timezone.now() - dt.timedelta(days=30)
    order = push(people, at=start)
    services.sweep_due(start + dt.timedelta(days=5))  # the acknowledge step is overdue
    act(people, order, "acknowledge", "center01", at=start + dt.timedelta(days=5, minutes=1))
    order = HotlineOrder.objects.get(pk=order.pk)
    assert order.ack_on_time is False and order.step == "instruct" and order.next_alert_at is not None
    counts = services.sweep_due(start + dt.timedelta(days=10))
    assert counts == {"warnings": 0, "overdue": 1}
    leader = Notification.objects.filter(recipient=people["leader01"], kind="hotline.overdue")
    assert leader.count() == 1


def test_finished_orders_are_swept_out_of_the_queue(people: dict[str, Any]) -> None:
    order = build(people, "replied")
    assert order.next_alert_at is None and order.step == ""
    HotlineOrder.objects.filter(pk=order.pk).update(next_alert_at=timezone.now() - minutes(1))
    assert services.sweep_due() == {"warnings": 0, "overdue": 0}
    assert HotlineOrder.objects.get(pk=order.pk).next_alert_at is None


def test_the_beat_task_runs_the_sweep(people: dict[str, Any]) -> None:
    assert tasks.sweep_deadlines() == {"warnings": 0, "overdue": 0}
