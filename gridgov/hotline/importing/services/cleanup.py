"""Runs whose worker died and files nobody needs any more: a stalled run is reset to the
preview by a center operator of its town; the stored exports of jobs never imported (or failed
long ago) are deleted by a daily task, the jobs and their reports staying."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Final

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gridgov.core import uploads
from gridgov.core.audit import record

from ...models import ImportJob, ImportStatus
from ..progress import last_progress_at, progress_key
from ..transitions import ImportAction
from .flow import IMPORTS, JobStep

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

logger = logging.getLogger("gridgov.hotline.importing.services")

# Stored files of jobs never imported are deleted after this long; of failed jobs after the second.
KEEP_UNIMPORTED: Final = dt.timedelta(days=7)
KEEP_FAILED: Final = dt.timedelta(days=30)


@IMPORTS.effect(ImportAction.RESET)
def _reset(step: JobStep) -> None:
    job = step.subject
    stalled_since = last_progress_at(job)
    progress = cache.get(progress_key(job.pk)) or {}
    step.set(processed_rows=0, finished_at=None, error="")
    step.data.update(
        {
            "stalled_since": stalled_since.isoformat() if stalled_since else None,
            "processed": int(progress.get("processed", 0)) if isinstance(progress, dict) else 0,
            "total": job.total_rows,
        }
    )
    key = progress_key(job.pk)
    transaction.on_commit(lambda: cache.delete_many([key, f"{key}:running"]))


def import_reset(*, actor: User | AnonymousUser, job_id: int) -> ImportJob:
    """Put a job stuck in ``importing`` back to ``previewed``, so that it can be started again.

    Only a run without progress for ``STALE_AFTER`` (409 otherwise): a live run is never
    taken from its worker. Should the old worker still finish, its transaction sees the reset and
    rolls back (see ``run._run``). Audit ``hotline.import_reset``."""
    return IMPORTS.act(job_id, ImportAction.RESET, actor=actor)


@transaction.atomic
def purge_files(*, now: dt.datetime | None = None) -> int:
    """Delete the stored files (they hold petitioners in clear) of the jobs never imported (or
    whose reading never finished) after
    :data:`KEEP_UNIMPORTED` and of the failed ones after :data:`KEEP_FAILED`; the jobs and their
    reports stay. The files go after the commit. Returns how many. Audit
    ``hotline.import_files_purged`` (the job ids, no names)."""
    now = now or timezone.now()
    unimported = Q(
        status__in=[ImportStatus.READING, ImportStatus.UPLOADED, ImportStatus.PREVIEWED],
        created_at__lt=now - KEEP_UNIMPORTED,
    )
    failed = Q(status=ImportStatus.FAILED) & (
        Q(finished_at__lt=now - KEEP_FAILED) | Q(finished_at__isnull=True, created_at__lt=now - KEEP_FAILED)
    )
    jobs = list(
        ImportJob.objects.select_for_update()
        .exclude(file="")
        .filter(unimported | failed)
        .order_by("id")
        .only("id", "file", "status")
    )
    if not jobs:
        return 0
    names = [job.file.name for job in jobs]
    storage = jobs[0].file.storage
    ImportJob.objects.filter(pk__in=[job.pk for job in jobs]).update(file="")
    record(
        action="hotline.import_files_purged",
        actor=None,
        data={"jobs": [job.pk for job in jobs], "count": len(jobs)},
    )

    def delete_files() -> None:
        for name in names:
            uploads.delete_stored(storage, name)

    transaction.on_commit(delete_files)
    return len(jobs)
