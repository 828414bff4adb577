"""The statistics page and its workbook: who may open them, what each role sees."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.core.models import AuditEvent
from gridgov.hotline.models import OrderStatus, Satisfaction

from .stats_world import World, local, make_order, make_world

pytestmark = pytest.mark.django_db

MARCH = "period=custom&start=2026-03-01&end=2026-03-31"


@pytest.fixture
def world() -> World:
    world = make_world()
    d = dt.date
    make_order(
        world,
        local(d(2026, 3, 2)),
        status=OrderStatus.CLOSED,
        lead_department=world.roads,
        acknowledged_at=local(d(2026, 3, 2), 11),
        ack_on_time=True,
        replied_at=local(d(2026, 3, 5)),
        reply_on_time=True,
        satisfaction=Satisfaction.SATISFIED,
        solved=True,
        callback_at=local(d(2026, 3, 6)),
    )
    make_order(
        world,
        local(d(2026, 3, 4)),
        status=OrderStatus.REPLIED,
        lead_department=world.water,
        acknowledged_at=local(d(2026, 3, 4), 11),
        ack_on_time=False,
        replied_at=local(d(2026, 3, 10)),
        reply_on_time=False,
    )
    make_order(world, local(d(2026, 3, 9)), status=OrderStatus.RECEIVED)
    return world


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["center", "leader", "supervisor", "admin"])
def test_the_overseers_see_every_department(world: World, name: str) -> None:
    response = client_for(world.users[name]).get(f"{reverse('hotline:stats')}?{MARCH}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-stat="received">3<' in html
    assert "Roads office" in html and "Water office" in html
    assert 'data-department="none"' in html
    assert 'id="stats-data"' in html and "echarts.min.js" in html
    assert response.context["result"].total.received == 3


def test_a_department_sees_only_its_own_row(world: World) -> None:
    response = client_for(world.users["roads_handler"]).get(f"{reverse('hotline:stats')}?{MARCH}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Roads office" in html
    assert "Water office" not in html
    assert 'data-department="none"' not in html
    assert response.context["result"].total.received == 1
    assert response.context["own_only"] is True


@pytest.mark.parametrize("name", ["worker", "upstream"])
def test_other_roles_may_not_open_the_page(world: World, name: str) -> None:
    client = client_for(world.users[name])
    assert client.get(reverse("hotline:stats")).status_code == 403
    assert client.get(reverse("hotline:stats-export")).status_code == 403


def test_strangers_are_sent_to_the_login(world: World) -> None:
    response = Client().get(reverse("hotline:stats"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_without_a_choice_the_page_shows_the_current_month(world: World) -> None:
    response = client_for(world.users["center"]).get(reverse("hotline:stats"))
    assert response.status_code == 200
    period = response.context["period"]
    assert period.kind == "month" and period.start.day == 1


def test_a_week_and_its_neighbours(world: World) -> None:
    response = client_for(world.users["center"]).get(reverse("hotline:stats"), {"period": "week", "day": "2026-03-04"})
    period = response.context["period"]
    assert (period.start, period.end) == (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert "day=2026-02-23" in response.context["previous_query"]
    assert "day=2026-03-09" in response.context["next_query"]
    assert response.context["result"].total.received == 2


def test_a_backwards_custom_period_says_so_and_shows_the_month(world: World) -> None:
    response = client_for(world.users["center"]).get(
        reverse("hotline:stats"), {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert response.context["period"].kind == "month"


def test_the_page_explains_how_the_rates_are_computed(world: World, settings: Any) -> None:
    settings.GRIDGOV_HOTLINE_RATES = {"satisfied": ["satisfied"]}
    response = client_for(world.users["center"]).get(f"{reverse('hotline:stats')}?{MARCH}", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'data-testid="how-computed"' in html
    # The rules are explained in words; the name of the setting is for administrators (docs).
    assert "GRIDGOV_HOTLINE_RATES" not in html
    definitions = dict(response.context["definitions"])
    assert len(definitions) >= 5


def test_the_statistics_workbook_carries_the_period_the_definitions_and_the_departments(world: World) -> None:
    user = world.users["center"]
    response = client_for(user).get(f"{reverse('hotline:stats-export')}?{MARCH}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="hotline-statistics-20260301-20260331.xlsx"' in response["Content-Disposition"]
    assert "filename*=UTF-8''%E7%83%AD%E7%BA%BF" in response["Content-Disposition"]  # 热线工单统计-…
    book = load_workbook(io.BytesIO(response.content))
    summary, departments, days = book.worksheets
    cells = [str(cell) for row in summary.iter_rows(values_only=True) for cell in row if cell is not None]
    assert "2026-03-01 – 2026-03-31" in cells
    assert "GRIDGOV" not in " ".join(cells)
    assert len([row for row in summary.iter_rows(values_only=True) if row and row[0]]) > 20
    names = [row[0] for row in departments.iter_rows(min_row=2, values_only=True)]
    assert "Roads office" in names and "Water office" in names and len(names) == 3
    assert days.max_row == 32  # header + 31 days
    event = AuditEvent.objects.get(action="hotline.export_statistics")
    assert event.actor_id == user.pk
    assert event.data["filters"] == {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}


def test_a_department_exports_only_its_own_row(world: World) -> None:
    response = client_for(world.users["water_handler"]).get(f"{reverse('hotline:stats-export')}?{MARCH}")
    departments = load_workbook(io.BytesIO(response.content)).worksheets[1]
    names = [row[0] for row in departments.iter_rows(min_row=2, values_only=True)]
    assert names == ["Water office"]


@pytest.mark.parametrize(
    "query",
    [
        {"period": "month", "day": "9999-12-01"},
        {"period": "month", "day": "0001-01-01"},
        {"period": "week", "day": "0001-01-01"},
        {"period": "week", "day": "9999-12-31"},
        {"period": "custom", "start": "0001-01-01", "end": "0001-01-31"},
    ],
)
def test_dates_beyond_the_calendar_fall_back_to_this_month(world: World, query: dict[str, str]) -> None:
    client = client_for(world.users["center"])
    response = client.get(reverse("hotline:stats"), query)
    assert response.status_code == 200
    assert response.context["period"].start.day == 1 and response.context["form"].errors
    assert "时段无法识别，本页显示本月。" in response.content.decode()
    assert client.get(reverse("hotline:stats-export"), query).status_code == 200
