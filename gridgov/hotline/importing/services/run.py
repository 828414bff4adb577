"""The import itself: :func:`import_start` queues the run, :func:`import_run` (the Celery task)
writes every valid row through :func:`gridgov.hotline.services.order_receive` in ONE
transaction, and the job ends ``done`` or, rolled back as a whole, ``failed`` with the reason."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.core.errors import Conflict
from gridgov.hotline import services as order_services

from ...models import ImportJob, ImportStatus
from .. import parse
from ..progress import PROGRESS_TTL, progress_key, progress_set
from ..transitions import ImportAction
from .flow import IMPORTS, JobStep, file_gone_message
from .preview import CREATED, SKIPPED, UNCHANGED, UPDATED, PreviewRow, build_preview

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

logger = logging.getLogger("gridgov.hotline.importing.services")


class _Superseded(Exception):
    """The job is no longer the run that started (reset as stale meanwhile)."""


# --- start --------------------------------------------------------------------------------


@IMPORTS.effect(ImportAction.START)
def _start(step: JobStep) -> None:
    from ..tasks import run_import  # tasks.py imports this package (services <-> tasks cycle)

    job = step.subject
    if not job.file.name:
        raise Conflict(file_gone_message(), code="file_gone")
    step.set(started_at=step.now, finished_at=None, processed_rows=0, error="")
    progress_set(job.pk, status=ImportStatus.IMPORTING, processed=0, total=job.total_rows)
    step.data["rows"] = job.total_rows
    job_pk, actor_pk = job.pk, cast("User", step.actor).pk  # the WRITER party: a signed-in operator
    transaction.on_commit(lambda: run_import.delay(job_pk, actor_pk))


def import_start(*, actor: User | AnonymousUser, job_id: int) -> ImportJob:
    """Queue the import of a previewed job (again after a failure)."""
    return IMPORTS.act(job_id, ImportAction.START, actor=actor)


# --- the run ------------------------------------------------------------------------------


def _same_run(step: JobStep) -> None:
    """The run that ends the job is the one that started it (not one reset meanwhile)."""
    if step.subject.started_at != step.input("started_at"):
        raise Conflict(_("This import is no longer running."), code="superseded")


@IMPORTS.effect(ImportAction.FINISH)
def _finish(step: JobStep) -> None:
    _same_run(step)
    job, total, counts = step.subject, step.input("total"), step.input("counts")
    step.set(
        total_rows=total,
        processed_rows=total,
        created_count=counts[CREATED],
        updated_count=counts[UPDATED],
        unchanged_count=counts[UNCHANGED],
        skipped_count=counts[SKIPPED],
        report=step.input("report"),
        error="",
        finished_at=step.now,
    )
    step.data.update(
        {"source_system": job.source_system, "town": step.input("town"), "name": job.original_name, "rows": total}
    )
    step.data.update(counts)


@IMPORTS.effect(ImportAction.FAIL)
def _failed(step: JobStep) -> None:
    _same_run(step)
    job, reason = step.subject, step.input("reason")
    rows: list[PreviewRow] = step.input("rows")
    failed_row = step.input("failed_row")
    # The report of a failed import: what would have happened, and the row that failed.
    report = [
        {
            "row": line.row,
            "outcome": "failed" if line.row == failed_row else (SKIPPED if line.data is None else "not_imported"),
            "number": line.number,
            "errors": line.errors + ([{"field": "", "message": reason}] if line.row == failed_row else []),
        }
        for line in rows
    ]
    step.set(
        error=reason[:2000],
        processed_rows=0,
        created_count=0,
        updated_count=0,
        unchanged_count=0,
        skipped_count=sum(1 for line in rows if line.data is None),
        report=report,
        finished_at=step.now,
    )
    step.data.update({"source_system": job.source_system, "name": job.original_name, "error": job.error[:500]})
    step.after.append(lambda _audit: progress_set(job.pk, status=ImportStatus.FAILED, processed=0, total=len(rows)))


def import_run(*, job_id: int, actor: User) -> ImportJob:
    """Write every valid row of a started job in one transaction (run by the Celery task).

    Not atomic as a whole on purpose: the rows are written in one transaction, and a failure is
    recorded on the job in a second one after the first rolled back."""
    with translation.override(settings.LANGUAGE_CODE):
        job = ImportJob.objects.select_related("town").get(pk=job_id)
        if job.status != ImportStatus.IMPORTING:
            return job  # delivered again after it finished
        # One run per job at a time, even if the broker delivers the task twice at once.
        claim = f"{progress_key(job.pk)}:running"
        if not cache.add(claim, 1, PROGRESS_TTL):
            return job
        try:
            return _run(job, actor)
        finally:
            cache.delete(claim)


def _entry(line: PreviewRow, outcome: str, order_id: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"row": line.row, "outcome": outcome, "number": line.number, "errors": line.errors}
    if order_id:
        entry["order_id"] = order_id
    if line.changed and outcome == UPDATED:
        entry["changed"] = line.changed
    return entry


def _failure_reason(job: ImportJob, error: Exception, current: PreviewRow | None) -> str:
    """Why the run failed, for the job page (the row that failed first, if one did); an
    unexpected error is logged with its traceback."""
    if not isinstance(error, DatabaseError) and not hasattr(error, "message"):
        logger.error("import %s failed", job.pk, exc_info=error)
    reason = getattr(error, "message", "") or str(error) or error.__class__.__name__
    details = getattr(error, "details", None) or {}
    if details:
        reason = "; ".join([reason, *(f"{name}: {' '.join(map(str, messages))}" for name, messages in details.items())])
    if current is not None:
        reason = _("Row %(row)s (%(number)s): %(reason)s") % {
            "row": current.row,
            "number": current.number,
            "reason": reason,
        }
    return reason


def _write_rows(job: ImportJob, actor: User, rows: list[PreviewRow], progress: list[PreviewRow | None]) -> ImportJob:
    """Every row through the order services and the job finished, in the caller's transaction;
    ``progress[0]`` is the row being written (``None`` once they all are)."""
    total = len(rows)
    report: list[dict[str, Any]] = []
    counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, SKIPPED: 0}
    for done, line in enumerate(rows, start=1):
        progress[0] = line
        if line.data is None:
            report.append(_entry(line, SKIPPED))
            counts[SKIPPED] += 1
        else:
            received = order_services.order_receive(actor=actor, data=line.data, channel="import")
            outcome = str(received.outcome)
            counts[outcome] = counts.get(outcome, 0) + 1
            report.append(_entry(line, outcome, received.order.pk))
        progress_set(job.pk, status=ImportStatus.IMPORTING, processed=done, total=total)
    progress[0] = None
    inputs = {"by": actor, "started_at": job.started_at, "total": total, "counts": counts, "report": report}
    try:
        return IMPORTS.act(job.pk, ImportAction.FINISH, actor=None, inputs={**inputs, "town": job.town.code})
    except Conflict as superseded:
        raise _Superseded() from superseded


def _run(job: ImportJob, actor: User) -> ImportJob:
    try:
        preview = build_preview(job)
    except (parse.ImportFileError, OSError) as error:
        return _fail(job, actor, str(error) or _("The file cannot be read."), [])
    total = len(preview.rows)
    progress_set(job.pk, status=ImportStatus.IMPORTING, processed=0, total=total)
    current: list[PreviewRow | None] = [None]
    try:
        with transaction.atomic():
            done = _write_rows(job, actor, preview.rows, current)
    except _Superseded:
        # The run was reset as stale (or started again) while it ran: its rows roll back and
        # the job is left as the reset made it.
        logger.warning("import %s: the run was reset while it ran; its rows were rolled back", job.pk)
        return ImportJob.objects.get(pk=job.pk)
    except Exception as error:  # whatever fails, the import rolls back as a whole
        failed = current[0]
        reason = _failure_reason(job, error, failed)
        return _fail(job, actor, reason, preview.rows, failed_row=failed.row if failed else None)
    progress_set(job.pk, status=ImportStatus.DONE, processed=total, total=total)
    _discard_file(done)
    return done


def _discard_file(job: ImportJob) -> None:
    """Delete an imported export: it holds the petitioners in clear, and once its rows are in
    the orders (encrypted) nothing reads it again (the report is kept on the job)."""
    name = job.file.name
    if not name:
        return
    job.file.storage.delete(name)
    ImportJob.objects.filter(pk=job.pk).update(file="")
    job.file.name = ""


def _fail(job: ImportJob, actor: User, reason: str, rows: list[PreviewRow], failed_row: int | None = None) -> ImportJob:
    """Record the failure on the job (unless a reset took it meanwhile: the reset's state stands)."""
    inputs = {"by": actor, "started_at": job.started_at, "reason": reason, "rows": rows, "failed_row": failed_row}
    try:
        return IMPORTS.act(job.pk, ImportAction.FAIL, actor=None, inputs=inputs)
    except Conflict:
        return ImportJob.objects.get(pk=job.pk)
