"""Real concurrency: a burst of public reports from one connection at the same moment passes
the per-client limit no more often than allowed (the counter is taken inside each report's
transaction, on a locked row). PostgreSQL only, with committed demo data and one database
connection per thread."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client

from gridgov.cases.models import Case, Source
from gridgov.cases.tests.loop_helpers import home_grid
from gridgov.categories.models import Category
from gridgov.notice.models import PublicLimit, PublicReport

THREADS = 12
ALLOWED = 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_public_reports_passes_the_limit_no_more_often_than_allowed(demo: None, settings: Any) -> None:
    settings.GRIDGOV_PUBLIC_REPORTS_PER_CLIENT_HOUR = ALLOWED
    settings.GRIDGOV_PUBLIC_REPORTS_PER_PHONE_DAY = 100
    grid = home_grid(get_user_model().objects.get(username="grid01"))
    category = Category.objects.filter(parent__isnull=False, is_active=True).order_by("code").first()
    assert category is not None
    before = Case.objects.filter(source=Source.PUBLIC).count()
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def submit(number: int) -> None:
        try:
            client = Client(REMOTE_ADDR="198.51.100.7")
            barrier.wait(timeout=30)
            answer = client.post(
                f"/api/v1/notice/public/{grid.code}/reports",
                {"category": category.code, "description": f"路灯坏了 {number}", "phone": "13800002222"},
            )
            with lock:
                statuses.append(answer.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(statuses) == [201] * ALLOWED + [429] * (THREADS - ALLOWED), statuses
    assert Case.objects.filter(source=Source.PUBLIC).count() - before == ALLOWED
    assert PublicReport.objects.count() == ALLOWED
    client_rows = PublicLimit.objects.filter(key__startswith="report:client:")
    assert [row.count for row in client_rows] == [ALLOWED]
