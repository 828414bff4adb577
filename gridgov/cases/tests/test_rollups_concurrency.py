"""The statistics' rollups on PostgreSQL with two transactions at once (committing: a module
of its own, without the module's ``taiping`` transaction of ``test_rollups``)."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import Counter
from typing import Any

import pytest
from django.db import close_old_connections, connection, transaction

from gridgov.cases import rollups
from gridgov.cases.models import CaseRollupCoarse, Source


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once")
@pytest.mark.django_db(transaction=True)
def test_two_transactions_filing_the_first_case_of_a_key_at_once_are_both_kept() -> None:
    key = (dt.date(2030, 1, 1), dt.date(2030, 1, 1), None, "/", None, None, Source.HOTLINE)
    both = threading.Barrier(2)
    failed: list[BaseException] = []

    def file(amount: int) -> None:
        try:
            with transaction.atomic():
                rollups.apply({key: Counter(reported=amount)})
                both.wait(timeout=10)  # each has made its rows, neither has committed
        except BaseException as error:  # reported by the main thread
            failed.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=file, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    with transaction.atomic():  # a rollback leaves no change
        rollups.apply({key: Counter(reported=5, voided=1)})
        transaction.set_rollback(True)
    assert rollups.stored()[key] == Counter(reported=3)
    assert CaseRollupCoarse.objects.filter(level="town").count() == 2  # one row each, summed
    kept = rollups.stored(model=CaseRollupCoarse)
    assert kept == {rollups.project(key, level): Counter(reported=3) for level in rollups.LEVELS}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's row locks")
@pytest.mark.django_db
def test_an_update_locks_its_rows_in_the_order_of_their_ids() -> None:
    """Two transactions adding to the same rows (two reports of a town, a report and a desk
    action) lock them in one order, whatever the plan: no deadlock between them."""
    keys = [(dt.date(2030, 1, day), dt.date(2030, 1, day), None, "/", None, None, Source.HOTLINE) for day in (3, 1, 2)]
    rollups.apply({key: Counter(reported=1) for key in keys})  # the rows exist
    upsert = rollups.planned({key: Counter(reported=1) for key in keys})[1]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (COSTS OFF) " + upsert.sql, upsert.params)
        plan = [row[0].strip().removeprefix("->").strip() for row in cursor.fetchall()]
    lock = next(n for n, line in enumerate(plan) if line.startswith("LockRows"))
    assert plan[lock + 1] == "Sort" and re.fullmatch(r"Sort Key: cases_caserollupcoarse(_\d+)?\.id", plan[lock + 2]), (
        plan
    )
    upsert.run()
    assert set(CaseRollupCoarse.objects.filter(month__year=2030).values_list("reported", flat=True)) == {2}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once")
@pytest.mark.django_db(transaction=True)
def test_a_repair_keeps_the_cases_saved_while_it_counts(demo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A case reported between the repair's recount and its rewrite of the rows: the rewrite
    fails to serialise and is tried again with the case counted; nothing is lost."""
    from django.contrib.auth import get_user_model

    from gridgov.areas.models import Area
    from gridgov.cases import services
    from gridgov.cases.models import Case, CaseRollup

    center = get_user_model().objects.get(username="center01")
    grid = Area.objects.current().filter(level="grid").order_by("code").values_list("code", flat=True).first()

    def report(text: str) -> None:
        services.case_create(actor=center, category="parking.long_term", description=text, grid=grid)

    report("修复前")
    row = CaseRollup.objects.filter(reported__gt=0).order_by("-id").first()
    assert row is not None
    CaseRollup.objects.filter(pk=row.pk).update(reported=row.reported + 5)  # tampered: to repair

    def report_and_close() -> None:
        try:
            report("修复中")
        finally:
            close_old_connections()

    real_recount = rollups.recount
    recounts: list[int] = []

    def recount_then_a_report(prefix: str = "") -> Any:
        counted = real_recount(prefix)
        recounts.append(1)
        if len(recounts) == 1:  # another process reports meanwhile and commits
            thread = threading.Thread(target=report_and_close)
            thread.start()
            thread.join(timeout=60)
        return counted

    monkeypatch.setattr(rollups, "recount", recount_then_a_report)
    outcome = rollups.check(repair=True)
    monkeypatch.undo()
    assert outcome.repaired and len(recounts) == 2
    assert Case.objects.filter(description="修复中").exists()
    assert rollups.check().differences == {}
