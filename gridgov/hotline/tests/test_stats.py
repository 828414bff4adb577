"""The figures of the statistics page: counts, the three rates and their settings, periods,
departments, days; computed by the database in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import override

from gridgov.hotline import stats
from gridgov.hotline.models import HotlineOrder, OrderStage, OrderStatus, OrderStep, Satisfaction
from gridgov.hotline.stats import RateRules, StatsError

from .stats_world import World, local, make_order, make_world

pytestmark = pytest.mark.django_db

MARCH = stats.month_period(dt.date(2026, 3, 1))
NOW = local(dt.date(2026, 4, 1))


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def march(world: World) -> dict[str, HotlineOrder]:
    """Six orders that arrived in March 2026 and one from February replied in March."""
    d = dt.date
    closed = {"status": OrderStatus.CLOSED, "ack_on_time": True, "callback_at": local(d(2026, 3, 20))}
    orders = {
        "solved": make_order(
            world,
            local(d(2026, 3, 2)),
            **closed,
            lead_department=world.roads,
            acknowledged_at=local(d(2026, 3, 2), 11),
            replied_at=local(d(2026, 3, 5)),
            reply_on_time=True,
            satisfaction=Satisfaction.SATISFIED,
            solved=True,
        ),
        "late": make_order(
            world,
            local(d(2026, 3, 3), 0, 30),  # just after midnight: March 3 locally, March 2 in UTC
            **closed,
            lead_department=world.roads,
            acknowledged_at=local(d(2026, 3, 3), 9),
            replied_at=local(d(2026, 3, 25)),
            reply_on_time=False,
            extension_count=1,
            satisfaction=Satisfaction.DISSATISFIED,
            solved=False,
        ),
        "replied": make_order(
            world,
            local(d(2026, 3, 4)),
            status=OrderStatus.REPLIED,
            lead_department=world.water,
            acknowledged_at=local(d(2026, 3, 6)),
            ack_on_time=False,
            replied_at=local(d(2026, 3, 10)),
            reply_on_time=True,
            satisfaction=Satisfaction.BASICALLY_SATISFIED,
            solved=True,
        ),
        "overdue": make_order(
            world,
            local(d(2026, 3, 9)),
            status=OrderStatus.INSTRUCTED,
            lead_department=world.water,
            acknowledged_at=local(d(2026, 3, 9), 11),
            ack_on_time=True,
            reply_deadline=local(d(2026, 3, 20)),
            step_deadline=local(d(2026, 3, 20)),
        ),
        "returned": make_order(
            world,
            local(d(2026, 3, 10)),
            status=OrderStatus.RETURNED_UPSTREAM,
            acknowledged_at=local(d(2026, 3, 10), 11),
            ack_on_time=True,
            returned_at=local(d(2026, 3, 10), 15),
        ),
        "fresh": make_order(
            world,
            local(d(2026, 3, 31), 16),
            reply_deadline=local(d(2026, 4, 10)),
            step_deadline=local(d(2026, 4, 1), 16),
        ),
        "february": make_order(
            world,
            local(d(2026, 2, 27)),
            status=OrderStatus.REPLIED,
            lead_department=world.roads,
            acknowledged_at=local(d(2026, 2, 27), 11),
            ack_on_time=True,
            replied_at=local(d(2026, 3, 2), 23, 30),
            reply_on_time=True,
        ),
    }
    stage = {"step": OrderStep.DRAFT, "started_at": local(d(2026, 3, 3))}
    OrderStage.objects.create(
        order=orders["solved"], department=world.roads, ended_at=local(d(2026, 3, 4)), on_time=True, **stage
    )
    # No department on the stage: the order's lead department counts.
    OrderStage.objects.create(order=orders["late"], ended_at=local(d(2026, 3, 24)), on_time=False, **stage)
    OrderStage.objects.create(
        order=orders["replied"], department=world.water, ended_at=local(d(2026, 3, 9)), on_time=True, **stage
    )
    # A draft still running counts nowhere.
    OrderStage.objects.create(order=orders["overdue"], department=world.water, **stage)
    return orders


def test_the_totals_count_the_orders_that_arrived_in_the_period(march: Any) -> None:
    result = stats.order_statistics(HotlineOrder.objects.all(), MARCH, rules=RateRules(), now=NOW)
    total = result.total
    assert (total.received, total.acknowledged, total.ack_on_time) == (6, 5, 4)
    assert (total.replied, total.reply_on_time, total.replied_late) == (3, 2, 1)
    assert (total.returned, total.extended, total.open, total.closed) == (1, 1, 2, 2)
    # Overdue is what the workbench counts: open past a deadline (the water order). The roads
    # order replied late is "replied late", not overdue.
    assert total.overdue == 1
    assert (total.drafts, total.drafts_on_time) == (3, 2)
    # Due for acknowledgement: the five acknowledged (the fresh order still has time).
    assert (total.ack_on_time, total.ack_due, total.ack_on_time_rate) == (4, 5, 80.0)
    # Due for a reply: the three replied and the water order past its reply deadline, never
    # replied: it counts against the rate (the returned and the fresh order do not count).
    assert (total.reply_on_time, total.reply_due, total.reply_on_time_rate) == (2, 4, 50.0)


def test_the_three_rates_follow_the_working_definitions(march: Any) -> None:
    total = stats.order_statistics(HotlineOrder.objects.all(), MARCH, rules=RateRules(), now=NOW).total
    # Response: acknowledged on time ÷ due for acknowledgement less returned = 3 / 4 (the fresh
    # order still within its acknowledge limit is not due yet).
    assert (total.responded, total.response_base, total.response_rate) == (3, 4, 75.0)
    # Resolution: solved ÷ evaluated = 2 / 3; satisfaction: (satisfied + basically) ÷ evaluated = 2 / 3.
    assert (total.resolved, total.evaluated, total.resolution_rate) == (2, 3, 66.7)
    assert (total.satisfied, total.satisfaction_rate) == (2, 66.7)


def test_the_rates_follow_the_settings(march: Any, settings: Any) -> None:
    settings.GRIDGOV_HOTLINE_RATES = {
        "response": "acknowledged",
        "response_excludes_returned": False,
        "satisfied": ["satisfied"],
        "resolved": "solved_and_satisfied",
    }
    total = stats.order_statistics(HotlineOrder.objects.all(), MARCH, now=NOW).total
    assert (total.responded, total.response_base) == (5, 5)
    assert (total.satisfied, total.satisfaction_rate) == (1, 33.3)
    assert (total.resolved, total.resolution_rate) == (1, 33.3)


def test_the_strict_response_rule_needs_the_reply_on_time_too(march: Any) -> None:
    rules = RateRules(response="ack_and_reply_on_time")
    total = stats.order_statistics(HotlineOrder.objects.all(), MARCH, rules=rules, now=NOW).total
    assert total.responded == 1  # only the solved roads order was acknowledged and replied on time
    assert total.response_base == 4  # due for a reply, less the returned one


@pytest.mark.parametrize(
    "value",
    [
        {"response": "whenever"},
        {"resolved": "maybe"},
        {"satisfied": []},
        {"satisfied": ["happy"]},
        {"unknown_key": 1},
    ],
)
def test_bad_rate_settings_are_refused(value: dict[str, Any]) -> None:
    with pytest.raises(StatsError):
        RateRules.from_settings(value)


@override("en")
def test_the_definitions_name_the_rules_in_force() -> None:
    texts = dict(RateRules(satisfied=("satisfied",)).descriptions())
    assert set(texts) >= {"Response rate", "Resolution rate", "Satisfaction rate", "Overdue"}
    assert "Basically" not in texts["Satisfaction rate"]
    assert "Basically" in dict(RateRules().descriptions())["Satisfaction rate"]


def test_one_row_per_lead_department_and_one_for_orders_without(march: Any, world: World) -> None:
    result = stats.order_statistics(HotlineOrder.objects.all(), MARCH, rules=RateRules(), now=NOW)
    rows = {row.department_id: row for row in result.departments}
    assert [row.department_id for row in result.departments] == [world.roads.pk, world.water.pk, None]
    roads, water, unassigned = rows[world.roads.pk], rows[world.water.pk], rows[None]
    assert roads.name == "Roads office"
    assert (roads.figures.received, roads.figures.reply_on_time, roads.figures.replied_late) == (2, 1, 1)
    assert (roads.figures.drafts, roads.figures.drafts_on_time, roads.figures.draft_on_time_rate) == (2, 1, 50.0)
    assert (water.figures.received, water.figures.overdue, water.figures.draft_on_time_rate) == (2, 1, 100.0)
    assert (unassigned.figures.received, unassigned.figures.returned) == (2, 1)
    assert sum(row.figures.received for row in result.departments) == result.total.received


def test_the_days_still_to_come_are_gaps_not_noughts(march: Any) -> None:
    now = timezone.make_aware(dt.datetime(2026, 3, 10, 9, 0))
    result = stats.order_statistics(HotlineOrder.objects.all(), MARCH, rules=RateRules(), now=now)
    assert len(result.daily) == 31
    assert all(point.received is not None and point.replied is not None for point in result.daily[:10])
    assert all(point.received is None and point.replied is None for point in result.daily[10:])


def test_the_days_count_arrivals_and_replies_in_local_time(march: Any) -> None:
    result = stats.order_statistics(HotlineOrder.objects.all(), MARCH, rules=RateRules(), now=NOW)
    days = {point.day: point for point in result.daily}
    assert len(result.daily) == 31
    assert days[dt.date(2026, 3, 2)].received == 1
    assert days[dt.date(2026, 3, 3)].received == 1  # 00:30 local belongs to the 3rd
    # The February order's reply at 23:30 counts on the 2nd, though the order is not in the cohort.
    assert days[dt.date(2026, 3, 2)].replied == 1
    assert sum(point.received or 0 for point in result.daily) == 6
    assert sum(point.replied or 0 for point in result.daily) == 4


def test_ratings_and_types(march: Any) -> None:
    result = stats.order_statistics(HotlineOrder.objects.all(), MARCH, rules=RateRules(), now=NOW)
    assert result.ratings == [("satisfied", 1), ("basically_satisfied", 1), ("dissatisfied", 1)]
    assert result.by_type == [("help", 6)]


def test_an_empty_period_has_no_rates(world: World) -> None:
    result = stats.order_statistics(HotlineOrder.objects.all(), MARCH, rules=RateRules(), now=NOW)
    assert result.total.received == 0
    assert result.total.response_rate is None and result.total.satisfaction_rate is None
    assert result.departments == []


def test_the_query_count_does_not_grow_with_the_orders(march: Any, world: World) -> None:
    query = HotlineOrder.objects.all()
    with CaptureQueriesContext(connection) as few:
        stats.order_statistics(query, MARCH, rules=RateRules(), now=NOW)
    for n in range(30):
        make_order(world, local(dt.date(2026, 3, 1 + n % 28)), lead_department=[world.roads, world.water][n % 2])
    with CaptureQueriesContext(connection) as many:
        result = stats.order_statistics(query, MARCH, rules=RateRules(), now=NOW)
    assert result.total.received == 36
    assert len(many.captured_queries) == len(few.captured_queries) <= 8


# --- periods ----------------------------------------------------------------------------


def test_a_week_runs_from_monday_to_sunday() -> None:
    week = stats.week_period(dt.date(2026, 3, 5))  # a Thursday
    assert (week.start, week.end) == (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert week.shifted(-1).start == dt.date(2026, 2, 23)


def test_a_month_and_its_neighbours() -> None:
    december = stats.month_period(dt.date(2025, 12, 31))
    assert (december.start, december.end) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert december.shifted(1).start == dt.date(2026, 1, 1)
    assert stats.month_period(dt.date(2026, 1, 15)).shifted(-1).end == dt.date(2025, 12, 31)
    assert stats.month_period(dt.date(2026, 2, 3)).end == dt.date(2026, 2, 28)


def test_the_bounds_of_a_period_are_local_midnights() -> None:
    period = stats.custom_period(dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert period.end_at - period.start_at == dt.timedelta(days=1)
    assert period.start_at == local(dt.date(2026, 3, 1), 0)


def test_a_custom_period_must_run_forwards_and_not_too_long() -> None:
    with pytest.raises(StatsError):
        stats.custom_period(dt.date(2026, 3, 2), dt.date(2026, 3, 1))
    with pytest.raises(StatsError):
        stats.custom_period(dt.date(2020, 1, 1), dt.date(2026, 1, 1))
    with pytest.raises(StatsError):
        stats.period_for("custom", day=dt.date(2026, 3, 1))
    with pytest.raises(StatsError):
        stats.period_for("year", day=dt.date(2026, 3, 1))
