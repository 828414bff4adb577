"""Reveals sent at once never pass the hourly limit (issue 13, item 15; found by the attack
re-run in docs/security.md).

Real concurrency needs real transactions and row locks, so this runs on PostgreSQL only, with
committed demo data and one database connection per thread (as the other concurrency tests).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.core.models import AuditEvent
from gridgov.people.services import token_issue

THREADS = 20


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_parallel_reveals_near_the_limit_never_pass_it(demo: None, settings: Any) -> None:
    """The attack re-run (docs/security.md): 20 reveals sent at once by a user 5 short of the
    limit each counted the reveals before any of them was written; 16 got through."""
    settings.GRIDGOV_REVEALS_PER_HOUR = 10
    users = get_user_model().objects
    leader, worker = users.get(username="leader01"), users.get(username="grid01")
    _token, raw = token_issue(actor=leader, user=leader, name="attack")
    _token, worker_raw = token_issue(actor=worker, user=worker, name="phone")
    grid = Area.objects.get(pk=next(a for _r, a, _d in scope_for(worker).assignments if a))
    created = Client(headers={"Authorization": f"Bearer {worker_raw}"}).post(
        "/api/v1/cases",
        {
            "category": "parking.long_term",
            "description": "reveal race",
            "lat": grid.center_lat,
            "lng": grid.center_lng,
            "party": {"kind": "resident", "name": "王小明", "phone": "13812345678"},
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    path = f"/api/v1/cases/{created.json()['id']}/reveal"
    for _ in range(5):
        assert Client(headers={"Authorization": f"Bearer {raw}"}).post(path).status_code == 200
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def reveal() -> None:
        try:
            client = Client(headers={"Authorization": f"Bearer {raw}"})
            barrier.wait(timeout=30)
            status = client.post(path).status_code
            with lock:
                statuses.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reveal) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(statuses) == THREADS
    assert statuses.count(200) == 5, statuses
    assert statuses.count(429) == THREADS - 5, statuses
    assert AuditEvent.objects.filter(action="case.reveal_party", actor=leader).count() == 10
