"""Pages of the ledger import (统计分析 → 历史台账导入): upload and past imports, column mapping
with samples, preview, run with its progress, the row report (page and Excel).

Only center operators (for their towns) and administrators may open them (403 for anyone else,
404 for a job of another town). Every write goes through :mod:`.services`.
"""

from __future__ import annotations

from typing import Any, Final

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.areas.forms import TownChoiceField
from gridgov.areas.selectors import current_towns
from gridgov.core.downloads import document_response
from gridgov.core.pages import error_page, job_progress

from . import parse, selectors, services
from .models import LedgerImport, LedgerStatus

PREVIEW_ROWS_SHOWN: Final = 50
LIST_LIMIT: Final = 30
# The row report narrowed to the refused rows or those imported with notes (?show=).
REPORT_REFUSED: Final = "refused"
REPORT_REVIEW: Final = "review"


class UploadForm(forms.Form):
    town = TownChoiceField(label=gettext_lazy("Town"), queryset=current_towns().none(), empty_label=None)
    file = forms.FileField(
        label=gettext_lazy("Ledger file"),
        help_text=gettext_lazy("Excel (.xlsx) or CSV (UTF-8 or GBK): one closed case per row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.csv,.txt"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        town = self.fields["town"]
        assert isinstance(town, forms.ModelChoiceField)
        town.queryset = selectors.import_towns(user)


class MappingForm(forms.Form):
    """One choice per ledger field: the file's column that feeds it (or none)."""

    def __init__(self, *args: Any, columns: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", gettext_lazy("— not in the file —")), *((name, name) for name in columns)]
        for spec in parse.FIELDS:
            self.fields[spec.name] = forms.ChoiceField(label=spec.label, choices=choices, required=spec.required)

    def mapping(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if value}


def _job(request: HttpRequest, pk: int) -> LedgerImport | HttpResponse:
    if not selectors.may_import(request.user):
        return error_page(request, _("Only the center may import a historical ledger."), 403)
    try:
        return selectors.jobs_visible(request.user).get(pk=pk)
    except LedgerImport.DoesNotExist:
        return error_page(request, _("No such import."), 404)


@require_http_methods(["GET", "POST"])
@login_required
def ledger_list(request: HttpRequest) -> HttpResponse:
    if not selectors.may_import(request.user):
        return error_page(request, _("Only the center may import a historical ledger."), 403)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.ledger_upload(
                actor=request.user,
                town=form.cleaned_data["town"],
                name=upload.name or "",
                file=upload,
                size=upload.size,
            )
        except services.LedgerRefused as error:
            if error.status != 422:
                return error_page(request, error.message, error.status)
            for message in (error.details or {}).get("file", []) or [error.message]:
                form.add_error("file", message)
        else:
            return redirect("ledger:detail", pk=job.pk)
    jobs = selectors.jobs_visible(request.user).select_related("created_by__profile")[:LIST_LIMIT]
    return render(
        request, "ledger/list.html", {"form": form, "jobs": jobs}, status=422 if request.method == "POST" else 200
    )


@require_http_methods(["GET", "POST"])
@login_required
def ledger_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if isinstance(job, HttpResponse):
        return job
    if job.status not in (LedgerStatus.UPLOADED, LedgerStatus.PREVIEWED, LedgerStatus.FAILED) or not job.file.name:
        return redirect("ledger:detail", pk=job.pk)
    columns = services.job_columns(job)
    form = MappingForm(
        request.POST or None,
        initial={name: job.mapping.get(name, "") for name in parse.FIELD_NAMES},
        columns=columns.columns,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.ledger_map(actor=request.user, job_id=job.pk, mapping=form.mapping())
            except services.LedgerRefused as error:
                if error.status != 422:
                    return error_page(request, error.message, error.status)
                for name, messages in (error.details or {}).items():
                    for message in messages:
                        form.add_error(name if name in form.fields else None, message)
            else:
                return redirect("ledger:preview", pk=job.pk)
        status = 422
    rows = [(form[spec.name], spec) for spec in parse.FIELDS]
    return render(
        request,
        "ledger/mapping.html",
        {"job": job, "form": form, "rows": rows, "samples": columns.samples},
        status=status,
    )


@require_GET
@login_required
def ledger_preview(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if isinstance(job, HttpResponse):
        return job
    if job.status not in (LedgerStatus.PREVIEWED, LedgerStatus.FAILED) or not job.file.name:
        return redirect("ledger:detail", pk=job.pk)
    preview = services.build_preview(job)
    # Rows with something to say first, then the others.
    shown = sorted(preview.rows, key=lambda row: (not (row.reasons or row.notes), row.row))[:PREVIEW_ROWS_SHOWN]
    labelled = [(row, services.outcome_label(row.outcome)) for row in shown]
    return render(request, "ledger/preview.html", {"job": job, "counts": preview.counts, "rows": labelled})


@require_POST
@login_required
def ledger_start(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if isinstance(job, HttpResponse):
        return job
    try:
        services.ledger_start(actor=request.user, job_id=job.pk)
    except services.LedgerRefused as error:
        return error_page(request, error.message, error.status)
    return redirect("ledger:detail", pk=job.pk)


@require_GET
@login_required
def ledger_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if isinstance(job, HttpResponse):
        return job
    rows = services.report_rows(job)
    show = request.GET.get("show") or ""
    if show == REPORT_REFUSED:
        shown = [row for row in rows if row["outcome"] == services.REFUSED]
    elif show == REPORT_REVIEW:
        shown = [row for row in rows if row["review"]]
    else:
        show, shown = "", rows
    context = {
        "job": job,
        "progress": services.progress_get(job),
        "report": shown,
        "show": show,
        "running": job.status in (LedgerStatus.READING, LedgerStatus.IMPORTING),
    }
    return render(request, "ledger/detail.html", context)


@require_GET
@login_required
def ledger_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of a running import: an htmx fragment, or JSON for other clients."""
    return job_progress(
        request,
        pk,
        jobs=selectors.jobs_visible(request.user) if selectors.may_import(request.user) else None,
        progress=services.PROGRESS,
        not_found=_("No such import."),
        template="ledger/_progress.html",
        detail_url=lambda job: reverse("ledger:detail", args=[job.pk]),
    )


@require_GET
@login_required
def ledger_report(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if isinstance(job, HttpResponse):
        return job
    name, fallback = services.report_names(job)
    return document_response(services.report_workbook(job), "xlsx", name, fallback=fallback)
