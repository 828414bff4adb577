"""One definition of overdue, used by the workbench's queues and lights, the order page, the
statistics and the exports; every rate shown with its numerator and denominator, which agree
with the figures beside it; definitions in Chinese on the page."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.hotline import selectors, stats
from gridgov.hotline.deadlines import is_overdue, light, overdue_q
from gridgov.hotline.models import HotlineOrder, OrderStatus, OrderStep
from gridgov.workcalendar.units import Light

from .stats_world import World, make_order, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def client_for(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def _this_week(now: dt.datetime) -> str:
    today = timezone.localdate(now)
    return f"period=custom&start={(today - dt.timedelta(days=40)).isoformat()}&end={today.isoformat()}"


def test_an_open_order_past_its_reply_deadline_is_overdue_on_every_page(world: World) -> None:
    """The statistics used to count orders overdue by their reply deadline while the workbench
    and their pages, looking only at the current step, showed them green."""
    now = timezone.now()
    arrived = now - dt.timedelta(days=20)
    waiting = make_order(
        world,
        arrived,
        status=OrderStatus.RECEIVED,
        step=OrderStep.ACKNOWLEDGE,
        step_started_at=now - dt.timedelta(hours=1),
        step_warn_at=now + dt.timedelta(hours=6),
        step_deadline=now + dt.timedelta(hours=8),
        reply_deadline=now - dt.timedelta(days=1),
    )
    green = make_order(
        world,
        arrived,
        status=OrderStatus.INSTRUCTED,
        step=OrderStep.DRAFT,
        step_warn_at=now + dt.timedelta(days=3),
        step_deadline=now + dt.timedelta(days=4),
        reply_deadline=now + dt.timedelta(days=4),
        lead_department=world.roads,
    )
    late_reply = make_order(
        world, arrived, status=OrderStatus.REPLIED, replied_at=now - dt.timedelta(days=2), reply_on_time=False
    )
    assert is_overdue(waiting, now) and light(waiting, now) == Light.RED
    assert not is_overdue(green, now) and light(green, now) == Light.GREEN
    assert not is_overdue(late_reply, now)  # replied (late): no longer overdue, counted as replied late
    assert list(HotlineOrder.objects.filter(overdue_q(now))) == [waiting]

    center = world.users["center"]
    counts = selectors.queue_counts(center, [selectors.Queue.OVERDUE, selectors.Queue.WARNING], now)
    assert counts == {"overdue": 1, "warning": 0}
    period = stats.custom_period(timezone.localdate(now) - dt.timedelta(days=40), timezone.localdate(now))
    total = stats.order_statistics(selectors.orders_visible(center), period, now=now).total
    assert (total.overdue, total.replied_late) == (1, 1)

    client = client_for(center)
    workbench = client.get(reverse("hotline:workbench") + "?queue=overdue").content.decode()
    assert f'data-order="{waiting.upstream_number}"' in workbench
    assert f'data-order="{green.upstream_number}"' not in workbench
    all_rows = client.get(reverse("hotline:workbench")).content.decode()
    row = re.search(rf'data-order="{waiting.upstream_number}".*?</tr>', all_rows, re.S)
    assert row and "light-red" in row.group(0)
    page = client.get(reverse("hotline:detail", args=[waiting.pk])).content.decode()
    assert 'class="light light-red"' in page
    statistics = client.get(f"{reverse('hotline:stats')}?{_this_week(now)}").content.decode()
    assert 'data-stat="overdue"><a href="/hotline/?queue=overdue">1</a>' in statistics
    export = client.get(reverse("hotline:export"))
    cells = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    column = cells[0].index("超期")
    flags = {row[0]: row[column] for row in cells[1:]}
    assert flags == {waiting.upstream_number: "是", green.upstream_number: "否", late_reply.upstream_number: None}


def test_replied_counts_only_standing_replies_so_the_rate_agrees_with_the_figures(world: World) -> None:
    """A page showed 已答复 15, 按时答复 12 and 92.3 %: the 15 counted two reopened orders whose
    first reply no longer stands, the rate divided by 13."""
    now = timezone.now()
    arrived = now - dt.timedelta(days=10)
    for _n in range(12):
        make_order(world, arrived, status=OrderStatus.REPLIED, replied_at=arrived, reply_on_time=True)
    make_order(world, arrived, status=OrderStatus.REPLIED, replied_at=arrived, reply_on_time=False)
    for _n in range(2):  # reopened after a dissatisfied call-back: being answered again
        make_order(
            world,
            arrived,
            status=OrderStatus.INSTRUCTED,
            replied_at=arrived,
            reply_on_time=None,
            reopen_count=1,
            reply_deadline=now + dt.timedelta(days=5),
            step_deadline=now + dt.timedelta(days=5),
        )
    center = world.users["center"]
    period = stats.custom_period(timezone.localdate(now) - dt.timedelta(days=40), timezone.localdate(now))
    total = stats.order_statistics(selectors.orders_visible(center), period, now=now).total
    assert (total.replied, total.reply_on_time, total.replied_late, total.reply_due) == (13, 12, 1, 13)
    assert total.reply_on_time_rate == 92.3
    html = client_for(center).get(f"{reverse('hotline:stats')}?{_this_week(now)}").content.decode()
    assert 'data-stat="replied">13<' in html
    assert 'data-part="reply_on_time">12<' in html and 'data-whole="reply_on_time">13<' in html
    assert 'data-rate="reply_on_time">92.3%<' in html


def test_orders_never_acknowledged_count_against_the_acknowledge_rate(world: World) -> None:
    now = timezone.now()
    arrived = now - dt.timedelta(days=3)
    for on_time in (True, True, True, False):
        make_order(world, arrived, status=OrderStatus.ACKNOWLEDGED, acknowledged_at=arrived, ack_on_time=on_time)
    # Past its acknowledge limit, never acknowledged: counts as not on time.
    make_order(world, arrived, status=OrderStatus.RECEIVED, step_deadline=now - dt.timedelta(days=2))
    # Closed by upstream without ever being acknowledged: likewise.
    make_order(world, arrived, status=OrderStatus.CLOSED)
    # Still within its limit: not due yet, counted neither way.
    fresh = now - dt.timedelta(minutes=5)
    make_order(world, fresh, status=OrderStatus.RECEIVED, step_deadline=now + dt.timedelta(hours=5))
    # Returned upstream without acknowledgement: not the town's to acknowledge.
    make_order(world, arrived, status=OrderStatus.RETURNED_UPSTREAM)
    center = world.users["center"]
    period = stats.custom_period(timezone.localdate(now) - dt.timedelta(days=40), timezone.localdate(now))
    total = stats.order_statistics(selectors.orders_visible(center), period, now=now).total
    assert (total.received, total.acknowledged, total.ack_on_time, total.ack_due) == (8, 4, 3, 6)
    assert total.ack_on_time_rate == 50.0
    assert (total.responded, total.response_base) == (3, 6)


def test_the_page_defines_every_figure_in_chinese_without_setting_names(world: World) -> None:
    now = timezone.now()
    late = now - dt.timedelta(hours=1)
    make_order(world, now - dt.timedelta(days=1), status=OrderStatus.RECEIVED, step_deadline=late)
    html = client_for(world.users["center"]).get(f"{reverse('hotline:stats')}?{_this_week(now)}").content.decode()
    assert "GRIDGOV" not in html
    definitions = re.search(r'data-testid="how-computed".*?</section>', html, re.S)
    assert definitions
    text = re.sub(r"<[^>]+>", " ", definitions.group(0))
    assert "超期" in text and "签收及时率" in text and "答复及时率" in text and "响应率" in text
    assert "工作台的红灯" in text
    # The interface of the figures is Chinese: no English word in the tiles, rates and definitions.
    for testid in ("kpi-tiles", "rate-tiles", "how-computed"):
        block = re.search(rf'<[^>]*data-testid="{testid}".*?</(?:dl|table|section)>', html, re.S)
        assert block, testid
        words = re.findall(r"[A-Za-z]{3,}", re.sub(r"<[^>]+>", " ", block.group(0)))
        assert words == [], (testid, words)
