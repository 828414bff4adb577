"""Orders for the hotline page tests, received and moved through the core services."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

from django.utils import timezone

from gridgov.hotline import services
from gridgov.hotline.intake import OrderData
from gridgov.hotline.models import HotlineOrder

PHONE = "13812348888"
NAME = "张三丰"
ADDRESS = "太平镇幸福村3排5号"
# A mainland mobile number in full: what no page may show to a viewer without the right.
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

_numbers = itertools.count(1)


def receive(people: dict[str, Any], **overrides: Any) -> HotlineOrder:
    """A new order entered by the center (a complaint with a petitioner, by default)."""
    values: dict[str, Any] = {
        "source_system": "district",
        "upstream_number": f"BH-2026-{next(_numbers):05d}",
        "received_at": timezone.now() - dt.timedelta(minutes=5),
        "order_type": "complaint",
        "urgency_class": "general",
        "content": "小区门口道路积水严重，影响出行",
        "upstream_category": "市政设施",
        "address": "太平镇太平路12号",
        "petitioner_name": NAME,
        "petitioner_phone": PHONE,
        "petitioner_address": ADDRESS,
    }
    values.update(overrides)
    received = services.order_receive(actor=people["center01"], data=OrderData(**values), channel="manual")
    return received.order


def act(order: HotlineOrder, action: str, actor: Any, **kwargs: Any) -> HotlineOrder:
    return services.order_act(order_id=order.pk, action=action, actor=actor, **kwargs)


def instructed(
    people: dict[str, Any], departments: tuple[str, ...] = ("urban_mgmt",), **overrides: Any
) -> HotlineOrder:
    """An order acknowledged by the center and instructed by the leader to ``departments``."""
    order = receive(people, **overrides)
    act(order, "acknowledge", people["center01"])
    return act(order, "instruct", people["leader01"], instruction="请城管中队核实处理", departments=list(departments))


def drafted(people: dict[str, Any], **overrides: Any) -> HotlineOrder:
    order = instructed(people, **overrides)
    return act(order, "draft_reply", people["dept02"], text="已安排人员疏通排水管道，积水已清除。")
