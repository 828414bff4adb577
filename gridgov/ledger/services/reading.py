"""Upload and reading: :func:`ledger_upload` stores the file and hands it to the worker, where
:func:`ledger_read` reads it streaming and suggests a mapping.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.core import importjobs, tables, uploads
from gridgov.core.claims import claim
from gridgov.core.errors import Forbidden, Invalid
from gridgov.hotline.importing.services import limits

from .. import parse, selectors
from ..models import LedgerImport, LedgerMapping, LedgerStatus
from ..transitions import LedgerAction
from .common import LEDGER_IMPORTS, MAX_ROWS, PROGRESS, PROGRESS_TTL, JobStep, progress_key

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area


def ledger_upload(
    *,
    actor: User | AnonymousUser,
    town: Area,
    name: str,
    content: bytes | None = None,
    file: IO[bytes] | None = None,
    size: int | None = None,
) -> LedgerImport:
    """Store an uploaded ledger as a new job and hand it to the worker, which reads it."""
    if not selectors.may_import(actor):
        raise Forbidden(_("Only the center may import a historical ledger."))
    if not selectors.import_towns(actor).filter(pk=town.pk).exists():
        raise Forbidden(_("You may not import a ledger for this town."))
    upload = importjobs.checked_upload(
        name=name,
        content=content,
        file=file,
        size=size,
        limits=limits(),
        refused=lambda message: Invalid(message, details={"file": [message]}),
    )
    assert actor.is_authenticated  # an importer
    job = LedgerImport(
        town=town,
        original_name=importjobs.base_name(name, "ledger"),
        status=LedgerStatus.READING,
        created_by=actor,
    )
    from ..tasks import read_ledger  # tasks.py imports this package (a cycle)

    return importjobs.store_upload(job, upload, stem="ledger", progress=PROGRESS, read=read_ledger.delay)


@dataclass(frozen=True)
class ReadResult:
    sheet: str
    header_row: int
    columns: list[str]
    total: int


def read_upload(handle: Any, name: str, out: Any) -> ReadResult:
    """Read an upload into ``out`` (the rows file), streaming, within the import's ceilings."""
    writer = uploads.RowWriter(out)
    with uploads.open_table(handle, name, limits()) as reader:
        rows = iter(reader.rows())

        def teed() -> Iterable[tables.Numbered]:
            for number, cells in rows:
                writer.write(number, cells)
                yield number, cells

        stream = iter(teed())
        top = list(itertools.islice(stream, tables.HEADER_SEARCH_ROWS))
        header_row = tables.detect_header(tables.top_rows(top), parse.ALIASES) + 1
        body = tables.split_body(itertools.chain(top, stream), header_row, limit=MAX_ROWS)
        columns = tables.columns_of(body.header, (cells for _number, cells in body.rows))
        return ReadResult(reader.sheet, header_row, columns, len(body.rows))


def _remembered(town_id: int) -> dict[str, str] | None:
    found = LedgerMapping.objects.filter(town_id=town_id).first()
    return found.mapping if found else None


@LEDGER_IMPORTS.effect(LedgerAction.READ)
def _read(step: JobStep) -> None:
    job, result = step.subject, step.input("result")
    old_name, storage = job.file.name, job.file.storage
    step.set(
        file=step.input("rows_file"),
        sheet=result.sheet[:100],
        header_row=result.header_row,
        mapping=tables.suggest_mapping(result.columns, _remembered(job.town_id), parse.FIELDS, parse.ALIASES),
        total_rows=result.total,
        error="",
    )
    step.data.update({"town": job.town.code, "name": job.original_name, "rows": result.total})
    transaction.on_commit(lambda: uploads.delete_stored(storage, old_name))


@LEDGER_IMPORTS.effect(LedgerAction.REFUSE)
def _refuse(step: JobStep) -> None:
    job, reason = step.subject, step.input("reason")
    name, storage = job.file.name, job.file.storage
    step.set(file="", error=reason[:2000], finished_at=step.now)
    step.data.update({"town": job.town.code, "name": job.original_name, "error": reason[:500]})
    transaction.on_commit(lambda: uploads.delete_stored(storage, name))


def ledger_read(*, job_id: int) -> LedgerImport:
    """Read a job's upload (run by the Celery task), outside any transaction, then record what
    was read (or why the file is refused) in one short transaction."""
    with translation.override("zh-hans"):
        job = LedgerImport.objects.select_related("town", "created_by").get(pk=job_id)
        if job.status != LedgerStatus.READING:
            return job
        with claim(f"{progress_key(job.pk)}:reading", PROGRESS_TTL) as mine:
            return _read_job(job) if mine else job


def _read_job(job: LedgerImport) -> LedgerImport:
    inputs: dict[str, Any] = {"by": job.created_by}
    return importjobs.read_into_rows_file(
        job,
        read_upload,
        refuse=lambda reason: _act(job, LedgerAction.REFUSE, {**inputs, "reason": reason}),
        done=lambda result, rows_file: _act(
            job, LedgerAction.READ, {**inputs, "result": result, "rows_file": rows_file}
        ),
    )


def _act(job: LedgerImport, action: str, inputs: dict[str, Any]) -> LedgerImport:
    return importjobs.worker_act(LEDGER_IMPORTS, LedgerImport, job, action, inputs, PROGRESS)
