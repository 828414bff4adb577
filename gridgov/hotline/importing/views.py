"""Pages of the import: upload, column mapping, preview, progress, report.

Only center operators (for their towns) and administrators may open them; any other user gets
403, a job of another town 404. Every write goes through :mod:`.services`.
"""

from __future__ import annotations

from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.core.downloads import document_response
from gridgov.core.pages import error_page, job_progress
from gridgov.hotline.models import ImportJob, ImportStatus

from . import parse, selectors, services
from .forms import HeaderForm, MappingForm, UploadForm
from .progress import PROGRESS
from .report import outcome_label, report_rows, report_workbook, totals_note

# Rows shown in the preview table (problems first); the rest are counted only.
PREVIEW_ROWS_SHOWN: Final = 1000
LIST_LIMIT: Final = 30


def _guard(request: HttpRequest) -> HttpResponse | None:
    if not selectors.may_import(request.user):
        return error_page(request, _("Only the center may import hotline orders."), 403)
    return None


def _job(request: HttpRequest, pk: int) -> ImportJob | HttpResponse:
    refused = _guard(request)
    if refused is not None:
        return refused
    try:
        return selectors.job_get(request.user, pk)
    except ImportJob.DoesNotExist:
        return error_page(request, _("No such import."), 404)


def _refused(request: HttpRequest, error: services.ImportRefused) -> HttpResponse:
    return error_page(request, error.message, error.status)


@require_http_methods(["GET", "POST"])
@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    refused = _guard(request)
    if refused is not None:
        return refused
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > services.MAX_BYTES:
            form.add_error("file", _("The file is larger than %(n)s MB.") % {"n": services.MAX_BYTES // (1024 * 1024)})
        else:
            try:
                job = services.import_upload(
                    actor=request.user,
                    town=form.cleaned_data["town"],
                    source_system=form.cleaned_data["source_system"],
                    name=upload.name or "",
                    file=upload,
                    size=upload.size,
                )
            except services.ImportRefused as error:
                if error.status != 422:
                    return _refused(request, error)
                details = error.details or {}
                for message in details.get("file", []) or [error.message]:
                    form.add_error("file" if "file" in details or not details else None, message)
            else:
                return redirect("hotline:import-detail", pk=job.pk)
    jobs = selectors.jobs_visible(request.user).select_related("created_by__profile")[:LIST_LIMIT]
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "hotline/import/list.html",
        {"form": form, "jobs": jobs, "max_mb": services.MAX_BYTES // (1024 * 1024), "max_rows": services.MAX_ROWS},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if isinstance(job, HttpResponse):
        return job
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.PREVIEWED, ImportStatus.FAILED):
        return redirect("hotline:import-detail", pk=job.pk)
    if not job.file.name:
        return error_page(request, services.file_gone_message(), 410)
    columns = services.job_columns(job)
    header_form = HeaderForm(initial={"header_row": job.header_row}, candidates=columns.candidates)
    initial = {name: job.mapping.get(name, "") for name in parse.FIELD_NAMES}
    form = MappingForm(initial=initial, columns=columns.columns)
    status = 200
    if request.method == "POST":
        try:
            if "header_row" in request.POST:
                header_form = HeaderForm(request.POST, candidates=columns.candidates)
                if header_form.is_valid():
                    services.import_header(
                        actor=request.user, job_id=job.pk, header_row=header_form.cleaned_data["header_row"]
                    )
                    messages.info(request, _("The header row was changed; check the mapping."))
                    return redirect("hotline:import-mapping", pk=job.pk)
                status = 422
            else:
                form = MappingForm(request.POST, columns=columns.columns)
                if form.is_valid():
                    services.import_map(actor=request.user, job_id=job.pk, mapping=form.mapping())
                    return redirect("hotline:import-preview", pk=job.pk)
                status = 422
        except services.ImportRefused as error:
            if error.status != 422:
                return _refused(request, error)
            for name, problems in (error.details or {}).items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
            status = 422
    rows = [
        {"field": form[spec.name], "samples": columns.samples.get(job.mapping.get(spec.name, ""), [])}
        for spec in parse.FIELDS
    ]
    context = {
        "job": job,
        "form": form,
        "rows": rows,
        "header_form": header_form,
        "columns": columns,
        "sample_columns": [(name, columns.samples.get(name, [])) for name in columns.columns],
    }
    return render(request, "hotline/import/mapping.html", context, status=status)


@require_GET
@login_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if isinstance(job, HttpResponse):
        return job
    if job.status != ImportStatus.PREVIEWED and job.status != ImportStatus.FAILED:
        if job.status == ImportStatus.UPLOADED:
            return redirect("hotline:import-mapping", pk=job.pk)
        return redirect("hotline:import-detail", pk=job.pk)
    if not job.file.name:
        return error_page(request, services.file_gone_message(), 410)
    try:
        preview = services.build_preview(job)
    except parse.ImportFileError as error:
        return error_page(request, str(error), 422)
    show = request.GET.get("show") or ""
    if show == "problems":
        shown = [row for row in preview.rows if row.outcome == services.SKIP]
    elif show == "review":
        shown = [row for row in preview.rows if row.flagged]
    else:
        show = ""
        shown = list(preview.rows)
    # Skipped rows first, then those to review, then the rest, each in sheet order.
    shown.sort(key=lambda row: (row.outcome != services.SKIP, not row.flagged, row.row))
    labels = {spec.name: spec.label for spec in parse.FIELDS}
    context = {
        "job": job,
        "preview": preview,
        "counts": preview.counts,
        "rows": [
            {
                "line": row,
                "label": outcome_label(row.outcome),
                "changed": [str(labels.get(name, name)) for name in row.changed],
            }
            for row in shown[:PREVIEW_ROWS_SHOWN]
        ],
        "truncated": len(shown) > PREVIEW_ROWS_SHOWN,
        "show": show,
        "totals_note": totals_note(preview.totals.declared, preview.totals.row, len(preview.rows))
        if preview.totals
        else "",
        "totals_mismatch": preview.totals_mismatch,
        "mapped": [(labels[name], column) for name, column in job.mapping.items() if name in labels],
    }
    return render(request, "hotline/import/preview.html", context)


@require_POST
@login_required
def import_start(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if isinstance(job, HttpResponse):
        return job
    try:
        services.import_start(actor=request.user, job_id=job.pk)
    except services.ImportRefused as error:
        return _refused(request, error)
    return redirect("hotline:import-detail", pk=job.pk)


@require_POST
@login_required
def import_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """A center operator puts a run that stopped making progress back to the preview."""
    job = _job(request, pk)
    if isinstance(job, HttpResponse):
        return job
    try:
        services.import_reset(actor=request.user, job_id=job.pk)
    except services.ImportRefused as error:
        return _refused(request, error)
    messages.info(request, _("The stalled import was reset; check the preview and start it again."))
    return redirect("hotline:import-preview", pk=job.pk)


@require_GET
@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if isinstance(job, HttpResponse):
        return job
    if job.status == ImportStatus.UPLOADED:
        return redirect("hotline:import-mapping", pk=job.pk)
    if job.status == ImportStatus.PREVIEWED:
        return redirect("hotline:import-preview", pk=job.pk)
    stale = services.job_stale(job)
    declared, rows_read = job.totals_declared, job.total_rows
    context: dict[str, Any] = {
        "job": job,
        "progress": services.progress_get(job),
        "stale": stale,
        "may_reset": stale and services.may_reset(request.user, job),
        "stale_minutes": int(services.STALE_AFTER.total_seconds() // 60),
        "file_gone": not job.file.name,
        "totals_note": totals_note(declared, job.totals_row, rows_read),
        "totals_mismatch": declared is not None and declared != rows_read,
    }
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        context["rows"] = report_rows(job)
    return render(request, "hotline/import/detail.html", context)


@require_GET
@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of a running import: an htmx fragment, or JSON for other clients."""
    return job_progress(
        request,
        pk,
        jobs=selectors.jobs_visible(request.user) if selectors.may_import(request.user) else None,
        progress=PROGRESS,
        not_found=_("No such import."),
        template="hotline/import/_progress.html",
        detail_url=lambda job: reverse("hotline:import-detail", args=[job.pk]),
    )


@require_GET
@login_required
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if isinstance(job, HttpResponse):
        return job
    if job.status not in (ImportStatus.DONE, ImportStatus.FAILED):
        return HttpResponseRedirect(reverse("hotline:import-detail", args=[job.pk]))
    name, fallback = f"热线工单导入报告-{job.pk}.xlsx", f"import-{job.pk}-report.xlsx"
    return document_response(report_workbook(job), "xlsx", name, fallback=fallback)
