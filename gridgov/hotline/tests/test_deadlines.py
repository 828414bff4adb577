"""Deadlines of each urgency class and order type across 2026's holidays (the official
schedule as the chinese-calendar package has it: Spring Festival Feb 15–23 off with Feb 14
worked; National Day Oct 1–7 off with Oct 10 worked), the reminder point and the light."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gridgov.cases.models import Light
from gridgov.hotline import deadlines, selectors
from gridgov.hotline.errors import OrderConflict
from gridgov.hotline.models import HotlineOrder, OrderStage, OrderStep

from .core_helpers import act, push

pytestmark = pytest.mark.django_db


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """An aware time in 2026 in the project's time zone (Asia/Shanghai)."""
    return timezone.make_aware(dt.datetime(2026, month, day, hour, minute), timezone.get_default_timezone())


def local(moment: dt.datetime | None) -> dt.datetime:
    assert moment is not None
    return timezone.localtime(moment)


def test_a_general_order_after_hours_before_national_day_is_due_on_the_first_working_day_after(
    people: dict[str, Any],
) -> None:
    order = push(people, received_at=at(9, 30, 17, 50), at=at(9, 30, 18, 0), urgency_class="general")
    # Oct 1–7 are the holiday; Oct 8 (Thursday) is the first working day, its office hours
    # end at 17:30.
    assert local(order.step_deadline) == at(10, 8, 17, 30)
    assert deadlines.ack_deadline(order) == order.step_deadline
    assert order.step == OrderStep.ACKNOWLEDGE
    stage = OrderStage.objects.get(order=order)
    assert (stage.deadline, stage.limit_amount, stage.limit_unit) == (order.step_deadline, 1, "working_days")


def test_life_safety_counts_calendar_minutes_through_the_holiday(people: dict[str, Any]) -> None:
    order = push(people, received_at=at(10, 1, 1, 58), at=at(10, 1, 2, 0), urgency_class="life_safety")
    assert local(order.step_deadline) == at(10, 1, 2, 15)
    assert local(order.step_warn_at) == at(10, 1, 2, 12)  # 80 % of 15 minutes


def test_utilities_have_thirty_calendar_minutes_on_a_holiday_night(people: dict[str, Any]) -> None:
    order = push(people, received_at=at(2, 17, 23, 40), at=at(2, 17, 23, 45), urgency_class="utilities")
    assert local(order.step_deadline) == at(2, 18, 0, 15)


def test_the_swapped_saturday_before_spring_festival_is_a_working_day(people: dict[str, Any]) -> None:
    # Friday Feb 13, 17:00: 30 minutes left that day, the rest on Saturday Feb 14 (worked).
    order = push(people, received_at=at(2, 13, 16, 55), at=at(2, 13, 17, 0), urgency_class="general")
    assert local(order.step_deadline) == at(2, 14, 17, 0)


@pytest.mark.parametrize(
    ("order_type", "expected"),
    [
        # From Saturday Feb 14 10:00 (worked): 360 minutes that day, then Feb 15–23 off.
        ("enquiry", at(2, 25, 10, 0)),  # 2 working days: Feb 24 whole, Feb 25 until 10:00
        ("praise", at(2, 25, 10, 0)),
        # 10 working days: Feb 24–28 (Saturday Feb 28 is worked), Mar 2–5, Mar 6 until 10:00.
        ("help", at(3, 6, 10, 0)),
        ("suggestion", at(3, 6, 10, 0)),
        ("complaint", at(3, 13, 10, 0)),  # 15 working days
        ("report", at(3, 13, 10, 0)),
    ],
)
def test_reply_deadlines_per_type_skip_the_spring_festival(
    people: dict[str, Any], order_type: str, expected: dt.datetime
) -> None:
    order = push(people, received_at=at(2, 14, 9, 50), at=at(2, 14, 10, 0), order_type=order_type)
    assert local(order.reply_deadline) == expected


def test_upstream_deadlines_take_precedence(people: dict[str, Any]) -> None:
    ack, reply = at(9, 30, 20, 0), at(10, 9, 12, 0)
    order = push(
        people,
        received_at=at(9, 30, 17, 50),
        at=at(9, 30, 18, 0),
        upstream_ack_deadline=ack,
        upstream_deadline=reply,
    )
    assert order.step_deadline == ack and order.reply_deadline == reply
    assert local(order.step_warn_at) == at(9, 30, 19, 36)  # 80 % of two calendar hours


def test_the_instruction_and_draft_steps_run_to_their_deadlines(people: dict[str, Any]) -> None:
    order = push(people, received_at=at(9, 29, 8, 50), at=at(9, 29, 9, 0), order_type="enquiry")
    act(people, order, "acknowledge", "center01", at=at(9, 29, 10, 0))
    order = HotlineOrder.objects.get(pk=order.pk)
    assert order.step == OrderStep.INSTRUCT
    assert local(order.step_deadline) == at(9, 30, 10, 0)  # 1 working day
    assert order.ack_on_time is True
    act(people, order, "assign", "center01", departments=["urban_mgmt"], at=at(9, 30, 9, 0))
    order = HotlineOrder.objects.get(pk=order.pk)
    assert order.step == OrderStep.DRAFT
    # Enquiry: 2 working days from arrival on Sep 29 09:00 → Sep 30 whole → Oct 8 09:00.
    assert local(order.step_deadline) == local(order.reply_deadline) == at(10, 8, 9, 0)
    stages = list(order.stages.order_by("started_at").values_list("step", "on_time"))
    assert stages == [("acknowledge", True), ("instruct", True), ("draft", None)]


def test_the_return_window_is_one_working_day_and_two_for_complex_orders(people: dict[str, Any]) -> None:
    simple = push(people, received_at=at(9, 30, 9, 0), at=at(9, 30, 9, 0))
    complex_order = push(people, received_at=at(9, 30, 9, 0), at=at(9, 30, 9, 0), complex=True)
    assert local(deadlines.return_deadline(simple)) == at(10, 8, 9, 0)
    assert local(deadlines.return_deadline(complex_order)) == at(10, 9, 9, 0)
    reason = {"reason": "不属于本镇职责", "basis": "《天津市政务服务便民热线管理办法》第十条"}
    with pytest.raises(OrderConflict) as late:
        act(people, simple, "return_upstream", "center01", at=at(10, 8, 9, 1), **reason)
    assert late.value.code == "return_window_passed"
    returned = act(people, complex_order, "return_upstream", "center01", at=at(10, 8, 9, 1), **reason)
    assert returned.status == "returned_upstream" and returned.step == "" and returned.next_alert_at is None


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(0, Light.GREEN), (11, Light.GREEN), (12, Light.YELLOW), (15, Light.YELLOW), (16, Light.RED)],
)
def test_the_light_turns_yellow_at_80_percent_and_red_after_the_deadline(
    people: dict[str, Any], minutes: int, expected: str
) -> None:
    start = at(10, 1, 2, 0)
    order = push(people, received_at=start, at=start, urgency_class="life_safety")
    now = start + dt.timedelta(minutes=minutes)
    assert deadlines.light(order, now) == expected
    annotated = selectors.page(HotlineOrder.objects.filter(pk=order.pk), now=now).items[0]
    assert annotated.light == expected  # type: ignore[attr-defined]
