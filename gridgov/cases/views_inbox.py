"""The department inbox: the cases a department must act on, with filters (status, light,
village, category), a search, sorting by deadline, pages, a "finished" tab with each case's
stage history, and batch acknowledgement (each case through the workflow engine, with its own
result).

Reads go through :mod:`gridgov.cases.selectors`, writes through :mod:`gridgov.cases.services`.
The open list is bounded by what a department has in hand (a few hundred cases at most) and
pages by number, sorted by deadline; the finished list grows without bound and pages by keyset.
"""

from __future__ import annotations

from typing import Any, Final

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from gridgov.access.scope import scope_for
from gridgov.areas.models import AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.core.errors import Invalid
from gridgov.core.forms import ANY, OneTimeKeyMixin

from . import selectors, services
from .deadlines import light_expression
from .forms import category_choices
from .inbox import inbox_sections
from .models import Case, CaseStage, Light, Status
from .transitions import Action
from .views_field import DEPARTMENT_ACTIONS, DEPARTMENT_ROLES, _act, _cards, _require_role

PAGE_SIZE: Final = 20
OPEN: Final = "open"
FINISHED: Final = "finished"
SORTS: Final = {
    "deadline": ("stage_deadline", "id"),
    "-deadline": ("-stage_deadline", "-id"),
    "reported": ("-reported_at", "-id"),
}


class InboxFilterForm(forms.Form):
    """The inbox's filters (all optional; an invalid value is ignored)."""

    tab = forms.ChoiceField(required=False, choices=[(OPEN, OPEN), (FINISHED, FINISHED)], widget=forms.HiddenInput)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    light = forms.ChoiceField(label=gettext_lazy("Light"), required=False)
    village = forms.ChoiceField(label=gettext_lazy("Village"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    text = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Number, description or address")}),
    )
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort"),
        required=False,
        choices=[
            ("deadline", gettext_lazy("Deadline, soonest first")),
            ("-deadline", gettext_lazy("Deadline, latest first")),
            ("reported", gettext_lazy("Newest report first")),
        ],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["status"].choices = [
            ANY,
            (Status.DISPATCHED, _("Newly dispatched")),
            (Status.IN_PROGRESS, Status.IN_PROGRESS.label),
        ]
        fields["light"].choices = [ANY, *[(c, label) for c, label in Light.choices if c != Light.NONE]]
        villages = areas_visible(user, level=AreaLevel.VILLAGE)
        fields["village"].choices = [ANY, *[(v.code, v.name) for v in villages]]
        fields["category"].choices = [ANY, *category_choices(majors=True)]

    def value(self, name: str) -> str:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return str(data.get(name) or "")


class CaseIdsField(forms.TypedMultipleChoiceField):
    """Case ids as ticked; whether each may be acted on is the workflow engine's answer."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit() and len(str(value)) < 19


class BatchForm(OneTimeKeyMixin, forms.Form):
    """Several newly dispatched cases acknowledged at once."""

    cases = CaseIdsField(coerce=int, required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["cases"].error_messages["required"] = _("Tick the cases to acknowledge.")


def _base(request: HttpRequest, form: InboxFilterForm, *, finished: bool) -> QuerySet[Case]:
    visible = selectors.cases_visible(request.user)
    departments = sorted(scope_for(request.user).department_ids)
    if finished:
        query = visible.filter(lead_department_id__in=departments).exclude(
            status__in=[Status.DISPATCHED, Status.IN_PROGRESS]
        )
    else:
        query = selectors.apply_filters(request.user, visible, selectors.CaseFilters(queue=selectors.Queue.DEPARTMENT))
    filters = selectors.CaseFilters(
        status=[form.value("status")] if form.value("status") and not finished else [],
        light=form.value("light") if not finished else "",
        grid=form.value("village"),
        category=form.value("category"),
        text=form.value("text").strip(),
    )
    try:
        return selectors.apply_filters(request.user, query, filters)
    except ValidationError:
        return query


def _open_context(request: HttpRequest, form: InboxFilterForm, failed: Any) -> dict[str, Any]:
    order = SORTS.get(form.value("sort") or "deadline", SORTS["deadline"])
    query = _annotated(_base(request, form, finished=False)).order_by(*order)
    paginator = Paginator(query, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    cards = _cards(request, list(page.object_list), offered=DEPARTMENT_ACTIONS, failed=failed)
    acknowledgeable = [card for card in cards if Action.ACKNOWLEDGE in card.actions]
    return {
        "cards": cards,
        "page": page,
        "batch_form": BatchForm(),
        "batchable": bool(acknowledgeable),
    }


def _annotated(query: QuerySet[Case]) -> QuerySet[Case]:
    return query.select_related("category", "category__parent", "grid", "lead_department").annotate(
        light=light_expression(timezone.now())
    )


def _finished_context(request: HttpRequest, form: InboxFilterForm) -> dict[str, Any]:
    departments = sorted(scope_for(request.user).department_ids)
    query = _base(request, form, finished=True).prefetch_related(
        Prefetch(
            "stages",
            queryset=CaseStage.objects.filter(department_id__in=departments).order_by("started_at", "id"),
            to_attr="department_stages",
        )
    )
    try:
        result = selectors.page(query, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE)
    except Invalid:
        result = selectors.page(query, limit=PAGE_SIZE)
    next_query = ""
    if result.next_cursor:
        params = request.GET.copy()
        params["cursor"] = result.next_cursor
        next_query = params.urlencode()
    return {"finished": result.items, "next_query": next_query}


def _batch(request: HttpRequest) -> int:
    """Acknowledge the ticked cases; each one's outcome is told. Returns 0 when done."""
    form = BatchForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return 422
    outcomes = services.cases_act_batch(
        form.cleaned_data["cases"][: services.BATCH_MAX],
        Action.ACKNOWLEDGE,
        actor=request.user,
        idempotency_key=form.key,
    )
    done = [outcome.number for outcome in outcomes if outcome.done]
    if done:
        messages.success(request, _("Acknowledged %(n)s: %(numbers)s.") % {"n": len(done), "numbers": "、".join(done)})
    for outcome in outcomes:
        if not outcome.done:
            messages.error(
                request,
                _("%(number)s not acknowledged: %(reason)s") % {"number": outcome.number, "reason": outcome.message},
            )
    return 0


@login_required
@require_http_methods(["GET", "POST"])
def department(request: HttpRequest) -> HttpResponse:
    _require_role(request, DEPARTMENT_ROLES)
    failed = None
    status = 200
    if request.method == "POST":
        if request.POST.get("batch") == Action.ACKNOWLEDGE:
            _batch(request)
            return redirect(request.get_full_path())
        status, form = _act(request, DEPARTMENT_ACTIONS)
        if not status:
            return redirect(request.get_full_path())
        failed = form
    filters = InboxFilterForm(request.GET or None, user=request.user)
    tab = FINISHED if filters.value("tab") == FINISHED else OPEN
    counts = _counts(request)
    context: dict[str, Any] = {
        "filters": filters,
        "tab": tab,
        "failed": failed,
        "counts": counts,
        "inbox_sections": inbox_sections(request.user),
    }
    if tab == FINISHED:
        context.update(_finished_context(request, filters))
    else:
        context.update(_open_context(request, filters, failed))
    params = request.GET.copy()
    for name in ("page", "cursor", "tab"):
        params.pop(name, None)
    context["filter_query"] = params.urlencode()
    return render(request, "cases/field/department.html", context, status=status)


def _counts(request: HttpRequest) -> dict[str, int]:
    visible = selectors.cases_visible(request.user)
    base = selectors.apply_filters(request.user, visible, selectors.CaseFilters(queue=selectors.Queue.DEPARTMENT))
    return {
        "new": base.filter(status=Status.DISPATCHED).count(),
        "working": base.filter(status=Status.IN_PROGRESS).count(),
    }


urlpatterns: list[URLPattern] = [
    path("cases/department/", department, name="department"),
]
