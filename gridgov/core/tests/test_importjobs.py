"""The parts every file import shares: progress in the cache and when a run is taken for dead."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from gridgov.core import importjobs

PROGRESS = importjobs.JobProgress("test-import", running=("reading", "importing"), done="done", importing="importing")


def job(status: str, *, total: int = 10, processed: int = 4, started: dt.datetime | None = None) -> SimpleNamespace:
    return SimpleNamespace(pk=7, status=status, total_rows=total, processed_rows=processed, started_at=started)


def test_a_running_job_reads_its_progress_from_the_cache_and_a_finished_one_from_itself(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    PROGRESS.set(7, status="importing", processed=3, total=12)
    assert PROGRESS.get(job("importing")) == {"status": "importing", "processed": 3, "total": 12, "percent": 25}
    assert PROGRESS.get(job("done")) == {"status": "done", "processed": 10, "total": 10, "percent": 100}
    assert PROGRESS.get(job("refused", total=0, processed=0))["percent"] == 100  # nothing to do is done


def test_a_run_without_progress_for_ten_minutes_is_stale(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    now = timezone.now()
    started = now - dt.timedelta(minutes=30)
    PROGRESS.set(7, status="importing", processed=3, total=12)
    assert not PROGRESS.stale(job("importing", started=started), now=now)
    assert PROGRESS.stale(job("importing", started=started), now=now + importjobs.STALE_AFTER + dt.timedelta(seconds=1))
    assert not PROGRESS.stale(job("done", started=started), now=now + dt.timedelta(days=1))
