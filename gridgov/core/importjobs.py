"""What every file import shares (the hotline's upstream exports, the historical ledger): the
upload checked and stored as a job that the worker reads (:func:`store_upload`), the job's
progress kept in the cache (:class:`JobProgress`), the reading of the file into a rows file
outside any transaction (:func:`read_into_rows_file`), and the worker's own steps on the job's
workflow, which leave alone a job another process moved on (:func:`worker_act`).

Each import keeps what is its own: who may import, its fields and checks, its workflow table
and its effects. Nothing here knows a model; the jobs only need a ``file`` field, a ``pk`` and
the counts the progress falls back on once a run is over.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import IO, Any, Final, Protocol, TypeVar

from django.core.cache import cache
from django.core.files.base import ContentFile, File
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gridgov.core import tables, uploads
from gridgov.core.errors import Conflict

logger = logging.getLogger(__name__)

# How long the cache keeps a run's progress.
PROGRESS_TTL: Final = 6 * 3600
# A run without progress for this long is taken for dead (its worker stopped): it may be reset.
STALE_AFTER: Final = dt.timedelta(minutes=10)


class ImportJobLike(Protocol):
    pk: Any
    status: str
    total_rows: int
    processed_rows: int
    started_at: dt.datetime | None
    original_name: str
    file: Any


Job = TypeVar("Job", bound=models.Model)
Result = TypeVar("Result")


@dataclass(frozen=True)
class JobProgress:
    """The progress of one kind of import job: written to the cache after every row (cheap), read
    from it while the job is ``running``, from the job's own counts once it is over."""

    name: str  # the cache key's part, e.g. "ledger-import"
    running: Collection[str]  # the statuses in which a worker is at it
    done: str  # the status in which every row counts as processed
    importing: str  # the status whose standstill means a dead run

    def key(self, job_id: int) -> str:
        return f"gridgov:{self.name}:{job_id}"

    def set(self, job_id: int, *, status: str, processed: int, total: int) -> None:
        """Record the progress with when it was made (``at``): see :meth:`stale`."""
        value = {"status": status, "processed": processed, "total": total, "at": timezone.now().isoformat()}
        cache.set(self.key(job_id), value, PROGRESS_TTL)

    def get(self, job: ImportJobLike) -> dict[str, Any]:
        """``status``, ``processed``, ``total`` and ``percent`` of the job."""
        value = cache.get(self.key(job.pk)) if job.status in self.running else None
        if value:
            value = {key: value[key] for key in ("status", "processed", "total") if key in value}
        if not value:
            total = job.total_rows
            processed = total if job.status == self.done else job.processed_rows
            value = {"status": job.status, "processed": processed, "total": total}
        total = int(value["total"]) or 0
        value["percent"] = 100 if not total else min(100, round(100 * int(value["processed"]) / total))
        return value

    def last_at(self, job: ImportJobLike) -> dt.datetime | None:
        """When a running job last moved: its progress in the cache, else its start."""
        value = cache.get(self.key(job.pk)) or {}
        moment = parse_datetime(str(value.get("at") or "")) if isinstance(value, dict) else None
        if moment is None or (job.started_at is not None and moment < job.started_at):
            return job.started_at
        return moment

    def stale(self, job: ImportJobLike, *, now: dt.datetime | None = None) -> bool:
        """Is the job stuck in its importing status (its worker died): no progress for
        :data:`STALE_AFTER`?"""
        if job.status != self.importing:
            return False
        moment = self.last_at(job)
        return moment is None or (now or timezone.now()) - moment > STALE_AFTER


def checked_upload(
    *,
    name: str,
    content: bytes | None,
    file: IO[bytes] | None,
    size: int | None,
    limits: uploads.UploadLimits,
    refused: Callable[[str], Exception],
) -> IO[bytes]:
    """The upload (``content``, or an open ``file`` of ``size`` bytes) once what needs no reading
    is checked: the kind of file, its size, a workbook's archive. The request never parses a
    table; ``refused(message)`` is raised for a file that cannot be imported."""
    if content is not None:
        file, size = ContentFile(content), len(content)
    if file is None:
        raise refused(_("The file is empty."))
    size = size if size is not None else int(getattr(file, "size", 0) or 0)
    try:
        if uploads.check_upload(name, size, limits) == "xlsx":
            uploads.check_workbook(file, limits)
    except uploads.UploadRefused as error:
        raise refused(error.message) from error
    file.seek(0)
    return file


def base_name(name: str, default: str) -> str:
    """The uploaded file's own name, as the job shows it."""
    return os.path.basename(name)[:200] or default


def store_upload(job: Job, file: IO[bytes], *, stem: str, progress: JobProgress, read: Callable[[int], Any]) -> Job:
    """Save the new ``job`` with its file and hand it to the worker: ``read(job_pk)`` (a task's
    ``delay``) runs once the job is committed."""
    extension = os.path.splitext(getattr(job, "original_name", ""))[1].lower() or ".bin"
    job.file.save(f"{stem}{extension}", File(file), save=False)  # type: ignore[attr-defined]
    with transaction.atomic():
        job.save()
        progress.set(job.pk, status=job.status, processed=0, total=0)  # type: ignore[attr-defined]
        job_pk = job.pk
        transaction.on_commit(lambda: read(job_pk))
    return job


def read_into_rows_file(
    job: Any,
    read: Callable[[IO[bytes], str, IO[bytes]], Result],
    *,
    refuse: Callable[[str], Job],
    done: Callable[[Result, str], Job],
) -> Job:
    """Read the job's upload with ``read(handle, name, out)`` into a rows file, streaming and
    outside any transaction; then ``done(result, rows_file)`` records it (the stored rows file is
    deleted if that fails) or ``refuse(reason)`` says why the file cannot be imported."""
    with tempfile.TemporaryFile() as out:
        try:
            with job.file.open("rb") as handle:
                result = read(handle, job.original_name, out)
        except (uploads.UploadRefused, tables.ImportFileError) as refused:
            return refuse(str(refused))
        except OSError:
            logger.warning("import %s: the upload could not be read", job.pk, exc_info=True)
            return refuse(_("The uploaded file could not be read; upload it again."))
        out.seek(0)
        name = job.file.field.generate_filename(job, f"rows-{job.pk}.jsonl")
        stored = job.file.storage.save(name, File(out))
    try:
        return done(result, stored)
    except BaseException:
        uploads.delete_stored(job.file.storage, stored)
        raise


def worker_act(
    workflow: Any, model: type[Job], job: Any, action: str, inputs: dict[str, Any], progress: JobProgress
) -> Job:
    """A step the worker takes on the job (no actor): a job another process moved on meanwhile
    (a conflict) is returned as it now is."""
    try:
        done = workflow.act(job.pk, action, actor=None, inputs=inputs)
    except Conflict:
        return model._default_manager.get(pk=job.pk)
    progress.set(job.pk, status=done.status, processed=done.total_rows, total=done.total_rows)
    return done  # type: ignore[no-any-return]
