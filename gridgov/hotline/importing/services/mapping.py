"""Upload and column mapping: a new job from an uploaded export, its header row and the mapping
of our fields to its columns (remembered per source system for the next upload)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core.audit import record
from gridgov.core.errors import Forbidden, Invalid
from gridgov.hotline import intake
from gridgov.hotline.access import mask_address, mask_name, mask_phone

from ...models import ColumnMapping, ImportJob, SourceSystem
from .. import parse, selectors
from ..transitions import ImportAction
from .flow import IMPORTS, JobStep, read_job

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area

MAX_BYTES: Final = int(getattr(settings, "GRIDGOV_IMPORT_MAX_BYTES", 10 * 1024 * 1024))
MAX_ROWS: Final = int(getattr(settings, "GRIDGOV_IMPORT_MAX_ROWS", 5000))


def _file_refused(message: str) -> Invalid:
    return Invalid(message, details={"file": [message]})


@transaction.atomic
def import_upload(
    *, actor: User | AnonymousUser, town: Area, source_system: str, name: str, content: bytes
) -> ImportJob:
    """Store an uploaded export as a new job with its header row and a suggested mapping."""
    if not selectors.may_import(actor):
        raise Forbidden(_("Only the center may import hotline orders."))
    if not selectors.import_towns(actor).filter(pk=town.pk).exists():
        raise Forbidden(_("You may not import orders for this town."))
    if source_system not in SourceSystem.values:
        raise Invalid(_("Choose the source system."), details={"source_system": [_("Unknown source system.")]})
    if not content:
        raise _file_refused(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise _file_refused(_("The file is larger than %(n)s MB.") % {"n": MAX_BYTES // (1024 * 1024)})
    try:
        table = parse.read_table(content, name)
        header_index = parse.detect_header(table.rows)
    except parse.ImportFileError as error:
        raise _file_refused(str(error)) from error
    columns = parse.column_names(table.rows, header_index)
    total = sum(1 for _row in parse.data_rows(table.rows, header_index))
    if total > MAX_ROWS:
        message = _("The file has %(count)s rows; at most %(n)s can be imported at once.") % {
            "count": total,
            "n": MAX_ROWS,
        }
        raise _file_refused(message)
    remembered = ColumnMapping.objects.filter(source_system=source_system).first()
    mapping = parse.suggest_mapping(columns, remembered.mapping if remembered else None)
    base = os.path.basename(name)[:200] or "import"
    assert actor.is_authenticated  # an importer
    job = ImportJob(
        source_system=source_system,
        town=town,
        original_name=base,
        sheet=table.sheet[:100],
        header_row=header_index + 1,
        mapping=mapping,
        total_rows=total,
        created_by=actor,
    )
    extension = os.path.splitext(base)[1].lower() or ".bin"
    job.file.save(f"import{extension}", ContentFile(content), save=False)
    job.save()
    record(
        action="hotline.import_upload",
        actor=actor,
        obj=job,
        data={"source_system": source_system, "town": town.code, "rows": total, "name": base},
    )
    return job


@dataclass(frozen=True)
class Columns:
    """The file's header row (1-based), its columns and the first rows under it (for the form)."""

    header_row: int
    columns: list[str]
    samples: dict[str, list[str]]
    candidates: list[tuple[int, str]]


def job_columns(job: ImportJob, *, sample_rows: int = 3) -> Columns:
    table = read_job(job)
    index = max(job.header_row - 1, 0)
    columns = parse.column_names(table.rows, index)
    samples: dict[str, list[str]] = {name: [] for name in columns}
    personal = {column: name for name, column in job.mapping.items() if name in intake.PETITIONER_FIELDS}
    for taken, (_number, cells) in enumerate(parse.data_rows(table.rows, index)):
        if taken >= sample_rows:
            break
        for position, name in enumerate(columns):
            value = parse.text_value(cells[position] if position < len(cells) else None)
            if value:
                samples[name].append(_masked_sample(value, personal.get(name, ""))[:40])
    # The first rows, to choose the header row from (data rows among them, masked the same way).
    personal_at = {position: personal.get(name, "") for position, name in enumerate(columns)}
    candidates = []
    for position, row in enumerate(table.rows[: parse.HEADER_SEARCH_ROWS]):
        if not parse.is_blank(row):
            texts = [
                _masked_sample(parse.text_value(value), personal_at.get(column, "") if position > index else "")
                for column, value in enumerate(row)
                if value not in (None, "")
            ]
            candidates.append((position + 1, " | ".join(texts)[:80]))
    return Columns(header_row=index + 1, columns=columns, samples=samples, candidates=candidates)


_PHONE_LIKE: Final = re.compile(r"(\+?86|0086)?(1[3-9]\d{9}|0\d{2,3}\d{7,8})")


def _masked_sample(value: str, field_name: str) -> str:
    """A sample cell for the mapping page: petitioner data and anything like a phone masked."""
    if field_name == "petitioner_name":
        return mask_name(value)
    if field_name == "petitioner_address":
        return mask_address(value)
    compact = re.sub(r"[\s\-()（）]", "", value)
    if field_name == "petitioner_phone" or _PHONE_LIKE.fullmatch(compact):
        return mask_phone(compact)
    return value


@IMPORTS.effect(ImportAction.HEADER)
def _header(step: JobStep) -> None:
    """Another header row: the mapping is suggested afresh for its columns."""
    job, header_row = step.subject, step.input("header_row")
    table = read_job(job)
    if not 1 <= header_row <= min(len(table.rows), parse.HEADER_SEARCH_ROWS):
        raise Invalid(_("Choose one of the first rows."), details={"header_row": [_("Not a row of the file.")]})
    columns = parse.column_names(table.rows, header_row - 1)
    remembered = ColumnMapping.objects.filter(source_system=job.source_system).first()
    step.set(
        header_row=header_row,
        mapping=parse.suggest_mapping(columns, remembered.mapping if remembered else None),
        total_rows=sum(1 for _row in parse.data_rows(table.rows, header_row - 1)),
    )


@IMPORTS.effect(ImportAction.MAP)
def _map(step: JobStep) -> None:
    """The mapping (field → column), checked against the file; remembered for the source."""
    job = step.subject
    columns = job_columns(job).columns
    cleaned = {name: column for name, column in step.input("mapping").items() if column}
    details: dict[str, list[str]] = {}
    for name, column in cleaned.items():
        if name not in parse.SPECS:
            details.setdefault(name, []).append(_("Unknown field."))
        elif column not in columns:
            details.setdefault(name, []).append(_("The file has no such column."))
    for name in parse.REQUIRED_FIELDS:
        if name not in cleaned:
            details.setdefault(name, []).append(_("Choose the column for this field."))
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
