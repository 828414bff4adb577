"""Real concurrency: the same order pushed 20 times at once makes one order; a changed copy
racing with identical ones is recorded once as an update.

Real concurrency needs real transactions and row locks, so this runs on PostgreSQL only, with
committed demo data and one database connection per thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client

from gridgov.hotline.models import HotlineOrder, OrderEvent
from gridgov.people.services import token_issue

THREADS = 20
BODY = {
    "source_system": "district",
    "upstream_number": "BH-RACE-0001",
    "received_at": "2026-03-02T09:00:00+08:00",
    "order_type": "complaint",
    "content": "小区门口道路积水严重",
    "petitioner": {"name": "张三丰", "phone": "13812348888"},
}


def race(bodies: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """Push each body from its own thread, all released at the same moment."""
    user = get_user_model().objects.get(username="upstream01")
    _token, raw = token_issue(actor=user, user=user, name="upstream")
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def pusher(body: dict[str, Any]) -> Callable[[], None]:
        def push() -> None:
            try:
                client = Client(headers={"Authorization": f"Bearer {raw}"})
                barrier.wait(timeout=30)
                response = client.post("/api/v1/hotline/orders", data=json.dumps(body), content_type="application/json")
                with lock:
                    results.append((response.status_code, response.json()))
            finally:
                connections.close_all()

        return push

    threads = [threading.Thread(target=pusher(body)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_twenty_identical_concurrent_pushes_make_one_order(demo: None) -> None:
    results = race([BODY] * THREADS)
    statuses = sorted(status for status, _body in results)
    assert statuses == [200] * (THREADS - 1) + [201], results
    assert len({body["id"] for _status, body in results}) == 1
    assert HotlineOrder.objects.count() == 1
    order = HotlineOrder.objects.get()
    assert order.version == 1 and order.update_count == 0
    assert list(OrderEvent.objects.values_list("action", flat=True)) == ["receive"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_a_changed_copy_racing_identical_ones_is_one_update(demo: None) -> None:
    changed = {**BODY, "content": "积水已进入小区"}
    results = race([BODY] * 5 + [changed] * 5)
    assert sorted(status for status, _body in results).count(201) == 1
    assert HotlineOrder.objects.count() == 1
    order = HotlineOrder.objects.get()
    # However the pushes interleaved, each change of copy is one update and the last copy wins.
    updates = OrderEvent.objects.filter(order=order, action="upstream_update").count()
    assert updates == order.update_count >= 1
    assert order.content in (BODY["content"], changed["content"])
