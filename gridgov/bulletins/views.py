"""Pages of the monthly bulletin (月度通报): ask for one, follow its generation, read it with
every figure linked to the list it counts, download the Word, PDF and Excel documents, write
them again. The readers of the statistics (their towns and villages); anyone else 403, another
area's bulletin 404."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.cases import indices
from gridgov.cases.indices import Dimensions, Period
from gridgov.core.audit import record
from gridgov.core.downloads import document_response
from gridgov.core.errors import DomainError
from gridgov.core.forms import apply_error
from gridgov.core.pages import create_page, error_page, posted_int

from . import platform, services
from .documents import due_without_department, late_lines, outline
from .figures import CASE_CODES, DEPARTMENT_CODES, VILLAGE_CODES
from .forms import CheckForm, ExplainForm, RequestForm
from .models import Bulletin, BulletinStatus

LIST_LIMIT: Final = 60
# The cases not closed on time the page lists (the documents list all the figures hold).
OVERDUE_SHOWN: Final = 10


def _bulletin(request: HttpRequest, pk: int) -> Bulletin | HttpResponse:
    try:
        return services.bulletin_get(request.user, pk)
    except DomainError as error:
        return error_page(request, error.message, error.status)


def _last_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@require_http_methods(["GET", "POST"])
@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    if not services.may_use(request.user):
        return error_page(request, _("You may not open this page."), 403)
    initial = {"month": _last_month(timezone.localdate())}
    return create_page(
        request,
        RequestForm(request.POST or None, user=request.user, initial=initial),
        lambda data: services.bulletin_request(actor=request.user, area_code=data["area"], month=data["month"]),
        lambda bulletin: redirect("bulletins:detail", pk=bulletin.pk),
        template="bulletins/list.html",
        context=lambda: {
            "items": list(services.bulletins_visible(request.user).select_related("created_by__profile")[:LIST_LIMIT]),
            "may_issue": services.may_issue(request.user),
        },
    )


def _link(code: str, part: str, period: Period, dimensions: Dimensions) -> str:
    return f"{reverse('cases:workbench')}?{urlencode(indices.link_query(code, part, period, dimensions))}"


def _figure_rows(figures: dict[str, Any], key: str, period: Period, dimensions: Dimensions) -> list[dict[str, Any]]:
    """The case figures of the bulletin with the links to their lists (the frozen digits, the
    lists of today: a reopened case can leave a past month's list)."""
    rows = []
    for code in CASE_CODES:
        item = indices.INDICES[code]
        value = figures[key][code]
        rows.append(
            {
                "label": str(item.label),
                "definition": str(item.definition),
                "kind": item.kind,
                "num": value["num"],
                "den": value["den"],
                "value": value["value"],
                "num_url": _link(code, indices.NUM, period, dimensions),
                "den_url": _link(code, indices.DEN, period, dimensions) if item.den is not None else "",
            }
        )
    return rows


def _table_links(rows: list[dict[str, Any]], codes: tuple[str, ...], period: Period, dimensions: Any) -> None:
    for row in rows:
        row["links"] = {code: _link(code, indices.NUM, period, dimensions(row["code"])) for code in codes}
        row["den_links"] = {
            code: _link(code, indices.DEN, period, dimensions(row["code"]))
            for code in codes
            if indices.INDICES[code].den is not None
        }


@require_GET
@login_required
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _bulletin(request, pk)
    if isinstance(bulletin, HttpResponse):
        return bulletin
    progress = services.progress(bulletin)
    if request.headers.get("HX-Request"):
        if bulletin.status == BulletinStatus.QUEUED:
            return render(request, "bulletins/_progress.html", {"bulletin": bulletin, "progress": progress})
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    context: dict[str, Any] = {
        "bulletin": bulletin,
        "progress": progress,
        "revisions": services.revisions(bulletin),
        "actions": services.BULLETINS.allowed_actions(bulletin, request.user),
        "labels": services.BULLETINS.labels,
        "has_documents": services.has_documents(bulletin),
    }
    figures = bulletin.figures
    if figures:
        period = Period(
            dt.date.fromisoformat(figures["period"]["start"]), dt.date.fromisoformat(figures["period"]["end"])
        )
        previous = period.previous()
        area = figures["area"]["code"]
        here = Dimensions(area=area)
        departments = [dict(row) for row in figures["departments"]]
        villages = [dict(row) for row in figures["villages"]]
        _table_links(departments, DEPARTMENT_CODES, period, lambda code: Dimensions(area=area, department=code))
        _table_links(villages, VILLAGE_CODES, period, lambda code: Dimensions(area=code))
        hotline_query = {"period": "month", "day": period.start.isoformat()}
        categories = [
            {**row, "url": _link("reported", indices.NUM, period, Dimensions(area=area, category=row["code"]))}
            for row in figures["categories"]
        ]
        context.update(
            {
                "outline": outline(figures),
                "computed_at": str(figures.get("computed_at", "")).replace("T", " ")[:16],
                "figure_rows": list(
                    zip(
                        _figure_rows(figures, "cases", period, here),
                        _figure_rows(figures, "cases_previous", previous, here),
                        strict=True,
                    )
                ),
                "departments": departments,
                "villages": villages,
                "categories": categories,
                "overdue_url": _link("not_closed_on_time", indices.NUM, period, here),
                "overdue_rows": [{**row, "lines": late_lines(row)} for row in figures["overdue"][:OVERDUE_SHOWN]],
                "due_total": figures["cases"]["due"]["num"],
                "due_without_department": due_without_department(figures),
                "hotline_url": f"{reverse('hotline:stats')}?{urlencode(hotline_query)}",
            }
        )
    return render(request, "bulletins/detail.html", context)


@require_POST
@login_required
def bulletin_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    bulletin = _bulletin(request, pk)
    if isinstance(bulletin, HttpResponse):
        return bulletin
    try:
        services.bulletin_act(actor=request.user, pk=bulletin.pk, action=action)
    except DomainError as error:
        return error_page(request, error.message, error.status)
    return redirect("bulletins:detail", pk=bulletin.pk)


@require_GET
@login_required
def bulletin_download(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    bulletin = _bulletin(request, pk)
    if isinstance(bulletin, HttpResponse):
        return bulletin
    try:
        content = services.open_document(bulletin, extension)
    except DomainError as error:
        return error_page(request, error.message, error.status)
    name = services.download_name(bulletin, extension)
    record(action="bulletin.download", actor=request.user, obj=bulletin, request=request, data={"format": extension})
    return document_response(content, extension, name, fallback=services.download_fallback(bulletin, extension))


# --- checking against the city platform ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def check_list(request: HttpRequest) -> HttpResponse:
    if not services.may_use(request.user):
        return error_page(request, _("You may not open this page."), 403)
    initial = {"month": _last_month(timezone.localdate()), "platform": str(platform.PLATFORM_DEFAULT)}
    form = CheckForm(request.POST or None, user=request.user, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                check = platform.check_enter(
                    actor=request.user,
                    town_code=data["town"],
                    month=data["month"],
                    platform=data["platform"],
                    figures={code: data.get(code) for code in platform.CODES},
                )
            except DomainError as error:
                if error.status != 422:
                    return error_page(request, error.message, error.status)
                apply_error(form, error)
            else:
                return redirect("bulletins:check", pk=check.pk)
    checks = [(check, len(platform.unexplained(check))) for check in platform.checks_visible(request.user)[:LIST_LIMIT]]
    context = {"form": form, "checks": checks, "may_issue": platform.may_issue(request.user)}
    return render(request, "bulletins/checks.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        check = platform.check_get(request.user, pk)
    except DomainError as error:
        return error_page(request, error.message, error.status)
    form = ExplainForm()
    error_code = ""
    status = 200
    if request.method == "POST":
        form = ExplainForm(request.POST)
        error_code = request.POST.get("code", "")
        status = 422
        if form.is_valid():
            try:
                platform.check_explain(
                    actor=request.user,
                    pk=check.pk,
                    code=error_code,
                    reason=form.cleaned_data["reason"],
                    version=posted_int(request.POST.get("version")),
                )
            except DomainError as error:
                if error.status not in (409, 422):
                    return error_page(request, error.message, error.status)
                form.add_error(None, error.message)
                status = error.status
            else:
                return redirect("bulletins:check", pk=check.pk)
        check.refresh_from_db()
    period = Period.of_month(check.month)
    lines = platform.rows(check)
    for line in lines:
        line["url"] = _link(line["code"], indices.NUM, period, Dimensions(area=check.town.code))
    context = {
        "check": check,
        "rows": lines,
        "form": form,
        "error_code": error_code,
        "may_issue": platform.may_issue(request.user),
    }
    return render(request, "bulletins/check.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("bulletins/", bulletin_list, name="list"),
    path("bulletins/<int:pk>/", bulletin_detail, name="detail"),
    path("bulletins/platform-checks/", check_list, name="checks"),
    path("bulletins/platform-checks/<int:pk>/", check_detail, name="check"),
    path("bulletins/<int:pk>/<str:action>/", bulletin_action, name="action"),
    path("bulletins/<int:pk>/file.<str:extension>", bulletin_download, name="download"),
]
