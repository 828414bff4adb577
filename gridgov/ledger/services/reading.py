"""The ledger import's steps, each a service with an ``actor``; the job's statuses move only on
the workflow engine (:data:`LEDGER_IMPORTS`, table in :mod:`.transitions`):

1. :func:`ledger_upload` stores the file as a :class:`LedgerImport` and hands it to the worker:
   :func:`ledger_read` reads it streaming within the hotline import's ceilings (the shared
   reader of :mod:`gridgov.core.uploads` and :mod:`gridgov.core.tables`), finds the header row
   and suggests a mapping (the one remembered for the town, else the known headers).
2. :func:`ledger_map` sets the mapping (remembered per town, :class:`LedgerMapping`).
3. :func:`build_preview` (a read) reads and matches every row and counts what the import would
   do: new, already imported, flagged, refused.
4. :func:`ledger_start` queues :func:`ledger_run` (a Celery task), which writes each row through
   :func:`gridgov.cases.services.historical.case_import_historical`, a batch of rows per
   transaction; a failure rolls its batch back and the job says why (start it again: the rows
   already in are found unchanged). The row report is kept on the job.

Matching names (:class:`Matcher`): a category, a grid or village, a department is matched by
its code or name exactly, else approximately (one whose name contains the cell's text or the
other way round, when only one does: flagged), else the fallbacks (the classification's "other"
category, the town, no department: flagged).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Final, TypeAlias, TypeVar

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.areas.selectors import town_places
from gridgov.cases.access import mask_name, mask_phone
from gridgov.cases.models import Case
from gridgov.cases.services.historical import (
    CREATED,
    UNCHANGED,
    UPDATED,
    HistoricalCase,
    case_import_historical,
    derived_numbers,
)
from gridgov.categories.selectors import active_minors
from gridgov.core import importjobs, tables, uploads
from gridgov.core.actors import Actor
from gridgov.core.audit import record
from gridgov.core.claims import claim
from gridgov.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from gridgov.core.spreadsheets import SafeWorkbook
from gridgov.core.workflow import Step, Transition, Workflow
from gridgov.hotline.importing.services import limits
from gridgov.people.selectors import active_departments

from .. import parse, selectors
from ..models import LedgerImport, LedgerMapping, LedgerStatus
from ..transitions import FORBIDDEN, INVALID, LABELS, ROWS, LedgerAction, LedgerParty

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area
    from gridgov.categories.models import Category
    from gridgov.people.models import Department

logger = logging.getLogger("gridgov.ledger")

LedgerRefused: TypeAlias = DomainError
JobActor: TypeAlias = Actor
JobStep: TypeAlias = Step[LedgerImport, JobActor]

BATCH_ROWS: Final = 100
MAX_ROWS: Final = 5000
PROGRESS_TTL: Final = importjobs.PROGRESS_TTL
REFUSED: Final = "refused"
# Preview outcomes.
NEW: Final = "new"
AGAIN: Final = "again"  # the number was imported before: unchanged or updated

AUDIT: Final[dict[str, tuple[str, bool]]] = {
    LedgerAction.READ: ("ledger.upload", True),
    LedgerAction.REFUSE: ("ledger.upload", False),
    LedgerAction.MAP: ("ledger.mapping", True),
    LedgerAction.START: ("ledger.start", True),
    LedgerAction.FINISH: ("ledger.import", True),
    LedgerAction.FAIL: ("ledger.import", False),
}


# --- the job on the workflow engine -----------------------------------------------------------


def job_for(actor: User | AnonymousUser, job_id: int, *, lock: bool = False) -> LedgerImport:
    """The job if the actor imports and sees it (403 for a non-importer, else 404)."""
    if not selectors.may_import(actor):
        raise Forbidden(_("Only the center may import a historical ledger."))
    query = selectors.jobs_visible(actor)
    if lock:
        query = query.select_for_update(of=("self",))
    try:
        return query.get(pk=job_id)
    except LedgerImport.DoesNotExist:
        raise NotFound(_("No such import.")) from None


class LedgerFlow(Workflow[LedgerImport, JobActor]):
    """The steps of a ledger import. The actor ``None`` is the job's own run (the worker), which
    acts for the operator who started it (``inputs["by"]``, named in the audit row)."""

    model = LedgerImport
    version_field = None

    def parties(self, actor: JobActor, subject: LedgerImport) -> set[str]:
        if actor is None:
            return {LedgerParty.WORKER}
        return {LedgerParty.IMPORTER} if selectors.may_import(actor) else set()

    def visible(self, actor: JobActor) -> Q:
        if actor is None:
            return Q()
        return Q(pk__in=selectors.jobs_visible(actor).values("pk"))

    def lock(self, subject_id: int, actor: JobActor) -> LedgerImport:
        if actor is None:
            return LedgerImport.objects.select_for_update(of=("self",)).get(pk=subject_id)
        return job_for(actor, subject_id, lock=True)

    def forbidden(self, subject: LedgerImport, transition: Transition) -> Forbidden:
        return Forbidden(FORBIDDEN[transition.action])

    def invalid_message(self, subject: LedgerImport, transition: Transition) -> str:
        return str(INVALID[transition.action])

    def record(self, step: JobStep) -> Any:
        action, success = AUDIT[step.action]
        actor = step.input("by", step.actor)
        return record(action=action, actor=actor, obj=step.subject, success=success, data=step.data)


LEDGER_IMPORTS = LedgerFlow("ledger_import", ROWS, labels=LABELS)


# --- progress -----------------------------------------------------------------------------------

PROGRESS = importjobs.JobProgress(
    "ledger-import",
    running=(LedgerStatus.IMPORTING, LedgerStatus.READING),
    done=LedgerStatus.DONE,
    importing=LedgerStatus.IMPORTING,
)
progress_key, progress_set, progress_get = PROGRESS.key, PROGRESS.set, PROGRESS.get


# --- upload and reading --------------------------------------------------------------------------


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
    from ..tasks import read_ledger  # tasks.py imports this module

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


def read_job(job: LedgerImport) -> list[tables.Numbered]:
    if not job.file.name:
        raise tables.ImportFileError(_("The uploaded file is no longer kept; upload it again."))
    with job.file.open("rb") as handle:
        return list(tables.read_numbered(handle))


# --- mapping ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    columns: list[str]
    samples: dict[str, list[str]]


def job_columns(job: LedgerImport, *, sample_rows: int = 3) -> Columns:
    """The file's columns and the first values under each (the mapping page's samples)."""
    body = tables.split_body(read_job(job), job.header_row)
    columns = tables.columns_of(body.header, (cells for _number, cells in body.rows))
    samples: dict[str, list[str]] = {name: [] for name in columns}
    for _number, cells in body.rows[:sample_rows]:
        for position, name in enumerate(columns):
            value = tables.text_value(cells[position] if position < len(cells) else None)
            if value:
                samples[name].append(_masked_sample(value, name)[:40])
    return Columns(columns, samples)


def _masked_sample(value: str, column: str) -> str:
    """A sample cell for the mapping page. A ledger holds no personal field GridGov imports, but
    an old one may carry its reporters' names and phones in other columns: those columns, and
    anything like a phone or an identity card number, are shown masked."""
    if tables.looks_like_number_of_a_person(value):
        return mask_phone(tables.compact(value))
    if tables.header_looks_personal(column):
        return mask_phone(value) if any(ch.isdigit() for ch in value) else mask_name(value)
    return value


@LEDGER_IMPORTS.effect(LedgerAction.MAP)
def _map(step: JobStep) -> None:
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
    if not any(name in cleaned for name in parse.TIME_FIELDS):
        details.setdefault("reported_at", []).append(_("Choose the column of at least one time."))
    if details:
        raise Invalid(_("The mapping is incomplete."), details=details)
    mapping = {name: cleaned[name] for name in parse.FIELD_NAMES if name in cleaned}
    step.set(mapping=mapping, error="")
    LedgerMapping.objects.update_or_create(town=job.town, defaults={"mapping": mapping, "updated_by": step.actor})
    step.data["mapping"] = mapping


def ledger_map(*, actor: User | AnonymousUser, job_id: int, mapping: Mapping[str, str]) -> LedgerImport:
    """Set the mapping (field → column), remembered for the job's town."""
    return LEDGER_IMPORTS.act(job_id, LedgerAction.MAP, actor=actor, inputs={"mapping": mapping})


# --- matching names -----------------------------------------------------------------------------------

T = TypeVar("T")


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def _match(items: Iterable[T], text: str, keys: Any) -> tuple[T | None, bool]:
    """The item whose code or name is the text (exact), else the one item whose name contains
    it or is contained in it (approximate); ``(None, False)`` when none or several."""
    wanted = _key(text)
    if not wanted:
        return None, False
    listed = list(items)
    for item in listed:
        if wanted in {_key(k) for k in keys(item)}:
            return item, True
    near = [item for item in listed if len(wanted) >= 2 and any(_near(wanted, _key(k)) for k in keys(item)[1:])]
    if len(near) == 1:
        return near[0], False
    return None, False


def _near(wanted: str, name: str) -> bool:
    return len(name) >= 2 and (wanted in name or name in wanted)


def fallback_category(categories: list[Category]) -> Category:
    """The category of a row whose category is unknown: the classification's "other" (其他)."""
    for category in categories:
        if "其他" in category.name or category.code.split(".")[-1] == "other":
            return category
    return categories[0]


@dataclass
class Matcher:
    """The town's categories, places and departments, loaded once per preview or run."""

    town: Area
    categories: list[Category] = field(default_factory=list)
    places: list[Area] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)

    @classmethod
    def for_town(cls, town: Area) -> Matcher:
        categories = list(active_minors().order_by("sort_order", "code"))
        if not categories:
            raise Conflict(_("The classification has no category in use."), code="no_category")
        places = list(town_places(town.pk).order_by("level", "code"))
        departments = list(active_departments())
        return cls(town, categories, places, departments)

    def case(self, line: parse.LedgerRow) -> HistoricalCase:
        """The row as the case to write, its names matched (noted when doubtful)."""
        values = line.values
        category, exact = _match(self.categories, values["category"], lambda c: (c.code, c.name))
        if category is None:
            category = fallback_category(self.categories)
            line.note(parse.Code.CATEGORY_UNKNOWN, "category", values["category"], category.code)
        elif not exact:
            line.note(parse.Code.CATEGORY_APPROXIMATE, "category", values["category"], category.code)
        area, exact = _match(self.places, values["area"], lambda a: (a.code, a.name))
        if area is None and values["area"]:
            line.note(parse.Code.AREA_UNKNOWN, "area", values["area"], self.town.code)
        elif area is not None and not exact:
            line.note(parse.Code.AREA_APPROXIMATE, "area", values["area"], area.code)
        department, exact = _match(self.departments, values["department"], lambda d: (d.code, d.name))
        if department is None and values["department"]:
            line.note(parse.Code.DEPARTMENT_UNKNOWN, "department", values["department"])
        elif department is not None and not exact:
            line.note(parse.Code.DEPARTMENT_APPROXIMATE, "department", values["department"], department.code)
        return HistoricalCase(
            number=line.number,
            town=self.town,
            category=category,
            area=area,
            department=department,
            source=values["source"],
            description=values["description"] or _("Imported from the historical ledger"),
            address=values["address"],
            result=values["result"],
            reported_at=values["reported_at"],
            registered_at=values["registered_at"],
            dispatched_at=values["dispatched_at"],
            handled_at=values["handled_at"],
            verified_at=values["verified_at"],
            closed_at=values["closed_at"],
            deadline=values["deadline"],
            on_time=values["on_time"],
            review=line.review,
        )


# --- preview ---------------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    line: parse.LedgerRow
    outcome: str
    data: HistoricalCase | None = None

    @property
    def row(self) -> int:
        return self.line.row

    @property
    def number(self) -> str:
        return self.line.number

    @property
    def notes(self) -> list[str]:
        return [parse.note_text(note) for note in self.line.review]

    @property
    def reasons(self) -> list[str]:
        return [error["message"] for error in self.line.errors]


@dataclass
class Preview:
    rows: list[PreviewRow]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def flagged(self) -> int:
        return sum(1 for row in self.rows if row.outcome != REFUSED and row.line.review)

    @property
    def counts(self) -> dict[str, int]:
        return {NEW: self.count(NEW), AGAIN: self.count(AGAIN), "flagged": self.flagged, REFUSED: self.count(REFUSED)}


def _parsed(job: LedgerImport) -> list[parse.LedgerRow]:
    body = tables.split_body(read_job(job), job.header_row)
    columns = tables.columns_of(body.header, (cells for _number, cells in body.rows))
    now = timezone.now()
    lines = [parse.parse_row(number, cells, job.mapping, columns, now=now) for number, cells in body.rows]
    parse.number_repeats(lines)
    return lines


def build_preview(job: LedgerImport) -> Preview:
    """Every row read and matched, with what the import would do (nothing is written)."""
    lines = _parsed(job)
    matcher = Matcher.for_town(job.town)
    rows: list[PreviewRow] = []
    valid = [line for line in lines if line.valid]
    numbers = {n for line in valid for n in [line.number, *derived_numbers(line.number)[:1]]}
    imported = set(
        Case.objects.filter(number__in=numbers, imported=True, town=job.town).values_list("number", flat=True)
    )
    for line in lines:
        if not line.valid:
            rows.append(PreviewRow(line, REFUSED))
            continue
        data = matcher.case(line)
        again = line.number in imported or derived_numbers(line.number)[0] in imported
        rows.append(PreviewRow(line, AGAIN if again else NEW, data))
    return Preview(rows)


# --- the run ---------------------------------------------------------------------------------------


def ledger_start(*, actor: User | AnonymousUser, job_id: int) -> LedgerImport:
    """Queue the import of a previewed job (again after a failure)."""
    return LEDGER_IMPORTS.act(job_id, LedgerAction.START, actor=actor)


@LEDGER_IMPORTS.effect(LedgerAction.START)
def _start(step: JobStep) -> None:
    from ..tasks import run_ledger  # tasks.py imports this module

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


# --- the report ---------------------------------------------------------------------------------------


def outcome_label(code: str) -> str:
    labels = {
        CREATED: _("Created"),
        UPDATED: _("Updated"),
        UNCHANGED: _("Unchanged"),
        REFUSED: _("Refused"),
        NEW: _("New"),
        AGAIN: _("Imported before"),
    }
    return str(labels.get(code, code))


def report_rows(job: LedgerImport) -> list[dict[str, Any]]:
    return [
        {
            "row": entry.get("row"),
            "number": entry.get("number", ""),
            "case": entry.get("case", ""),
            "case_id": entry.get("case_id"),
            "outcome": entry.get("outcome", ""),
            "label": outcome_label(str(entry.get("outcome", ""))),
            "reasons": [str(error.get("message", "")) for error in entry.get("errors") or []],
            "review": [parse.note_text(note) for note in entry.get("review") or []],
        }
        for entry in job.report or []
    ]


def report_workbook(job: LedgerImport) -> bytes:
    """The row report as Excel, through the formula-safe writer."""
    book = SafeWorkbook()
    sheet = book.sheet(_("Import report"))
    sheet.widths([10, 24, 22, 14, 50, 70])
    finished = timezone.localtime(job.finished_at).strftime("%Y-%m-%d %H:%M") if job.finished_at else ""
    summary: list[tuple[str, Any]] = [
        (_("File"), job.original_name),
        (_("Town"), job.town.name),
        (_("Status"), str(dict(LedgerStatus.choices).get(job.status, job.status))),
        (_("Finished at"), finished),
        (_("Rows read"), job.total_rows),
        (_("Created"), job.created_count),
        (_("Updated"), job.updated_count),
        (_("Unchanged"), job.unchanged_count),
        (_("Refused"), job.refused_count),
        (_("To review"), job.review_count),
    ]
    if job.error:
        summary.append((_("Reason"), job.error))
    for title, value in summary:
        sheet.append([title, value])
    sheet.blank()
    sheet.header([_("Row"), _("Ledger number"), _("Case number"), _("Outcome"), _("Reason"), _("To review")])
    for row in report_rows(job):
        sheet.append(
            [row["row"], row["number"], row["case"], row["label"], "；".join(row["reasons"]), "；".join(row["review"])]
        )
    return book.bytes()


def at_local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


LEDGER_IMPORTS.check_complete()
