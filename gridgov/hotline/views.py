"""Pages of the hotline work orders: the workbench, the department inbox, the order page, the
center's manual entry form, and the home panels.

Reads go through :mod:`gridgov.hotline.selectors` (scoped to the viewer), writes through
:mod:`gridgov.hotline.services`. An order the viewer may not see answers 404, the same as a
missing one; an action that is not the viewer's answers 403; a conflict 409; bad input 422.
The petitioner is shown masked everywhere; the order page reveals it in full on request for
viewers allowed to (each reveal is recorded by the service).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.access.scope import scope_for, uses_desk
from gridgov.areas.selectors import current_towns, town_grids
from gridgov.cases.forms import department_choices
from gridgov.cases.selectors import cases_visible
from gridgov.core.errors import Throttled
from gridgov.core.forms import apply_error
from gridgov.core.pages import ObjectPage, department_details, error_page, forbidden_page, next_query, query_without
from gridgov.people.models import DESK_ROLES, Role
from gridgov.people.selectors import active_departments, department_id, department_names, display_name
from gridgov.upstream.selectors import messages_for_order
from gridgov.workcalendar import clock
from gridgov.workcalendar.clock import light_label
from gridgov.workcalendar.units import Light

from . import review, selectors, services
from .access import PROTECTED_TYPES, can_reveal, parties_of
from .deadlines import due, light, light_expression
from .errors import OrderError, OrderForbidden, OrderInvalid, OrderNotFound
from .forms import CHANNEL_MANUAL, ERROR_FIELDS, ActionForm, GrantForm, OrderFilterForm, OrderNewForm
from .models import (
    EventOrigin,
    HotlineOrder,
    OrderEvent,
    OrderStatus,
    Satisfaction,
    UrgencyClass,
)
from .selectors import Queue
from .transitions import Action, Party
from .transitions import label as transition_label

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

WORKBENCH_ROLES: Final = DESK_ROLES
CENTER_ROLES: Final = frozenset({Role.CENTER_OPERATOR})
DEPARTMENT_ROLES: Final = frozenset({Role.DEPARTMENT_HANDLER})
PAGE_SIZE: Final = 50
INBOX_LIMIT: Final = 100
ALL: Final = "all"
# Classes whose acknowledgement is counted in minutes: their rows get a live countdown.
COUNTDOWN_CLASSES: Final = frozenset({UrgencyClass.LIFE_SAFETY, UrgencyClass.UTILITIES})

Q_TO_ACKNOWLEDGE: Final = Queue.TO_ACKNOWLEDGE
Q_TO_ASSIGN: Final = Queue.TO_ASSIGN
Q_TO_INSTRUCT: Final = Queue.TO_INSTRUCT
Q_TO_APPROVE: Final = Queue.TO_APPROVE
Q_EXTENSIONS: Final = Queue.EXTENSIONS
Q_WARNING: Final = Queue.WARNING
Q_OVERDUE: Final = Queue.OVERDUE
Q_IN_PROGRESS: Final = Queue.IN_PROGRESS
Q_REPLIED: Final = Queue.REPLIED
Q_RETURNED: Final = Queue.RETURNED
Q_CLOSED: Final = Queue.CLOSED
Q_TO_DRAFT: Final = Queue.TO_DRAFT
Q_REJECTED: Final = Queue.REJECTED
Q_AWAITING_CASE: Final = Queue.AWAITING_CASE
Q_TO_REVIEW: Final = Queue.TO_REVIEW

QUEUE_LABELS: Final[dict[str, Any]] = {
    Q_TO_ACKNOWLEDGE: gettext_lazy("To acknowledge"),
    Q_TO_ASSIGN: gettext_lazy("To assign"),
    Q_TO_INSTRUCT: gettext_lazy("To instruct"),
    Q_TO_APPROVE: gettext_lazy("To approve"),
    Q_EXTENSIONS: gettext_lazy("Extension requested"),
    Q_WARNING: gettext_lazy("Warning"),
    Q_OVERDUE: gettext_lazy("Overdue"),
    Q_IN_PROGRESS: gettext_lazy("In progress"),
    Q_REPLIED: gettext_lazy("Replied, awaiting closure"),
    Q_RETURNED: gettext_lazy("Returned upstream"),
    Q_CLOSED: gettext_lazy("Closed"),
    Q_TO_DRAFT: gettext_lazy("To draft"),
    Q_REJECTED: gettext_lazy("Drafts rejected"),
    Q_AWAITING_CASE: gettext_lazy("Awaiting the case"),
    Q_TO_REVIEW: gettext_lazy("To review"),
    ALL: gettext_lazy("All"),
}

# Button labels where the history's label reads badly on a button.
BUTTON_LABELS: Final[dict[str, Any]] = {
    "assign": gettext_lazy("Assign to a department"),
    "approve_reply": gettext_lazy("Approve and send the reply"),
    "remind": gettext_lazy("Remind the department"),
    "request_extension": gettext_lazy("Request an extension"),
    "clear_review": gettext_lazy("Checked: clear the review flag"),
}


def action_label(action: str) -> str:
    return str(BUTTON_LABELS.get(action) or transition_label(action))


DANGER_ACTIONS: Final = frozenset({"return_upstream", "reject_draft", "unlink_case"})
# Actions shown in the "linked case" card rather than with the others.
CASE_ACTIONS: Final = frozenset({"create_case", "link_case", "unlink_case"})
ACTION_ORDER: Final = (
    "clear_review",
    "acknowledge",
    "instruct",
    "assign",
    "draft_reply",
    "approve_reply",
    "reject_draft",
    "remind",
    "request_extension",
    "create_case",
    "link_case",
    "unlink_case",
    "return_upstream",
)


def queue_label(code: str) -> str:
    return str(QUEUE_LABELS.get(code, code))


def _visible(user: User | AnonymousUser, pk: int) -> HotlineOrder:
    try:
        return selectors.order_get(user, pk)
    except (OrderNotFound, HotlineOrder.DoesNotExist):
        raise Http404(_("No such order.")) from None


def may_use_workbench(user: User | AnonymousUser) -> bool:
    return uses_desk(user)


def may_enter(user: User | AnonymousUser) -> bool:
    return scope_for(user).has_role(*CENTER_ROLES)


def workbench_queues(user: User | AnonymousUser) -> list[str]:
    """The queue tabs a user sees, in display order (``all`` last)."""
    scope = scope_for(user)
    queues: list[str] = []
    if scope.has_role(Role.CENTER_OPERATOR, Role.SUPERVISOR, Role.ADMIN) or getattr(user, "is_superuser", False):
        queues += [Q_TO_ACKNOWLEDGE, Q_TO_ASSIGN, Q_TO_INSTRUCT, Q_TO_APPROVE, Q_EXTENSIONS, Q_WARNING, Q_OVERDUE]
        queues += [Q_TO_REVIEW, Q_IN_PROGRESS, Q_REPLIED, Q_RETURNED, Q_CLOSED]
    elif scope.has_role(Role.TOWN_LEADER):
        queues += [Q_TO_INSTRUCT, Q_WARNING, Q_OVERDUE, Q_IN_PROGRESS, Q_REPLIED, Q_CLOSED]
    return [*queues, ALL]


# --- the workbench ---------------------------------------------------------------------


def _filtered(request: HttpRequest, form: OrderFilterForm, now: dt.datetime) -> QuerySet[HotlineOrder]:
    data = form.cleaned_data if form.is_bound else {}
    date_from, date_to = form.dates(now)
    queue = data.get("queue") or ""
    filters = selectors.OrderFilters(
        status=data.get("status") or "",
        order_type=data.get("order_type") or "",
        urgency_class=data.get("urgency_class") or "",
        department=data.get("department") or "",
        source_system=data.get("source_system") or "",
        date_from=date_from,
        date_to=date_to,
        text=(data.get("text") or "").strip(),
        queue="" if queue == ALL else queue,
    )
    visible = selectors.orders_visible(request.user)
    try:
        return selectors.apply_filters(request.user, visible, filters, now=now)
    except (ValidationError, OrderInvalid) as error:
        messages_ = error.messages if isinstance(error, ValidationError) else [error.message]
        form.add_error(None, messages_)
        return visible


def _light_code(order: HotlineOrder, now: dt.datetime) -> str:
    code = getattr(order, "light", None)
    if code is None:
        code = light(order, now) if order.is_open else Light.NONE
    return str(code or Light.NONE)


def order_row(order: HotlineOrder, now: dt.datetime) -> dict[str, Any]:
    code = _light_code(order, now)
    countdown = (
        order.status == OrderStatus.RECEIVED
        and order.urgency_class in COUNTDOWN_CLASSES
        and order.step_deadline is not None
    )
    return {
        "order": order,
        "light": code,
        "light_label": light_label(code),
        "deadline": due(order),
        "countdown": countdown,
        "urgent": order.urgency_class in COUNTDOWN_CLASSES,
    }


def _tabs(user: User | AnonymousUser, current: str, now: dt.datetime) -> list[dict[str, Any]]:
    codes = workbench_queues(user)
    counts = _counts(user, [code for code in codes if code != ALL], now)
    return [
        {"code": code, "label": queue_label(code), "count": counts.get(code), "active": code == current}
        for code in codes
    ]


def _counts(user: User | AnonymousUser, queues: list[str], now: dt.datetime | None = None) -> dict[str, int]:
    """How many visible orders wait in each named queue (one query)."""
    return selectors.queue_counts(user, queues, now)


def _alarm(user: User | AnonymousUser, now: dt.datetime) -> int:
    """Orders of the minute-counted classes still waiting for their acknowledgement."""
    if not scope_for(user).has_role(Role.CENTER_OPERATOR):
        return 0
    return (
        selectors.orders_visible(user)
        .filter(status=OrderStatus.RECEIVED, urgency_class__in=sorted(COUNTDOWN_CLASSES))
        .count()
    )


def _url(name: str) -> str:
    """The URL of a sibling page, or "" while that page does not exist."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _workbench_links(user: User | AnonymousUser) -> dict[str, str]:
    center = may_enter(user)
    return {
        "imports": _url("hotline:import-list") if center else "",
        "reconcile": _url("hotline:reconcile-list") if center else "",
        "stats": _url("hotline:stats"),
        "export": _url("hotline:export"),
    }


@require_GET
@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    if not may_use_workbench(request.user):
        return forbidden_page(request)
    now = timezone.now()
    form = OrderFilterForm(request.GET or None, user=request.user)
    if form.is_bound:
        form.is_valid()
    query = _filtered(request, form, now)
    cursor = request.GET.get("cursor") or None
    try:
        result = selectors.page(query, cursor=cursor, limit=PAGE_SIZE, now=now)
    except (ValidationError, OrderInvalid):
        cursor = None
        result = selectors.page(query, limit=PAGE_SIZE, now=now)
    queues = workbench_queues(request.user)
    current = (form.cleaned_data.get("queue") if form.is_bound else "") or ALL
    if current not in queues:
        current = ALL
    context: dict[str, Any] = {
        "form": form,
        "page": result,
        "rows": [order_row(order, now) for order in result.items],
        "cursor": cursor,
        "base_query": query_without(request, "cursor"),
        "next_query": next_query(request, result.next_cursor),
        "current_queue": current,
        "may_enter": may_enter(request.user),
        "links": _workbench_links(request.user),
        "tabs": _tabs(request.user, current, now),
        "alarm": _alarm(request.user, now),
        "now": now,
    }
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        context["oob"] = True
        return render(request, "hotline/_results.html", context)
    return render(request, "hotline/workbench.html", context)


# --- the department inbox ----------------------------------------------------------------


def _queue(user: User | AnonymousUser, queue: str, now: dt.datetime) -> QuerySet[HotlineOrder]:
    filters = selectors.OrderFilters(queue=queue)
    return selectors.apply_filters(user, selectors.orders_visible(user), filters, now=now)


def department_queries(user: User | AnonymousUser, now: dt.datetime) -> list[tuple[str, QuerySet[HotlineOrder]]]:
    """The inbox's three lists, without overlap: drafts sent back, orders to draft (no open
    case), orders whose linked case is still open."""
    waiting = _queue(user, Q_AWAITING_CASE, now)
    rejected = _queue(user, Q_REJECTED, now).exclude(pk__in=waiting.values("pk"))
    to_draft = _queue(user, Q_TO_DRAFT, now).exclude(pk__in=waiting.values("pk")).filter(reject_count=0)
    return [(Q_REJECTED, rejected), (Q_TO_DRAFT, to_draft), (Q_AWAITING_CASE, waiting)]


INBOX_EMPTY: Final[dict[str, Any]] = {
    Q_REJECTED: gettext_lazy("No draft was sent back."),
    Q_TO_DRAFT: gettext_lazy("No order waits for your reply."),
    Q_AWAITING_CASE: gettext_lazy("No order waits for a case."),
}


@require_GET
@login_required
def department(request: HttpRequest) -> HttpResponse:
    if not scope_for(request.user).has_role(*DEPARTMENT_ROLES):
        return forbidden_page(request, _("This page is for department handlers."))
    now = timezone.now()
    sections = []
    for code, query in department_queries(request.user, now):
        orders = (
            query.select_related("lead_department", "case")
            .annotate(light=light_expression(now))
            .order_by("step_deadline", "id")[:INBOX_LIMIT]
        )
        sections.append(
            {
                "code": code,
                "title": queue_label(code),
                "rows": [order_row(order, now) for order in orders],
                "empty": INBOX_EMPTY[code],
            }
        )
    return render(request, "hotline/department.html", {"sections": sections, "now": now})


# --- manual entry ------------------------------------------------------------------------


def _towns(user: User | AnonymousUser) -> list[tuple[str, str]]:
    scope = scope_for(user)
    towns = current_towns()
    if not scope.everything:
        ids = {area_id for role, area_id, _d in scope.assignments if role == Role.CENTER_OPERATOR and area_id}
        towns = towns.filter(pk__in=ids)
    return [(code, name) for code, name in towns.order_by("code").values_list("code", "name")]


@require_http_methods(["GET", "POST"])
@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    if not may_enter(request.user):
        return forbidden_page(request, _("Only the center enters hotline orders here."))
    initial = {"received_at": timezone.now().replace(second=0, microsecond=0)}
    form = OrderNewForm(request.POST or None, towns=_towns(request.user), initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            order_data = form.order_data()
            try:
                received = services.order_receive(actor=request.user, data=order_data, channel=CHANNEL_MANUAL)
            except OrderError as refused:
                apply_error(form, refused, ERROR_FIELDS)
                status = refused.status
            else:
                order = received.order
                if received.outcome == "created":
                    messages.success(
                        request, _("Order %(number)s has been entered.") % {"number": order.upstream_number}
                    )
                elif received.outcome == "updated":
                    messages.warning(
                        request,
                        _("Order %(number)s already existed; it has been updated.") % {"number": order.upstream_number},
                    )
                else:
                    messages.info(
                        request, _("Order %(number)s already existed unchanged.") % {"number": order.upstream_number}
                    )
                return redirect("hotline:detail", order.pk)
    return render(request, "hotline/new.html", {"form": form}, status=status)


# --- the order page ----------------------------------------------------------------------


def _grid_choices(order: HotlineOrder) -> list[tuple[str, str]]:
    grids = town_grids(order.town_id)
    return [(code, name) for code, name in grids.order_by("code").values_list("code", "name")]


def _department_choices(user: User | AnonymousUser, order: HotlineOrder) -> list[tuple[str, str]]:
    """The departments serving the order's town that the actor may pick."""
    choices = department_choices(user)
    if choices:
        return choices
    return [(d.code, d.name) for d in active_departments()]


def _allowed(order: HotlineOrder, user: User | AnonymousUser) -> list[str]:
    return [str(action) for action in services.allowed_actions(order, user)]


def _initial(order: HotlineOrder, action: str) -> dict[str, Any]:
    initial: dict[str, Any] = {"version": order.version}
    if action in ("instruct", "assign"):
        initial["lead"] = order.lead_department.code if order.lead_department else ""
        initial["cooperating"] = [d.code for d in order.cooperating_departments.all()]
        if action == "instruct":
            initial["instruction"] = order.instruction
    if action == "draft_reply":
        initial["text"] = order.draft_text or _case_result(order)
    if action == "approve_reply":
        initial["text"] = order.draft_text
    return initial


def _case_result(order: HotlineOrder) -> str:
    """The linked case's last result from its department, to start the draft from."""
    result = services.case_result(order)
    return str(result["result"]) if result else ""


def _action_forms(
    request: HttpRequest, order: HotlineOrder, actions: list[str], failed: ActionForm | None
) -> list[dict[str, Any]]:
    departments = _department_choices(request.user, order) if {"instruct", "assign"} & set(actions) else []
    grids = _grid_choices(order) if "create_case" in actions else []
    shown: list[dict[str, Any]] = []
    ordered = sorted(actions, key=lambda a: ACTION_ORDER.index(a) if a in ACTION_ORDER else len(ACTION_ORDER))
    for action in ordered:
        if failed is not None and failed.action == action:
            form = failed
        else:
            form = ActionForm(initial=_initial(order, action), action=action, departments=departments, grids=grids)
        shown.append(
            {
                "action": action,
                "label": action_label(action),
                "form": form,
                "danger": action in DANGER_ACTIONS,
                "open": failed is not None and failed.action == action,
                "case_action": action in CASE_ACTIONS,
                "url": reverse("hotline:act", args=[order.pk, action]),
            }
        )
    return shown


def _department_details(data: dict[str, Any], names: dict[str, str]) -> list[tuple[str, str]]:
    details = department_details(data.get("departments") or [], names)
    if isinstance(data.get("department"), str):
        details.append((_("Department"), names.get(data["department"], data["department"])))
    return details


def _answer_details(event: OrderEvent, data: dict[str, Any]) -> list[tuple[str, str]]:
    """The petitioner's rating from a call-back, upstream's answer to an extension request."""
    details: list[tuple[str, str]] = []
    if data.get("satisfaction"):
        satisfactions = dict(Satisfaction.choices)
        details.append((_("Satisfaction"), str(satisfactions.get(data["satisfaction"], data["satisfaction"]))))
    if data.get("solved") is not None and event.action == "callback":
        details.append((_("Solved"), _("Yes") if data["solved"] else _("No")))
    if "approved" in data:
        details.append((_("Approved"), _("Yes") if data["approved"] else _("No")))
    return details


def _event_details(event: OrderEvent, names: dict[str, str]) -> list[tuple[str, str]]:
    """What a timeline line shows under its label (from the event's data)."""
    data = event.data or {}
    details = _department_details(data, names)
    texts = (
        ("instruction", _("Instruction")),
        ("text", _("Reply")),
        ("reason", _("Reason")),
        ("basis", _("Legal basis")),
    )
    details += [(label, str(data[key])) for key, label in texts if data.get(key)]
    details += _answer_details(event, data)
    if data.get("until"):
        details.append((_("Until"), _format_when(data["until"])))
    if data.get("edited"):
        details.append((_("Reply"), _("corrected by the center before sending")))
    if data.get("fields"):
        details.append((_("Changed fields"), "、".join(str(f) for f in data["fields"])))
    if data.get("case_number") or data.get("case"):
        details.append((_("Case"), str(data.get("case_number") or data.get("case"))))
    codes = data.get("review") or data.get("reasons")
    if codes and isinstance(codes, list):
        labels = dict(review.Reason.choices)
        details.append((_("To review"), "、".join(str(labels.get(code, code)) for code in codes)))
    return details


def _event_rows(order: HotlineOrder) -> list[dict[str, Any]]:
    events = list(order.events.select_related("actor", "actor__profile").order_by("at", "id"))
    codes = {code for e in events for code in (e.data or {}).get("departments", []) if isinstance(code, str)}
    for e in events:
        department = (e.data or {}).get("department")
        if isinstance(department, str):
            codes.add(department)
    names = department_names(codes)
    statuses = dict(OrderStatus.choices)
    rows = []
    for event in events:
        actor = event.actor
        rows.append(
            {
                "event": event,
                "label": transition_label(event.action),
                "actor": display_name(actor) if actor is not None else "",
                "upstream": event.origin == EventOrigin.UPSTREAM,
                "system": actor is None and event.origin != EventOrigin.UPSTREAM,
                "from_status": statuses.get(event.from_status, event.from_status),
                "to_status": statuses.get(event.to_status, event.to_status),
                "changed": bool(event.from_status) and event.from_status != event.to_status,
                "details": _event_details(event, names),
            }
        )
    return rows


def _format_when(value: Any) -> str:
    moment = parse_datetime(str(value)) if not isinstance(value, dt.datetime) else value
    if moment is None:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def _stage_rows(order: HotlineOrder, now: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    for stage in order.stages.select_related("department").order_by("started_at", "id"):
        is_open = stage.ended_at is None
        current = clock.light(stage.deadline, stage.warn_at, now) if is_open and order.is_open else ""
        rows.append({"stage": stage, "open": is_open, "light": current, "light_label": light_label(current)})
    return rows


def _linked_case(user: User | AnonymousUser, order: HotlineOrder) -> dict[str, Any] | None:
    if order.case_id is None:
        return None
    case = order.case
    visible = cases_visible(user).filter(pk=order.case_id).exists()
    return {"case": case, "visible": visible}


def _is_center_of(user: User | AnonymousUser, order: HotlineOrder) -> bool:
    return Party.CENTER in parties_of(user, order)


def _grant_departments(order: HotlineOrder) -> list[tuple[str, str]]:
    departments = []
    if order.lead_department is not None:
        departments.append(order.lead_department)
    departments += [d for d in order.cooperating_departments.all() if d.pk != order.lead_department_id]
    return [(d.code, d.name) for d in departments]


def _detail_context(
    request: HttpRequest,
    order: HotlineOrder,
    *,
    failed: ActionForm | None = None,
    error: str = "",
    kept_text: str = "",
    revealed: Any = None,
    grant_form: GrantForm | None = None,
) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    actions = _allowed(order, user)
    forms = _action_forms(request, order, actions, failed)
    if failed is not None and failed.action not in actions:
        data = failed.data
        kept_text = kept_text or str(
            data.get("text") or data.get("instruction") or data.get("reason") or data.get("comment") or ""
        )
    current = _light_code(order, now) if order.is_open else ""
    is_center = _is_center_of(user, order)
    grants = list(order.identity_grants.select_related("department", "granted_by").order_by("granted_at"))
    protected = order.order_type in PROTECTED_TYPES
    grant_departments = _grant_departments(order) if is_center and protected else []
    granted = {g.department.code for g in grants}
    grant_departments = [(c, n) for c, n in grant_departments if c not in granted]
    if grant_form is None and grant_departments:
        grant_form = GrantForm(departments=grant_departments)
    return {
        "order": order,
        "status_label": OrderStatus(order.status).label if order.status in OrderStatus.values else order.status,
        "light": current,
        "light_label": light_label(current),
        "due": due(order),
        "reply_overdue": order.is_open and order.reply_deadline is not None and now > order.reply_deadline,
        "petitioner": _petitioner(order, revealed),
        "may_reveal": can_reveal(user, order),
        "timeline": _event_rows(order),
        "stages": _stage_rows(order, now),
        "action_forms": [f for f in forms if not f["case_action"]],
        "case_forms": [f for f in forms if f["case_action"]],
        "error": error,
        "kept_text": kept_text,
        "cooperating": list(order.cooperating_departments.all()),
        "linked_case": _linked_case(user, order),
        "deliveries": messages_for_order(order.pk),
        "grants": grants,
        "grant_form": grant_form if grant_departments else None,
        "may_use_workbench": may_use_workbench(user),
        "is_department": scope_for(user).has_role(*DEPARTMENT_ROLES),
        "pending_extension": _pending_extension(order),
        "review": review.descriptions(order.review_reasons) if order.needs_review else [],
        "countdown": order.status == OrderStatus.RECEIVED
        and order.urgency_class in COUNTDOWN_CLASSES
        and order.step_deadline is not None,
        "attachments": list(order.attachments.all()),
        "same_caller": _same_caller(user, order),
    }


def _same_caller(user: User | AnonymousUser, order: HotlineOrder) -> dict[str, Any] | None:
    """Other orders from the same phone, for a viewer who may reveal the petitioner."""
    found = selectors.same_caller(user, order)
    if not found.count:
        return None
    return {
        "count": found.count,
        "more": found.count - len(found.orders),
        "orders": [
            {
                "order": other,
                "status_label": OrderStatus(other.status).label if other.status in OrderStatus.values else other.status,
            }
            for other in found.orders
        ],
    }


def _pending_extension(order: HotlineOrder) -> dict[str, str] | None:
    pending = order.extension
    if pending is None:
        return None
    return {"until": _format_when(pending.until), "reason": pending.reason}


def _petitioner(order: HotlineOrder, revealed: Any) -> dict[str, Any]:
    if revealed is not None:
        return {
            "name": getattr(revealed, "name", ""),
            "phone": getattr(revealed, "phone", ""),
            "address": getattr(revealed, "address", ""),
            "revealed": True,
            "any": True,
            "anonymous": order.anonymous,
        }
    return {
        "name": order.petitioner_name_masked,
        "phone": order.petitioner_phone_masked,
        "address": order.petitioner_address_masked,
        "revealed": False,
        "any": bool(order.petitioner_name_masked or order.petitioner_phone_masked or order.petitioner_address_masked),
        "anonymous": order.anonymous,
    }


def _detail_page(request: HttpRequest, pk: int) -> ObjectPage:
    return ObjectPage(
        request,
        template="hotline/detail.html",
        context=lambda order, **extra: _detail_context(request, order, **extra),
        reload=lambda: _visible(request.user, pk),
        not_found=_("No such order."),
        stale=_(
            "Someone else changed this order while you were writing. The page now shows the order as it is; "
            "your text is still in the form. Check it and submit again."
        ),
    )


@require_GET
@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, pk).render(_visible(request.user, pk))


def _resolve_case(request: HttpRequest, form: ActionForm) -> int | None:
    """The id of the visible case whose number the form names (an error on the form if none)."""
    number = (form.cleaned_data.get("case_number") or "").strip()
    found = cases_visible(request.user).filter(number=number).values_list("pk", flat=True).first()
    if found is None:
        form.add_error("case_number", _("No case with this number in your area."))
    return found


def _grid_id(order: HotlineOrder, code: str) -> int | None:
    area = town_grids(order.town_id).filter(code=code).first()
    return area.pk if area is not None else None


@require_POST
@login_required
def order_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    order = _visible(request.user, pk)
    if action not in {a.value for a in Action}:
        raise Http404(_("Unknown action."))
    departments = _department_choices(request.user, order) if action in ("instruct", "assign") else []
    grids = _grid_choices(order) if action == "create_case" else []
    form = ActionForm(request.POST, action=action, departments=departments, grids=grids)
    page = _detail_page(request, pk)
    if not form.is_valid():
        return page.invalid(order, form)
    kwargs = form.service_kwargs()
    if action == "link_case":
        kwargs["case_id"] = _resolve_case(request, form)
        if kwargs["case_id"] is None:
            return page.invalid(order, form)
    if action == "create_case":
        kwargs["grid_id"] = _grid_id(order, form.cleaned_data["grid"])
    return page.act(
        order,
        form=form,
        act=lambda: services.order_act(order_id=order.pk, action=action, actor=request.user, **kwargs),
        rebuild=lambda data: ActionForm(data, action=action, departments=departments, grids=grids),
        error_fields=ERROR_FIELDS,
        done=action_label(action),
        success_url=reverse("hotline:detail", args=[pk]),
    )


@require_POST
@login_required
def order_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The petitioner in full (recorded by the service), for viewers allowed to see it."""
    order = _visible(request.user, pk)
    try:
        revealed = services.petitioner_reveal(order_id=order.pk, actor=request.user, request=request)
    except OrderForbidden as refused:
        return forbidden_page(request, refused.message)
    except Throttled as throttled:
        return error_page(request, throttled.message, 429)
    except OrderNotFound:
        raise Http404(_("No such order.")) from None
    order = _visible(request.user, pk)
    context = _detail_context(request, order, revealed=revealed)
    if request.headers.get("HX-Request"):
        return render(request, "hotline/_petitioner.html", context)
    return render(request, "hotline/detail.html", context)


@require_POST
@login_required
def order_grant(request: HttpRequest, pk: int) -> HttpResponse:
    """The center lets one department of the order see its petitioner."""
    order = _visible(request.user, pk)
    form = GrantForm(request.POST, departments=_grant_departments(order))
    status = 422
    found = department_id(form.cleaned_data["department"]) if form.is_valid() else None
    if form.is_valid() and found is None:  # retired since the page was drawn
        form.add_error("department", _("Unknown department."))
    elif found is not None:
        try:
            services.identity_grant(
                order_id=order.pk,
                department_id=found,
                actor=request.user,
                reason=form.cleaned_data["reason"].strip(),
            )
        except OrderForbidden as refused:
            return forbidden_page(request, refused.message)
        except OrderNotFound:
            raise Http404(_("No such order.")) from None
        except OrderError as refused:
            apply_error(form, refused, ERROR_FIELDS)
            status = refused.status
        else:
            messages.success(request, _("The department may now see the petitioner of this order."))
            return redirect("hotline:detail", pk)
    order = _visible(request.user, pk)
    return render(request, "hotline/detail.html", _detail_context(request, order, grant_form=form), status=status)


# --- home panels -------------------------------------------------------------------------


def _panel(user: User | AnonymousUser, queues: list[str], url: str) -> dict[str, Any]:
    counts = _counts(user, queues)
    return {
        "queues": [
            {"code": code, "label": queue_label(code), "count": counts.get(code, 0), "url": f"{url}?queue={code}"}
            for code in queues
            if code in counts
        ],
        "url": url,
    }


def center_panel(user: User | AnonymousUser) -> dict[str, Any]:
    queues = [Q_TO_ACKNOWLEDGE, Q_TO_ASSIGN, Q_TO_APPROVE, Q_OVERDUE, Q_TO_REVIEW]
    return _panel(user, queues, reverse("hotline:workbench"))


def leader_panel(user: User | AnonymousUser) -> dict[str, Any]:
    return _panel(user, [Q_TO_INSTRUCT, Q_OVERDUE], reverse("hotline:workbench"))


def department_panel(user: User | AnonymousUser) -> dict[str, Any]:
    url = reverse("hotline:department")
    return {
        "queues": [
            {"code": code, "label": queue_label(code), "count": query.count(), "url": url}
            for code, query in department_queries(user, timezone.now())
        ],
        "url": url,
    }


urlpatterns: list[URLPattern] = [
    path("hotline/", workbench, name="workbench"),
    path("hotline/department/", department, name="department"),
    path("hotline/new/", order_new, name="new"),
    path("hotline/orders/<int:pk>/", order_detail, name="detail"),
    path("hotline/orders/<int:pk>/act/<str:action>/", order_act, name="act"),
    path("hotline/orders/<int:pk>/reveal/", order_reveal, name="reveal"),
    path("hotline/orders/<int:pk>/grant/", order_grant, name="grant"),
]
