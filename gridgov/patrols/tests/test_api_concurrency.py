"""Real concurrency: one patrol sent by several retries at once is stored once.

Needs real transactions and row locks, so this runs on PostgreSQL only, with committed demo
data and one database connection per thread (no module transaction in this module)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.patrols.models import Patrol
from gridgov.people.services import token_issue

from .conftest import new_id, walk

THREADS = 12


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_patrol_store_it_once(demo: None) -> None:
    user = get_user_model().objects.get(username="grid01")
    _token, raw = token_issue(actor=user, user=user, name="phone")
    start = timezone.now() - dt.timedelta(hours=1)
    body = json.dumps(
        {
            "started_at": start.isoformat(),
            "ended_at": (start + dt.timedelta(minutes=10)).isoformat(),
            "consent": True,
            "track": [{**p, "t": p["t"].isoformat()} for p in walk(user, start=start)],
        }
    )
    key = new_id()
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            client = Client(headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": key})
            barrier.wait(timeout=30)
            response = client.post("/api/v1/patrols", data=body, content_type="application/json")
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(status for status, _body in results) == [200] * (THREADS - 1) + [201], results
    assert len({body["id"] for _status, body in results}) == 1
    assert Patrol.objects.count() == 1
    assert AuditEvent.objects.filter(action="patrol.record").count() == 1
