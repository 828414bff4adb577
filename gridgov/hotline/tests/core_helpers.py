"""Shared builders of the hotline core tests: orders put into each status through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.hotline import services
from gridgov.hotline.intake import OrderData
from gridgov.hotline.models import HotlineOrder

# The demo accounts the core tests act as.
USERS = ["center01", "leader01", "super01", "gridlead01", "grid01", "grid02", "dept01", "dept02", "admin", "upstream01"]
PHONE = "13812348888"
NAME = "张三丰"
ADDRESS = "太平镇幸福村3排5号"
LEAD = "urban_mgmt"  # dept02
COOPERATING = "traffic_police"  # dept01

_numbers = itertools.count(1)


def order_data(**overrides: Any) -> OrderData:
    values: dict[str, Any] = {
        "source_system": "district",
        "upstream_number": f"CORE-2026-{next(_numbers):06d}",
        "received_at": timezone.now() - dt.timedelta(minutes=3),
        "order_type": "complaint",
        "urgency_class": "general",
        "content": "小区门口道路积水严重，影响出行",
        "title": "道路积水",
        "upstream_category": "市政设施",
        "address": "太平镇太平路12号",
        "petitioner_name": NAME,
        "petitioner_phone": PHONE,
        "petitioner_address": ADDRESS,
    }
    values.update(overrides)
    return OrderData(**values)


def push(people: dict[str, Any], *, at: dt.datetime | None = None, **overrides: Any) -> HotlineOrder:
    """A new order pushed by the upstream system account."""
    received = services.order_receive(actor=people["upstream01"], data=order_data(**overrides), channel="api", at=at)
    assert received.outcome == "created"
    return received.order


def act(people: dict[str, Any], order: HotlineOrder, action: str, by: str, **extra: Any) -> HotlineOrder:
    return services.order_act(order_id=order.pk, action=action, actor=people[by], **extra)


def event(people: dict[str, Any], order: HotlineOrder, event_type: str, **data: Any) -> HotlineOrder:
    event_id = data.pop("event_id", "")
    return services.order_event(
        order_id=order.pk, actor=people["upstream01"], event_type=event_type, data=data, event_id=event_id
    )


def home_grid(user: Any) -> Area:
    area_id = next(area for role, area, _d in scope_for(user).assignments if area and role == "grid_worker")
    return Area.objects.get(pk=area_id)


INSTRUCT = {"instruction": "请城管中队核实处理", "departments": [LEAD, COOPERATING]}
DRAFT = {"text": "已安排人员疏通排水管道，积水已清除。"}


def open_case(people: dict[str, Any]) -> Any:
    """A new reported case in grid01's grid (open: the reply waits for it)."""
    from gridgov.cases import services as case_services

    grid = home_grid(people["grid01"])
    case, _created = case_services.case_create(
        actor=people["grid01"],
        category="civility.littering",
        description="路面积水",
        lat=grid.center_lat,
        lng=grid.center_lng,
    )
    return case


# Each variant: the order type and the steps that build it from a fresh push.
VARIANTS: dict[str, tuple[str, list[tuple[str, str, dict[str, Any]]]]] = {
    "received": ("complaint", []),
    "acknowledged": ("complaint", [("acknowledge", "center01", {})]),
    "acknowledged_enquiry": ("enquiry", [("acknowledge", "center01", {})]),
    "instructed": ("complaint", [("acknowledge", "center01", {}), ("instruct", "leader01", INSTRUCT)]),
    "instructed_case_open": (
        "complaint",
        [("acknowledge", "center01", {}), ("instruct", "leader01", INSTRUCT), ("link_case", "center01", {})],
    ),
    "instructed_extension": (
        "complaint",
        [("acknowledge", "center01", {}), ("instruct", "leader01", INSTRUCT), ("request_extension", "dept02", {})],
    ),
    "drafted": (
        "complaint",
        [("acknowledge", "center01", {}), ("instruct", "leader01", INSTRUCT), ("draft_reply", "dept02", DRAFT)],
    ),
    "replied": (
        "complaint",
        [
            ("acknowledge", "center01", {}),
            ("instruct", "leader01", INSTRUCT),
            ("draft_reply", "dept02", DRAFT),
            ("approve_reply", "center01", {}),
        ],
    ),
    "closed": (
        "complaint",
        [
            ("acknowledge", "center01", {}),
            ("instruct", "leader01", INSTRUCT),
            ("draft_reply", "dept02", DRAFT),
            ("approve_reply", "center01", {}),
            ("@close", "upstream01", {}),
        ],
    ),
    "returned_upstream": (
        "complaint",
        [("return_upstream", "center01", {"reason": "不属于本镇职责", "basis": "《天津市政务服务便民热线管理办法》"})],
    ),
}


def extension_until(order: HotlineOrder) -> dt.datetime:
    assert order.reply_deadline is not None
    return order.reply_deadline + dt.timedelta(days=7)


def build(people: dict[str, Any], variant: str) -> HotlineOrder:
    order_type, steps = VARIANTS[variant]
    order = push(people, order_type=order_type)
    for action, by, extra in steps:
        if action.startswith("@"):
            order = event(people, order, action[1:], **extra)
            continue
        extra = dict(extra)
        if action == "link_case":
            extra["case_id"] = open_case(people).pk
        if action == "request_extension":
            extra.update({"reason": "需协调多个部门", "until": extension_until(order)})
        order = act(people, order, action, by, **extra)
    return HotlineOrder.objects.get(pk=order.pk)
