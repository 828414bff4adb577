"""Pages of the weekly analyses (周分析) and monthly summaries (月汇总).

The list of a week's analyses with the figure "weekly analyses on time" (each count opens the
analyses it counts), an analysis with its frozen figures (each case count opens the workbench
list of exactly those cases) and the forms of the steps the viewer may take, the roll-up of a
village or the town, and the monthly summaries with their Word and PDF documents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.areas.models import AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.bulletins.documents import printed
from gridgov.cases import indices
from gridgov.cases.indices import Dimensions
from gridgov.core.audit import record
from gridgov.core.downloads import document_response
from gridgov.core.errors import DomainError
from gridgov.core.forms import date_param
from gridgov.core.pages import ObjectPage, create_page, error_page
from gridgov.people.selectors import display_name
from gridgov.workcalendar.clock import light

from . import documents, figures, services
from .forms import ComposeForm, SummaryActionForm, WeeklyActionForm, WeeklyFilterForm
from .models import MonthlySummary, WeeklyAnalysis
from .transitions import SummaryAction, WeeklyAction

LIST_LIMIT: Final = 300
ERROR_FIELDS: Final = {"analysis": "analysis", "measures": "measures", "comment": "comment"}


def _refused(request: HttpRequest) -> HttpResponse | None:
    if not services.may_read(request.user):
        return error_page(request, _("You may not open this page."), 403)
    return None


def _week(value: dt.date | None) -> dt.date:
    return figures.week_of(value) if value else services.last_complete_week(timezone.localdate())


def _villages(request: HttpRequest) -> list[tuple[str, str]]:
    return list(areas_visible(request.user).filter(level=AreaLevel.VILLAGE).values_list("code", "name"))


@require_GET
@login_required
def weekly_list(request: HttpRequest) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    form = WeeklyFilterForm(request.GET or None, villages=_villages(request))
    valid = form.is_valid() if request.GET else True
    data = form.cleaned_data if request.GET and valid else {}
    week = _week(data.get("week"))
    now = timezone.now()
    mine = services.analyses_visible(request.user).filter(week=week)
    if data.get("area"):
        area = areas_visible(request.user).filter(code=data["area"]).first()
        mine = mine.filter(area_path__startswith=area.path) if area else mine.none()
    counted = services.timeliness(mine, now)
    rows = mine
    if data.get("status"):
        rows = rows.filter(status=data["status"])
    if data.get("state"):
        rows = rows.filter(services.state_q(data["state"], now))
    overdue_only = request.GET.get("overdue") == "1"
    if overdue_only:
        # Every week's analyses past their deadline and not submitted (the home panel's count).
        rows = services.overdue_for(request.user, now)
    base = {"week": week.isoformat(), **({"area": data["area"]} if data.get("area") else {})}
    tiles = [
        (_("Due"), counted.due, "due"),
        (_("Submitted on time"), counted.on_time, "on_time"),
        (_("Submitted late"), counted.late, "late"),
        (_("Not submitted"), counted.missing, "missing"),
    ]
    context = {
        "form": form,
        "week": week,
        "week_end": week + dt.timedelta(days=6),
        "previous": (week - dt.timedelta(days=7)).isoformat(),
        "next": (week + dt.timedelta(days=7)).isoformat(),
        "due_at": services.due_of(week),
        "tiles": [
            {"label": label, "count": count, "url": f"?{urlencode({**base, 'state': state})}"}
            for label, count, state in tiles
        ],
        "rate": counted.rate,
        "items": [
            (item, light(item.due_at, item.warn_at, now) if item.status in services.OPEN else "")
            for item in (rows if overdue_only else rows.order_by("grid__code"))[:LIST_LIMIT]
        ],
        "rollup_url": f"{reverse('analysis:weekly-rollup')}?{urlencode(base)}",
        "overdue_only": overdue_only,
    }
    return render(request, "analysis/weekly_list.html", context, status=200 if valid else 422)


def _case_link(code: str, part: str, week: dt.date, area: str) -> str:
    query = indices.link_query(code, part, figures.week_period(week), Dimensions(area=area))
    return f"{reverse('cases:workbench')}?{urlencode(query)}"


def _figure_rows(content: dict[str, Any], week: dt.date, area: str) -> list[dict[str, Any]]:
    rows = []
    for code in figures.CASE_CODES:
        item = indices.INDICES[code]
        value = content["cases"].get(code)
        if value is None:
            continue
        rows.append(
            {
                "label": str(item.label),
                "definition": str(item.definition),
                "kind": item.kind,
                "num": value["num"],
                "den": value["den"],
                "value": value["value"],
                "num_url": _case_link(code, indices.NUM, week, area),
                "den_url": _case_link(code, indices.DEN, week, area) if item.den is not None else "",
            }
        )
    return rows


def _detail_context(request: HttpRequest, analysis: WeeklyAnalysis, **extra: Any) -> dict[str, Any]:
    failed = extra.get("failed")
    actions = []
    for action in services.allowed_actions(analysis, request.user):
        initial = {"version": analysis.version, "analysis": analysis.analysis, "measures": analysis.measures}
        form = failed if failed is not None and failed.action == action else None
        actions.append(
            {
                "action": action,
                "label": services.WEEKLY.label(action),
                "form": form or WeeklyActionForm(initial=initial, action=action),
                "url": reverse("analysis:weekly-act", args=[analysis.pk, action]),
                "open": form is not None or action in (WeeklyAction.SAVE, WeeklyAction.SUBMIT),
                "danger": action in (WeeklyAction.SEND_BACK, WeeklyAction.RETURN),
            }
        )
    # Saving and submitting take the same two texts: one form, with a second button that
    # saves (two forms showed every text box twice).
    by_action = {item["action"]: item for item in actions}
    if WeeklyAction.SAVE in by_action and WeeklyAction.SUBMIT in by_action:
        save, submit = by_action[WeeklyAction.SAVE], by_action[WeeklyAction.SUBMIT]
        if failed is not None and failed.action == WeeklyAction.SAVE:
            submit["form"] = save["form"]
        submit["also"] = [{"action": save["action"], "label": save["label"], "url": save["url"]}]
        actions = [item for item in actions if item is not save]
    content = analysis.figures
    now = timezone.now()
    return {
        "analysis": analysis,
        "content": content,
        "figure_rows": _figure_rows(content, analysis.week, analysis.grid.code) if content else [],
        "week_end": analysis.week + dt.timedelta(days=6),
        "light": light(analysis.due_at, analysis.warn_at, now) if analysis.status in services.OPEN else "",
        "actions": actions,
        "submitted_by": display_name(analysis.submitted_by) if analysis.submitted_by else "",
        "events": [
            (event, _event_label(event.action), display_name(event.actor) if event.actor else _("System"))
            for event in analysis.events.select_related("actor__profile").order_by("pk")
        ],
        "error": extra.get("error", ""),
        "categories": [
            {**row, "url": _case_link_category(row["code"], analysis)} for row in content.get("categories", [])
        ],
        "overdue": _case_rows(content.get("overdue", [])),
        "carried": _case_rows(content.get("carried", [])),
    }


def _event_label(action: str) -> str:
    if action == "generate":
        return _("Draft generated with the week's figures")
    if action == "overdue":
        return _("Overdue: the grid worker and the grid leader were told")
    return services.WEEKLY.label(action)


def _case_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "reported_at": dt.datetime.fromisoformat(row["reported_at"]),
            "due_at": dt.datetime.fromisoformat(row["due_at"]) if row.get("due_at") else None,
        }
        for row in rows
    ]


def _case_link_category(category: str, analysis: WeeklyAnalysis) -> str:
    query = indices.link_query(
        "reported",
        indices.NUM,
        figures.week_period(analysis.week),
        Dimensions(area=analysis.grid.code, category=category),
    )
    return f"{reverse('cases:workbench')}?{urlencode(query)}"


def _page(request: HttpRequest, pk: int) -> ObjectPage:
    return ObjectPage(
        request,
        template="analysis/weekly_detail.html",
        context=lambda analysis, **extra: _detail_context(request, analysis, **extra),
        reload=lambda: _visible(request, pk),
        not_found=_("No such weekly analysis."),
        stale=_(
            "Someone else changed this analysis while you were writing. The page now shows it as it is; "
            "your text is still in the form. Check it and submit again."
        ),
    )


def _visible(request: HttpRequest, pk: int) -> WeeklyAnalysis:
    try:
        return services.analysis_get(request.user, pk)
    except DomainError:
        raise Http404(_("No such weekly analysis.")) from None


@require_GET
@login_required
def weekly_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk).render(_visible(request, pk))


@require_POST
@login_required
def weekly_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _page(request, pk).post_action(
        _visible(request, pk),
        action,
        actions=WeeklyAction,
        form_class=WeeklyActionForm,
        service=services.weekly_act,
        labels=services.WEEKLY.label,
        error_fields=ERROR_FIELDS,
        success_url=reverse("analysis:weekly-detail", args=[pk]),
    )


@require_GET
@login_required
def weekly_rollup(request: HttpRequest) -> HttpResponse:
    """The week of a village or the town: the grids' figures added up, and each grid's state."""
    refused = _refused(request)
    if refused:
        return refused
    week = _week(date_param(request.GET.get("week")))
    code = request.GET.get("area", "")
    visible = areas_visible(request.user)
    area = visible.filter(code=code).first() if code else visible.filter(level=AreaLevel.TOWN).first()
    if area is None:
        area = visible.order_by("path").first()
    if area is None:
        return error_page(request, _("You may not open this page."), 403)
    within = services.analyses_visible(request.user).filter(week=week, area_path__startswith=area.path)
    analyses = list(within.order_by("grid__code"))
    total = figures.rollup(a.figures for a in analyses)
    now = timezone.now()
    villages: dict[str, dict[str, Any]] = {}
    for analysis in analyses:
        village = analysis.grid.parent
        if village is None:
            continue
        entry = villages.setdefault(village.code, {"name": village.name, "items": []})
        entry["items"].append(analysis)
    counted = services.timeliness(
        services.analyses_visible(request.user).filter(week=week, area_path__startswith=area.path), now
    )
    context = {
        "area": area,
        "week": week,
        "week_end": week + dt.timedelta(days=6),
        "total": total,
        "timeliness": counted,
        "villages": list(villages.values()),
        "areas": visible.filter(level__in=(AreaLevel.TOWN, AreaLevel.VILLAGE)).order_by("code"),
        "reported_url": _case_link("reported", indices.NUM, week, area.code),
        "previous": (week - dt.timedelta(days=7)).isoformat(),
        "next": (week + dt.timedelta(days=7)).isoformat(),
    }
    return render(request, "analysis/weekly_rollup.html", context)


# --- monthly summaries ----------------------------------------------------------------------------


def _summary_areas(request: HttpRequest) -> list[tuple[str, str]]:
    return list(services.summary_areas(request.user).order_by("code").values_list("code", "name"))


@require_http_methods(["GET", "POST"])
@login_required
def summary_list(request: HttpRequest) -> HttpResponse:
    areas = _summary_areas(request)
    if not areas:
        return error_page(request, _("You may not open this page."), 403)
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return create_page(
        request,
        ComposeForm(request.POST or None, areas=areas, initial={"month": last_month}),
        lambda data: services.summary_compose(actor=request.user, area_code=data["area"], month=data["month"]),
        lambda summary: redirect("analysis:summary-detail", pk=summary.pk),
        template="analysis/summary_list.html",
        context=lambda: {"items": list(services.summaries_visible(request.user)[:LIST_LIMIT])},
    )


def _summary_context(
    request: HttpRequest, summary: MonthlySummary, failed: Any = None, error: str = ""
) -> dict[str, Any]:
    actions = []
    for action in services.SUMMARIES.allowed_actions(summary, request.user):
        initial = {"version": summary.version, "remarks": summary.remarks}
        form = failed if failed is not None and getattr(failed, "action", "") == action else None
        bound = form or SummaryActionForm(initial=initial, action=action)
        actions.append(
            {
                "action": action,
                "label": services.SUMMARIES.label(action),
                "form": bound,
                "url": reverse("analysis:summary-act", args=[summary.pk, action]),
                "open": form is not None or action == SummaryAction.REMARK,
                "danger": action == SummaryAction.REOPEN,
            }
        )
    text = documents.outline(summary) if summary.figures else None
    return {
        "summary": summary,
        "outline": text,
        "sections": [
            (section, [(table, printed(table)) for table in section.tables])
            for section in (text.sections if text else [])
        ],
        "actions": actions,
        "error": error,
    }


def _summary_visible(request: HttpRequest, pk: int) -> MonthlySummary:
    try:
        return services.summary_get(request.user, pk)
    except DomainError:
        raise Http404(_("No such monthly summary.")) from None


def _summary_page(request: HttpRequest, pk: int) -> ObjectPage:
    return ObjectPage(
        request,
        template="analysis/summary_detail.html",
        context=lambda summary, **extra: _summary_context(
            request, summary, extra.get("failed"), extra.get("error", "")
        ),
        reload=lambda: _summary_visible(request, pk),
        not_found=_("No such monthly summary."),
        stale=_(
            "Someone else changed this summary while you were writing. The page now shows it as it is; "
            "your text is still in the form. Check it and submit again."
        ),
    )


@require_GET
@login_required
def summary_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _summary_page(request, pk).render(_summary_visible(request, pk))


@require_POST
@login_required
def summary_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _summary_page(request, pk).post_action(
        _summary_visible(request, pk),
        action,
        actions=SummaryAction,
        form_class=SummaryActionForm,
        service=services.summary_act,
        labels=services.SUMMARIES.label,
        error_fields={"remarks": "remarks", "comment": "comment"},
        success_url=reverse("analysis:summary-detail", args=[pk]),
    )


@require_GET
@login_required
def summary_download(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    summary = _summary_visible(request, pk)
    writer = {"docx": documents.write_docx, "pdf": documents.write_pdf}.get(extension)
    if writer is None:
        raise Http404(_("Unknown format."))
    content = writer(summary)
    record(action="summary.download", actor=request.user, obj=summary, request=request, data={"format": extension})
    name = f"monthly-summary-{summary.area.code}-{summary.month:%Y-%m}.{extension}"
    return document_response(content, extension, name)


urlpatterns: list[URLPattern] = [
    path("analysis/weekly/", weekly_list, name="weekly-list"),
    path("analysis/weekly/rollup/", weekly_rollup, name="weekly-rollup"),
    path("analysis/weekly/<int:pk>/", weekly_detail, name="weekly-detail"),
    path("analysis/weekly/<int:pk>/<str:action>/", weekly_act, name="weekly-act"),
    path("analysis/monthly/", summary_list, name="summary-list"),
    path("analysis/monthly/<int:pk>/", summary_detail, name="summary-detail"),
    path("analysis/monthly/<int:pk>/act/<str:action>/", summary_act, name="summary-act"),
    path("analysis/monthly/<int:pk>/file.<str:extension>", summary_download, name="summary-download"),
]
