"""The historical ledger import under ``/api/v1/ledger``: upload a ledger (multipart), read the
suggested mapping with the file's columns and samples, set the mapping, preview, confirm (start)
and read the row report (JSON or Excel). The same services and rules as the pages: center
operators of the town and administrators (the lists 403 for anyone else; a job the user does not
see is not found, 404).
"""

from __future__ import annotations

from typing import Any, Final

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from gridgov.core.downloads import document_response
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.core.schemas import LocalTime

from . import parse, selectors, services
from .models import LedgerImport, LedgerStatus

router = Router(tags=["ledger"])
PREVIEW_ROWS: Final = 200


class LedgerImportOut(Schema):
    id: int
    town: str
    original_name: str
    status: str
    mapping: dict[str, str]
    total_rows: int
    processed_rows: int
    percent: int
    created: int
    updated: int
    unchanged: int
    refused: int
    to_review: int
    error: str
    created_at: LocalTime
    started_at: LocalTime | None
    finished_at: LocalTime | None


class LedgerFieldOut(Schema):
    name: str
    label: str
    required: bool
    column: str | None


class LedgerColumnsOut(Schema):
    header_row: int
    columns: list[str]
    samples: dict[str, list[str]]
    fields: list[LedgerFieldOut]


class LedgerMappingIn(Schema):
    mapping: dict[str, str]


class LedgerPreviewRowOut(Schema):
    row: int
    number: str
    outcome: str
    label: str
    reasons: list[str]
    review: list[str]


class LedgerPreviewOut(Schema):
    counts: dict[str, int]
    rows: list[LedgerPreviewRowOut]


class LedgerReportRowOut(Schema):
    row: int | None
    number: str
    case: str
    case_id: int | None
    outcome: str
    label: str
    reasons: list[str]
    review: list[str]


def job_out(job: LedgerImport) -> LedgerImportOut:
    progress = services.progress_get(job)
    return LedgerImportOut(
        id=job.pk,
        town=job.town.code,
        original_name=job.original_name,
        status=job.status,
        mapping=job.mapping,
        total_rows=job.total_rows,
        processed_rows=job.processed_rows,
        percent=int(progress.get("percent", 0)),
        created=job.created_count,
        updated=job.updated_count,
        unchanged=job.unchanged_count,
        refused=job.refused_count,
        to_review=job.review_count,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def _job(request: HttpRequest, pk: int) -> LedgerImport:
    """The job if the user sees it; else 404, for anyone (a job is not confirmed to exist)."""
    job = selectors.jobs_visible(request.user).filter(pk=pk).first()
    if job is None:
        raise NotFound(_("No such import."))
    return job


def _needs_file(job: LedgerImport, statuses: tuple[str, ...]) -> None:
    if job.status not in statuses or not job.file.name:
        raise Conflict(
            _("This step is not open for the import in its current state (%(status)s).")
            % {"status": job.get_status_display()},
            code="wrong_status",
        )


@router.get("/imports", response=list[LedgerImportOut], summary="Recent ledger imports the user may see")
def import_list(request: HttpRequest) -> list[LedgerImportOut]:
    if not selectors.may_import(request.user):
        raise Forbidden(_("Only the center may import a historical ledger."))
    return [job_out(job) for job in selectors.jobs_visible(request.user)[:100]]


@router.post(
    "/imports",
    response={202: LedgerImportOut},
    summary="Upload a ledger (multipart: `file`, `town` code); read in the background (status `reading`, then "
    "`uploaded` with a suggested mapping, or `refused` with the reason)",
)
def import_upload(request: HttpRequest, file: File[UploadedFile], town: Form[str]) -> Status[LedgerImportOut]:
    area = selectors.import_towns(request.user).filter(code=town.strip()).first()
    if area is None:
        if not selectors.may_import(request.user):
            raise Forbidden(_("Only the center may import a historical ledger."))
        raise Invalid.field("town", _("Choose a town you may import for."))
    job = services.ledger_upload(actor=request.user, town=area, name=file.name or "", file=file, size=file.size)
    return Status(202, job_out(job))


@router.get("/imports/{int:ledger_import_id}", response=LedgerImportOut, summary="One import: status, progress, counts")
def import_detail(request: HttpRequest, ledger_import_id: int) -> LedgerImportOut:
    return job_out(_job(request, ledger_import_id))


@router.get(
    "/imports/{int:ledger_import_id}/columns",
    response=LedgerColumnsOut,
    summary="The file's columns with samples, and each ledger field with the column mapped to it",
)
def import_columns(request: HttpRequest, ledger_import_id: int) -> LedgerColumnsOut:
    job = _job(request, ledger_import_id)
    _needs_file(job, (LedgerStatus.UPLOADED, LedgerStatus.PREVIEWED, LedgerStatus.FAILED))
    columns = services.job_columns(job)
    return LedgerColumnsOut(
        header_row=job.header_row,
        columns=columns.columns,
        samples=columns.samples,
        fields=[
            LedgerFieldOut(
                name=spec.name, label=str(spec.label), required=spec.required, column=job.mapping.get(spec.name)
            )
            for spec in parse.FIELDS
        ],
    )


@router.post(
    "/imports/{int:ledger_import_id}/mapping",
    response=LedgerImportOut,
    summary="Set the mapping (ledger field → the file's column); the import is then previewed",
)
def import_mapping(request: HttpRequest, ledger_import_id: int, body: LedgerMappingIn) -> LedgerImportOut:
    job = _job(request, ledger_import_id)
    return job_out(services.ledger_map(actor=request.user, job_id=job.pk, mapping=body.mapping))


@router.get(
    "/imports/{int:ledger_import_id}/preview",
    response=LedgerPreviewOut,
    summary="What the import would do, nothing written: counts (`new`, `again`, `flagged`, `refused`) and the "
    "rows, problems first",
)
def import_preview(request: HttpRequest, ledger_import_id: int) -> LedgerPreviewOut:
    job = _job(request, ledger_import_id)
    _needs_file(job, (LedgerStatus.PREVIEWED, LedgerStatus.FAILED))
    preview = services.build_preview(job)
    shown = sorted(preview.rows, key=lambda row: (not (row.reasons or row.notes), row.row))[:PREVIEW_ROWS]
    return LedgerPreviewOut(
        counts=preview.counts,
        rows=[
            LedgerPreviewRowOut(
                row=row.row,
                number=row.number,
                outcome=row.outcome,
                label=services.outcome_label(row.outcome),
                reasons=row.reasons,
                review=row.notes,
            )
            for row in shown
        ],
    )


@router.post(
    "/imports/{int:ledger_import_id}/start",
    response={202: LedgerImportOut},
    summary="Confirm: import the previewed ledger in the background (again after a failure)",
)
def import_start(request: HttpRequest, ledger_import_id: int) -> Status[LedgerImportOut]:
    job = _job(request, ledger_import_id)
    return Status(202, job_out(services.ledger_start(actor=request.user, job_id=job.pk)))


@router.get(
    "/imports/{int:ledger_import_id}/report",
    response=list[LedgerReportRowOut],
    summary="The row report: each row's outcome (created, updated, unchanged, refused), case, reasons, notes",
)
def import_report(request: HttpRequest, ledger_import_id: int) -> list[Any]:
    return services.report_rows(_job(request, ledger_import_id))


@router.get("/imports/{int:ledger_import_id}/report/xlsx", summary="The row report as Excel (formula-safe)")
def import_report_xlsx(request: HttpRequest, ledger_import_id: int) -> HttpResponse:
    job = _job(request, ledger_import_id)
    name, fallback = services.report_names(job)
    return document_response(services.report_workbook(job), "xlsx", name, fallback=fallback)
