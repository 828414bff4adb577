"""Upload and column mapping: a new job from an uploaded export (read by the worker, see
:mod:`.read`), its header row and the mapping of our fields to its columns (remembered per
source system for the next upload)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Final

from django.conf import settings
from django.utils.translation import gettext as _

from gridgov.core import importjobs, tables, uploads
from gridgov.core.errors import Forbidden, Invalid
from gridgov.hotline import intake
from gridgov.hotline.access import mask_address, mask_name, mask_phone

from ...models import ColumnMapping, ImportJob, ImportStatus, SourceSystem
from .. import parse, selectors
from ..progress import PROGRESS
from ..transitions import ImportAction
from .flow import IMPORTS, JobStep, read_job

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area

MAX_BYTES: Final = int(getattr(settings, "GRIDGOV_IMPORT_MAX_BYTES", 10 * 1024 * 1024))
MAX_ROWS: Final = int(getattr(settings, "GRIDGOV_IMPORT_MAX_ROWS", 5000))
MAX_COLUMNS: Final = int(getattr(settings, "GRIDGOV_IMPORT_MAX_COLUMNS", 200))
MAX_CELL_CHARS: Final = int(getattr(settings, "GRIDGOV_IMPORT_MAX_CELL_CHARS", 32_767))
MAX_TOTAL_CHARS: Final = int(getattr(settings, "GRIDGOV_IMPORT_MAX_TOTAL_CHARS", 20_000_000))


def limits() -> uploads.UploadLimits:
    """The ceilings of one import (:mod:`gridgov.core.uploads`). The reader's own row ceiling
    leaves room for title, header, repeated header and totals rows; the data rows themselves
    are held to :data:`MAX_ROWS` as they are counted."""
    return uploads.UploadLimits(
        max_bytes=MAX_BYTES,
        max_rows=2 * MAX_ROWS + parse.HEADER_SEARCH_ROWS,
        max_columns=MAX_COLUMNS,
        max_cell_chars=MAX_CELL_CHARS,
        max_total_chars=MAX_TOTAL_CHARS,
    )


def _file_refused(message: str) -> Invalid:
    return Invalid(message, details={"file": [message]})


def import_upload(
    *,
    actor: User | AnonymousUser,
    town: Area,
    source_system: str,
    name: str,
    content: bytes | None = None,
    file: IO[bytes] | None = None,
    size: int | None = None,
) -> ImportJob:
    """Store an uploaded export (``content``, or an open ``file`` of ``size`` bytes) as a new job
    and hand it to the worker, which reads it (:func:`.read.import_read`: the header row, the
    suggested mapping, the rows; or the reason it is refused).

    Only what needs no reading is checked here (the kind of file, its size, a workbook's
    archive), so the request never parses a table and never holds a write transaction while
    a file is read. The job is ``reading`` until the worker is done."""
    if not selectors.may_import(actor):
        raise Forbidden(_("Only the center may import hotline orders."))
    if not selectors.import_towns(actor).filter(pk=town.pk).exists():
        raise Forbidden(_("You may not import orders for this town."))
    if source_system not in SourceSystem.values:
        raise Invalid(_("Choose the source system."), details={"source_system": [_("Unknown source system.")]})
    upload = importjobs.checked_upload(
        name=name, content=content, file=file, size=size, limits=limits(), refused=_file_refused
    )
    assert actor.is_authenticated  # an importer
    job = ImportJob(
        source_system=source_system,
        town=town,
        original_name=importjobs.base_name(name, "import"),
        status=ImportStatus.READING,
        created_by=actor,
    )
    from ..tasks import read_import  # tasks.py imports this package (services <-> tasks cycle)

    return importjobs.store_upload(job, upload, stem="import", progress=PROGRESS, read=read_import.delay)


@dataclass(frozen=True)
class Columns:
    """The file's header row (1-based), its columns and the first rows under it (for the form)."""

    header_row: int
    columns: list[str]
    samples: dict[str, list[str]]
    candidates: list[tuple[int, str]]


def job_columns(job: ImportJob, *, sample_rows: int = 3) -> Columns:
    rows = read_job(job)
    body = parse.split_body(rows, job.header_row)
    columns = parse.columns_of(body.header, (cells for _number, cells in body.rows))
    samples: dict[str, list[str]] = {name: [] for name in columns}
    personal = {column: name for name, column in job.mapping.items() if name in intake.PETITIONER_FIELDS}
    for _number, cells in body.rows[:sample_rows]:
        for position, name in enumerate(columns):
            value = parse.text_value(cells[position] if position < len(cells) else None)
            if value:
                samples[name].append(_masked_sample(value, personal.get(name, ""))[:40])
    # The first rows, to choose the header row from (data rows among them, masked the same way).
    personal_at = {position: personal.get(name, "") for position, name in enumerate(columns)}
    candidates = []
    for number, row in rows:
        if number > parse.HEADER_SEARCH_ROWS:
            break
        texts = [
            _masked_sample(parse.text_value(value), personal_at.get(column, "") if number > job.header_row else "")
            for column, value in enumerate(row)
            if value not in (None, "")
        ]
        candidates.append((number, " | ".join(texts)[:80]))
    return Columns(header_row=job.header_row, columns=columns, samples=samples, candidates=candidates)


def _masked_sample(value: str, field_name: str) -> str:
    """A sample cell for the mapping page: petitioner data and anything like a phone masked."""
    if field_name == "petitioner_name":
        return mask_name(value)
    if field_name == "petitioner_address":
        return mask_address(value)
    if field_name == "petitioner_phone" or tables.looks_like_number_of_a_person(value):
        return mask_phone(tables.compact(value))
    return value


@IMPORTS.effect(ImportAction.HEADER)
def _header(step: JobStep) -> None:
    """Another header row: the mapping is suggested afresh for its columns."""
    job, header_row = step.subject, step.input("header_row")
    rows = read_job(job)
    if not 1 <= header_row <= parse.HEADER_SEARCH_ROWS or not any(number == header_row for number, _cells in rows):
        raise Invalid(_("Choose one of the first rows."), details={"header_row": [_("Not a row of the file.")]})
    body = parse.split_body(rows, header_row)
    columns = parse.columns_of(body.header, (cells for _number, cells in body.rows))
    remembered = ColumnMapping.objects.filter(source_system=job.source_system).first()
    step.set(
        header_row=header_row,
        mapping=parse.suggest_mapping(columns, remembered.mapping if remembered else None),
        total_rows=len(body.rows),
        totals_row=body.totals.row if body.totals else None,
        totals_declared=body.totals.declared if body.totals else None,
    )


@IMPORTS.effect(ImportAction.MAP)
def _map(step: JobStep) -> None:
    """The mapping (field → column), checked against the file; remembered for the source."""
    job = step.subject
    columns = job_columns(job).columns
    cleaned, details = tables.mapping_problems(step.input("mapping"), columns, parse.SPECS, parse.REQUIRED_FIELDS)
    if details:
        raise Invalid(_("The mapping is incomplete."), details=details)
    mapping = {name: cleaned[name] for name in parse.FIELD_NAMES if name in cleaned}
    step.set(mapping=mapping, error="")
    ColumnMapping.objects.update_or_create(
        source_system=job.source_system, defaults={"mapping": mapping, "updated_by": step.actor}
    )
    step.data["mapping"] = mapping


def import_header(*, actor: User | AnonymousUser, job_id: int, header_row: int) -> ImportJob:
    """Choose another header row: the mapping is suggested afresh for its columns."""
    return IMPORTS.act(job_id, ImportAction.HEADER, actor=actor, inputs={"header_row": header_row})


def import_map(*, actor: User | AnonymousUser, job_id: int, mapping: Mapping[str, str]) -> ImportJob:
    """Set the mapping (field → column) and remember it for the job's source system."""
    return IMPORTS.act(job_id, ImportAction.MAP, actor=actor, inputs={"mapping": mapping})
