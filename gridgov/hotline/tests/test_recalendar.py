"""Order deadlines in a provisional year, and their recomputation when the official year is loaded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.hotline import recalendar, services
from gridgov.hotline.models import HotlineOrder, OrderEvent, OrderStage, OrderStatus, OrderStep
from gridgov.hotline.transitions import ACTION_LABELS
from gridgov.workcalendar import calendar, statutory
from gridgov.workcalendar.schedule import parse_notice
from gridgov.workcalendar.services import YEAR_LOADED_HOOKS, official_year_load
from gridgov.workcalendar.tests.conftest import NOTICE_2027

from .core_helpers import DRAFT, INSTRUCT, act, push

pytestmark = pytest.mark.django_db


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2027, month, day, hour, minute), timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _fresh_calendar(db: Any) -> Iterator[None]:
    calendar.reset()
    yield
    calendar.reset()


def arrive(people: dict[str, Any], when: dt.datetime, **overrides: Any) -> HotlineOrder:
    return push(people, at=when, received_at=when - dt.timedelta(minutes=3), **overrides)


def load_2027(actor: Any) -> None:
    parsed = parse_notice(NOTICE_2027, 2027)
    official_year_load(actor=actor, year=2027, holidays=parsed.holidays, workdays=parsed.workdays)


def times(order: HotlineOrder) -> tuple[Any, ...]:
    order.refresh_from_db()
    return order.step_deadline, order.step_warn_at, order.reply_deadline, order.next_alert_at


def test_the_hook_is_registered_by_the_app():
    assert recalendar.year_loaded in YEAR_LOADED_HOOKS
    assert str(ACTION_LABELS[recalendar.DEADLINE_RECOMPUTED])


def test_an_acknowledge_deadline_across_the_provisional_2027_spring_festival_is_on_no_statutory_day(people):
    # Arrived on Thursday Feb 4 at 16:00, 1 working day to acknowledge: 除夕 (Fri) to 初三 (Mon) are off.
    order = arrive(people, at(2, 4, 16))
    assert order.step == OrderStep.ACKNOWLEDGE
    assert order.step_deadline == at(2, 9, 16)
    for moment in (order.step_deadline, order.step_warn_at, order.reply_deadline):
        assert timezone.localtime(moment).date() not in statutory.holidays(2027)
    assert calendar.deadline_is_provisional(order.step_deadline)


def test_loading_the_2027_notice_moves_open_deadlines_and_writes_one_line_each(people):
    admin = people["admin"]
    waiting = arrive(people, at(2, 4, 16))
    provisional_reply = waiting.reply_deadline
    instructed = arrive(people, at(2, 3, 9))
    instructed = act(people, instructed, "acknowledge", "center01", at=at(2, 3, 10))
    instructed = act(people, instructed, "instruct", "leader01", at=at(2, 4, 15), **INSTRUCT)
    assert instructed.step == OrderStep.DRAFT and instructed.step_deadline == instructed.reply_deadline
    given = arrive(people, at(2, 4, 16), upstream_ack_deadline=at(2, 9, 12), upstream_deadline=at(2, 26, 17, 30))
    given_before = times(given)

    load_2027(admin)

    waiting.refresh_from_db()
    assert waiting.step_deadline == at(2, 15, 16)  # Feb 5–13 off, Sunday Feb 14 too
    assert waiting.reply_deadline != provisional_reply
    stage = OrderStage.objects.get(order=waiting, ended_at__isnull=True)
    assert (stage.deadline, stage.warn_at) == (waiting.step_deadline, waiting.step_warn_at)
    assert waiting.next_alert_at == waiting.step_warn_at
    assert not calendar.deadline_is_provisional(waiting.step_deadline)
    instructed.refresh_from_db()
    assert instructed.step_deadline == instructed.reply_deadline
    assert times(given) == given_before  # upstream's deadlines are upstream's

    line = OrderEvent.objects.get(order=waiting, action=recalendar.DEADLINE_RECOMPUTED)
    assert line.actor == admin
    assert line.data == {
        "step": OrderStep.ACKNOWLEDGE,
        "from": at(2, 9, 16).isoformat(),
        "to": at(2, 15, 16).isoformat(),
        "reply_from": timezone.localtime(provisional_reply).isoformat(),
        "reply_to": timezone.localtime(waiting.reply_deadline).isoformat(),
    }
    assert OrderEvent.objects.filter(order=instructed, action=recalendar.DEADLINE_RECOMPUTED).count() == 1
    assert not OrderEvent.objects.filter(order=given, action=recalendar.DEADLINE_RECOMPUTED).exists()
    audit = AuditEvent.objects.get(action="calendar.year_load")
    assert audit.actor == admin
    assert (audit.data["recomputed"]["hotline_checked"], audit.data["recomputed"]["hotline_moved"]) == (3, 2)


def test_recomputed_deadlines_are_the_ones_the_official_calendar_gives_from_the_start(people):
    def build() -> HotlineOrder:
        order = arrive(people, at(2, 3, 9))
        order = act(people, order, "acknowledge", "center01", at=at(2, 4, 16))
        assert order.step == OrderStep.INSTRUCT
        return order

    before = build()
    waiting = arrive(people, at(2, 4, 16))
    load_2027(people["admin"])
    assert times(before) == times(build())
    assert times(waiting) == times(arrive(people, at(2, 4, 16)))


def test_replied_and_closed_orders_are_left_alone(people):
    order = arrive(people, at(2, 3, 9))
    order = act(people, order, "acknowledge", "center01", at=at(2, 3, 10))
    order = act(people, order, "instruct", "leader01", at=at(2, 3, 11), **INSTRUCT)
    order = act(people, order, "draft_reply", "dept02", at=at(2, 4, 9), **DRAFT)
    order = act(people, order, "approve_reply", "center01", at=at(2, 4, 10))
    assert order.status == OrderStatus.REPLIED
    stages = list(OrderStage.objects.filter(order=order).values_list("pk", "deadline", "warn_at", "on_time"))
    before = times(order)
    load_2027(people["admin"])
    assert list(OrderStage.objects.filter(order=order).values_list("pk", "deadline", "warn_at", "on_time")) == stages
    assert times(order) == before
    assert not OrderEvent.objects.filter(order=order, action=recalendar.DEADLINE_RECOMPUTED).exists()


def test_an_extension_granted_by_upstream_keeps_its_date(people):
    order = arrive(people, at(2, 3, 9))
    order = act(people, order, "acknowledge", "center01", at=at(2, 3, 10))
    order = act(people, order, "instruct", "leader01", at=at(2, 3, 11), **INSTRUCT)
    order = act(
        people, order, "request_extension", "dept02", reason="需协调多部门", until=at(3, 31, 17, 30), at=at(2, 4, 9)
    )
    services.order_event(
        order_id=order.pk,
        actor=people["upstream01"],
        event_type="extension_answer",
        data={"approved": True},
        at=at(2, 4, 10),
    )
    order.refresh_from_db()
    assert order.reply_deadline == order.step_deadline == at(3, 31, 17, 30)
    load_2027(people["admin"])
    order.refresh_from_db()
    assert order.reply_deadline == order.step_deadline == at(3, 31, 17, 30)
    assert not OrderEvent.objects.filter(order=order, action=recalendar.DEADLINE_RECOMPUTED).exists()
