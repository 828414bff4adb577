"""The lockout cannot be raced: 20 wrong passwords sent at once check no more than the limit.

Real concurrency needs real transactions and row locks, so this runs on PostgreSQL only,
with one database connection per thread (as gridgov/cases/tests/test_api_concurrency.py).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client

from gridgov.core.models import AuditEvent
from gridgov.people import services
from gridgov.people.tests.factories import TEST_PASSWORD

THREADS = 20


def race(body: dict[str, str], address: str = "127.0.0.1") -> list[int]:
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def post() -> None:
        try:
            client = Client(REMOTE_ADDR=address)
            barrier.wait(timeout=30)
            response = client.post("/api/v1/auth/token", body, content_type="application/json")
            with lock:
                statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_wrong_passwords_check_no_more_than_the_limit(settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 5
    cache.clear()
    services.user_create(actor=None, username="alice", password=TEST_PASSWORD, full_name="Alice")

    statuses = race({"username": "alice", "password": "wrong-password"})

    assert len(statuses) == THREADS
    checked = AuditEvent.objects.filter(action="auth.login_failed", data__username="alice").count()
    assert checked <= 5, statuses
    assert statuses.count(401) == checked
    assert statuses.count(429) == THREADS - checked
    # And the lock holds for the right password afterwards.
    response = Client().post(
        "/api/v1/auth/token", {"username": "alice", "password": TEST_PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 429


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_sprays_from_one_address_check_no_more_than_the_client_limit(settings: Any) -> None:
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 8
    cache.clear()
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def post(number: int) -> None:
        try:
            client = Client(REMOTE_ADDR="203.0.113.9")
            barrier.wait(timeout=30)
            response = client.post(
                "/api/v1/auth/token",
                {"username": f"user{number}", "password": "wrong-password"},
                content_type="application/json",
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses.count(401) <= 8, statuses
    assert statuses.count(401) + statuses.count(429) == THREADS
