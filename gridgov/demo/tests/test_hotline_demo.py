"""The demo hotline orders (load_demo_hotline): every status and path of the flow, made
through the services, in the past, once."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count, F
from django.utils import timezone

from gridgov.demo.hotline import SCENARIOS, generate_demo_orders, load_demo_hotline
from gridgov.demo.hotline_topics import ESTATES, OUT_OF_REMIT, TOPICS, TYPE_WORDS
from gridgov.hotline.models import HotlineOrder, OrderEvent, OrderStage, OrderStatus
from gridgov.notify.models import Notification
from gridgov.upstream.models import MessageState, UpstreamMessage

COUNT = 60
# A Wednesday afternoon: the history ends here.
NOW = timezone.make_aware(dt.datetime(2026, 11, 25, 15, 20))


@pytest.fixture(scope="module")
def history(taiping: Any, django_db_blocker: Any) -> Any:
    """The demo with its case history and orders, made once for the module (in the transaction
    of ``taiping``, rolled back after the module)."""
    from gridgov.demo.cases import load_demo_cases

    with django_db_blocker.unblock():
        load_demo_cases(count=30, now=NOW, allow_production_db=True)
        return generate_demo_orders(count=COUNT, now=NOW)


@pytest.fixture
def stats(history: Any, db: Any) -> Any:
    return history


def test_it_makes_the_orders_asked_for_and_no_step_is_refused(stats: Any) -> None:
    assert stats.created == COUNT == HotlineOrder.objects.count()
    assert len(SCENARIOS) <= COUNT  # every scenario is played at least once
    assert stats.refused == []


def test_every_status_appears(stats: Any) -> None:
    assert set(HotlineOrder.objects.values_list("status", flat=True)) == set(OrderStatus.values)


def test_every_path_of_the_flow_appears(stats: Any) -> None:
    actions = set(OrderEvent.objects.values_list("action", flat=True))
    assert actions >= {
        "receive",
        "acknowledge",
        "assign",
        "instruct",
        "draft_reply",
        "reject_draft",
        "approve_reply",
        "return_upstream",
        "request_extension",
        "extension_answer",
        "create_case",
        "remind",
        "supervise",
        "callback",
        "close",
    }


def test_the_history_has_late_steps_dissatisfied_petitioners_and_linked_cases(stats: Any) -> None:
    orders = HotlineOrder.objects.all()
    assert orders.filter(ack_on_time=False).exists() and orders.filter(ack_on_time=True).exists()
    assert orders.filter(reply_on_time=False).exists() and orders.filter(reply_on_time=True).exists()
    assert orders.filter(reopen_count__gt=0).exists()
    ratings = set(orders.exclude(satisfaction="").values_list("satisfaction", flat=True))
    assert ratings == {"satisfied", "basically_satisfied", "dissatisfied"}
    assert orders.filter(extension_count__gt=0).exists()
    assert orders.filter(case__isnull=False, status=OrderStatus.CLOSED).exists()
    assert orders.filter(case__isnull=False, status=OrderStatus.INSTRUCTED).exists()
    assert orders.filter(lead_department__code__in=["traffic_police", "urban_mgmt"]).exists()
    assert orders.values("order_type").distinct().count() >= 5
    assert orders.values("channel").distinct().count() == 3


def test_nothing_happens_after_now_and_steps_follow_each_other(stats: Any) -> None:
    assert not OrderEvent.objects.filter(at__gt=NOW).exists()
    assert not HotlineOrder.objects.filter(arrived_at__gt=NOW).exists()
    assert not HotlineOrder.objects.filter(acknowledged_at__lt=F("arrived_at")).exists()
    assert not HotlineOrder.objects.filter(replied_at__lt=F("acknowledged_at")).exists()
    oldest = HotlineOrder.objects.order_by("arrived_at").values_list("arrived_at", flat=True).first()
    assert oldest is not None and NOW - oldest > dt.timedelta(days=120)


def test_the_stages_are_those_the_services_wrote(stats: Any) -> None:
    # One open stage per open order, none for closed ones.
    open_orders = HotlineOrder.objects.filter(status__in=["received", "acknowledged", "instructed", "drafted"])
    assert OrderStage.objects.filter(ended_at__isnull=True).count() == open_orders.count()
    assert OrderStage.objects.filter(ended_at__isnull=False, on_time__isnull=True, deadline__isnull=False).count() == 0


def test_the_petitioners_are_masked_and_some_are_anonymous(stats: Any) -> None:
    orders = HotlineOrder.objects.exclude(anonymous=True)
    for order in orders[:20]:
        assert order.petitioner_phone.isdigit() and len(order.petitioner_phone) == 11
        assert order.petitioner_phone_masked == f"{order.petitioner_phone[:3]}****{order.petitioner_phone[-4:]}"


def test_the_historical_messages_upstream_count_as_delivered(stats: Any) -> None:
    messages = UpstreamMessage.objects.all()
    assert messages.exists()
    assert not messages.exclude(state=MessageState.DELIVERED).exists()
    assert not messages.filter(delivered_at__gt=NOW + dt.timedelta(minutes=1)).exists()
    kinds = dict(messages.values_list("kind").annotate(n=Count("id")).order_by())
    assert set(kinds) == {"acknowledge", "reply", "return", "extension_request"}


def test_the_notifications_of_the_history_are_read(stats: Any) -> None:
    assert Notification.objects.filter(kind__startswith="hotline.").exists()
    assert not Notification.objects.filter(kind__startswith="hotline.", read_at__isnull=True).exists()


def test_a_second_run_adds_nothing(stats: Any) -> None:
    assert load_demo_hotline(count=COUNT, now=NOW, allow_production_db=True) == 0
    assert HotlineOrder.objects.count() == COUNT


def test_the_load_demo_command_leaves_existing_orders_alone(stats: Any, settings: Any) -> None:
    settings.DEBUG = True
    out = StringIO()
    # Only the order history is in question: the rest of the demo has its own tests.
    call_command("load_demo", "--no-cases", "--no-patrols", "--no-visits", stdout=out)
    assert "Hotline orders already exist: no demo orders added." in out.getvalue()
    out = StringIO()
    call_command("load_demo", "--no-cases", "--no-hotline", "--no-patrols", "--no-visits", stdout=out)
    assert "Hotline orders" not in out.getvalue()
    assert HotlineOrder.objects.count() == COUNT


def test_the_statistics_page_has_figures_for_the_demo(stats: Any, client: Any) -> None:
    from django.contrib.auth import get_user_model

    from gridgov.hotline import stats as hotline_stats

    period = hotline_stats.custom_period(dt.date(2026, 5, 1), dt.date(2026, 11, 25))
    result = hotline_stats.order_statistics(HotlineOrder.objects.all(), period, now=NOW)
    assert result.total.received == COUNT
    assert 50 < (result.total.response_rate or 0) <= 100
    assert 30 < (result.total.satisfaction_rate or 0) < 100
    client.force_login(get_user_model().objects.get(username="center01"))
    assert client.get("/hotline/stats/?period=custom&start=2026-05-01&end=2026-11-25").status_code == 200


# --- One call per order ---------------------------------------------------------------------------


def test_every_call_of_the_topics_reads_as_its_order_type_and_its_title() -> None:
    for topic in TOPICS:
        for call in topic.calls:
            text = call.content
            assert TYPE_WORDS[call.order_type] in text, (topic.key, call.title)
            others = [word for kind, word in TYPE_WORDS.items() if kind != call.order_type and word in text]
            assert not others, (topic.key, call.title, others)
            # The title names what the content is about.
            shared = sum(char in text for char in call.title) / len(call.title)
            assert shared >= 0.5, (topic.key, call.title)
    for content, _category, _reason, _basis, order_type, title in OUT_OF_REMIT:
        assert TYPE_WORDS[order_type] in content and title


def test_each_order_is_one_call_its_title_content_type_category_and_reply_together(stats: Any) -> None:
    calls = {call.title: (topic, call) for topic in TOPICS for call in topic.calls}
    remit = {row[5]: row for row in OUT_OF_REMIT}
    orders = list(HotlineOrder.objects.all())
    assert len({order.title for order in orders}) > 10
    for order in orders:
        if order.title in remit:
            content, category, _reason, _basis, order_type, _title = remit[order.title]
            assert (order.content, order.upstream_category, order.order_type) == (content, category, order_type)
            continue
        topic, call = calls[order.title]
        assert order.order_type == call.order_type, order.upstream_number
        # The spot is the order's address; an estate's or the village's text names those instead
        # ("户籍在太平村小学门口", "小学门口小区电梯" read wrong).
        pattern = re.escape(call.content).replace(r"\{place\}", re.escape(order.address))
        estates = "|".join(ESTATES)
        pattern = pattern.replace(r"\{village\}", r"\w+村").replace(r"\{estate\}", rf"\w+村(?:{estates})")
        assert re.fullmatch(pattern, order.content), (order.upstream_number, order.content)
        assert order.upstream_category == (call.category or topic.category)
        if order.reply_text and not order.reopen_count:
            assert order.reply_text == call.reply, order.upstream_number
