"""The statistics' rollups on PostgreSQL with two transactions at once (committing: a module
of its own, without the module's ``taiping`` transaction of ``test_rollups``)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

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
