"""Pages of the reconciliation: upload a monthly list, follow the comparison, read and explain
the differences, download them as a workbook. Center operators (their towns) and
administrators; anyone else 403, another town's reconciliation 404."""

from __future__ import annotations

from typing import Final

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.core.downloads import document_response
from gridgov.core.errors import DomainError
from gridgov.core.pages import error_page, posted_int

from ..models import DifferenceKind, ReconcileDifference, ReconcileStatus, Reconciliation
from . import services
from .figures import figure_rows
from .forms import DifferenceFilter, ExplainForm, UploadForm
from .report import reconciliation_workbook

LIST_LIMIT: Final = 30
PAGE_SIZE: Final = 100


def _item(request: HttpRequest, pk: int) -> Reconciliation | HttpResponse:
    try:
        return services.reconciliation_get(request.user, pk)
    except DomainError as error:
        return error_page(request, error.message, error.status)


@require_http_methods(["GET", "POST"])
@login_required
def reconcile_list(request: HttpRequest) -> HttpResponse:
    if not services.may_reconcile(request.user):
        return error_page(request, _("Only the center may reconcile hotline orders."), 403)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                item = services.reconcile_upload(
                    actor=request.user,
                    town=form.cleaned_data["town"],
                    source_system=form.cleaned_data["source_system"],
                    month=form.cleaned_data["month"],
                    name=upload.name or "",
                    file=upload,
                    size=upload.size,
                )
            except DomainError as error:
                if error.status != 422:
                    return error_page(request, error.message, error.status)
                for name, problems in (error.details or {"file": [error.message]}).items():
                    for problem in problems:
                        form.add_error(name if name in form.fields else None, problem)
            else:
                return redirect("hotline:reconcile-detail", pk=item.pk)
    items = services.reconciliations_visible(request.user)[:LIST_LIMIT]
    return render(
        request,
        "hotline/reconcile/list.html",
        {"form": form, "items": items, "max_mb": services.MAX_BYTES // (1024 * 1024), "max_rows": services.MAX_ROWS},
        status=status,
    )


@require_GET
@login_required
def reconcile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    if isinstance(item, HttpResponse):
        return item
    if request.headers.get("HX-Request") and item.status == ReconcileStatus.READING:
        return render(request, "hotline/reconcile/_reading.html", {"item": item})
    filters = DifferenceFilter(request.GET or None)
    differences = item.differences.select_related("order", "explained_by__profile")
    if filters.is_valid():
        if filters.cleaned_data["kind"]:
            differences = differences.filter(kind=filters.cleaned_data["kind"])
        if filters.cleaned_data["status"]:
            differences = differences.filter(status=filters.cleaned_data["status"])
    page = Paginator(differences, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict.fromkeys(DifferenceKind.values, 0)
    for kind in item.differences.values_list("kind", flat=True):
        counts[kind] += 1
    context = {
        "item": item,
        "figures": figure_rows(item),
        "filters": filters,
        "page": page,
        "kinds": [(value, label, counts[value]) for value, label in DifferenceKind.choices if counts[value]],
        "open_count": services.open_count(item),
        "explain_form": ExplainForm(),
    }
    response = render(request, "hotline/reconcile/detail.html", context)
    if request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@require_POST
@login_required
def difference_action(request: HttpRequest, pk: int, difference: int, action: str) -> HttpResponse:
    item = _item(request, pk)
    if isinstance(item, HttpResponse):
        return item
    if not ReconcileDifference.objects.filter(pk=difference, reconciliation=item).exists():
        return error_page(request, _("No such difference."), 404)
    try:
        changed = services.difference_act(
            actor=request.user,
            difference_id=difference,
            action=action,
            reason=request.POST.get("reason", ""),
            version=posted_int(request.POST.get("version")),
        )
    except DomainError as error:
        if request.headers.get("HX-Request"):
            row = ReconcileDifference.objects.get(pk=difference)
            context = {"item": item, "d": row, "error": error.message, "reason": request.POST.get("reason", "")}
            return render(request, "hotline/reconcile/_difference.html", context, status=error.status)
        return error_page(request, error.message, error.status)
    if request.headers.get("HX-Request"):
        return render(request, "hotline/reconcile/_difference.html", {"item": item, "d": changed})
    return redirect("hotline:reconcile-detail", pk=item.pk)


@require_GET
@login_required
def reconcile_workbook(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    if isinstance(item, HttpResponse):
        return item
    if item.status != ReconcileStatus.DONE:
        return redirect("hotline:reconcile-detail", pk=item.pk)
    name = f"{item.town.name}{item.month:%Y}年{item.month.month}月工单对账报告.xlsx"
    fallback = f"reconciliation-{item.town.code}-{item.month:%Y-%m}.xlsx"
    return document_response(reconciliation_workbook(item), "xlsx", name, fallback=fallback)
