"""Import of upstream exports: upload, column mapping, preview, the import itself.

The steps, each a service with an ``actor``:

1. :func:`import_upload` stores the file as an :class:`ImportJob` with the detected header row
   and a suggested mapping (the one remembered for the source, else the known headers).
2. :func:`import_header` / :func:`import_map` set the header row and the mapping; the mapping is
   remembered per source (:class:`ColumnMapping`).
3. :func:`build_preview` (a read) validates every row and compares it with the database.
4. :func:`import_start` queues :func:`import_run` (a Celery task), which writes every valid row
   through :func:`gridgov.hotline.services.order_receive` in ONE transaction: if anything fails,
   nothing is imported and the job shows the reason. The progress lives in the cache because
   the rows are invisible to other connections until the commit.

Duplicates inside a file: the first valid row with a number is imported; a later row with the
same number is skipped as a duplicate of that row (the report says which, and whether it
differed). Columns the mapping leaves out keep the existing order's values on an update.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.core.audit import record
from gridgov.hotline import intake
from gridgov.hotline.access import mask_address, mask_name, mask_phone
from gridgov.hotline.models import (
    ColumnMapping,
    HotlineOrder,
    ImportJob,
    ImportStatus,
    OrderType,
    SourceSystem,
    UrgencyClass,
)
from gridgov.people.models import Role

from . import parse, selectors

logger = logging.getLogger(__name__)

MAX_BYTES: Final = int(getattr(settings, "GRIDGOV_IMPORT_MAX_BYTES", 10 * 1024 * 1024))
MAX_ROWS: Final = int(getattr(settings, "GRIDGOV_IMPORT_MAX_ROWS", 5000))
PROGRESS_TTL: Final = 6 * 3600
# A run without progress for this long is taken for dead (its worker stopped): it may be reset.
STALE_AFTER: Final = dt.timedelta(minutes=10)
# Stored files of jobs never imported are deleted after this long; of failed jobs after the second.
KEEP_UNIMPORTED: Final = dt.timedelta(days=7)
KEEP_FAILED: Final = dt.timedelta(days=30)
LOOKUP_CHUNK: Final = 500

# Preview outcomes of a row, and the outcomes of the import report.
CREATE, UPDATE, UNCHANGED, SKIP = "create", "update", "unchanged", "skip"
CREATED, UPDATED, SKIPPED = "created", "updated", "skipped"


class ImportRefused(Exception):
    """A refused import step: ``status`` 404 (not visible), 403, 409 (wrong state) or 422."""

    def __init__(self, message: Any, *, status: int = 422, details: dict[str, list[str]] | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.status = status
        self.details = details or {}


def _job_for(actor: Any, job_id: int, *, lock: bool = False) -> ImportJob:
    if not selectors.may_import(actor):
        raise ImportRefused(_("Only the center may import hotline orders."), status=403)
    query = selectors.jobs_visible(actor)
    if lock:
        query = query.select_for_update(of=("self",))
    try:
        return query.get(pk=job_id)
    except ImportJob.DoesNotExist:
        raise ImportRefused(_("No such import."), status=404) from None


def file_gone_message() -> str:
    return _("The uploaded file was deleted after it stayed unimported for a while; upload it again.")


def _read(job: ImportJob) -> parse.Table:
    if not job.file.name:
        raise parse.ImportFileError(file_gone_message())
    with job.file.open("rb") as handle:
        content = handle.read()
    return parse.read_table(content, job.original_name)


# --- upload and mapping --------------------------------------------------------------------------


@transaction.atomic
def import_upload(*, actor: Any, town: Area, source_system: str, name: str, content: bytes) -> ImportJob:
    """Store an uploaded export as a new job with its header row and a suggested mapping."""
    if not selectors.may_import(actor):
        raise ImportRefused(_("Only the center may import hotline orders."), status=403)
    if not selectors.import_towns(actor).filter(pk=town.pk).exists():
        raise ImportRefused(_("You may not import orders for this town."), status=403)
    if source_system not in SourceSystem.values:
        raise ImportRefused(_("Choose the source system."), details={"source_system": [_("Unknown source system.")]})
    if not content:
        raise ImportRefused(_("The file is empty."), details={"file": [_("The file is empty.")]})
    if len(content) > MAX_BYTES:
        message = _("The file is larger than %(n)s MB.") % {"n": MAX_BYTES // (1024 * 1024)}
        raise ImportRefused(message, details={"file": [message]})
    try:
        table = parse.read_table(content, name)
        header_index = parse.detect_header(table.rows)
    except parse.ImportFileError as error:
        raise ImportRefused(str(error), details={"file": [str(error)]}) from error
    columns = parse.column_names(table.rows, header_index)
    total = sum(1 for _row in parse.data_rows(table.rows, header_index))
    if total > MAX_ROWS:
        message = _("The file has %(count)s rows; at most %(n)s can be imported at once.") % {
            "count": total,
            "n": MAX_ROWS,
        }
        raise ImportRefused(message, details={"file": [message]})
    remembered = ColumnMapping.objects.filter(source_system=source_system).first()
    mapping = parse.suggest_mapping(columns, remembered.mapping if remembered else None)
    base = os.path.basename(name)[:200] or "import"
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
    table = _read(job)
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


def _editable(job: ImportJob) -> None:
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.PREVIEWED, ImportStatus.FAILED):
        raise ImportRefused(_("This import has already run."), status=409)


@transaction.atomic
def import_header(*, actor: Any, job_id: int, header_row: int) -> ImportJob:
    """Choose another header row: the mapping is suggested afresh for its columns."""
    job = _job_for(actor, job_id, lock=True)
    _editable(job)
    table = _read(job)
    if not 1 <= header_row <= min(len(table.rows), parse.HEADER_SEARCH_ROWS):
        raise ImportRefused(_("Choose one of the first rows."), details={"header_row": [_("Not a row of the file.")]})
    columns = parse.column_names(table.rows, header_row - 1)
    remembered = ColumnMapping.objects.filter(source_system=job.source_system).first()
    job.header_row = header_row
    job.mapping = parse.suggest_mapping(columns, remembered.mapping if remembered else None)
    job.total_rows = sum(1 for _row in parse.data_rows(table.rows, header_row - 1))
    job.status = ImportStatus.UPLOADED
    job.save(update_fields=["header_row", "mapping", "total_rows", "status"])
    return job


@transaction.atomic
def import_map(*, actor: Any, job_id: int, mapping: Mapping[str, str]) -> ImportJob:
    """Set the mapping (field → column) and remember it for the job's source system."""
    job = _job_for(actor, job_id, lock=True)
    _editable(job)
    columns = job_columns(job).columns
    cleaned = {name: column for name, column in mapping.items() if column}
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
        raise ImportRefused(_("The mapping is incomplete."), details=details)
    job.mapping = {name: cleaned[name] for name in parse.FIELD_NAMES if name in cleaned}
    job.status = ImportStatus.PREVIEWED
    job.error = ""
    job.save(update_fields=["mapping", "status", "error"])
    ColumnMapping.objects.update_or_create(
        source_system=job.source_system, defaults={"mapping": job.mapping, "updated_by": actor}
    )
    record(action="hotline.import_mapping", actor=actor, obj=job, data={"mapping": job.mapping})
    return job


# --- preview -------------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    row: int
    number: str
    outcome: str
    errors: list[dict[str, str]] = field(default_factory=list)
    data: intake.OrderData | None = None
    order_id: int | None = None
    duplicate_of: int | None = None
    changed: list[str] = field(default_factory=list)
    # What the table shows (the petitioner masked).
    received_at: dt.datetime | None = None
    order_type: str = ""
    urgency_class: str = ""
    summary: str = ""
    name_masked: str = ""
    phone_masked: str = ""

    @property
    def messages(self) -> list[str]:
        return [item["message"] for item in self.errors]


@dataclass
class Preview:
    rows: list[PreviewRow]
    columns: list[str]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {name: self.count(name) for name in (CREATE, UPDATE, UNCHANGED, SKIP)} | {"total": len(self.rows)}

    @property
    def writable(self) -> int:
        return len(self.rows) - self.count(SKIP)


def _order_data(job: ImportJob, values: dict[str, Any]) -> intake.OrderData:
    return intake.OrderData(
        source_system=job.source_system,
        upstream_number=values["upstream_number"],
        received_at=values["received_at"],
        order_type=values["order_type"],
        urgency_class=values["urgency_class"],
        content=values["content"],
        title=values["title"],
        upstream_category=values["upstream_category"],
        address=values["address"],
        upstream_ack_deadline=values.get("upstream_ack_deadline"),
        upstream_deadline=values.get("upstream_deadline"),
        petitioner_name=values["petitioner_name"],
        petitioner_phone=values["petitioner_phone"],
        petitioner_address=values["petitioner_address"],
        anonymous=values["anonymous"],
        complex=values["complex"],
        town_code=job.town.code,
    )


def _existing(job: ImportJob, numbers: list[str]) -> dict[str, HotlineOrder]:
    found: dict[str, HotlineOrder] = {}
    unique = sorted(set(numbers))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        chunk = unique[start : start + LOOKUP_CHUNK]
        for order in HotlineOrder.objects.filter(source_system=job.source_system, upstream_number__in=chunk):
            found[order.upstream_number] = order
    return found


def _with_existing(data: intake.OrderData, order: HotlineOrder, mapped: Mapping[str, str]) -> intake.OrderData:
    """Fields the file does not carry keep the order's current values."""
    kept = {name: getattr(order, name) for name in intake.COPY_FIELDS if name not in mapped}
    return dataclasses.replace(data, **kept) if kept else data


def _changed(order: HotlineOrder, data: intake.OrderData) -> list[str]:
    return [name for name in intake.COPY_FIELDS if getattr(order, name) != getattr(data, name)]


def _type_label(code: str) -> str:
    return str(dict(OrderType.choices).get(code, code))


def _urgency_label(code: str) -> str:
    return str(dict(UrgencyClass.choices).get(code, code))


def build_preview(job: ImportJob) -> Preview:
    """Every data row of the job's file, validated and compared with the database (no writes)."""
    table = _read(job)
    index = max(job.header_row - 1, 0)
    columns = parse.column_names(table.rows, index)
    parsed = [
        parse.parse_row(number, cells, job.mapping, columns) for number, cells in parse.data_rows(table.rows, index)
    ]
    existing = _existing(job, [row.number for row in parsed if row.number])
    first_row: dict[str, int] = {}
    first_data: dict[str, intake.OrderData] = {}
    rows: list[PreviewRow] = []
    for item in parsed:
        values = item.values
        line = PreviewRow(
            row=item.row,
            number=item.number,
            outcome=SKIP,
            errors=list(item.errors),
            received_at=values.get("received_at"),
            order_type=_type_label(values.get("order_type", "")),
            urgency_class=_urgency_label(values.get("urgency_class", "")),
            summary=(values.get("title") or values.get("content") or "")[:60],
            name_masked=mask_name(values.get("petitioner_name", "")),
            phone_masked=mask_phone(values.get("petitioner_phone", "")),
        )
        rows.append(line)
        if item.errors:
            continue
        data = intake.normalise(_order_data(job, values))
        order = existing.get(data.upstream_number)
        if order is not None:
            data = _with_existing(data, order, job.mapping)
        problems = intake.validate(data)
        for name, messages in problems.items():
            label = parse.SPECS[name].label if name in parse.SPECS else name
            for message in messages:
                line.errors.append({"field": name, "message": f"{label}: {message}"})
        if line.errors:
            continue
        if data.upstream_number in first_row:
            line.duplicate_of = first_row[data.upstream_number]
            same = intake.snapshot(first_data[data.upstream_number]) == intake.snapshot(data)
            message = (
                _("Duplicate of row %(row)s in this file; skipped.")
                if same
                else _("Same number as row %(row)s in this file, with different values; skipped.")
            )
            line.errors.append({"field": "upstream_number", "message": message % {"row": line.duplicate_of}})
            continue
        first_row[data.upstream_number] = item.row
        first_data[data.upstream_number] = data
        line.data = data
        if order is None:
            line.outcome = CREATE
        elif order.town_id != job.town_id:
            line.data = None
            line.errors.append(
                {"field": "upstream_number", "message": _("This order belongs to another town; skipped.")}
            )
        else:
            line.order_id = order.pk
            line.changed = _changed(order, data)
            line.outcome = UPDATE if line.changed else UNCHANGED
    return Preview(rows=rows, columns=columns)


# --- the import ----------------------------------------------------------------------------------


def progress_key(job_id: int) -> str:
    return f"gridgov:hotline-import:{job_id}"


def progress_set(job_id: int, *, status: str, processed: int, total: int) -> None:
    """Record the progress, with when it was made (``at``, ISO): a run whose progress stands
    still for :data:`STALE_AFTER` is taken for dead (:func:`job_stale`)."""
    value = {"status": status, "processed": processed, "total": total, "at": timezone.now().isoformat()}
    cache.set(progress_key(job_id), value, PROGRESS_TTL)


def progress_get(job: ImportJob) -> dict[str, Any]:
    """The job's progress: the cache while it runs, the job's own counts once finished."""
    value = cache.get(progress_key(job.pk)) if job.status == ImportStatus.IMPORTING else None
    if value is not None:
        value = {key: value[key] for key in ("status", "processed", "total") if key in value}
    if not value:
        total = job.total_rows
        processed = job.processed_rows if job.status != ImportStatus.DONE else total
        value = {"status": job.status, "processed": processed, "total": total}
    total = int(value["total"]) or 0
    value["percent"] = 100 if not total else min(100, round(100 * int(value["processed"]) / total))
    return value


def may_write_orders(actor: Any) -> bool:
    """Whether the order services accept orders from ``actor`` (the same rule as theirs)."""
    from gridgov.hotline.services import RECEIVER_ROLES

    return scope_for(actor).has_role(*RECEIVER_ROLES)


@transaction.atomic
def import_start(*, actor: Any, job_id: int) -> ImportJob:
    """Queue the import of a previewed job (again after a failure)."""
    from .tasks import run_import

    job = _job_for(actor, job_id, lock=True)
    if not may_write_orders(actor):
        raise ImportRefused(_("Only a center operator can bring the orders in."), status=403)
    if job.status not in (ImportStatus.PREVIEWED, ImportStatus.FAILED):
        raise ImportRefused(_("This import cannot be started now."), status=409)
    missing = [name for name in parse.REQUIRED_FIELDS if name not in job.mapping]
    if missing:
        raise ImportRefused(_("The mapping is incomplete."), status=409)
    if not job.file.name:
        raise ImportRefused(file_gone_message(), status=409)
    job.status = ImportStatus.IMPORTING
    job.started_at = timezone.now()
    job.finished_at = None
    job.processed_rows = 0
    job.error = ""
    job.save(update_fields=["status", "started_at", "finished_at", "processed_rows", "error"])
    progress_set(job.pk, status=ImportStatus.IMPORTING, processed=0, total=job.total_rows)
    record(action="hotline.import_start", actor=actor, obj=job, data={"rows": job.total_rows})
    job_pk, actor_pk = job.pk, actor.pk
    transaction.on_commit(lambda: run_import.delay(job_pk, actor_pk))
    return job


def _entry(line: PreviewRow, outcome: str, order_id: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"row": line.row, "outcome": outcome, "number": line.number, "errors": line.errors}
    if order_id:
        entry["order_id"] = order_id
    if line.changed and outcome == UPDATED:
        entry["changed"] = line.changed
    return entry


def import_run(*, job_id: int, actor: Any) -> ImportJob:
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


class _Superseded(Exception):
    """The job is no longer the run that started (reset as stale meanwhile)."""


def _run(job: ImportJob, actor: Any) -> ImportJob:
    from gridgov.hotline.services import order_receive

    try:
        preview = build_preview(job)
    except (parse.ImportFileError, OSError) as error:
        return _fail(job, actor, str(error) or _("The file cannot be read."), [])
    total = len(preview.rows)
    report: list[dict[str, Any]] = []
    counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, SKIPPED: 0}
    progress_set(job.pk, status=ImportStatus.IMPORTING, processed=0, total=total)
    current: PreviewRow | None = None
    try:
        with transaction.atomic():
            for done, line in enumerate(preview.rows, start=1):
                current = line
                if line.data is None:
                    report.append(_entry(line, SKIPPED))
                    counts[SKIPPED] += 1
                else:
                    received = order_receive(actor=actor, data=line.data, channel="import")
                    outcome = str(received.outcome)
                    counts[outcome] = counts.get(outcome, 0) + 1
                    report.append(_entry(line, outcome, received.order.pk))
                progress_set(job.pk, status=ImportStatus.IMPORTING, processed=done, total=total)
            current = None
            locked = ImportJob.objects.select_for_update().get(pk=job.pk)
            if locked.status != ImportStatus.IMPORTING or locked.started_at != job.started_at:
                raise _Superseded()
            locked.status = ImportStatus.DONE
            locked.total_rows = total
            locked.processed_rows = total
            locked.created_count = counts[CREATED]
            locked.updated_count = counts[UPDATED]
            locked.unchanged_count = counts[UNCHANGED]
            locked.skipped_count = counts[SKIPPED]
            locked.report = report
            locked.error = ""
            locked.finished_at = timezone.now()
            locked.save()
            record(
                action="hotline.import",
                actor=actor,
                obj=locked,
                data={
                    "source_system": locked.source_system,
                    "town": job.town.code,
                    "name": locked.original_name,
                    "rows": total,
                    **counts,
                },
            )
    except _Superseded:
        # The run was reset as stale (or started again) while it ran: its rows roll back and
        # the job is left as the reset made it.
        logger.warning("import %s: the run was reset while it ran; its rows were rolled back", job.pk)
        return ImportJob.objects.get(pk=job.pk)
    except Exception as error:  # whatever fails, the import rolls back as a whole
        if not isinstance(error, DatabaseError) and not hasattr(error, "message"):
            logger.exception("import %s failed", job.pk)
        reason = getattr(error, "message", "") or str(error) or error.__class__.__name__
        details = getattr(error, "details", None) or {}
        if details:
            reason = "; ".join(
                [reason, *(f"{name}: {' '.join(map(str, messages))}" for name, messages in details.items())]
            )
        if current is not None:
            reason = _("Row %(row)s (%(number)s): %(reason)s") % {
                "row": current.row,
                "number": current.number,
                "reason": reason,
            }
        return _fail(job, actor, reason, preview.rows, failed_row=current.row if current else None)
    progress_set(job.pk, status=ImportStatus.DONE, processed=total, total=total)
    _discard_file(locked)
    return locked


def _discard_file(job: ImportJob) -> None:
    """Delete an imported export: it holds the petitioners in clear, and once its rows are in
    the orders (encrypted) nothing reads it again (the report is kept on the job)."""
    name = job.file.name
    if not name:
        return
    job.file.storage.delete(name)
    ImportJob.objects.filter(pk=job.pk).update(file="")
    job.file.name = ""


@transaction.atomic
def _fail(job: ImportJob, actor: Any, reason: str, rows: list[PreviewRow], failed_row: int | None = None) -> ImportJob:
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if locked.status != ImportStatus.IMPORTING or locked.started_at != job.started_at:
        return locked  # reset as stale meanwhile: the reset's state stands
    locked.status = ImportStatus.FAILED
    locked.error = reason[:2000]
    locked.processed_rows = 0
    locked.created_count = locked.updated_count = locked.unchanged_count = 0
    locked.skipped_count = sum(1 for line in rows if line.data is None)
    # The report of a failed import: what would have happened, and the row that failed.
    locked.report = [
        {
            "row": line.row,
            "outcome": "failed" if line.row == failed_row else (SKIPPED if line.data is None else "not_imported"),
            "number": line.number,
            "errors": line.errors + ([{"field": "", "message": reason}] if line.row == failed_row else []),
        }
        for line in rows
    ]
    locked.finished_at = timezone.now()
    locked.save()
    record(
        action="hotline.import",
        actor=actor,
        obj=locked,
        success=False,
        data={"source_system": locked.source_system, "name": locked.original_name, "error": locked.error[:500]},
    )
    progress_set(job.pk, status=ImportStatus.FAILED, processed=0, total=len(rows))
    return locked


# --- stale runs and old files ----------------------------------------------------------------------


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


def may_reset(actor: Any, job: ImportJob) -> bool:
    """Center operators of the job's town (or an area above it) may reset its stale run."""
    paths = scope_for(actor).paths_for_roles(Role.CENTER_OPERATOR)
    return any(job.town.path.startswith(path) for path in paths)


@transaction.atomic
def import_reset(*, actor: Any, job_id: int) -> ImportJob:
    """Put a job stuck in ``importing`` back to ``previewed``, so that it can be started again.

    Only a run without progress for :data:`STALE_AFTER` (409 otherwise): a live run is never
    taken from its worker. Should the old worker still finish, its transaction sees the reset and
    rolls back (see :func:`_run`). Audit ``hotline.import_reset``."""
    job = _job_for(actor, job_id, lock=True)
    if not may_reset(actor, job):
        raise ImportRefused(_("Only a center operator of the town can reset an import."), status=403)
    if job.status != ImportStatus.IMPORTING:
        raise ImportRefused(_("Only a running import can be reset."), status=409)
    stalled_since = last_progress_at(job)
    if not job_stale(job):
        raise ImportRefused(_("This import is still making progress; wait for it."), status=409)
    progress = cache.get(progress_key(job.pk)) or {}
    job.status = ImportStatus.PREVIEWED
    job.processed_rows = 0
    job.finished_at = None
    job.error = ""
    job.save(update_fields=["status", "processed_rows", "finished_at", "error"])
    record(
        action="hotline.import_reset",
        actor=actor,
        obj=job,
        data={
            "stalled_since": stalled_since.isoformat() if stalled_since else None,
            "processed": int(progress.get("processed", 0)) if isinstance(progress, dict) else 0,
            "total": job.total_rows,
        },
    )
    key = progress_key(job.pk)
    transaction.on_commit(lambda: cache.delete_many([key, f"{key}:running"]))
    return job


@transaction.atomic
def purge_files(*, now: dt.datetime | None = None) -> int:
    """Delete the stored files (they hold petitioners in clear) of the jobs never imported after
    :data:`KEEP_UNIMPORTED` and of the failed ones after :data:`KEEP_FAILED`; the jobs and their
    reports stay. The files go after the commit. Returns how many. Audit
    ``hotline.import_files_purged`` (the job ids, no names)."""
    now = now or timezone.now()
    unimported = Q(status__in=[ImportStatus.UPLOADED, ImportStatus.PREVIEWED], created_at__lt=now - KEEP_UNIMPORTED)
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
            try:
                storage.delete(name)
            except OSError:
                logger.warning("import file %s could not be deleted", name, exc_info=True)

    transaction.on_commit(delete_files)
    return len(jobs)
