"""Pages of the assessment: the periods (create, compute with its progress, publish,
finalize), a period's ranking per target type with the manual scores, bonus and penalty points,
rewards and penalties and the documents; one result's breakdown down to the objects behind each
automatic score, with the appeal form; the appeals; the schemes and their editor.

Every write calls a service; a refusal renders the page again with its message (in Chinese)
next to the refused form and the text typed in it kept (422 for bad input, 409 for a conflict:
a closed window, or a form older than the object when another user acted first, the forms of
the workflow steps carrying the object's version)."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.cases.selectors import cases_visible
from gridgov.core.audit import record
from gridgov.core.downloads import document_response
from gridgov.core.errors import DomainError, Invalid
from gridgov.core.pages import error_page

from . import documents, services
from .indicators import INDICATORS
from .models import (
    Appeal,
    AppealStatus,
    Attachment,
    Decision,
    EntryKind,
    ItemKind,
    NoData,
    Period,
    PeriodKind,
    PeriodStatus,
    Result,
    SanctionKind,
    Scheme,
    SchemeItem,
    TargetType,
)
from .transitions import AppealAction, PeriodAction

EDITOR_ROWS: Final = 12
REF_LIMIT: Final = 500


Refused = Callable[[str, int], HttpResponse]


def _refusal(error: DomainError) -> str:
    """The message of a refusal: the fields' messages when there are, else the error's."""
    details = getattr(error, "details", None) or {}
    text = "; ".join(m for msgs in details.values() for m in msgs) if isinstance(details, dict) else ""
    return text or str(error.message)


def _attempt(
    request: HttpRequest, act: Callable[[], Any], success: str, done: str = "", refused: Refused | None = None
) -> HttpResponse:
    """Run a service; 403/404 as the error page; a conflict or bad input renders the page again
    through ``refused(message, status)`` (the form's text kept), or without it as a message above
    the page."""
    try:
        act()
    except DomainError as error:
        if error.status in (403, 404):
            return error_page(request, error.message, error.status)
        if refused is not None:
            return refused(_refusal(error), error.status)
        messages.error(request, _refusal(error))
        return redirect(success)
    messages.success(request, done or _("Done."))
    return redirect(success)


def _whole(request: HttpRequest, name: str, default: int) -> int:
    """A whole number typed in the form (``default`` when empty), or a refusal of the field."""
    typed = request.POST.get(name, "").strip()
    if not typed:
        return default
    if not typed.isdigit() or len(typed) > 6:
        raise Invalid.field(name, _("Write a whole number."))
    return int(typed)


def _version(request: HttpRequest) -> int | None:
    """The version of the object the form was rendered with (``None``: not sent)."""
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def _typed(request: HttpRequest, form: str, error: str, **extra: Any) -> dict[str, Any]:
    """What a page needs to show a refused form again: the message and the text typed."""
    return {"form_errors": {form: error}, "typed": {form: request.POST}, **extra}


def _period_page(request: HttpRequest, pk: int, form: str, **extra: Any) -> Refused:
    """Render the period page again with the refused ``form``'s message and text."""

    def page(error: str, status: int) -> HttpResponse:
        context = _period_context(request, _period(request, pk))
        context.update(_typed(request, form, error, **extra))
        return render(request, "assessment/period.html", context, status=status)

    return page


def _period(request: HttpRequest, pk: int) -> Period:
    try:
        return services.period_get(request.user, pk)
    except DomainError:
        raise Http404(_("No such assessment period.")) from None


def _result(request: HttpRequest, pk: int) -> Result:
    try:
        return services.result_get(request.user, pk)
    except DomainError:
        raise Http404(_("No such result.")) from None


# --- periods --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def period_list(request: HttpRequest) -> HttpResponse:
    towns = list(services.managed_towns(request.user).order_by("code"))
    if request.method == "POST":
        if not towns:
            return error_page(request, _("You may not run the assessment of this town."), 403)
        created: list[Period] = []

        def create() -> None:
            typed = request.POST.get("start", "")
            try:
                start = parse_date(typed + "-01") if len(typed) == 7 else parse_date(typed)
            except ValueError:
                start = None
            if start is None:
                raise Invalid.field("start", _("Choose the first month of the period."))
            created.append(
                services.period_create(
                    actor=request.user,
                    town_code=request.POST.get("town", ""),
                    kind=request.POST.get("kind", ""),
                    start=start,
                    appeal_days=_whole(request, "appeal_days", 5),
                )
            )

        def refused(error: str, status: int) -> HttpResponse:
            context = _periods_context(request, towns)
            context.update(_typed(request, "period", error))
            return render(request, "assessment/periods.html", context, status=status)

        response = _attempt(request, create, reverse("assessment:periods"), _("Period created."), refused)
        if created:
            return redirect("assessment:period", pk=created[0].pk)
        return response
    return render(request, "assessment/periods.html", _periods_context(request, towns))


def _periods_context(request: HttpRequest, towns: list[Any]) -> dict[str, Any]:
    return {
        "periods": list(services.periods_visible(request.user)[:100]),
        "towns": towns,
        "kinds": PeriodKind.choices,
        "this_month": f"{timezone.localdate():%Y-%m}",
        "readers": services.read_towns(request.user).exists(),
    }


def _period_context(request: HttpRequest, period: Period) -> dict[str, Any]:
    reader = services.is_reader(request.user, period)
    manager = services.is_manager(request.user, period.town_id)
    snapshot = period.current
    tables = []
    if snapshot is not None:
        results = snapshot.results.all() if reader else snapshot.results.filter(services.seen_results_q(request.user))
        for target_type in TargetType:
            rows = [r for r in results.order_by("rank", "target_key") if r.target_type == target_type]
            if rows:
                tables.append({"label": target_type.label, "type": target_type.value, "rows": rows})
    actions = [
        {"action": a, "label": services.PERIODS.label(a)}
        for a in services.PERIODS.allowed_actions(period, request.user)
    ]
    targets = []
    manual_items = []
    if manager and period.status in (PeriodStatus.OPEN, PeriodStatus.COMPUTED):
        for scheme in period.schemes.prefetch_related("items"):
            for target in services.targets_of(period.town, scheme.target_type):
                targets.append((target.key, f"{scheme.get_target_type_display()} · {target.label}"))
            for item in scheme.items.all():
                if item.kind == ItemKind.MANUAL:
                    manual_items.append(
                        (item.code, f"{scheme.get_target_type_display()} · {item.label}（≤{item.weight}）")
                    )
    return {
        "period": period,
        "reader": reader,
        "manager": manager,
        "tables": tables,
        "actions": actions,
        "progress": services.progress(period),
        "snapshots": period.snapshots.order_by("-number") if reader else [],
        "targets": targets,
        "manual_items": manual_items,
        "manual_scores": _manual_rows(period, targets) if reader else [],
        "entries": [
            {"entry": e, "target": _names(period, targets).get(e.target_key, e.target_key)}
            for e in period.entries.filter(withdrawn=False)
        ]
        if reader
        else [],
        "entry_kinds": EntryKind.choices,
        "sanctions": services.sanctions_visible(request.user).filter(period=period),
        "sanction_kinds": SanctionKind.choices,
        "target_types": [(s.target_type, s.get_target_type_display()) for s in period.schemes.all()],
        "appeals": services.appeals_visible(request.user).filter(period=period),
        "schemes": period.schemes.all(),
    }


def _names(period: Period, targets: list[tuple[str, str]]) -> dict[str, str]:
    names = dict(targets)
    if period.current is not None:
        names.update(period.current.results.values_list("target_key", "label"))
    return names


def _manual_rows(period: Period, targets: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The scores entered, with the names of the assessed and of the items."""
    names = _names(period, targets)
    items = dict(period.schemes.values_list("items__code", "items__label"))
    return [
        {"target": names.get(m.target_key, m.target_key), "item": items.get(m.item_code, m.item_code), "score": m}
        for m in period.manual_scores.order_by("target_key", "item_code").prefetch_related("files")
    ]


@require_GET
@login_required
def period_detail(request: HttpRequest, pk: int) -> HttpResponse:
    period = _period(request, pk)
    context = _period_context(request, period)
    if request.headers.get("HX-Request") and period.status == PeriodStatus.COMPUTING:
        return render(request, "assessment/_progress.html", context)
    if request.headers.get("HX-Request"):
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    return render(request, "assessment/period.html", context)


@require_POST
@login_required
def period_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    period = _period(request, pk)
    if action not in {a.value for a in PeriodAction}:
        raise Http404(_("Unknown action."))
    inputs = {"reason": request.POST.get("reason", "")} if action == PeriodAction.RECOMPUTE else {}
    return _attempt(
        request,
        lambda: services.period_act(
            actor=request.user, pk=period.pk, action=action, inputs=inputs, version=_version(request)
        ),
        reverse("assessment:period", args=[pk]),
        services.PERIODS.label(action),
        _period_page(request, pk, "action", refused_action=action),
    )


@require_POST
@login_required
def manual_score(request: HttpRequest, pk: int) -> HttpResponse:
    period = _period(request, pk)
    return _attempt(
        request,
        lambda: services.manual_score_set(
            actor=request.user,
            period_id=period.pk,
            target_key=request.POST.get("target", ""),
            item_code=request.POST.get("item", ""),
            score=request.POST.get("score", ""),
            evidence=request.POST.get("evidence", ""),
            files=request.FILES.getlist("files"),
        ),
        reverse("assessment:period", args=[pk]),
        _("Score saved."),
        _period_page(request, pk, "manual"),
    )


@require_POST
@login_required
def entry_add(request: HttpRequest, pk: int) -> HttpResponse:
    period = _period(request, pk)
    return _attempt(
        request,
        lambda: services.entry_add(
            actor=request.user,
            period_id=period.pk,
            target_key=request.POST.get("target", ""),
            kind=request.POST.get("kind", ""),
            points=request.POST.get("points", ""),
            reason=request.POST.get("reason", ""),
            files=request.FILES.getlist("files"),
        ),
        reverse("assessment:period", args=[pk]),
        _("Points recorded."),
        _period_page(request, pk, "entry"),
    )


@require_POST
@login_required
def sanctions_propose(request: HttpRequest, pk: int) -> HttpResponse:
    period = _period(request, pk)
    return _attempt(
        request,
        lambda: services.sanctions_propose(
            actor=request.user,
            period_id=period.pk,
            target_type=request.POST.get("target_type", ""),
            top=_whole(request, "top", 0),
            bottom=_whole(request, "bottom", 0),
            reward=request.POST.get("reward", ""),
            penalty=request.POST.get("penalty", ""),
        ),
        reverse("assessment:period", args=[pk]) + "#sanctions",
        _("Rewards and penalties proposed."),
        _period_page(request, pk, "sanctions"),
    )


@require_POST
@login_required
def sanction_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    try:
        sanction = services.sanction_get(request.user, pk)
    except DomainError:
        raise Http404(_("No such reward or penalty.")) from None
    return _attempt(
        request,
        lambda: services.sanction_act(
            actor=request.user,
            pk=pk,
            action=action,
            inputs={"comment": request.POST.get("comment", "")},
            version=_version(request),
        ),
        reverse("assessment:period", args=[sanction.period_id]) + "#sanctions",
        services.SANCTIONS.label(action) if action in ("confirm", "drop") else "",
        _period_page(request, sanction.period_id, "sanction", refused_sanction=sanction.pk),
    )


@require_GET
@login_required
def period_download(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    period = _period(request, pk)
    if not services.is_reader(request.user, period) or period.current is None:
        raise Http404(_("No such assessment period."))
    writer = {"docx": documents.write_docx, "pdf": documents.write_pdf, "xlsx": documents.write_xlsx}.get(extension)
    if writer is None:
        raise Http404(_("Unknown format."))
    content = writer(period)
    record(action="assessment.download", actor=request.user, obj=period, request=request, data={"format": extension})
    return document_response(content, extension, f"assessment-{period.pk}.{extension}")


# --- a result -------------------------------------------------------------------------------------


@require_GET
@login_required
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "assessment/result.html", _result_context(request, _result(request, pk)))


def _result_page(request: HttpRequest, pk: int, form: str) -> Refused:
    """Render the result page again with the refused ``form``'s message and text."""

    def page(error: str, status: int) -> HttpResponse:
        context = _result_context(request, _result(request, pk))
        context.update(_typed(request, form, error))
        return render(request, "assessment/result.html", context, status=status)

    return page


def _patrol_list(result: Result, period: Period) -> str:
    """The patrol list filtered to the patrols of the period (a person's own, or the area's)."""
    query = {"date_from": period.start.isoformat(), "date_to": period.end.isoformat()}
    if result.user is not None and result.target_type == TargetType.GRID_WORKER:
        query["worker"] = result.user.username
    elif result.area is not None:
        query["grid"] = result.area.code
    return reverse("patrols:list") + "?" + urlencode(query)


def _result_context(request: HttpRequest, result: Result) -> dict[str, Any]:
    period = result.snapshot.period
    lines = services.breakdown(result)
    for line in lines:
        line["rule_text"] = documents.rule_text(line)
        line["workbench"] = {
            part: reverse("cases:workbench") + "?" + "&".join(f"{k}={v}" for k, v in query.items())
            for part, query in line["link"].items()
        }
        if line["ref_kind"] == "patrol" and line.get("num") is not None:
            line["workbench"]["num"] = _patrol_list(result, period)
    own = services.may_appeal(request.user, result)
    window_open = (
        own
        and period.status == PeriodStatus.PUBLISHED
        and period.current_id == result.snapshot_id
        and period.appeal_until is not None
        and timezone.now() < period.appeal_until
    )
    return {
        "result": result,
        "period": period,
        "lines": lines,
        "entries": services.target_entries(result),
        "adjustments": result.adjustments.all(),
        "appeals": services.appeals_visible(request.user).filter(result=result),
        "may_appeal": window_open,
        "sanctions": services.sanctions_visible(request.user).filter(result=result),
        "manager": services.is_manager(request.user, period.town_id),
        "sanction_kinds": SanctionKind.choices,
    }


@require_GET
@login_required
def result_refs(request: HttpRequest, pk: int, item: str, part: str) -> HttpResponse:
    """The objects behind one part of one automatic score, as the snapshot froze them (cases
    open when the viewer may see them)."""
    result = _result(request, pk)
    try:
        kind, refs = services.refs_of(result, item, part)
    except DomainError:
        raise Http404(_("No such item.")) from None
    refs = refs[:REF_LIMIT]
    openable: set[int] = set()
    if kind == "case":
        openable = set(cases_visible(request.user).filter(pk__in=[r[0] for r in refs]).values_list("pk", flat=True))
    line = next(line for line in services.breakdown(result) if line["code"] == item)
    context = {"result": result, "line": line, "part": part, "kind": kind, "refs": refs, "openable": openable}
    return render(request, "assessment/refs.html", context)


@require_POST
@login_required
def appeal_submit(request: HttpRequest, pk: int) -> HttpResponse:
    result = _result(request, pk)
    return _attempt(
        request,
        lambda: services.appeal_submit(
            actor=request.user,
            result_id=result.pk,
            item_code=request.POST.get("item", ""),
            reason=request.POST.get("reason", ""),
            files=request.FILES.getlist("files"),
        ),
        reverse("assessment:result", args=[pk]),
        _("Appeal submitted."),
        _result_page(request, pk, "appeal"),
    )


@require_POST
@login_required
def sanction_add(request: HttpRequest, pk: int) -> HttpResponse:
    result = _result(request, pk)
    return _attempt(
        request,
        lambda: services.sanction_add(
            actor=request.user,
            result_id=result.pk,
            kind=request.POST.get("kind", ""),
            measure=request.POST.get("measure", ""),
            reason=request.POST.get("reason", ""),
            amount=request.POST.get("amount", ""),
        ),
        reverse("assessment:result", args=[pk]),
        _("Proposed."),
        _result_page(request, pk, "sanction"),
    )


# --- appeals --------------------------------------------------------------------------------------


@require_GET
@login_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    return _appeals_page(request)


def _appeals_page(request: HttpRequest, refused: int | None = None, error: str = "", status: int = 200) -> HttpResponse:
    """The appeals; the ``refused`` appeal's row shows the message and the text typed."""
    appeals = list(
        services.appeals_visible(request.user)
        .select_related("period", "result")
        .prefetch_related("files")
        .order_by("status", "-submitted_at")[:200]
    )
    labels = {
        (item.scheme_id, item.code): item.label
        for item in SchemeItem.objects.filter(scheme_id__in={a.result.scheme_id for a in appeals})
    }
    rows = [
        {
            "appeal": a,
            "item": labels.get((a.result.scheme_id, a.item_code), a.item_code) if a.item_code else "",
            "actions": [(x, services.APPEALS.label(x)) for x in services.APPEALS.allowed_actions(a, request.user)],
            "error": error if a.pk == refused else "",
            "typed": request.POST if a.pk == refused else {},
        }
        for a in appeals
    ]
    context = {"rows": rows, "decisions": Decision.choices, "open": AppealStatus.SUBMITTED}
    return render(request, "assessment/appeals.html", context, status=status)


@require_POST
@login_required
def appeal_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    try:
        services.appeal_get(request.user, pk)
    except DomainError:
        raise Http404(_("No such appeal.")) from None
    inputs = {k: request.POST.get(k, "") for k in ("decision", "opinion", "delta", "comment") if k in request.POST}
    label = services.APPEALS.label(action) if action in {a.value for a in AppealAction} else ""
    return _attempt(
        request,
        lambda: services.appeal_act(actor=request.user, pk=pk, action=action, inputs=inputs, version=_version(request)),
        reverse("assessment:appeals"),
        label,
        lambda error, status: _appeals_page(request, pk, error, status),
    )


@require_GET
@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A file of evidence, for those who see what it belongs to (the center and the appellant)."""
    attachment = Attachment.objects.filter(pk=pk).select_related("manual", "entry", "appeal").first()
    if attachment is None:
        raise Http404(_("No such file."))
    if attachment.appeal_id is not None:
        allowed = services.appeals_visible(request.user).filter(pk=attachment.appeal_id).exists()
    else:
        period_id = (attachment.manual or attachment.entry).period_id  # type: ignore[union-attr]
        allowed = services.read_towns(request.user).filter(pk=Period.objects.get(pk=period_id).town_id).exists()
    if not allowed:
        raise Http404(_("No such file."))
    record(action="assessment.file_download", actor=request.user, obj=attachment, request=request)
    # Its name and the type of its extension (checked when it came: core.filetypes); it went out
    # as "evidence-N", with no extension to open it by.
    name = attachment.name or f"evidence-{attachment.pk}"
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        as_attachment=True,
        filename=name,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- schemes --------------------------------------------------------------------------------------


@require_GET
@login_required
def scheme_list(request: HttpRequest) -> HttpResponse:
    if not services.read_towns(request.user).exists():
        return error_page(request, _("You may not open this page."), 403)
    schemes = list(services.schemes_visible(request.user).prefetch_related("items"))
    for scheme in schemes:
        # The rules in words, as on the result pages and in the documents.
        scheme.rows = [  # type: ignore[attr-defined]
            {"item": item, "rule_text": documents.rule_text({"kind": item.kind, "rule": item.rule})}
            for item in scheme.items.all()
        ]
    context = {"schemes": schemes, "managed": services.managed_towns(request.user).exists()}
    return render(request, "assessment/schemes.html", context)


def _parse_rule(text: str, kind: str) -> dict[str, Any]:
    """The editor's rule text: ``60-100`` (linear, low to high) or ``>=95:100, >=90:80, else:0``
    (``<=`` for at most)."""
    text = text.replace("，", ",").replace("：", ":").replace(" ", "")
    if kind != ItemKind.AUTO:
        return {}
    if "-" in text and ":" not in text:
        low, _dash, high = text.partition("-") if not text.startswith("-") else ("", "", "")
        return {"type": "linear", "low": low, "high": high}
    direction = "at_most" if "<=" in text else "at_least"
    steps: list[list[str]] = []
    otherwise = "0"
    for part in filter(None, text.split(",")):
        bound, _colon, share = part.partition(":")
        if bound.lower() in ("else", "其他", "否则"):
            otherwise = share
        else:
            steps.append([bound.lstrip("<>="), share])
    return {"type": "thresholds", "direction": direction, "steps": steps, "otherwise": otherwise}


def rule_field(item: dict[str, Any]) -> str:
    rule = item.get("rule") or {}
    if rule.get("type") == "linear":
        return f"{rule['low']:g}-{rule['high']:g}"
    if rule.get("type") == "thresholds":
        sign = ">=" if rule["direction"] == "at_least" else "<="
        steps = ", ".join(f"{sign}{b:g}:{s:g}" for b, s in rule["steps"])
        return f"{steps}, else:{rule.get('otherwise', 0):g}"
    return ""


@require_http_methods(["GET", "POST"])
@login_required
def scheme_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    towns = list(services.managed_towns(request.user).order_by("code"))
    if not towns:
        return error_page(request, _("You may not configure the assessment of this town."), 403)
    scheme: Scheme | None = None
    if pk is not None:
        try:
            scheme = services.scheme_get(request.user, pk)
        except DomainError:
            raise Http404(_("No such scheme.")) from None
    error = ""
    values: dict[str, Any]
    if request.method == "POST":
        data = request.POST
        items: list[dict[str, Any]] = []
        for number in range(EDITOR_ROWS):
            label = data.get(f"label_{number}", "").strip()
            if not label:
                continue
            kind = data.get(f"kind_{number}", "")
            items.append(
                {
                    "code": data.get(f"code_{number}", ""),
                    "label": label,
                    "kind": kind,
                    "indicator": data.get(f"indicator_{number}", ""),
                    "weight": data.get(f"weight_{number}", ""),
                    "rule": _parse_rule(data.get(f"rule_{number}", ""), kind),
                    "no_data": data.get(f"no_data_{number}", NoData.FULL),
                }
            )
        try:
            saved = services.scheme_save(
                actor=request.user,
                town_code=data.get("town", ""),
                family=data.get("family", ""),
                name=data.get("name", ""),
                target_type=data.get("target_type", ""),
                items=items,
                bonus_cap=data.get("bonus_cap", "0"),
                penalty_cap=data.get("penalty_cap", "0"),
                note=data.get("note", ""),
            )
        except DomainError as failed:
            if failed.status in (403, 404):
                return error_page(request, failed.message, failed.status)
            details = getattr(failed, "details", None) or {}
            error = "; ".join(m for msgs in details.values() for m in msgs) or failed.message
        else:
            messages.success(request, _("Scheme saved (version %(version)s).") % {"version": saved.version})
            return redirect("assessment:schemes")
        rows = [dict(i, rule_text=data.get(f"rule_{n}", "")) for n, i in enumerate(items)]
        values = {
            k: data.get(k, "") for k in ("town", "family", "name", "target_type", "bonus_cap", "penalty_cap", "note")
        }
    else:
        rows = []
        if scheme is not None:
            frozen = services.scheme_frozen(scheme)
            rows = [dict(i, rule_text=rule_field(i)) for i in frozen["items"]]
            values = {
                "town": scheme.town.code,
                "family": scheme.family,
                "name": scheme.name,
                "target_type": scheme.target_type,
                "bonus_cap": scheme.bonus_cap,
                "penalty_cap": scheme.penalty_cap,
                "note": scheme.note,
            }
        else:
            values = {"town": towns[0].code, "bonus_cap": 5, "penalty_cap": 10}
    rows += [{} for _n in range(EDITOR_ROWS - len(rows))]
    context = {
        "scheme": scheme,
        "rows": rows,
        "values": values,
        "towns": towns,
        "error": error,
        "target_types": TargetType.choices,
        "kinds": ItemKind.choices,
        "no_data": NoData.choices,
        "indicators": [(i.code, i.label) for i in INDICATORS.values()],
        "total": sum((_weight(r.get("weight")) for r in rows), Decimal(0)),
    }
    return render(request, "assessment/scheme_edit.html", context, status=422 if error else 200)


def _weight(typed: Any) -> Decimal:
    """A typed weight for the editor's running total (0 when it is not a finite number)."""
    try:
        number = Decimal(str(typed or 0))
    except (InvalidOperation, ValueError):
        return Decimal(0)
    return number if number.is_finite() else Decimal(0)


urlpatterns: list[URLPattern] = [
    path("assessment/", period_list, name="periods"),
    path("assessment/schemes/", scheme_list, name="schemes"),
    path("assessment/schemes/new/", scheme_edit, name="scheme-new"),
    path("assessment/schemes/<int:pk>/", scheme_edit, name="scheme-edit"),
    path("assessment/appeals/", appeal_list, name="appeals"),
    path("assessment/appeals/<int:pk>/act/<str:action>/", appeal_act, name="appeal-act"),
    path("assessment/files/<int:pk>/", attachment_download, name="file"),
    path("assessment/<int:pk>/", period_detail, name="period"),
    path("assessment/<int:pk>/act/<str:action>/", period_act, name="period-act"),
    path("assessment/<int:pk>/manual/", manual_score, name="manual"),
    path("assessment/<int:pk>/entries/", entry_add, name="entry"),
    path("assessment/<int:pk>/sanctions/", sanctions_propose, name="sanctions-propose"),
    path("assessment/<int:pk>/results.<str:extension>", period_download, name="download"),
    path("assessment/results/<int:pk>/", result_detail, name="result"),
    path("assessment/results/<int:pk>/appeal/", appeal_submit, name="appeal"),
    path("assessment/results/<int:pk>/sanction/", sanction_add, name="sanction-add"),
    path("assessment/results/<int:pk>/<str:item>/<str:part>/", result_refs, name="refs"),
    path("assessment/sanctions/<int:pk>/act/<str:action>/", sanction_act, name="sanction-act"),
]

__all__ = ["Appeal", "urlpatterns"]
