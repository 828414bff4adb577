"""Pages of the case loop for the center: the workbench, the case page, the center's report form.

Reads go through :mod:`gridgov.cases.selectors` (scoped to the viewer), writes through
:mod:`gridgov.cases.services`. A case the viewer may not see answers 404, the same as a missing
one; an action that is not the viewer's answers 403. Photos are streamed by
:func:`attachment` after the same visibility check, never from the media URL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.access.scope import scope_for, uses_desk
from gridgov.areas.geometry import metres
from gridgov.areas.selectors import area_names, town_grids
from gridgov.categories.models import Stage
from gridgov.core.downloads import document_response
from gridgov.core.errors import Invalid, Throttled
from gridgov.core.forms import apply_error, key_reused
from gridgov.core.pages import ObjectPage, department_details, error_page, forbidden_page, next_query, query_without
from gridgov.people.models import DESK_ROLES, Role
from gridgov.people.selectors import department_names, display_name
from gridgov.workcalendar.clock import light_label

from . import desk_form, indices, selectors, services
from .access import can_reveal, mask_name, mask_phone
from .deadlines import light
from .export import export_workbook
from .forms import (
    ERROR_FIELDS,
    ActionForm,
    CaseCreateForm,
    CaseFilterForm,
    PhotoAddForm,
    department_choices,
    photos_of,
)
from .historical_notes import note_text
from .models import AttachmentKind, Case, CaseAttachment, Light, Status
from .selectors import Queue
from .services import CaseConflict, CaseForbidden
from .transitions import ACTION_LABELS, TABLE, Action

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

WORKBENCH_ROLES: Final = DESK_ROLES
CREATE_ROLES: Final = frozenset({Role.CENTER_OPERATOR})
MAP_LIMIT: Final = 5000
WORKBENCH_PAGE_SIZE = 50
FILTER_COUNT_MAX: Final = 10_000
ALL: Final = "all"

# The workbench tabs, in display order ("all": no queue).
QUEUES: Final = (
    Queue.TO_REGISTER,
    Queue.TO_DISPATCH,
    Queue.RETURNED,
    Queue.TO_VERIFY,
    Queue.EXTENSIONS,
    Queue.SUPERVISION,
    Queue.WARNING,
    Queue.OVERDUE,
    Queue.PARKED,
    Queue.CALLBACK,
    ALL,
)
# The queues shown on the home panel.
HOME_QUEUES: Final = (
    Queue.TO_REGISTER,
    Queue.TO_DISPATCH,
    Queue.RETURNED,
    Queue.TO_VERIFY,
    Queue.EXTENSIONS,
    Queue.WARNING,
    Queue.OVERDUE,
)
# Actions that undo or refuse something: drawn as a warning button.
DANGER_ACTIONS: Final = frozenset(
    {Action.VOID, Action.RETURN, Action.VERIFY_FAIL, Action.REJECT_EXTENSION, Action.PARK, Action.MERGE}
)
NUDGE_ACTIONS: Final = frozenset({Action.REMIND, Action.SUPERVISE})


def queue_label(code: str) -> str:
    labels = {
        Queue.TO_REGISTER: _("To register"),
        Queue.TO_DISPATCH: _("To dispatch"),
        Queue.RETURNED: _("Returned"),
        Queue.TO_VERIFY: _("Awaiting verification"),
        Queue.EXTENSIONS: _("Extension requests"),
        Queue.SUPERVISION: _("Supervision"),
        Queue.WARNING: _("Warning"),
        Queue.OVERDUE: _("Overdue"),
        Queue.PARKED: _("Parked"),
        Queue.CALLBACK: _("To call back"),
        ALL: _("All"),
    }
    return labels.get(code, code)


def _visible(user: User | AnonymousUser, pk: int) -> Case:
    try:
        return selectors.case_get(user, pk)
    except Case.DoesNotExist:
        raise Http404(_("No such case.")) from None


def may_use_workbench(user: User | AnonymousUser) -> bool:
    return uses_desk(user)


def may_create(user: User | AnonymousUser) -> bool:
    return scope_for(user).has_role(*CREATE_ROLES)


# --- the workbench ---------------------------------------------------------------------


def _filtered(
    request: HttpRequest, form: CaseFilterForm, now: dt.datetime, department_part: str = ""
) -> QuerySet[Case]:
    filters = form.filters()
    filters.department_part = department_part
    if filters.queue == ALL:
        filters.queue = ""
    try:
        query = selectors.apply_filters(request.user, selectors.cases_visible(request.user), filters, now)
    except ValidationError as error:
        form.add_error(None, error.messages)
        filters.queue = ""
        filters.status = []
        filters.light = ""
        query = selectors.apply_filters(request.user, selectors.cases_visible(request.user), filters, now)
    return _figure_cases(request, form, query)


def _figure_cases(request: HttpRequest, form: CaseFilterForm, query: QuerySet[Case]) -> QuerySet[Case]:
    """The cases behind a figure of the statistics (``?index=<code>&part=num|den`` with the
    period and dimensions, see :func:`gridgov.cases.indices.parse`), within the other filters."""
    try:
        selection = indices.parse(request.GET)
        if selection is None:
            # The dimensions the other filters lack (the lead department, reporter, verifier);
            # an area, category or source the form took is already applied and not asked again
            # (asked twice, PostgreSQL took the list for a few rows and joined before sorting),
            # one the form refused (retired, out of scope) still narrows the list.
            asked = indices.parse_dimensions(request.GET)
            applied = form.filters()
            lacking = replace(
                asked,
                area="" if applied.grid == asked.area else asked.area,
                category="" if applied.category == asked.category else asked.category,
                source="" if applied.source == asked.source else asked.source,
            )
            return query.filter(lacking.q())
    except ValueError:
        form.add_error(None, _("The figure in the link cannot be read; the list shows all cases."))
        return query
    return indices.cases_for(query, selection.code, selection.part, selection.period, selection.dimensions)


# What a link from the statistics narrows the list by beyond the form's own fields (the figure,
# its period, and the dimensions the form has no box for): carried as hidden fields, so a
# filter changed on the list, the list's map and its count keep them.
FIGURE_KEYS: Final = ("index", "part", "start", "end", "lead", "reporter", "verifier")


def figure_carried(request: HttpRequest) -> list[tuple[str, str]]:
    return [(key, value) for key in FIGURE_KEYS if (value := request.GET.get(key, ""))]


def figure_label(request: HttpRequest) -> str:
    """What the list shows when opened from a figure (empty otherwise)."""
    try:
        selection = indices.parse(request.GET)
    except ValueError:
        return ""
    if selection is None:
        return ""
    item = indices.INDICES[selection.code]
    part = _("numerator") if selection.part == indices.NUM and item.den is not None else ""
    if selection.part == indices.DEN:
        part = _("denominator")
    period = f"{selection.period.start:%Y-%m-%d} – {selection.period.end:%Y-%m-%d}"
    return " · ".join(str(x) for x in (item.label, part, period) if x)


@require_GET
@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    if not may_use_workbench(request.user):
        return forbidden_page(request)
    now = timezone.now()
    form = CaseFilterForm(request.GET or None, user=request.user)
    if form.is_bound:
        form.is_valid()
    query = _filtered(request, form, now)
    cursor = request.GET.get("cursor") or None
    try:
        result = selectors.page(query, cursor=cursor, limit=WORKBENCH_PAGE_SIZE, now=now)
    except Invalid:
        cursor = None
        result = selectors.page(query, limit=WORKBENCH_PAGE_SIZE, now=now)
    current = (form.cleaned_data.get("queue") if form.is_bound else "") or ALL
    base_query = query_without(request, "cursor")
    context: dict[str, Any] = {
        "form": form,
        "page": result,
        "rows": [_row(case) for case in result.items],
        "cursor": cursor,
        "base_query": base_query,
        "next_query": next_query(request, result.next_cursor),
        "current_queue": current,
        "map_config": _map_config(request),
        "may_create": may_create(request.user),
        "figure_label": figure_label(request),
        "carried": figure_carried(request),
    }
    if context["carried"]:
        # The list without the figure: the same filters of the form.
        kept = request.GET.copy()
        for key in (*FIGURE_KEYS, "cursor"):
            kept.pop(key, None)
        context["without_figure"] = f"{reverse('cases:workbench')}?{kept.urlencode()}"
    if any(key != "cursor" for key in request.GET):
        if context["figure_label"]:
            # A figure's list says exactly how many cases make the figure.
            context["figure_total"] = query.count()
        else:
            # A plain filter's count comes after the list, as a request of its own
            # (workbench_count): at district scale it was most of the page's time.
            context["count_url"] = f"{reverse('cases:workbench_count')}?{base_query}"
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        return render(request, "cases/_results.html", context)
    counts = selectors.queue_counts(request.user, [code for code in QUEUES if code != ALL], now)
    context["tabs"] = [
        {"code": code, "label": queue_label(code), "count": counts.get(code), "active": code == current}
        for code in QUEUES
    ]
    return render(request, "cases/workbench.html", context)


@require_GET
@login_required
def workbench_count(request: HttpRequest) -> HttpResponse:
    """How many cases the workbench's filters find, loaded by the list after it shows (the
    same form, scope and queue as :func:`workbench`). It counts up to FILTER_COUNT_MAX: past
    it "more than" (a district's closed cases are millions; counting them read the whole
    table, and at ten million cases the capped count still took 0.1–0.4 s)."""
    if not may_use_workbench(request.user):
        return forbidden_page(request)
    form = CaseFilterForm(request.GET or None, user=request.user)
    if form.is_bound:
        form.is_valid()
    total = _capped_count(request, form, timezone.now())
    context = {"figure_total": min(total, FILTER_COUNT_MAX), "figure_more": total > FILTER_COUNT_MAX}
    return render(request, "cases/_count.html", context)


def _capped_count(request: HttpRequest, form: CaseFilterForm, now: dt.datetime) -> int:
    """How many cases the filters find, counted up to FILTER_COUNT_MAX + 1. A department's
    cases are those it leads or cooperates on: asked as one ``OR``, PostgreSQL read a town's
    share of the whole table to find them (0.3-0.9 s at ten million cases); the two parts,
    each capped, as a ``UNION`` (which drops a case in both) read the index
    ``case_department_area`` for the led ones and the few cooperated on (docs/benchmarks.md).
    Either part past the cap makes the union past it. SQLite cannot cap the parts of a
    ``UNION`` and keeps the ``OR``."""
    cap = FILTER_COUNT_MAX + 1
    if form.filters().department and connection.features.supports_slicing_ordering_in_compound:
        led, cooperated = (
            _filtered(request, form, now, department_part=part).order_by().values("pk")[:cap]
            for part in ("led", "cooperated")
        )
        return led.union(cooperated).count()
    return _filtered(request, form, now).order_by()[:cap].count()


def _row(case: Case) -> dict[str, Any]:
    counters = [
        (_("Reworks"), case.rework_count),
        (_("Returns"), case.return_count),
        (_("Extensions"), case.extension_count),
        (_("Reminders"), case.reminder_count),
        (_("Supervision notices"), case.supervision_count),
    ]
    code = getattr(case, "light", Light.NONE)
    return {
        "case": case,
        "light": code,
        "light_label": Light(code).label if code in Light.values else "",
        "counters": [(title, value) for title, value in counters if value],
    }


def _map_config(request: HttpRequest) -> dict[str, Any]:
    return {
        "areasUrl": reverse("api:list_areas"),
        "dataUrl": reverse("cases:map_data"),
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "text": {
            "loadFailed": _("The map could not be loaded. Please reload the page."),
            "truncated": _("Only the newest %(n)s cases are on the map.") % {"n": MAP_LIMIT},
            "count": _("Cases on the map"),
            "none": _("No case with a location matches."),
            "open": _("Open"),
        },
        "lights": {code: str(label) for code, label in Light.choices},
    }


@require_GET
@login_required
def map_data(request: HttpRequest) -> JsonResponse:
    """The filtered cases as points for the workbench map (newest first, capped)."""
    if not may_use_workbench(request.user):
        return JsonResponse({"error": {"code": "forbidden", "message": _("You may not open this page.")}}, status=403)
    now = timezone.now()
    form = CaseFilterForm(request.GET or None, user=request.user)
    if form.is_bound:
        form.is_valid()
    rows, truncated = selectors.map_points(_filtered(request, form, now), limit=MAP_LIMIT, now=now)
    statuses = dict(Status.choices)
    cases = [
        {
            "id": row["id"],
            "number": row["number"],
            "lat": row["point_lat"],
            "lng": row["point_lng"],
            "approximate": row["approximate"],
            "light": row["light"],
            "status": str(statuses.get(row["status"], row["status"])),
            "category": row["category__name"],
            "url": reverse("cases:detail", args=[row["id"]]),
        }
        for row in rows
    ]
    return JsonResponse({"cases": cases, "count": len(cases), "truncated": truncated})


@require_GET
@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The filtered list as an Excel workbook (no personal data; the export is audited)."""
    if not may_use_workbench(request.user):
        return forbidden_page(request)
    now = timezone.now()
    form = CaseFilterForm(request.GET or None, user=request.user)
    if form.is_bound:
        form.is_valid()
    query = _filtered(request, form, now)
    filters = {key: value for key, value in request.GET.items() if key != "cursor" and value}
    content = export_workbook(query, actor=request.user, filters=filters, request=request)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    return document_response(content, "xlsx", f"案件清单-{stamp}.xlsx", fallback=f"cases-{stamp}.xlsx")


# --- the center's report form ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    if not may_create(request.user):
        return forbidden_page(request, _("Only the center reports cases here."))
    form = CaseCreateForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            create = services.case_create_dispatched if data.get("dispatch_now") else services.case_create
            extra: dict[str, Any] = (
                {"departments": [data["lead"]] if data.get("lead") else []} if data.get("dispatch_now") else {}
            )
            case, created = create(
                **extra,
                actor=request.user,
                category=data["category"],
                description=data["description"],
                address=data.get("address") or "",
                grid=data.get("grid") or None,
                lat=data.get("lat"),
                lng=data.get("lng"),
                urgency=data["urgency"],
                source=data["source"],
                party_kind=data.get("party_kind") or "",
                party_name=data.get("party_name") or "",
                party_phone=data.get("party_phone") or "",
                photos_in=photos_of(data.get("photos") or [], AttachmentKind.REPORT),
                idempotency_key=form.key,
            )
        except (ValidationError, Invalid, CaseForbidden, CaseConflict) as error:
            apply_error(form, error, ERROR_FIELDS)
            if key_reused(error):
                form.renew_key()
        else:
            if created:
                messages.success(request, _("Case %(number)s has been created.") % {"number": case.number})
            else:
                messages.info(request, _("This report was already sent: %(number)s.") % {"number": case.number})
            return redirect("cases:detail", case.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "cases/new.html", desk_form.new_case_context(request, form), status=status)


# --- the case page ---------------------------------------------------------------------


def _grid_choices(case: Case) -> list[tuple[str, str]]:
    """The current grids of the case's town, for correcting the grid at registration."""
    grids = town_grids(case.town_id)
    return [(code, name) for code, name in grids.order_by("code").values_list("code", "name")]


def _action_forms(
    request: HttpRequest, case: Case, actions: list[Action], failed: ActionForm | None
) -> list[dict[str, Any]]:
    departments = department_choices(request.user) if Action.DISPATCH in actions else []
    grids = _grid_choices(case) if Action.REGISTER in actions else []
    default = case.category.default_department
    if default is not None and default.code not in {code for code, _n in departments}:
        departments = [(default.code, default.name), *departments]
    shown: list[dict[str, Any]] = []
    # Moves that carry the case forward first, then reminders, then refusals.
    for action in sorted(actions, key=lambda a: (a in DANGER_ACTIONS, a in NUDGE_ACTIONS)):
        transition = TABLE[action]
        if failed is not None and failed.action == action:
            form = failed
        else:
            initial: dict[str, Any] = {"version": case.version}
            if action == Action.DISPATCH:
                initial["lead"] = (
                    case.lead_department.code if case.lead_department else (default.code if default else "")
                )
                initial["cooperating"] = [d.code for d in case.cooperating_departments.all()]
            form = ActionForm(
                initial=initial,
                action=action,
                comment_required=transition.comment_required,
                departments=departments,
                grids=grids,
                photo_required=services.photo_required(case, action),
            )
        shown.append(
            {
                "action": str(action),
                "label": ACTION_LABELS[action],
                "form": form,
                "danger": action in DANGER_ACTIONS,
                "open": failed is not None and failed.action == action,
                "multipart": "photos" in form.fields,
                "url": reverse("cases:act", args=[case.pk, action]),
            }
        )
    return shown


def _event_rows(case: Case) -> list[dict[str, Any]]:
    events = list(selectors.case_history(case))
    codes = {code for e in events for code in (e.data or {}).get("departments", [])}
    moved = [e.data["grid"] for e in events if isinstance((e.data or {}).get("grid"), dict)]
    grid_codes = {code for change in moved for code in (change.get("from"), change.get("to")) if code}
    grid_names = area_names(grid_codes)
    names = department_names(codes)
    statuses = dict(Status.choices)
    rows = []
    for event in events:
        data = event.data or {}
        details: list[tuple[str, str]] = []
        details.extend(department_details(data.get("departments") or [], names))
        if data.get("result"):
            details.append((_("Result"), data["result"]))
        if data.get("days"):
            details.append((_("Working days"), str(data["days"])))
        if data.get("into"):
            details.append((_("Merged into"), data["into"]))
        if isinstance(data.get("grid"), dict):
            moved = data["grid"]
            details.append(
                (
                    _("Grid corrected"),
                    f"{grid_names.get(moved.get('from'), moved.get('from'))} → "
                    f"{grid_names.get(moved.get('to'), moved.get('to'))}",
                )
            )
        if data.get("stage"):
            details.append((_("Stage"), str(dict(Stage.choices).get(data["stage"], data["stage"]))))
        actor = event.actor
        name = display_name(actor) if actor is not None else ""
        rows.append(
            {
                "event": event,
                "label": ACTION_LABELS.get(event.action, event.action),
                "actor": name,
                "from_status": statuses.get(event.from_status, event.from_status),
                "to_status": statuses.get(event.to_status, event.to_status),
                "changed": bool(event.from_status) and event.from_status != event.to_status,
                "details": details,
                "photos": _placed(case, list(event.attachments.all())),
                "system": actor is None,
            }
        )
    return rows


# A photo whose camera position is farther than this from the case is flagged (taken elsewhere?).
FAR_PHOTO_METRES: Final = 500


def _placed(case: Case, photos: list[CaseAttachment]) -> list[CaseAttachment]:
    """Each photo with ``taken_metres``: how far from the case's location its camera recorded
    it was taken (EXIF GPS), or None; ``taken_far`` when that is suspiciously far."""
    for photo in photos:
        distance = None
        if None not in (photo.exif_lat, photo.exif_lng, case.lat, case.lng):
            distance = round(metres(photo.exif_lat, photo.exif_lng, case.lat, case.lng))  # type: ignore[arg-type]
        photo.taken_metres = distance  # type: ignore[attr-defined]
        photo.taken_far = distance is not None and distance > FAR_PHOTO_METRES  # type: ignore[attr-defined]
    return photos


def _stage_rows(case: Case, now: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    for stage in case.stages.select_related("department").order_by("started_at", "id"):
        is_open = stage.ended_at is None
        current = light(stage.deadline, stage.warn_at, now) if is_open and case.status != Status.PARKED else ""
        rows.append({"stage": stage, "open": is_open, "light": current, "light_label": light_label(current)})
    return rows


def _detail_context(
    request: HttpRequest,
    case: Case,
    *,
    failed: ActionForm | None = None,
    error: str = "",
    kept_text: str = "",
    revealed: dict[str, str] | None = None,
    photo_form: PhotoAddForm | None = None,
) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    actions = services.allowed_actions(case, user, now)
    forms = _action_forms(request, case, actions, failed)
    if failed is not None and failed.action not in actions:
        # The action is no longer possible: keep the typed text visible anyway.
        kept_text = kept_text or str(failed.data.get("comment") or failed.data.get("result") or "")
    may_add_photos = services.may_add_photos(user, case)
    current_light = light(case.stage_deadline, case.stage_warn_at, now) if case.is_open else ""
    attachments = _placed(case, list(case.attachments.all()))
    # The case this one was merged into, linked only if the viewer may see it.
    merged_visible = (
        case.merged_into_id is not None and selectors.cases_visible(user).filter(pk=case.merged_into_id).exists()
    )
    return {
        "case": case,
        "merged_visible": merged_visible,
        "status_label": Status(case.status).label,
        "light": current_light,
        "light_label": light_label(current_light),
        "party": {
            "kind": case.get_party_kind_display() if case.party_kind else "",
            "name": revealed["party_name"] if revealed else mask_name(case.party_name),
            "phone": revealed["party_phone"] if revealed else mask_phone(case.party_phone),
            "revealed": revealed is not None,
            "any": bool(case.party_name or case.party_phone),
        },
        "may_reveal": can_reveal(user, case),
        "photos": attachments,
        "timeline": _event_rows(case),
        "stages": _stage_rows(case, now),
        "action_forms": forms,
        "error": error,
        "kept_text": kept_text,
        "photo_form": photo_form or (PhotoAddForm() if may_add_photos else None),
        "may_add_photos": may_add_photos,
        "cooperating": list(case.cooperating_departments.all()),
        "import_notes": [note_text(note) for note in case.import_review or []] if case.imported else [],
        "pending_extension": case.extension_request,
        "map_config": {
            "areaUrl": reverse("api:area_detail", args=[case.grid.code]) if case.grid else "",
            "lat": case.lat,
            "lng": case.lng,
            "tileUrl": settings.MAP_TILE_URL,
            "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        },
        "may_use_workbench": may_use_workbench(user),
    }


def _detail_page(request: HttpRequest, pk: int) -> ObjectPage:
    return ObjectPage(
        request,
        template="cases/detail.html",
        context=lambda case, **extra: _detail_context(request, case, **extra),
        reload=lambda: _visible(request.user, pk),
        not_found=_("No such case."),
        stale=_(
            "Someone else changed this case while you were writing. The page now shows the case as it is; "
            "your text is still in the form. Check it and submit again."
        ),
    )


@require_GET
@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, pk).render(_visible(request.user, pk))


@require_POST
@login_required
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = _visible(request.user, pk)
    if action not in {a.value for a in Action}:
        raise Http404(_("Unknown action."))
    act = Action(action)
    departments = department_choices(request.user) if act == Action.DISPATCH else []
    default = case.category.default_department
    if default is not None and default.code not in {code for code, _n in departments} and act == Action.DISPATCH:
        departments = [(default.code, default.name), *departments]
    grids = _grid_choices(case) if act == Action.REGISTER else []
    form = ActionForm(
        request.POST,
        request.FILES,
        action=act,
        comment_required=TABLE[act].comment_required,
        departments=departments,
        grids=grids,
        photo_required=services.photo_required(case, act),
    )
    page = _detail_page(request, pk)
    if not form.is_valid():
        return page.invalid(case, form)
    return page.act(
        case,
        form=form,
        act=lambda: services.case_act(case.pk, act, actor=request.user, **form.service_kwargs()),
        rebuild=lambda data: ActionForm(
            data,
            action=act,
            comment_required=TABLE[act].comment_required,
            departments=departments,
            grids=grids,
            photo_required=services.photo_required(case, act),
        ),
        error_fields=ERROR_FIELDS,
        done=str(ACTION_LABELS[act]),
        success_url=reverse("cases:detail", args=[pk]),
    )


@require_POST
@login_required
def case_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The involved party's name and phone in full (audited), for viewers allowed to see them."""
    case = _visible(request.user, pk)
    try:
        revealed = services.reveal_party(case, actor=request.user, request=request)
    except CaseForbidden as refused:
        return forbidden_page(request, refused.message)
    except Throttled as throttled:
        return error_page(request, throttled.message, 429)
    context = _detail_context(request, case, revealed=revealed)
    if request.headers.get("HX-Request"):
        return render(request, "cases/_party.html", context)
    return render(request, "cases/detail.html", context)


@require_POST
@login_required
def case_photos(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible(request.user, pk)
    form = PhotoAddForm(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        try:
            stored = services.attachments_add(
                case.pk,
                actor=request.user,
                photos_in=photos_of(form.cleaned_data["photos"], AttachmentKind.OTHER),
                comment=form.cleaned_data.get("comment") or "",
                idempotency_key=form.key,
            )
        except CaseForbidden as refused:
            return forbidden_page(request, refused.message)
        except CaseConflict as conflict:
            apply_error(form, conflict)
            status = 409
        except (ValidationError, Invalid) as invalid:
            apply_error(form, invalid, ERROR_FIELDS)
        else:
            messages.success(request, _("%(n)s photo(s) added.") % {"n": len(stored)})
            return redirect("cases:detail", pk)
    return render(request, "cases/detail.html", _detail_context(request, case, photo_form=form), status=status)


# --- photos ----------------------------------------------------------------------------


@require_GET
@login_required
def attachment(request: HttpRequest, pk: int, variant: str) -> FileResponse:
    """One photo of a case the viewer may see (see ``selectors.attachment_file``)."""
    try:
        handle, content_type = selectors.attachment_open(request.user, pk, variant)
    except CaseAttachment.DoesNotExist:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response


# --- home panel ------------------------------------------------------------------------


def home_panel_context(user: User | AnonymousUser) -> dict[str, Any]:
    """The queue counts for the home page of the center and the leaders."""
    counts = selectors.queue_counts(user, list(HOME_QUEUES))
    url = reverse("cases:workbench")
    return {
        "queues": [
            {"code": code, "label": queue_label(code), "count": counts.get(code, 0), "url": f"{url}?queue={code}"}
            for code in HOME_QUEUES
        ],
        "workbench_url": url,
    }


urlpatterns: list[URLPattern] = [
    path("cases/", workbench, name="workbench"),
    path("cases/count/", workbench_count, name="workbench_count"),
    path("cases/map.json", map_data, name="map_data"),
    path("cases/export.xlsx", export, name="export"),
    path("cases/new/", case_new, name="new"),
    path("cases/<int:pk>/", case_detail, name="detail"),
    path("cases/<int:pk>/act/<str:action>/", case_act, name="act"),
    path("cases/<int:pk>/reveal/", case_reveal, name="reveal"),
    path("cases/<int:pk>/photos/", case_photos, name="photos"),
    path("cases/attachments/<int:pk>/<str:variant>/", attachment, name="attachment"),
]
