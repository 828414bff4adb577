"""Pages of the discipline office (纪委监督): the console (a count per rule, each opening its
list, each list exportable), the towns' thresholds, supervision notices, accountability
decisions and conduct complaints. Anyone but the office gets 404 on the office's pages; a
notice's page is also its owner's (to answer it)."""

from __future__ import annotations

from typing import Any, Final

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.areas.models import Area, AreaLevel
from gridgov.cases.access import mask_name, mask_phone
from gridgov.cases.selectors import cases_visible
from gridgov.core.downloads import document_response
from gridgov.core.errors import DomainError
from gridgov.core.forms import apply_error
from gridgov.core.pages import error_page
from gridgov.hotline.selectors import orders_visible
from gridgov.notice import complaints as complaint_flow
from gridgov.notice import services as notice_services
from gridgov.notice.selectors import complaints_visible
from gridgov.people.selectors import active_departments, display_name, role_holder_ids, users_visible

from . import documents, registry, rules, selectors, services
from .forms import AccountabilityForm, CommentForm, ConcludeForm, IssueForm, SettingsForm
from .models import Accountability, AccountabilityAttachment, RuleSetting, SupervisionNotice, SupervisionStatus
from .transitions import SupervisionAction

LIST_LIMIT: Final = 500


def _office(request: HttpRequest) -> Any:
    """The town of the page (``?town=``) if the user works for the discipline office; 404 else."""
    try:
        return selectors.office_town(request.user, request.GET.get("town", "") or request.POST.get("town", ""))
    except DomainError:
        raise Http404 from None


def _towns(request: HttpRequest) -> list[Any]:
    return selectors.office_towns(request.user)


# --- the console ----------------------------------------------------------------------------------


@require_GET
@login_required
def console(request: HttpRequest) -> HttpResponse:
    town = _office(request)
    context = selectors.context_for(request.user, town)
    figures = selectors.figures(context)
    groups: dict[str, list[Any]] = {}
    for figure in figures:
        groups.setdefault(str(figure.rule.group), []).append(figure)
    return render(
        request,
        "oversight/console.html",
        {
            "town": town,
            "towns": _towns(request),
            "groups": groups,
            "since": timezone.localtime(context.since),
            "open_complaints": complaints_visible(request.user)
            .filter(town=town, status__in=sorted(complaint_flow.OPEN))
            .count(),
        },
    )


def _rule_rows(request: HttpRequest, code: str) -> tuple[Any, Any, Any, str]:
    town = _office(request)
    try:
        rule = selectors.rule_get(code)
    except DomainError:
        raise Http404 from None
    if rule.code in selectors.disabled_of(town):
        raise Http404
    context = selectors.context_for(request.user, town)
    return town, rule, rule.queryset(context), rule.describe(context.values)


def _in_town(link: str, town: Area) -> str:
    """The console's own pages keep the town the office is looking at; other pages have theirs."""
    if link.startswith(reverse("oversight:console")) and "?" not in link:
        return f"{link}?town={town.code}"
    return link


def _issue_url(rule: Any, row: Any) -> str:
    """Where a list row's **Supervise** leads: the notice form for a case or an order, the rule's
    own page for other rows (a leaders' task), or nowhere."""
    if rule.target:
        return reverse("oversight:issue") + f"?{rule.target}={row.pk}&rule={rule.code}"
    if rule.supervise is not None:
        return str(rule.supervise(row))
    return ""


@require_GET
@login_required
def rule_list(request: HttpRequest, code: str) -> HttpResponse:
    town, rule, rows, definition = _rule_rows(request, code)
    total = rows.count()
    items = []
    for row in rows[:LIST_LIMIT]:
        items.append(
            {
                "cells": [column.value(row) for column in rule.columns],
                "link": _in_town(rule.link(row), town) if rule.link else "",
                "issue": _issue_url(rule, row),
            }
        )
    context = {
        "town": town,
        "rule": rule,
        "definition": definition,
        "headings": [str(column.label) for column in rule.columns],
        "items": items,
        "total": total,
        "limited": total > LIST_LIMIT,
    }
    return render(request, "oversight/rule.html", context)


@require_GET
@login_required
def rule_export(request: HttpRequest, code: str) -> HttpResponse:
    town, rule, rows, definition = _rule_rows(request, code)
    content, count = documents.rule_xlsx(rule, rows.iterator(chunk_size=500), definition, town.name)
    services.export_recorded(actor=request.user, what=rule.code, rows=count, town=town, request=request)
    day = f"{timezone.localdate():%Y%m%d}"
    label = str(rule.label).replace("/", "-")
    name, fallback = f"{town.name}{label}-{day}.xlsx", f"oversight-{rule.code}-{day}.xlsx"
    return document_response(content, "xlsx", name, fallback=fallback)


@require_GET
@login_required
def access_events(request: HttpRequest, user_id: int) -> HttpResponse:
    """The reveals and exports behind one staff row of the personal-data rules: each event with
    its time, what was opened or exported, the rows and the address it came from."""
    town = _office(request)
    context = selectors.context_for(request.user, town)
    staff = rules.town_staff(context).filter(pk=user_id).first()
    if staff is None:
        raise Http404
    events = rules.access_events(context, staff.pk)
    total = events.count()
    items = [
        {
            "at": event.created_at,
            "kind": _("Export") if event.action in rules.EXPORT_ACTIONS else _("Reveal"),
            "action": event.action,
            "target": f"{event.object_type} {event.object_id}".strip(),
            "rows": (event.data or {}).get("rows", ""),
            "ip": event.ip_address or "",
        }
        for event in events[:LIST_LIMIT]
    ]
    page = {
        "town": town,
        "staff": staff,
        "staff_name": display_name(staff),
        "since": context.since,
        "items": items,
        "total": total,
        "limited": total > LIST_LIMIT,
    }
    return render(request, "oversight/access_events.html", page)


def home_panel_context(user: Any) -> dict[str, Any]:
    """The office's home panel: what waits for it in its town, each count opening its list."""
    try:
        town = selectors.office_town(user)
    except DomainError:
        return {}
    notices = selectors.supervisions_visible(user).filter(town=town, status=SupervisionStatus.ISSUED)
    complaints = complaints_visible(user).filter(town=town)
    supervisions = reverse("oversight:supervisions")
    listing = reverse("oversight:complaints")
    queues = [
        (complaints.filter(status="received").count(), _("New conduct complaints"), f"{listing}?status=received"),
        (
            complaints.filter(status="investigating").count(),
            _("Complaints under investigation"),
            f"{listing}?status=investigating",
        ),
        (notices.count(), _("Supervision notices awaiting the answer"), f"{supervisions}?status=issued"),
        (notices.filter(deadline__lt=timezone.now()).count(), _("Answers overdue"), f"{supervisions}?status=overdue"),
    ]
    return {
        "town": town,
        "queues": [{"count": n, "label": label, "url": f"{url}&town={town.code}"} for n, label, url in queues],
        "console_url": reverse("oversight:console") + f"?town={town.code}",
    }


# --- thresholds -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    town = _office(request)
    setting = selectors.setting_of(town) or RuleSetting(town=town)
    values = selectors.values_of(town)
    disabled = selectors.disabled_of(town)
    initial = {"version": setting.version}
    form = SettingsForm(request.POST or None, values=values, disabled=disabled, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            enabled = set(data["enabled"])
            try:
                services.rule_settings_save(
                    actor=request.user,
                    town=town,
                    values={param.code: data[param.code] for param in registry.params()},
                    disabled=[rule.code for rule in registry.rules() if rule.code not in enabled],
                    reason=data["reason"],
                    version=setting.version if setting.pk else None,
                    request=request,
                )
            except DomainError as error:
                apply_error(form, error)
                status = error.status
            else:
                return redirect(reverse("oversight:settings") + f"?town={town.code}")
    changes = list(setting.changes.select_related("actor__profile")[:50]) if setting.pk else []
    history = [
        {
            "change": change,
            "actor": display_name(change.actor),
            "diff": _diff(change.before.get("values", {}), change.after.get("values", {})),
        }
        for change in changes
    ]
    context = {"town": town, "towns": _towns(request), "form": form, "history": history}
    return render(request, "oversight/settings.html", context, status=status)


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    labels = {param.code: str(param.label) for param in registry.params()}
    return [
        f"{labels.get(code, code)}: {before.get(code, '—')} → {value}"
        for code, value in after.items()
        if before.get(code) != value
    ]


# --- supervision notices --------------------------------------------------------------------------


@require_GET
@login_required
def supervision_list(request: HttpRequest) -> HttpResponse:
    town = _office(request)
    rows = selectors.supervisions_visible(request.user).filter(town=town)
    status = request.GET.get("status", "")
    if status == "overdue":  # waiting for its answer past the deadline (the home panel's count)
        rows = rows.filter(status=SupervisionStatus.ISSUED, deadline__lt=timezone.now())
    elif status in SupervisionStatus.values:
        rows = rows.filter(status=status)
    rows = rows[:LIST_LIMIT]
    return render(request, "oversight/supervisions.html", {"town": town, "towns": _towns(request), "items": rows})


@require_http_methods(["GET", "POST"])
@login_required
def supervision_issue(request: HttpRequest) -> HttpResponse:
    if not selectors.is_office(request.user):
        raise Http404
    case_id = request.GET.get("case", "")
    order_id = request.GET.get("order", "")
    case = cases_visible(request.user).filter(pk=int(case_id)).first() if case_id.isdecimal() else None
    order = orders_visible(request.user).filter(pk=int(order_id)).first() if order_id.isdecimal() else None
    if case is None and order is None:
        raise Http404
    town_id = case.town_id if case is not None else order.town_id  # type: ignore[union-attr]
    if not selectors.is_office_over(request.user, town_id):
        raise Http404
    form = IssueForm(request.POST or None, initial={"rule": request.GET.get("rule", "")})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            deadline = None
            if data["deadline"]:
                deadline = services.answer_due(data["deadline"])
            try:
                notice = services.supervision_issue(
                    actor=request.user,
                    text=data["text"],
                    case_id=case.pk if case else None,
                    order_id=order.pk if order else None,
                    deadline=deadline,
                    rule=data["rule"],
                    request=request,
                )
            except DomainError as error:
                if error.status in (403, 404):
                    return error_page(request, error.message, error.status)
                apply_error(form, error)
                status = error.status
            else:
                return redirect("oversight:supervision", pk=notice.pk)
    context = {
        "form": form,
        "case": case,
        "order": order,
        "default_deadline": services.default_deadline(case.town if case else order.town),  # type: ignore[union-attr]
    }
    return render(request, "oversight/issue.html", context, status=status)


def _notice(request: HttpRequest, pk: int) -> SupervisionNotice:
    try:
        return selectors.supervision_get(request.user, pk)
    except DomainError:
        raise Http404 from None


@require_GET
@login_required
def supervision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice(request, pk)
    return _notice_page(request, notice)


def _notice_page(request: HttpRequest, notice: SupervisionNotice, **extra: Any) -> HttpResponse:
    actions = [
        {
            "action": action,
            "label": services.SUPERVISIONS.label(action),
            "form": extra.get("failed") or CommentForm(initial={"version": notice.version}),
            "url": reverse("oversight:supervision-act", args=[notice.pk, action]),
        }
        for action in services.SUPERVISIONS.allowed_actions(notice, request.user)
    ]
    context = {
        "notice": notice,
        "actions": actions,
        "events": [
            {
                "event": e,
                "label": services.SUPERVISIONS.label(e.action),
                "actor": display_name(e.actor) if e.actor else "",
            }
            for e in notice.events.select_related("actor__profile")
        ],
        "late": notice.status == "issued" and notice.deadline < timezone.now(),
        "office": selectors.is_office_over(request.user, notice.town_id),
        "error": extra.get("error", ""),
    }
    return render(request, "oversight/supervision.html", context, status=extra.get("status", 200))


@require_POST
@login_required
def supervision_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    notice = _notice(request, pk)
    if action not in {a.value for a in SupervisionAction}:
        raise Http404
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _notice_page(request, notice, failed=form, status=422)
    try:
        services.supervision_act(
            actor=request.user,
            pk=notice.pk,
            action=action,
            inputs={"comment": form.cleaned_data["comment"]},
            version=form.cleaned_data.get("version"),
        )
    except DomainError as error:
        if error.status in (403, 404):
            return error_page(request, error.message, error.status)
        return _notice_page(request, _notice(request, pk), failed=form, error=error.message, status=error.status)
    return redirect("oversight:supervision", pk=pk)


# --- accountability -------------------------------------------------------------------------------


def _accountability_form(request: HttpRequest, town: Any, data: Any = None) -> AccountabilityForm:
    path = town.path
    staff_ids = role_holder_ids(Q(area__path__startswith=path) | Q(department__areas__path__startswith=path))
    staff = users_visible(request.user).filter(pk__in=staff_ids).order_by("username")
    villages = [
        (area.code, area.name)
        for area in Area.objects.current().filter(level=AreaLevel.VILLAGE, path__startswith=path).order_by("code")
    ]
    return AccountabilityForm(
        data,
        users=[(user.pk, f"{display_name(user)}（{user.username}）") for user in staff],
        departments=[
            (department.code, department.name)
            for department in active_departments().filter(areas__id__in=town.ancestor_ids()).distinct()
        ],
        villages=villages,
    )


@require_http_methods(["GET", "POST"])
@login_required
def accountability_list(request: HttpRequest) -> HttpResponse:
    town = _office(request)
    form = _accountability_form(request, town, request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            uploads = [
                services.Upload(name=file.name or "file", content=file.read(), content_type=file.content_type or "")
                for file in request.FILES.getlist("attachments")
            ]
            try:
                decision = services.accountability_record(
                    actor=request.user,
                    town=town,
                    target_kind=data["target_kind"],
                    target=form.target(),
                    kind=data["kind"],
                    reason=data["reason"],
                    evidence=form.numbers(),
                    attachments=uploads,
                    request=request,
                )
            except DomainError as error:
                if error.status in (403, 404):
                    return error_page(request, error.message, error.status)
                apply_error(form, error, aliases={"target": "target_kind", "evidence": "evidence"})
                status = error.status
            else:
                return redirect("oversight:accountability-detail", pk=decision.pk)
    records = selectors.accountability_visible(request.user).filter(town=town).prefetch_related("cases", "orders")
    items = [
        {"record": record, "target": selectors.target_name(record), "evidence": selectors.evidence_links(record)}
        for record in records[:LIST_LIMIT]
    ]
    context = {"town": town, "towns": _towns(request), "form": form, "items": items}
    return render(request, "oversight/accountability.html", context, status=status)


def _record(request: HttpRequest, pk: int) -> Accountability:
    try:
        return selectors.accountability_get(request.user, pk)
    except DomainError:
        raise Http404 from None


@require_GET
@login_required
def accountability_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    context = {
        "record": record,
        "target": selectors.target_name(record),
        "cases": record.cases.select_related("category"),
        "orders": record.orders.all(),
        "attachments": record.attachments.all(),
    }
    return render(request, "oversight/accountability_detail.html", context)


@require_GET
@login_required
def accountability_download(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    record = _record(request, pk)
    writer = {"docx": documents.write_docx, "pdf": documents.write_pdf}.get(extension)
    if writer is None:
        raise Http404
    content = writer(record)
    services.export_recorded(
        actor=request.user, what=f"accountability-{record.pk}.{extension}", rows=1, town=record.town, request=request
    )
    kind = str(record.get_kind_display()).replace("/", "-")
    name = f"{record.town.name}{kind}决定-{record.pk}.{extension}"
    return document_response(content, extension, name, fallback=f"accountability-{record.pk}.{extension}")


@require_GET
@login_required
def accountability_export(request: HttpRequest) -> HttpResponse:
    town = _office(request)
    records = selectors.accountability_visible(request.user).filter(town=town).prefetch_related("cases", "orders")
    content, count = documents.accountability_xlsx(records, town.name)
    services.export_recorded(actor=request.user, what="accountability", rows=count, town=town, request=request)
    day = f"{timezone.localdate():%Y%m%d}"
    name, fallback = f"{town.name}问责记录-{day}.xlsx", f"accountability-{day}.xlsx"
    return document_response(content, "xlsx", name, fallback=fallback)


@require_GET
@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    try:
        attachment: AccountabilityAttachment = services.attachment_open(request.user, pk, request=request)
    except DomainError:
        raise Http404 from None
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )


# --- conduct complaints ---------------------------------------------------------------------------


@require_GET
@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    town = _office(request)
    rows = complaints_visible(request.user).filter(town=town)
    status = request.GET.get("status", "")
    if status:
        rows = rows.filter(status=status)
    items = [
        {
            "complaint": row,
            "length": len(row.text),
            "name": mask_name(row.contact_name),
            "phone": mask_phone(row.contact_phone),
        }
        for row in rows[:LIST_LIMIT]
    ]
    return render(request, "oversight/complaints.html", {"town": town, "towns": _towns(request), "items": items})


def _complaint(request: HttpRequest, pk: int) -> Any:
    found = complaints_visible(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


FORMS: Final[dict[str, Any]] = {
    complaint_flow.ComplaintAction.INVESTIGATE: None,
    complaint_flow.ComplaintAction.NOTE: CommentForm,
    complaint_flow.ComplaintAction.CONCLUDE: ConcludeForm,
    complaint_flow.ComplaintAction.TRANSFER: CommentForm,
    complaint_flow.ComplaintAction.DISMISS: CommentForm,
}


def _complaint_page(request: HttpRequest, complaint: Any, **extra: Any) -> HttpResponse:
    actions = []
    for action in complaint_flow.COMPLAINTS.allowed_actions(complaint, request.user):
        form_class = FORMS.get(action)
        failed = extra.get("failed")
        actions.append(
            {
                "action": action,
                "label": complaint_flow.COMPLAINTS.label(action),
                "form": (failed if failed is not None and extra.get("action") == action else None)
                or (
                    form_class(initial={"version": complaint.version}, auto_id=f"id_{action}_%s")
                    if form_class
                    else None
                ),
                "url": reverse("oversight:complaint-act", args=[complaint.pk, action]),
                "danger": action == complaint_flow.ComplaintAction.DISMISS,
            }
        )
    revealed = extra.get("revealed")
    context = {
        "complaint": complaint,
        "revealed": revealed,
        "length": len(complaint.text),
        "name": mask_name(complaint.contact_name),
        "phone": mask_phone(complaint.contact_phone),
        "actions": actions,
        "events": [
            {
                "event": e,
                "label": complaint_flow.COMPLAINTS.label(e.action),
                "actor": display_name(e.actor) if e.actor else "",
            }
            for e in complaint_flow.complaint_history(complaint)
        ],
        "error": extra.get("error", ""),
        "concerning": display_name(complaint.concerning) if complaint.concerning else "",
    }
    return render(request, "oversight/complaint.html", context, status=extra.get("status", 200))


@require_http_methods(["GET", "POST"])
@login_required
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _complaint(request, pk)
    revealed = None
    if request.method == "POST":
        try:
            revealed = notice_services.complaint_reveal(actor=request.user, complaint_id=complaint.pk, request=request)
        except DomainError as error:
            return error_page(request, error.message, error.status)
    return _complaint_page(request, complaint, revealed=revealed)


@require_POST
@login_required
def complaint_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    complaint = _complaint(request, pk)
    if action not in FORMS:
        raise Http404
    form_class = FORMS[action]
    inputs: dict[str, Any] = {}
    version = None
    form: Any = None
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            return _complaint_page(request, complaint, failed=form, action=action, status=422)
        inputs = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        version = form.cleaned_data.get("version")
    try:
        complaint_flow.complaint_act(actor=request.user, pk=complaint.pk, action=action, inputs=inputs, version=version)
    except DomainError as error:
        if error.status in (403, 404):
            return error_page(request, error.message, error.status)
        return _complaint_page(
            request, _complaint(request, pk), failed=form, action=action, error=error.message, status=error.status
        )
    return redirect("oversight:complaint", pk=pk)


urlpatterns: list[URLPattern] = [
    path("oversight/", console, name="console"),
    path("oversight/rules/<str:code>/", rule_list, name="rule"),
    path("oversight/rules/<str:code>/export.xlsx", rule_export, name="rule-export"),
    path("oversight/access/<int:user_id>/", access_events, name="access-events"),
    path("oversight/settings/", settings_page, name="settings"),
    path("oversight/supervisions/", supervision_list, name="supervisions"),
    path("oversight/supervisions/new/", supervision_issue, name="issue"),
    path("oversight/supervisions/<int:pk>/", supervision_detail, name="supervision"),
    path("oversight/supervisions/<int:pk>/act/<str:action>/", supervision_act, name="supervision-act"),
    path("oversight/accountability/", accountability_list, name="accountability"),
    path("oversight/accountability/export.xlsx", accountability_export, name="accountability-export"),
    path("oversight/accountability/<int:pk>/", accountability_detail, name="accountability-detail"),
    path(
        "oversight/accountability/<int:pk>/decision.<str:extension>",
        accountability_download,
        name="accountability-download",
    ),
    path("oversight/accountability/files/<int:pk>/", attachment_download, name="attachment"),
    path("oversight/complaints/", complaint_list, name="complaints"),
    path("oversight/complaints/<int:pk>/", complaint_detail, name="complaint"),
    path("oversight/complaints/<int:pk>/act/<str:action>/", complaint_act, name="complaint-act"),
]
