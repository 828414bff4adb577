"""Reading an uploaded export, in the worker: streamed row by row, held to the import's
ceilings, outside any database transaction.

:func:`import_read` (the Celery task :func:`gridgov.hotline.importing.tasks.read_import`) reads
the upload with the streaming reader of :mod:`gridgov.core.uploads` into a rows file (one JSON
line per non-blank row), finds the header row among the first rows, counts the data rows (at
most ``MAX_ROWS``: the reading stops at the first row beyond), notes a totals row, and suggests
the mapping. Only then does it write, in one short transaction: the job becomes ``uploaded``
with the rows file in place of the upload (action ``read``), or ``refused`` with the reason
(action ``refuse``); both leave the audit row ``hotline.import_upload``.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.utils import translation

from gridgov.core import importjobs, uploads
from gridgov.core.claims import claim

from ...models import ColumnMapping, ImportJob, ImportStatus
from .. import parse
from ..progress import PROGRESS, PROGRESS_TTL, progress_key, progress_set
from ..transitions import ImportAction
from . import mapping
from .flow import IMPORTS, JobStep

logger = logging.getLogger("gridgov.hotline.importing.services")

# How often (in rows read) the reading reports its progress.
PROGRESS_EVERY: Final = 500


@dataclass(frozen=True)
class ReadResult:
    """What reading found: the sheet, the header row (1-based), the data rows, a totals row."""

    sheet: str
    header_row: int
    columns: list[str]
    total: int
    totals: parse.Totals | None


def _teed(rows: Iterator[parse.Numbered], writer: uploads.RowWriter, job_id: int) -> Iterator[parse.Numbered]:
    """The rows as they stream past, each written to the rows file first."""
    for number, cells in rows:
        writer.write(number, cells)
        if writer.count % PROGRESS_EVERY == 0:
            progress_set(job_id, status=ImportStatus.READING, processed=writer.count, total=0)
        yield number, cells


def read_upload(handle: Any, name: str, out: Any, *, job_id: int = 0) -> ReadResult:
    """Read an upload (an open binary file) into ``out`` (the rows file), streaming, within the
    import's ceilings; :class:`gridgov.core.uploads.UploadRefused` or
    :class:`parse.ImportFileError` when it cannot be imported."""
    writer = uploads.RowWriter(out)
    with uploads.open_table(handle, name, mapping.limits()) as reader:
        rows = _teed(reader.rows(), writer, job_id)
        top: list[parse.Numbered] = []
        for number, cells in rows:
            top.append((number, cells))
            if number >= parse.HEADER_SEARCH_ROWS:
                break
        header_row = parse.detect_header(parse.top_rows(top)) + 1
        # The first rows again, then the rest of the file, as it streams; the count stops at the
        # first data row beyond the limit.
        body = parse.split_body(itertools.chain(top, rows), header_row, limit=mapping.MAX_ROWS)
        columns = parse.columns_of(body.header, (cells for _number, cells in body.rows))
        return ReadResult(reader.sheet, header_row, columns, len(body.rows), body.totals)


@IMPORTS.effect(ImportAction.READ)
def _read(step: JobStep) -> None:
    job, result = step.subject, step.input("result")
    remembered = ColumnMapping.objects.filter(source_system=job.source_system).first()
    old_name = job.file.name
    step.set(
        file=step.input("rows_file"),
        sheet=result.sheet[:100],
        header_row=result.header_row,
        mapping=parse.suggest_mapping(result.columns, remembered.mapping if remembered else None),
        total_rows=result.total,
        totals_row=result.totals.row if result.totals else None,
        totals_declared=result.totals.declared if result.totals else None,
        error="",
    )
    step.data.update({"source_system": job.source_system, "town": job.town.code, "rows": result.total})
    step.data["name"] = job.original_name
    if result.totals is not None:
        step.data["totals_declared"] = result.totals.declared
    storage = job.file.storage
    transaction.on_commit(lambda: uploads.delete_stored(storage, old_name))


@IMPORTS.effect(ImportAction.REFUSE)
def _refuse(step: JobStep) -> None:
    job, reason = step.subject, step.input("reason")
    name, storage = job.file.name, job.file.storage
    step.set(file="", error=reason[:2000], finished_at=step.now)
    step.data.update(
        {"source_system": job.source_system, "town": job.town.code, "name": job.original_name, "error": reason[:500]}
    )
    transaction.on_commit(lambda: uploads.delete_stored(storage, name))


def import_read(*, job_id: int) -> ImportJob:
    """Read a job's upload (run by the Celery task): streaming, outside any transaction, then
    one short transaction to record what was read (or why the file is refused)."""
    with translation.override(settings.LANGUAGE_CODE):
        job = ImportJob.objects.select_related("town", "created_by").get(pk=job_id)
        if job.status != ImportStatus.READING:
            return job  # delivered again after it was read
        with claim(f"{progress_key(job.pk)}:reading", PROGRESS_TTL) as mine:
            return _read_job(job) if mine else job


def _read_job(job: ImportJob) -> ImportJob:
    inputs: dict[str, Any] = {"by": job.created_by}
    return importjobs.read_into_rows_file(
        job,
        lambda handle, name, out: read_upload(handle, name, out, job_id=job.pk),
        refuse=lambda reason: _act(job, ImportAction.REFUSE, {**inputs, "reason": reason}),
        done=lambda result, rows: _act(job, ImportAction.READ, {**inputs, "result": result, "rows_file": rows}),
    )


def _act(job: ImportJob, action: str, inputs: dict[str, Any]) -> ImportJob:
    return importjobs.worker_act(IMPORTS, ImportJob, job, action, inputs, PROGRESS)
