"""The import itself: :func:`import_start` queues the run, :func:`import_run` (the Celery task)
writes every valid row through :func:`gridgov.hotline.services.order_receive`, in batches of
:data:`BATCH_ROWS` rows, each batch in its own short transaction (so a large import never holds
the database's write lock for long), and the job ends ``done`` or ``failed`` with the reason.

A failure rolls back the batch it happened in; the batches before it stay imported (the report
says which rows are in), and starting the job again brings in the rest: the rows already in are
found unchanged."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final, cast

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.core.claims import claim
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

# Rows written per transaction.
BATCH_ROWS: Final = 100


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
        review_count=counts.get("review", 0),
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
    # What the batches before the failure brought in, by row.
    written: dict[int, dict[str, Any]] = {entry["row"]: entry for entry in step.input("written", [])}
    counts = _counted(written.values())
    # The report of a failed import: the rows that are in, the row that failed, the rest.
    report = []
    for line in rows:
        if line.row in written:
            report.append(written[line.row])
            continue
        outcome = "failed" if line.row == failed_row else (SKIPPED if line.data is None else "not_imported")
        errors = line.errors + ([{"field": "", "message": reason}] if line.row == failed_row else [])
        report.append({"row": line.row, "outcome": outcome, "number": line.number, "errors": errors})
    step.set(
        error=reason[:2000],
        processed_rows=len(written),
        created_count=counts[CREATED],
        updated_count=counts[UPDATED],
        unchanged_count=counts[UNCHANGED],
        skipped_count=sum(1 for line in rows if line.data is None),
        review_count=counts["review"],
        report=report,
        finished_at=step.now,
    )
    step.data.update({"source_system": job.source_system, "name": job.original_name, "error": job.error[:500]})
    step.data.update({key: value for key, value in counts.items() if value})
    step.after.append(lambda _audit: progress_set(job.pk, status=ImportStatus.FAILED, processed=0, total=len(rows)))


def _counted(entries: Any) -> dict[str, int]:
    counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, SKIPPED: 0, "review": 0}
    for entry in entries:
        outcome = str(entry.get("outcome", ""))
        if outcome in counts:
            counts[outcome] += 1
        if entry.get("review") and outcome in (CREATED, UPDATED):
            counts["review"] += 1
    return counts


def import_run(*, job_id: int, actor: User) -> ImportJob:
    """Write every valid row of a started job, batch by batch (run by the Celery task).

    Not atomic as a whole on purpose: each batch is its own transaction, and a failure is
    recorded on the job in another one after its batch rolled back."""
    with translation.override(settings.LANGUAGE_CODE):
        job = ImportJob.objects.select_related("town").get(pk=job_id)
        if job.status != ImportStatus.IMPORTING:
            return job  # delivered again after it finished
        # One run per job at a time, even if the broker delivers the task twice at once.
        with claim(f"{progress_key(job.pk)}:running", PROGRESS_TTL) as mine:
            return _run(job, actor) if mine else job


def _entry(line: PreviewRow, outcome: str, order_id: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"row": line.row, "outcome": outcome, "number": line.number, "errors": line.errors}
    if order_id:
        entry["order_id"] = order_id
    if line.changed and outcome == UPDATED:
        entry["changed"] = line.changed
    if line.review and outcome in (CREATED, UPDATED):
        entry["review"] = [note.to_json() for note in line.review]
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


def _still_running(job: ImportJob) -> None:
    """Inside a batch's transaction: the job is still this run (not reset meanwhile)."""
    current = ImportJob.objects.select_for_update().filter(pk=job.pk).values("status", "started_at").first()
    if current is None or current["status"] != ImportStatus.IMPORTING or current["started_at"] != job.started_at:
        raise _Superseded()


def _write_batch(
    job: ImportJob, actor: User, batch: list[PreviewRow], done: int, total: int, current: list[PreviewRow | None]
) -> list[dict[str, Any]]:
    """One batch of rows through the order services, in the caller's transaction (checked to be
    still this run before and after); ``current[0]`` is the row being written."""
    _still_running(job)
    entries: list[dict[str, Any]] = []
    for line in batch:
        current[0] = line
        if line.data is None:
            entries.append(_entry(line, SKIPPED))
        else:
            received = order_services.order_receive(actor=actor, data=line.data, channel="import")
            entries.append(_entry(line, str(received.outcome), received.order.pk))
        done += 1
        progress_set(job.pk, status=ImportStatus.IMPORTING, processed=done, total=total)
    current[0] = None
    # Reset while the batch was written? Then the batch rolls back with the run.
    _still_running(job)
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=done)
    return entries


def _run(job: ImportJob, actor: User) -> ImportJob:
    try:
        preview = build_preview(job)
    except (parse.ImportFileError, OSError) as error:
        return _fail(job, actor, str(error) or _("The file cannot be read."), [])
    rows = preview.rows
    total = len(rows)
    progress_set(job.pk, status=ImportStatus.IMPORTING, processed=0, total=total)
    current: list[PreviewRow | None] = [None]
    report: list[dict[str, Any]] = []
    try:
        for start in range(0, total, BATCH_ROWS):
            with transaction.atomic():
                report += _write_batch(job, actor, rows[start : start + BATCH_ROWS], start, total, current)
        inputs = {"by": actor, "started_at": job.started_at, "total": total, "report": report}
        try:
            done = IMPORTS.act(
                job.pk,
                ImportAction.FINISH,
                actor=None,
                inputs={**inputs, "counts": _counted(report), "town": job.town.code},
            )
        except Conflict as superseded:
            raise _Superseded() from superseded
    except _Superseded:
        # The run was reset as stale (or started again) while it ran: its current batch rolls
        # back and the job is left as the reset made it (the batches already in stay: a new run
        # finds them unchanged).
        logger.warning("import %s: the run was reset while it ran; it stopped", job.pk)
        return ImportJob.objects.get(pk=job.pk)
    except Exception as error:  # whatever fails, the batch rolls back and the job says why
        failed = current[0]
        reason = _failure_reason(job, error, failed)
        return _fail(job, actor, reason, rows, failed_row=failed.row if failed else None, written=report)
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


def _fail(
    job: ImportJob,
    actor: User,
    reason: str,
    rows: list[PreviewRow],
    failed_row: int | None = None,
    written: list[dict[str, Any]] | None = None,
) -> ImportJob:
    """Record the failure on the job (unless a reset took it meanwhile: the reset's state stands)."""
    inputs = {
        "by": actor,
        "started_at": job.started_at,
        "reason": reason,
        "rows": rows,
        "failed_row": failed_row,
        "written": written or [],
    }
    try:
        return IMPORTS.act(job.pk, ImportAction.FAIL, actor=None, inputs=inputs)
    except Conflict:
        return ImportJob.objects.get(pk=job.pk)
