"""Concurrent writers append to one chain: no fork, no lost link (PostgreSQL, real threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from gridgov.core.audit import record, verify_chain
from gridgov.core.models import AuditEvent

THREADS = 20


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent PostgreSQL transactions")
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_writers_make_one_unbroken_chain() -> None:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                record(action="test.concurrent", data={"n": n})
                record(action="test.concurrent", data={"n": n, "second": True})
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert AuditEvent.objects.count() == 2 * THREADS
    report = verify_chain()
    assert report.ok, report.broken
    assert report.rows == 2 * THREADS
