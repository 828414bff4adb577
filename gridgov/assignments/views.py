"""Pages of the leaders' tasks: the board and list (counts by state and light, the on-time
figure by owner, the filtered table, its Excel), giving a task (by hand, from a document, from
a meeting's resolution: ``?resolution=<id>``), a task's page (parts per owner with their
forms, files, the timeline), the steps posted from it, and a file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.areas.selectors import area_by_id
from gridgov.core.audit import record
from gridgov.core.downloads import document_response
from gridgov.core.errors import DomainError
from gridgov.core.forms import apply_error
from gridgov.core.pages import ObjectPage, error_page, query_without
from gridgov.core.spreadsheets import SafeWorkbook
from gridgov.meetings.services import resolutions_visible
from gridgov.people.selectors import display_name

from . import access, documents, figures, selectors, services
from .forms import CreateForm, ListFilterForm, PartActionForm, TaskActionForm, uploads_of
from .models import OPEN_STATUSES, PART_OPEN, Assignment, AssignmentStatus, PartStatus, Priority
from .transitions import EVENT_LABELS, PartAction, TaskAction

PAGE_SIZE: Final = 50
EXPORT_LIMIT: Final = 5000
BOARD_STATUSES: Final = (
    AssignmentStatus.ASSIGNED,
    AssignmentStatus.IN_PROGRESS,
    AssignmentStatus.SUBMITTED,
    AssignmentStatus.DONE,
    AssignmentStatus.CANCELLED,
)


def _owner_choices(request: HttpRequest) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    towns = access.assignments_visible(request.user).order_by().values_list("town", flat=True).distinct()
    for town in towns[:20]:
        for key, name in services.owner_choices(area_by_id(town)):
            found.setdefault(key, name)
    return list(found.items())


def _filters(form: ListFilterForm) -> selectors.Filters:
    data = form.valid_data()
    return selectors.Filters(
        status=data.get("status") or "",
        light=data.get("light") or "",
        owner=data.get("owner") or "",
        priority=data.get("priority") or "",
        text=(data.get("text") or "").strip(),
        mine=bool(data.get("mine")),
        supervision=bool(data.get("supervision")),
        figure=data.get("figure") or "",
        waiting=data.get("waiting") or "",
        start=data.get("start"),
        end=data.get("end"),
    )


def _list_url(**params: Any) -> str:
    return f"{reverse('assignments:list')}?{urlencode({k: v for k, v in params.items() if v not in ('', None)})}"


def _board(request: HttpRequest) -> list[dict[str, Any]]:
    counts = selectors.board(request.user)
    rows = []
    for status in BOARD_STATUSES:
        cell = counts.get(status, {})
        lights = []
        if status in OPEN_STATUSES:
            lights = [
                {"light": light, "count": cell.get(light, 0), "url": _list_url(status=status, light=light)}
                for light in selectors.LIGHTS
            ]
        rows.append(
            {
                "status": status,
                "label": AssignmentStatus(status).label,
                "total": cell.get("total", 0),
                "url": _list_url(status=status),
                "lights": lights,
            }
        )
    return rows


def _statistics(request: HttpRequest, names: dict[str, str]) -> dict[str, Any]:
    period = selectors.period_of(request.GET.get("start"), request.GET.get("end"))
    found = figures.assignment_completion(None, period, parts=selectors.access.parts_visible(request.user))
    span = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    rows = []
    for key, completion in sorted(found.items(), key=lambda item: (-(item[1].due), item[0])):
        links = {name: _list_url(owner=key, figure=name, **span) for name in figures.FIGURES}
        rows.append({"key": key, "name": names.get(key, key), "figures": completion, "links": links})
    total = figures.completion_total(found.values())
    return {
        "period": period,
        "rows": rows,
        "total": total,
        "total_links": {name: _list_url(figure=name, **span) for name in figures.FIGURES},
    }


@require_GET
@login_required
def assignment_list(request: HttpRequest) -> HttpResponse:
    if not access.may_read(request.user):
        return error_page(request, _("You may not open this page."), 403)
    owners = _owner_choices(request)
    form = ListFilterForm(request.GET or None, owners=owners)
    filters = _filters(form)
    now = timezone.now()
    try:
        query = selectors.filtered(request.user, filters, now)
    except DomainError as error:
        apply_error(form, error)
        query = selectors.filtered(request.user, selectors.Filters(), now)
    paginator = Paginator(query.order_by("-assigned_at", "-id"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    town_reader = access.reads_town(request.user)
    context = {
        "form": form,
        "page": page,
        "items": _rows(list(page.object_list)),
        "board": _board(request) if town_reader else None,
        "statistics": _statistics(request, dict(owners)) if town_reader else None,
        "may_create": services.creator_towns(request.user).exists(),
        "query": query_without(request, "page"),
        "owned": selectors.owned_counts(request.user, now),
    }
    return render(request, "assignments/list.html", context)


def _rows(items: list[Assignment]) -> list[dict[str, Any]]:
    parts: dict[int, list[Any]] = {}
    if items:
        for part in (
            selectors.AssignmentPart.objects.filter(assignment__in=[item.pk for item in items])
            .select_related("department", "area")
            .order_by("-lead", "id")
        ):
            parts.setdefault(part.assignment_id, []).append(part)
    return [
        {
            "item": item,
            "light": getattr(item, "light", "") if item.status in OPEN_STATUSES else "",
            "owners": [part.owner_name for part in parts.get(item.pk, [])],
            "leader": display_name(item.leader),
        }
        for item in items
    ]


@require_GET
@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The filtered list as Excel (every cell formula-safe), audited."""
    if not access.reads_town(request.user):
        return error_page(request, _("You may not open this page."), 403)
    form = ListFilterForm(request.GET or None, owners=_owner_choices(request))
    try:
        query = selectors.filtered(request.user, _filters(form))
    except DomainError:
        query = selectors.filtered(request.user, selectors.Filters())
    items = list(query.order_by("-assigned_at", "-id")[:EXPORT_LIMIT])
    book = SafeWorkbook()
    sheet = book.sheet(_("Leaders' tasks"))
    sheet.widths([34, 12, 10, 12, 30, 18, 18, 10, 10])
    sheet.header(
        [
            _("Title"),
            _("Assigning leader"),
            _("Priority"),
            _("Status"),
            _("Owners"),
            _("Given at"),
            _("Deadline"),
            _("Light"),
            _("Supervision"),
        ]
    )
    lights = {"green": _("On time"), "yellow": _("Due soon"), "red": _("Overdue")}
    for row in _rows(items):
        item = row["item"]
        sheet.append(
            [
                item.title,
                row["leader"],
                Priority(item.priority).label,
                AssignmentStatus(item.status).label,
                "、".join(row["owners"]),
                item.assigned_at,
                item.due_at or item.deadline,
                lights.get(row["light"], ""),
                _("Awaiting reply") if item.supervision_pending else "",
            ]
        )
    record(action="assignment.export", actor=request.user, request=request, data={"rows": len(items)})
    return document_response(book.bytes(), "xlsx", f"assignments-{timezone.localtime():%Y%m%d-%H%M}.xlsx")


# --- giving a task -------------------------------------------------------------------------------


def _leaders(town: Any) -> list[tuple[int, str]]:
    users = get_user_model().objects.filter(pk__in=services.town_leader_ids(town)).select_related("profile")
    return [(user.pk, display_name(user)) for user in users.order_by("username")]


@require_http_methods(["GET", "POST"])
@login_required
def assignment_create(request: HttpRequest) -> HttpResponse:
    towns = list(services.creator_towns(request.user)[:2])
    if not towns:
        return error_page(request, _("Only a town leader or the center gives leaders' tasks."), 403)
    town = towns[0]
    leaders = None if request.user.pk in services.town_leader_ids(town) else _leaders(town)
    initial: dict[str, Any] = {"deadline": services.working_day(timezone.localdate() + dt.timedelta(days=14))}
    resolution = None
    resolution_id = request.GET.get("resolution") or request.POST.get("resolution")
    if resolution_id and str(resolution_id).isdigit():
        resolution = resolutions_visible(request.user).filter(pk=int(resolution_id)).first()
        if resolution is None:
            raise Http404(_("No such resolution."))
        initial.update(services.resolution_defaults(resolution), resolution=resolution.pk)
    form = CreateForm(
        request.POST or None,
        request.FILES or None,
        owners=services.owner_choices(town),
        leaders=leaders,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                assignment = services.assignment_create(
                    actor=request.user,
                    title=data["title"],
                    requirement=data["requirement"],
                    lead=data["lead"],
                    cooperating=data["cooperating"],
                    deadline=data["deadline"],
                    priority=data["priority"],
                    leader_id=data.get("leader"),
                    town_code=town.code,
                    document_number=data["document_number"],
                    files=uploads_of(data["attachments"]),
                    resolution_id=resolution.pk if resolution is not None else None,
                )
            except DomainError as error:
                if error.status in (403, 404):
                    return error_page(request, error.message, error.status)
                apply_error(form, error, {"files": "attachments", "town": "lead"})
                if error.status == 409:
                    status = 409
            else:
                return redirect("assignments:detail", pk=assignment.pk)
        if request.FILES and "attachments" not in form.errors:
            # A refused page comes back without the files chosen (a browser keeps none): say so.
            form["attachments"].help_text = _("Choose the files again: the page cannot keep them.")
    context = {"form": form, "town": town, "resolution": resolution}
    return render(request, "assignments/create.html", context, status=status)


# --- a task's page -------------------------------------------------------------------------------


def _visible(request: HttpRequest, pk: int) -> Assignment:
    try:
        return selectors.assignment_get(request.user, pk)
    except DomainError:
        raise Http404(_("No such task.")) from None


def _when(value: str) -> str:
    return f"{timezone.localtime(dt.datetime.fromisoformat(value)):%Y-%m-%d %H:%M}"


def _changes(changes: dict[str, Any], owners: dict[str, str]) -> list[tuple[str, str]]:
    """An edit's changes, each as (what, "old → new")."""
    shown: dict[str, tuple[Any, Callable[[Any], str]]] = {
        "requirement": (_("Requirement"), str),
        "priority": (_("Priority"), lambda v: str(Priority(v).label) if v in Priority.values else str(v)),
        "deadline": (_("Deadline"), _when),
        "cooperating": (_("Cooperating owners"), lambda keys: "、".join(owners.get(k, k) for k in keys) or "—"),
    }
    found = []
    for name, (label, show) in shown.items():
        if name in changes:
            old, new = changes[name]
            found.append((str(label), f"{show(old)} → {show(new)}"))
    return found


def _timeline(assignment: Assignment) -> list[dict[str, Any]]:
    owners = dict(_task_owners(assignment))
    rows = []
    for event in selectors.history(assignment):
        label = services.PARTS.labels.get(event.action) or services.TASKS.labels.get(event.action)
        details: list[tuple[str, str]] = []
        if event.part is not None:
            details.append((_("Owner"), event.part.owner_name))
        data = event.data or {}
        if "percent" in data:
            details.append((_("Progress (%)"), str(data["percent"])))
        for name, title in (("until", _("Until")), ("answer_by", _("Answer by")), ("deadline", _("Deadline"))):
            if data.get(name):
                details.append((str(title), _when(data[name])))
        if "on_time" in data:
            details.append((_("On time"), _("Yes") if data["on_time"] else _("No")))
        if data.get("before"):
            details.append((_("Deadline before"), _when(data["before"])))
        details.extend(_changes(data.get("changes") or {}, owners))
        files = list(event.files.all())
        if files:
            details.append((_("Files"), "、".join(item.name for item in files)))
        rows.append(
            {
                "event": event,
                "label": str(label or EVENT_LABELS.get(event.action, event.action)),
                "actor": display_name(event.actor) if event.actor else "",
                "system": event.actor_id is None,
                "changed": bool(event.from_status and event.to_status and event.from_status != event.to_status),
                "from_status": PartStatus(event.from_status).label
                if event.from_status in PartStatus.values
                else event.from_status,
                "to_status": PartStatus(event.to_status).label
                if event.to_status in PartStatus.values
                else event.to_status,
                "details": details,
                "files": files,
            }
        )
    return rows


def _part_forms(request: HttpRequest, part: Any, failed: Any, now: dt.datetime) -> list[dict[str, Any]]:
    forms = []
    for action in services.PARTS.allowed_actions(part, request.user, now):
        chosen = (
            failed
            if failed is not None and getattr(failed, "part_id", None) == part.pk and failed.action == action
            else None
        )
        initial: dict[str, Any] = {"version": part.version, "percent": part.percent}
        if action == PartAction.GRANT_EXTENSION and part.extension_until:
            initial["until"] = timezone.localdate(part.extension_until)
        form = chosen or PartActionForm(initial=initial, action=action, auto_id=f"id_part{part.pk}_{action}_%s")
        forms.append(
            {
                "action": action,
                "label": services.PARTS.label(action),
                "form": form,
                "url": reverse("assignments:part-act", args=[part.pk, action]),
                "open": chosen is not None,
                "multipart": action in (PartAction.PROGRESS, PartAction.SUBMIT),
                "danger": action in (PartAction.RETURN, PartAction.REFUSE_EXTENSION),
            }
        )
    return forms


def _detail_context(request: HttpRequest, assignment: Assignment, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    failed = extra.get("failed")
    parts = []
    for part in selectors.parts_of(assignment):
        light = selectors.light_of(part.deadline, part.warn_at, now) if part.status in PART_OPEN else ""
        parts.append({"part": part, "light": light, "actions": _part_forms(request, part, failed, now)})
    task_actions = []
    for action in services.TASKS.allowed_actions(assignment, request.user, now):
        chosen = (
            failed
            if failed is not None and getattr(failed, "part_id", None) is None and failed.action == action
            else None
        )
        initial: dict[str, Any] = {"version": assignment.version}
        owners = None
        if action == TaskAction.EDIT:
            owners = _task_owners(assignment)
            initial.update(
                requirement=assignment.requirement,
                priority=assignment.priority,
                deadline=timezone.localdate(assignment.deadline),
                cooperating=[
                    services.choice_key(part)
                    for part in selectors.parts_of(assignment)
                    if not part.lead and part.status != PartStatus.CANCELLED
                ],
            )
        task_actions.append(
            {
                "action": action,
                "label": services.TASKS.label(action),
                "form": chosen or TaskActionForm(initial=initial, action=action, owners=owners),
                "url": reverse("assignments:act", args=[assignment.pk, action]),
                "open": chosen is not None or action == TaskAction.REPLY_SUPERVISION,
                "danger": action == TaskAction.CANCEL,
            }
        )
    light = selectors.light_of(assignment.due_at, assignment.warn_at, now) if assignment.status in OPEN_STATUSES else ""
    return {
        "assignment": assignment,
        "light": light,
        "parts": parts,
        "documents": list(assignment.files.filter(event__action="create")),
        "task_actions": task_actions,
        "timeline": _timeline(assignment),
        "leader": display_name(assignment.leader),
        "created_by": display_name(assignment.created_by),
        "error": extra.get("error", ""),
        "resolution": assignment.resolution,
    }


def _task_owners(assignment: Assignment) -> list[tuple[str, str]]:
    """The owners a task's cooperating parts may have (its town's, those on it included, the
    lead owner not)."""
    found = dict(services.owner_choices(assignment.town))
    for part in selectors.parts_of(assignment):
        if part.lead:
            found.pop(services.choice_key(part), None)
        else:
            found.setdefault(services.choice_key(part), part.owner_name)
    return list(found.items())


def _page(request: HttpRequest, pk: int) -> ObjectPage:
    return ObjectPage(
        request,
        template="assignments/detail.html",
        context=lambda assignment, **extra: _detail_context(request, assignment, **extra),
        reload=lambda: _visible(request, pk),
        not_found=_("No such task."),
        stale=_("Someone else changed this task meanwhile. The page shows it as it is now; your text is kept."),
    )


@require_GET
@login_required
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk).render(_visible(request, pk))


@require_POST
@login_required
def task_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    assignment = _visible(request, pk)
    owners = _task_owners(assignment) if action == TaskAction.EDIT else None

    def form_class(data: Any, *, action: str) -> TaskActionForm:
        return TaskActionForm(data, action=action, owners=owners)

    return _page(request, pk).post_action(
        assignment,
        action,
        actions=TaskAction,
        form_class=form_class,
        service=services.task_act,
        labels=services.TASKS.label,
        error_fields={
            "comment": "comment",
            "until": "until",
            "requirement": "requirement",
            "priority": "priority",
            "deadline": "deadline",
            "cooperating": "cooperating",
        },
        success_url=reverse("assignments:detail", args=[pk]),
    )


@require_POST
@login_required
def part_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    part = selectors.access.parts_visible(request.user).filter(pk=pk).first()
    if part is None:
        raise Http404(_("No such task."))
    if action not in {a.value for a in PartAction}:
        raise Http404(_("Unknown action."))
    assignment = _visible(request, part.assignment_id)

    def build(data: Any, files: Any = None) -> PartActionForm:
        made = PartActionForm(data, files, action=action, auto_id=f"id_part{part.pk}_{action}_%s")
        made.part_id = part.pk  # type: ignore[attr-defined]
        return made

    form = build(request.POST, request.FILES)
    page = _page(request, assignment.pk)
    if not form.is_valid():
        return page.invalid(assignment, form)
    inputs: dict[str, Any] = {
        k: v for k, v in form.cleaned_data.items() if k not in ("version", "attachments") and v not in (None, "")
    }
    if form.cleaned_data.get("attachments"):
        inputs["files"] = uploads_of(form.cleaned_data["attachments"])
    return page.act(
        assignment,
        form=form,
        act=lambda: services.part_act(
            actor=request.user, pk=part.pk, action=action, inputs=inputs, version=form.cleaned_data.get("version")
        ),
        rebuild=build,
        error_fields={"comment": "comment", "percent": "percent", "until": "until", "files": "attachments"},
        done=services.PARTS.label(action),
        success_url=reverse("assignments:detail", args=[assignment.pk]),
    )


@require_GET
@login_required
def file_download(request: HttpRequest, pk: int) -> FileResponse:
    try:
        item = selectors.file_get(request.user, pk)
        handle = item.file.open("rb")
    except (DomainError, FileNotFoundError):
        raise Http404(_("No such file.")) from None
    record(
        action="assignment.file_open", actor=request.user, obj=item.assignment, request=request, data={"file": item.pk}
    )
    response = FileResponse(
        handle, content_type=item.content_type or "application/octet-stream", as_attachment=True, filename=item.name
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def sheet_download(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    """The task sheet (交办单) as Word or PDF, for whoever sees the task (404 otherwise), audited."""
    assignment = _visible(request, pk)
    writer = {"docx": documents.write_docx, "pdf": documents.write_pdf}.get(extension)
    if writer is None:
        raise Http404(_("Unknown format."))
    content = writer(assignment)
    record(action="assignment.sheet", actor=request.user, obj=assignment, request=request, data={"format": extension})
    return document_response(content, extension, f"assignment-{assignment.pk}.{extension}")


urlpatterns: list[URLPattern] = [
    path("assignments/", assignment_list, name="list"),
    path("assignments/new/", assignment_create, name="create"),
    path("assignments/export.xlsx", export, name="export"),
    path("assignments/files/<int:pk>/", file_download, name="file"),
    path("assignments/parts/<int:pk>/act/<str:action>/", part_act, name="part-act"),
    path("assignments/<int:pk>/", assignment_detail, name="detail"),
    path("assignments/<int:pk>/act/<str:action>/", task_act, name="act"),
    path("assignments/<int:pk>/sheet.<str:extension>", sheet_download, name="sheet"),
]
