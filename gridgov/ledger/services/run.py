"""The run: :func:`ledger_start` queues it, :func:`ledger_run` (the Celery task) writes the rows a
batch per transaction and finishes or fails the job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.cases.models import Case
from gridgov.cases.services.historical import (
    CREATED,
    UNCHANGED,
    UPDATED,
    case_import_historical,
)
from gridgov.core.claims import claim
from gridgov.core.errors import Conflict

from ..models import LedgerImport, LedgerStatus
from ..transitions import LedgerAction
from .common import BATCH_ROWS, LEDGER_IMPORTS, PROGRESS_TTL, REFUSED, JobStep, logger, progress_key, progress_set
from .preview import PreviewRow, build_preview

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def ledger_start(*, actor: User | AnonymousUser, job_id: int) -> LedgerImport:
    """Queue the import of a previewed job (again after a failure)."""
    return LEDGER_IMPORTS.act(job_id, LedgerAction.START, actor=actor)


@LEDGER_IMPORTS.effect(LedgerAction.START)
def _start(step: JobStep) -> None:
    from ..tasks import run_ledger  # tasks.py imports this package (a cycle)

    job = step.subject
    if not job.file.name:
        raise Conflict(_("The uploaded file is no longer kept; upload it again."), code="file_gone")
    step.set(started_at=step.now, finished_at=None, processed_rows=0, error="")
    progress_set(job.pk, status=LedgerStatus.IMPORTING, processed=0, total=job.total_rows)
    step.data["rows"] = job.total_rows
    job_pk, actor_pk = job.pk, getattr(step.actor, "pk", None)
    transaction.on_commit(lambda: run_ledger.delay(job_pk, actor_pk))


def _counted(report: list[dict[str, Any]]) -> dict[str, int]:
    counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, REFUSED: 0, "review": 0}
    for entry in report:
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
        if entry.get("review") and entry["outcome"] in (CREATED, UPDATED):
            counts["review"] += 1
    return counts


def _set_counts(step: JobStep, report: list[dict[str, Any]]) -> dict[str, int]:
    counts = _counted(report)
    step.set(
        processed_rows=len(report),
        created_count=counts[CREATED],
        updated_count=counts[UPDATED],
        unchanged_count=counts[UNCHANGED],
        refused_count=counts[REFUSED],
        review_count=counts["review"],
        report=report,
        finished_at=step.now,
    )
    step.data.update({"town": step.subject.town.code, "name": step.subject.original_name, **counts})
    return counts


@LEDGER_IMPORTS.effect(LedgerAction.FINISH)
def _finish(step: JobStep) -> None:
    _set_counts(step, step.input("report"))
    step.set(error="")


@LEDGER_IMPORTS.effect(LedgerAction.FAIL)
def _failed(step: JobStep) -> None:
    _set_counts(step, step.input("report"))
    step.set(error=step.input("reason")[:2000])


def _entry(line: PreviewRow, outcome: str, case: Case | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"row": line.row, "outcome": outcome, "number": line.number, "errors": line.line.errors}
    if case is not None:
        entry["case"] = case.number
        entry["case_id"] = case.pk
        entry["review"] = list(case.import_review)
    return entry


def ledger_run(*, job_id: int, actor: User | None) -> LedgerImport:
    """Write every row of a started job, a batch per transaction (run by the Celery task)."""
    with translation.override("zh-hans"):
        job = LedgerImport.objects.select_related("town", "created_by").get(pk=job_id)
        if job.status != LedgerStatus.IMPORTING:
            return job
        with claim(f"{progress_key(job.pk)}:running", PROGRESS_TTL) as mine:
            return _run(job, actor or job.created_by) if mine else job


def _run(job: LedgerImport, actor: User) -> LedgerImport:
    report: list[dict[str, Any]] = []
    inputs: dict[str, Any] = {"by": actor, "report": report}
    current: PreviewRow | None = None
    limits: dict[Any, Any] = {}
    try:
        rows = build_preview(job).rows
        total = len(rows)
        for start in range(0, total, BATCH_ROWS):
            batch: list[dict[str, Any]] = []
            with transaction.atomic():
                for current in rows[start : start + BATCH_ROWS]:
                    if current.data is None:
                        batch.append(_entry(current, REFUSED))
                        continue
                    ref = {"import": job.pk, "row": current.row}
                    case, outcome = case_import_historical(row=current.data, actor=actor, job=ref, limits=limits)
                    batch.append(_entry(current, outcome, case))
                current = None
                LedgerImport.objects.filter(pk=job.pk).update(processed_rows=start + len(batch))
            report += batch
            progress_set(job.pk, status=LedgerStatus.IMPORTING, processed=len(report), total=total)
    except Exception as error:  # the batch rolls back; the job says why and may be started again
        logger.warning("ledger import %s failed", job.pk, exc_info=True)
        reason = getattr(error, "message", "") or str(error) or error.__class__.__name__
        if current is not None:
            reason = _("Row %(row)s (%(number)s): %(reason)s") % {
                "row": current.row,
                "number": current.number,
                "reason": reason,
            }
        return LEDGER_IMPORTS.act(job.pk, LedgerAction.FAIL, actor=None, inputs={**inputs, "reason": reason})
    done = LEDGER_IMPORTS.act(job.pk, LedgerAction.FINISH, actor=None, inputs=inputs)
    progress_set(job.pk, status=done.status, processed=total, total=total)
    name = done.file.name
    if name:  # the rows are in the cases now; the report is kept on the job
        done.file.storage.delete(name)
        LedgerImport.objects.filter(pk=done.pk).update(file="")
        done.file.name = ""
    return done
