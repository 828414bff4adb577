"""The Excel export of the order list: the workbench's filters, petitioners masked, a row
limit, an audit row."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.core.models import AuditEvent
from gridgov.hotline import export
from gridgov.hotline.models import HotlineOrder, OrderStatus

from .stats_world import World, local, make_order, make_world

pytestmark = pytest.mark.django_db

PHONES = ("13812348888", "13900001111", "18622223333")


@pytest.fixture
def world() -> World:
    world = make_world()
    make_order(world, local(dt.date(2026, 3, 2)), petitioner_name="张三丰", petitioner_phone=PHONES[0])
    make_order(
        world,
        local(dt.date(2026, 3, 3)),
        petitioner_name="李四",
        petitioner_phone=PHONES[1],
        status=OrderStatus.CLOSED,
        lead_department=world.roads,
    )
    make_order(
        world,
        local(dt.date(2026, 3, 4)),
        petitioner_name="王五",
        petitioner_phone=PHONES[2],
        anonymous=True,
    )
    return world


def rows_of(content: bytes) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


def fetch(user: Any, query: str = "") -> Any:
    client = Client()
    client.force_login(user)
    return client.get(f"{reverse('hotline:export')}{query}")


def test_the_petitioner_is_masked_in_the_export(world: World) -> None:
    response = fetch(world.users["center"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = rows_of(response.content)
    assert len(rows) == 4
    text = repr(rows)
    for phone in PHONES:
        assert phone not in text
    assert "138****8888" in text and "139****1111" in text
    assert "张**" in text and "张三丰" not in text
    assert "王五" not in text and "186****3333" not in text  # anonymous: nothing at all


def test_the_export_follows_the_workbench_filters(world: World) -> None:
    rows = rows_of(fetch(world.users["center"], "?status=closed").content)
    assert len(rows) == 2
    assert "139****1111" in repr(rows[1])


def test_the_export_is_recorded(world: World) -> None:
    user = world.users["leader"]
    fetch(user, "?status=closed")
    event = AuditEvent.objects.get(action="hotline.export_orders")
    assert event.actor_id == user.pk
    assert event.data == {"rows": 1, "filters": {"status": "closed"}}


def test_a_long_list_is_cut_and_says_so(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(export, "EXPORT_LIMIT", 2)
    rows = rows_of(fetch(world.users["center"]).content)
    assert len(rows) == 4  # header, two orders, the note
    assert "2" in str(rows[-1][0])
    assert AuditEvent.objects.get(action="hotline.export_orders").data["rows"] == 2


def test_the_export_never_loads_the_encrypted_fields(world: World) -> None:
    user = world.users["center"]
    query = HotlineOrder.objects.all()
    content = export.export_orders_workbook(query, actor=user, filters={})
    assert "petitioner_phone" not in export.ORDER_COLUMNS
    assert "petitioner_name" not in export.ORDER_COLUMNS
    assert "petitioner_address" not in export.ORDER_COLUMNS
    assert len(rows_of(content)) == 4


@pytest.mark.parametrize("name", ["roads_handler", "worker", "upstream"])
def test_only_the_workbench_roles_export_the_list(world: World, name: str) -> None:
    assert fetch(world.users[name]).status_code == 403
    assert not AuditEvent.objects.filter(action="hotline.export_orders").exists()


def test_the_supervisor_exports_every_order(world: World) -> None:
    assert len(rows_of(fetch(world.users["supervisor"]).content)) == 4
