"""The progress of a running import (or of the reading of its file), kept in the cache (cheap to
write after every row), and when a run is taken for dead."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..models import ImportJob, ImportStatus

PROGRESS_TTL: Final = 6 * 3600
# A run without progress for this long is taken for dead (its worker stopped): it may be reset.
STALE_AFTER: Final = dt.timedelta(minutes=10)


def progress_key(job_id: int) -> str:
    return f"gridgov:hotline-import:{job_id}"


def progress_set(job_id: int, *, status: str, processed: int, total: int) -> None:
    """Record the progress, with when it was made (``at``, ISO): a run whose progress stands
    still for :data:`STALE_AFTER` is taken for dead (:func:`job_stale`)."""
    value = {"status": status, "processed": processed, "total": total, "at": timezone.now().isoformat()}
    cache.set(progress_key(job_id), value, PROGRESS_TTL)


def progress_get(job: ImportJob) -> dict[str, Any]:
    """The job's progress: the cache while it runs, the job's own counts once finished."""
    running = job.status in (ImportStatus.IMPORTING, ImportStatus.READING)
    value = cache.get(progress_key(job.pk)) if running else None
    if value is not None:
        value = {key: value[key] for key in ("status", "processed", "total") if key in value}
    if not value:
        total = job.total_rows
        processed = job.processed_rows if job.status != ImportStatus.DONE else total
        value = {"status": job.status, "processed": processed, "total": total}
    total = int(value["total"]) or 0
    value["percent"] = 100 if not total else min(100, round(100 * int(value["processed"]) / total))
    return value


def last_progress_at(job: ImportJob) -> dt.datetime | None:
    """When a running job last moved: its progress in the cache, else its start."""
    value = cache.get(progress_key(job.pk)) or {}
    moment = parse_datetime(str(value.get("at") or "")) if isinstance(value, dict) else None
    if moment is None or (job.started_at is not None and moment < job.started_at):
        return job.started_at
    return moment


def job_stale(job: ImportJob, *, now: dt.datetime | None = None) -> bool:
    """Is the job stuck in ``importing`` (its worker died): no progress for :data:`STALE_AFTER`?"""
    if job.status != ImportStatus.IMPORTING:
        return False
    moment = last_progress_at(job)
    return moment is None or (now or timezone.now()) - moment > STALE_AFTER
