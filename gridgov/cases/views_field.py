"""Field pages of the case loop: the report form and the inboxes of grid leaders,
departments and grid workers (phone-sized pages).

Every write goes through :mod:`gridgov.cases.services`; every list through
:mod:`gridgov.cases.selectors`. The inboxes take their inline actions (accept, escalate,
acknowledge, report back, verify) by posting to themselves, so that a refused action comes
back on the same card with what was typed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.access.scope import scope_for
from gridgov.areas.selectors import map_centre_area
from gridgov.core.errors import Invalid
from gridgov.core.forms import apply_error, key_reused
from gridgov.people.models import Role

from . import selectors, services
from .deadlines import light_expression
from .forms import photos_of
from .forms_field import INBOX_ACTIONS, InboxActForm, ReportForm, category_groups
from .inbox import inbox_sections
from .models import OPEN_STATUSES, AttachmentKind, Case, CaseAttachment, CaseEvent, Light, Status
from .services import CaseError, Photo, case_url
from .transitions import ACTION_LABELS, Action

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

REPORT_ROLES = frozenset(services.REPORTER_ROLES)
VILLAGE_ROLES = frozenset({Role.GRID_LEADER, Role.VILLAGE_STAFF})
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_HANDLER})
GRID_WORKER_ROLES = frozenset({Role.GRID_WORKER})
INBOX_LIMIT = 100
ONE_CLICK = frozenset({Action.ACCEPT, Action.ESCALATE, Action.ACKNOWLEDGE})
# Service error fields → the field of the phone's report form, and of an inbox card, that shows them.
REPORT_ERROR_FIELDS = {"grid": "lat", "source": "category", "idempotency_key": "__all__"}
INBOX_ERROR_FIELDS = {"departments": "comment", "into": "comment", "days": "comment"}


def _require_role(request: HttpRequest, roles: Iterable[str]) -> None:
    if not scope_for(request.user).has_role(*roles):
        raise PermissionDenied(_("This page is for other roles."))


def attachment_url(attachment: CaseAttachment, variant: str = "display") -> str:
    """The address of a case photo through the access-checked attachment view."""
    return reverse("cases:attachment", args=[attachment.pk, variant])


# --- report -----------------------------------------------------------------------------


def _photos(form: ReportForm) -> list[Photo]:
    fields = (
        ("photos", AttachmentKind.REPORT),
        ("before_photos", AttachmentKind.BEFORE),
        ("after_photos", AttachmentKind.AFTER),
    )
    return [photo for name, kind in fields for photo in photos_of(form.cleaned_data.get(name) or [], kind)]


def _map_config(request: HttpRequest) -> dict[str, Any]:
    """Where the report map opens (the centre of the user's first area) and its texts."""
    scope = scope_for(request.user)
    area_ids = [area_id for _role, area_id, _dept in scope.assignments if area_id is not None]
    area = map_centre_area(area_ids)
    return {
        "center": [area.center_lat, area.center_lng] if area else [39.0, 117.7],
        "areasUrl": reverse("api:list_areas") + "?level=grid",
        "locateUrl": reverse("api:locate_point"),
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "imagePath": settings.STATIC_URL + "vendor/leaflet/images/",
        "text": {
            "locating": _("Finding your position…"),
            "noGeolocation": _("This browser cannot give the position. Drag the marker or type the coordinates."),
            "geolocationFailed": _("The position could not be found. Drag the marker or type the coordinates."),
            "lookingUp": _("Looking up the grid…"),
            "noGrid": _("No grid at this point. Check the position."),
            "grid": _("Grid"),
        },
    }


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    _require_role(request, REPORT_ROLES)
    groups = category_groups()
    scope = scope_for(request.user)
    had_files = False
    status = 200
    if request.method == "POST":
        status = 422  # unless it succeeds and redirects below
        form = ReportForm(request.POST, request.FILES, groups=groups)
        had_files = bool(request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case, created = services.case_create(
                    actor=request.user,
                    category=data["category"],
                    description=data["description"],
                    lat=data["lat"],
                    lng=data["lng"],
                    address=data["address"],
                    urgency=data["urgency"],
                    party_kind=data["party_kind"],
                    party_name=data["party_name"],
                    party_phone=data["party_phone"],
                    self_handle=bool(data["self_handle"]),
                    comment=data["comment"] if data["self_handle"] else "",
                    photos_in=_photos(form),
                    idempotency_key=form.key,
                )
            except ValidationError as error:
                apply_error(form, error, REPORT_ERROR_FIELDS)
                if key_reused(error):
                    # The page was sent before with other content (e.g. after going back):
                    # a new key makes the next send a new report.
                    form.renew_key()
            except CaseError as error:
                apply_error(form, error, REPORT_ERROR_FIELDS)
                status = error.status
            else:
                if not created:
                    messages.info(request, _("This report was already sent: %(number)s.") % {"number": case.number})
                elif case.self_handled:
                    messages.success(
                        request, _("Case %(number)s was handled on the spot and closed.") % {"number": case.number}
                    )
                else:
                    messages.success(request, _("Case %(number)s was reported.") % {"number": case.number})
                return redirect(case_url(case))
    else:
        form = ReportForm(groups=groups)
    return render(
        request,
        "cases/field/report.html",
        {
            "form": form,
            "groups": groups,
            "can_self_handle": scope.has_role(Role.GRID_WORKER),
            "photos_lost": had_files,
            "map_config": _map_config(request),
        },
        status=status,
    )


def _float(value: str | None) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@login_required
@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    """The open cases of the same category near the point (an htmx fragment)."""
    category = (request.GET.get("category") or "").strip()
    lat, lng = _float(request.GET.get("lat")), _float(request.GET.get("lng"))
    found: list[tuple[Case, int]] = []
    if category and lat is not None and lng is not None and -90 <= lat <= 90 and -180 <= lng <= 180:
        found = selectors.possible_duplicates(request.user, category=category, lat=lat, lng=lng)
    return render(
        request,
        "cases/field/_duplicates.html",
        {"found": [{"case": case, "metres": metres, "url": case_url(case)} for case, metres in found]},
    )


# --- inbox cards and their inline actions ----------------------------------------------


@dataclass
class Card:
    case: Case
    light: str
    url: str
    actions: list[Action]
    action_labels: dict[str, str]
    result: str = ""
    result_at: Any = None
    photos: list[dict[str, str]] = field(default_factory=list)
    form: InboxActForm | None = None  # the refused form, bound, to show its errors and text

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """The one-click actions (no text needed): code and label."""
        return [(a.value, self.action_labels[a.value]) for a in self.actions if a in ONE_CLICK]

    @property
    def light_label(self) -> str:
        return str(Light(self.light).label) if self.light in Light.values else ""


def _annotated(query: QuerySet[Case]) -> QuerySet[Case]:
    return query.select_related("category", "category__parent", "grid", "lead_department").annotate(
        light=light_expression(timezone.now())
    )


def _cards(
    request: HttpRequest,
    cases: Iterable[Case],
    *,
    offered: Iterable[Action] = INBOX_ACTIONS,
    failed: InboxActForm | None = None,
    with_result: bool = False,
) -> list[Card]:
    offered = set(offered)
    cards = []
    for case in cases:
        actions = [a for a in services.allowed_actions(case, request.user) if a in offered]
        card = Card(
            case=case,
            light=getattr(case, "light", ""),
            url=case_url(case),
            actions=actions,
            action_labels={a.value: str(ACTION_LABELS[a]) for a in actions},
        )
        if failed is not None and failed.data.get("case") == str(case.pk):
            card.form = failed
        if with_result:
            _add_result(card)
        cards.append(card)
    return cards


def _add_result(card: Card) -> None:
    """The department's last report (its text and result photos) for the verifier."""
    events = getattr(card.case, "report_backs", None)
    last: CaseEvent | None = events[-1] if events else None
    if last is not None:
        card.result = selectors.result_text(last)
        card.result_at = last.at
    photos = selectors.latest_round(
        [a for a in getattr(card.case, "result_photos", []) if a.kind == AttachmentKind.RESULT], last
    )
    card.photos = [{"url": attachment_url(a), "thumb": attachment_url(a, "thumbnail")} for a in photos]


def _act(request: HttpRequest, allowed: Iterable[Action]) -> tuple[int, InboxActForm]:
    """Apply one posted inbox action. Returns the HTTP status to answer with (0 when done:
    the caller redirects) and the form, with its errors when refused: 404 not visible, 403 not
    the user's move, 409 a conflict, 422 bad input."""
    form = InboxActForm(request.POST, request.FILES)
    if not form.is_valid():
        return 422, form
    data = form.cleaned_data
    action = Action(data["action"])
    if action not in set(allowed):
        form.add_error(None, _("This action is not offered on this page."))
        return 422, form
    kind = AttachmentKind.VERIFY if action in (Action.VERIFY_PASS, Action.VERIFY_FAIL) else AttachmentKind.RESULT
    photos_in = photos_of(data["photos"], kind)
    try:
        case = services.case_act(
            data["case"],
            action,
            actor=request.user,
            comment=data["comment"],
            version=data["version"],
            result=data["result"],
            photos_in=photos_in,
            idempotency_key=form.key,
        )
    except ValidationError as error:
        apply_error(form, error, INBOX_ERROR_FIELDS)
        return 422, form
    except CaseError as error:
        apply_error(form, error, INBOX_ERROR_FIELDS)
        return error.status, form
    messages.success(
        request,
        _("%(number)s: %(action)s done.") % {"number": case.number, "action": ACTION_LABELS[action]},
    )
    return 0, form


def _inbox(
    request: HttpRequest,
    *,
    roles: Iterable[str],
    offered: Iterable[Action],
    template: str,
    build: Callable[[HttpRequest, InboxActForm | None], dict[str, Any]],
) -> HttpResponse:
    _require_role(request, roles)
    failed: InboxActForm | None = None
    status = 200
    if request.method == "POST":
        status, form = _act(request, offered)
        if not status:
            return redirect(request.path)
        failed = form
    context = build(request, failed)
    context["failed"] = failed
    return render(request, template, context, status=status)


def _queue(request: HttpRequest, queue: str) -> QuerySet[Case]:
    filters = selectors.CaseFilters(queue=queue)
    return selectors.apply_filters(request.user, selectors.cases_visible(request.user), filters)


# --- grid leader -----------------------------------------------------------------------


VILLAGE_ACTIONS = (Action.ACCEPT, Action.ESCALATE, Action.REPORT_BACK)


def _village_context(request: HttpRequest, failed: InboxActForm | None) -> dict[str, Any]:
    base = _annotated(_queue(request, selectors.Queue.VILLAGE)).order_by("reported_at", "id")
    waiting = list(base.filter(status=Status.REPORTED)[:INBOX_LIMIT])
    handling = list(base.filter(status=Status.IN_PROGRESS, handled_by_village=True)[:INBOX_LIMIT])
    return {
        "waiting": _cards(request, waiting, offered=VILLAGE_ACTIONS, failed=failed),
        "handling": _cards(request, handling, offered=VILLAGE_ACTIONS, failed=failed),
        "inbox_sections": inbox_sections(request.user),
    }


@login_required
@require_http_methods(["GET", "POST"])
def village(request: HttpRequest) -> HttpResponse:
    return _inbox(
        request,
        roles=VILLAGE_ROLES,
        offered=VILLAGE_ACTIONS,
        template="cases/field/village.html",
        build=_village_context,
    )


# --- department ------------------------------------------------------------------------


DEPARTMENT_ACTIONS = (Action.ACKNOWLEDGE, Action.REPORT_BACK)


# --- grid worker -----------------------------------------------------------------------


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The cases the user reported, newest first, open ones or all (keyset pages)."""
    _require_role(request, REPORT_ROLES)
    show_all = request.GET.get("all") == "1"
    query = _queue(request, selectors.Queue.MINE)
    if not show_all:
        query = query.filter(status__in=OPEN_STATUSES)
    try:
        result = selectors.page(query, cursor=request.GET.get("cursor") or None, limit=30)
    except Invalid:
        result = selectors.page(query, limit=30)
    cards = [
        Card(case=case, light=getattr(case, "light", ""), url=case_url(case), actions=[], action_labels={})
        for case in result.items
    ]
    return render(
        request,
        "cases/field/mine.html",
        {
            "cards": cards,
            "next_cursor": result.next_cursor,
            "show_all": show_all,
            "first": not request.GET.get("cursor"),
        },
    )


VERIFY_ACTIONS = (Action.VERIFY_PASS, Action.VERIFY_FAIL)


def _verify_context(request: HttpRequest, failed: InboxActForm | None) -> dict[str, Any]:
    cases = list(
        _annotated(selectors.verify_queue(request.user))
        .prefetch_related(
            Prefetch(
                "events",
                queryset=CaseEvent.objects.filter(action=Action.REPORT_BACK).order_by("at", "id"),
                to_attr="report_backs",
            ),
            Prefetch(
                "attachments",
                queryset=CaseAttachment.objects.filter(kind=AttachmentKind.RESULT).order_by("id"),
                to_attr="result_photos",
            ),
        )
        .order_by("stage_deadline", "id")[:INBOX_LIMIT]
    )
    return {"cards": _cards(request, cases, offered=VERIFY_ACTIONS, failed=failed, with_result=True)}


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    return _inbox(
        request,
        roles=GRID_WORKER_ROLES,
        offered=VERIFY_ACTIONS,
        template="cases/field/verify.html",
        build=_verify_context,
    )


# --- home panels -----------------------------------------------------------------------


def grid_worker_panel(user: User | AnonymousUser) -> dict[str, Any]:
    counts = selectors.queue_counts(user, [selectors.Queue.MINE])
    return {
        "to_verify": selectors.verify_queue(user).count(),
        "mine_open": selectors.cases_visible(user).filter(reporter_id=user.pk, status__in=OPEN_STATUSES).count(),
        "mine_all": counts[selectors.Queue.MINE],
    }


def village_panel(user: User | AnonymousUser) -> dict[str, Any]:
    counts = selectors.queue_counts(user, [selectors.Queue.VILLAGE])
    return {"village": counts[selectors.Queue.VILLAGE]}


def department_panel(user: User | AnonymousUser) -> dict[str, Any]:
    counts = selectors.queue_counts(user, [selectors.Queue.DEPARTMENT])
    visible = selectors.cases_visible(user)
    new = selectors.CaseFilters(queue=selectors.Queue.DEPARTMENT, status=[Status.DISPATCHED])
    overdue = selectors.CaseFilters(queue=selectors.Queue.DEPARTMENT, light=Light.RED)
    fresh = selectors.apply_filters(user, visible, new).count()
    return {
        "department": counts[selectors.Queue.DEPARTMENT],
        "new": fresh,
        "in_progress": counts[selectors.Queue.DEPARTMENT] - fresh,
        "overdue": selectors.apply_filters(user, visible, overdue).count(),
    }


urlpatterns: list[URLPattern] = [
    path("cases/report/", report, name="report"),
    path("cases/report/duplicates/", duplicates, name="duplicates"),
    path("cases/village/", village, name="village"),
    path("cases/mine/", mine, name="mine"),
    path("cases/verify/", verify, name="verify"),
]
