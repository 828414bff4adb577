"""The hotline statistics page, its Excel workbook, and the Excel export of the order list.

Who sees what: center operators, town leaders, discipline supervisors and administrators see
the statistics of every order they may see (:func:`gridgov.hotline.selectors.orders_visible`);
a department handler sees the orders its departments lead, as its own row. Everybody else gets
403. The figures come from :mod:`gridgov.hotline.stats`; the workbooks from
:mod:`gridgov.hotline.export` (both exports are audited).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, Final

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.access.scope import scope_for, uses_desk
from gridgov.core.dbrouter import reads_from_replica
from gridgov.core.downloads import document_response
from gridgov.core.forms import BoundedDateField, DateInput
from gridgov.core.pages import error_page
from gridgov.people.models import DESK_ROLES, Role

from . import stats
from .export import export_orders_workbook, export_stats_workbook
from .forms import OrderFilterForm
from .models import HotlineOrder, OrderType, Satisfaction
from .selectors import orders_visible
from .views import _filtered

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

logger = logging.getLogger("gridgov.hotline.stats")

STATS_ROLES: Final = DESK_ROLES
DEPARTMENT_ROLES: Final = frozenset({Role.DEPARTMENT_HANDLER})
# Who may export the order list (the same people as the hotline workbench).
LIST_EXPORT_ROLES: Final = DESK_ROLES


class PeriodForm(forms.Form):
    """The period picker: a week or a month around ``day``, or a custom span."""

    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        required=False,
        choices=[
            (stats.PERIOD_WEEK, gettext_lazy("Week")),
            (stats.PERIOD_MONTH, gettext_lazy("Month")),
            (stats.PERIOD_CUSTOM, gettext_lazy("Custom")),
        ],
    )
    day = BoundedDateField(label=gettext_lazy("Day in the period"), required=False, widget=DateInput)
    start = BoundedDateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    end = BoundedDateField(label=gettext_lazy("To"), required=False, widget=DateInput)

    def chosen_period(self, today: dt.date) -> stats.Period:
        """The chosen period; the current month when nothing (valid) is chosen. Errors are
        added to the form."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if self.is_bound and not data:
            self.add_error(None, _("The period could not be read: the page shows the current month."))
        kind = data.get("period") or stats.PERIOD_MONTH
        try:
            return stats.period_for(kind, day=data.get("day") or today, start=data.get("start"), end=data.get("end"))
        except stats.StatsError as error:
            self.add_error(None, str(error))
            return stats.month_period(today)


def period_query(period: stats.Period) -> str:
    """The query string that selects ``period`` on the page."""
    if period.kind == stats.PERIOD_CUSTOM:
        return urlencode({"period": period.kind, "start": period.start.isoformat(), "end": period.end.isoformat()})
    return urlencode({"period": period.kind, "day": period.start.isoformat()})


def statistics_scope(user: User | AnonymousUser) -> tuple[QuerySet[HotlineOrder], bool] | None:
    """The orders whose statistics ``user`` may see, and whether only their own departments'
    rows (a department handler); None: no statistics for this user."""
    scope = scope_for(user)
    if scope.has_role(*STATS_ROLES) or getattr(user, "is_superuser", False):
        return orders_visible(user), False
    if scope.has_role(*DEPARTMENT_ROLES) and scope.department_ids:
        return orders_visible(user).filter(lead_department_id__in=sorted(scope.department_ids)), True
    return None


def may_see_statistics(user: User | AnonymousUser) -> bool:
    scope = scope_for(user)
    return bool(
        scope.has_role(*STATS_ROLES)
        or getattr(user, "is_superuser", False)
        or (scope.has_role(*DEPARTMENT_ROLES) and scope.department_ids)
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _fraction(part: int, whole: int, value: float | None) -> dict[str, Any]:
    return {"part": part, "whole": whole, "percent": _pct(value)}


def rate_rows(figures: stats.Figures, rules: stats.RateRules) -> list[dict[str, Any]]:
    """The rates of the page: each with its numerator and denominator (counts of the same
    orders as the tiles beside them), named in the reader's language."""
    response_part = {
        stats.RESPONSE_ACK_ON_TIME: _("acknowledged on time"),
        stats.RESPONSE_ACKNOWLEDGED: _("acknowledged"),
        stats.RESPONSE_ACK_AND_REPLY_ON_TIME: _("acknowledged and replied on time"),
    }[rules.response]
    names = {
        "ack_on_time": (_("Acknowledged on time rate"), _("acknowledged on time"), _("due for acknowledgement")),
        "reply_on_time": (_("Replied on time rate"), _("replied on time"), _("due for a reply")),
        "response": (_("Response rate"), response_part, _("response base")),
        "resolution": (_("Resolution rate"), _("solved"), _("evaluated")),
        "satisfaction": (_("Satisfaction rate"), _("satisfied"), _("evaluated")),
    }
    fractions = figures.fractions()
    return [
        {"code": code, "label": label, "part_label": part, "whole_label": whole, **_fraction(*fractions[code])}
        for code, (label, part, whole) in names.items()
    ]


def chart_data(result: stats.Statistics) -> dict[str, Any]:
    """What the page's charts draw (labels already translated)."""
    ratings = dict(Satisfaction.choices)
    named = [row for row in result.departments if row.department_id is not None]
    return {
        "labels": {
            "received": _("Received"),
            "replied": _("Replied"),
            "ack": _("Acknowledged on time"),
            "reply": _("Replied on time"),
            "draft": _("Drafts on time"),
            "ratings": _("Call-back ratings"),
            "percent": "%",
        },
        "days": [point.day.strftime("%m-%d") for point in result.daily],
        "received": [point.received for point in result.daily],
        "replied": [point.replied for point in result.daily],
        "departments": {
            "names": [row.name for row in named],
            "reply": [row.figures.reply_on_time_rate for row in named],
            "draft": [row.figures.draft_on_time_rate for row in named],
        },
        "ratings": [{"name": str(ratings[code]), "value": count, "code": code} for code, count in result.ratings],
    }


@login_required
@reads_from_replica
def statistics(request: HttpRequest) -> HttpResponse:
    scoped = statistics_scope(request.user)
    if scoped is None:
        return error_page(request, _("You may not open this page."), 403)
    query, own_only = scoped
    now = timezone.now()
    form = PeriodForm(request.GET or None)
    period = form.chosen_period(timezone.localdate(now))
    try:
        result = stats.order_statistics(query, period, now=now)
    except stats.StatsError:  # a misconfigured GRIDGOV_HOTLINE_RATES: the details are logged
        logger.exception("hotline statistics: the rate settings cannot be used")
        return error_page(
            request, _("The rules of the rates are not set up correctly; ask the system administrator."), 500
        )
    total = result.total
    tiles = [
        ("received", _("Received"), total.received, ""),
        ("acknowledged", _("Acknowledged"), total.acknowledged, ""),
        ("ack_on_time", _("Acknowledged on time"), total.ack_on_time, ""),
        ("replied", _("Replied"), total.replied, ""),
        ("reply_on_time", _("Replied on time"), total.reply_on_time, ""),
        ("replied_late", _("Replied late"), total.replied_late, ""),
        ("overdue", _("Overdue now"), total.overdue, ""),
        ("returned", _("Returned upstream"), total.returned, ""),
        ("extended", _("Extended"), total.extended, ""),
    ]
    query_string = period_query(period)
    types = dict(OrderType.choices)
    context = {
        "form": form,
        "period": period,
        "result": result,
        "tiles": tiles,
        "rates": rate_rows(total, result.rules),
        "overdue_url": f"{reverse('hotline:workbench')}?queue=overdue",
        "own_only": own_only,
        "by_type": [(str(types.get(code, code)), count) for code, count in result.by_type],
        "definitions": result.rules.descriptions(),
        "chart": chart_data(result),
        "previous_query": period_query(period.shifted(-1)),
        "next_query": period_query(period.shifted(1)) if period.shifted(1).start <= timezone.localdate(now) else "",
        "export_url": f"{reverse('hotline:stats-export')}?{query_string}",
        "list_export": may_export_list(request.user),
    }
    return render(request, "hotline/stats.html", context)


@login_required
def statistics_export(request: HttpRequest) -> HttpResponse:
    """The page's figures as an .xlsx workbook (period, definitions, departments, days)."""
    scoped = statistics_scope(request.user)
    if scoped is None:
        return error_page(request, _("You may not open this page."), 403)
    query, _own_only = scoped
    now = timezone.now()
    form = PeriodForm(request.GET or None)
    period = form.chosen_period(timezone.localdate(now))
    try:
        result = stats.order_statistics(query, period, now=now)
    except stats.StatsError:
        logger.exception("hotline statistics: the rate settings cannot be used")
        return error_page(
            request, _("The rules of the rates are not set up correctly; ask the system administrator."), 500
        )
    content = export_stats_workbook(result, actor=request.user, request=request)
    span = f"{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    return document_response(content, "xlsx", f"热线工单统计-{span}.xlsx", fallback=f"hotline-statistics-{span}.xlsx")


def may_export_list(user: User | AnonymousUser) -> bool:
    return uses_desk(user)


def filtered_orders(request: HttpRequest, now: dt.datetime) -> tuple[QuerySet[HotlineOrder], dict[str, Any]]:
    """The order list as the workbench filters it (the same query string), and those filters."""
    form = OrderFilterForm(request.GET or None, user=request.user)
    if form.is_bound:
        form.is_valid()
    filters = {key: value for key, value in request.GET.items() if key != "cursor" and value}
    return _filtered(request, form, now), filters


@login_required
def orders_export(request: HttpRequest) -> HttpResponse:
    """The filtered order list as .xlsx: petitioners always masked; the export is audited."""
    if not may_export_list(request.user):
        return error_page(request, _("You may not open this page."), 403)
    now = timezone.now()
    query, filters = filtered_orders(request, now)
    content = export_orders_workbook(query, actor=request.user, filters=filters, request=request)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    return document_response(content, "xlsx", f"热线工单-{stamp}.xlsx", fallback=f"hotline-orders-{stamp}.xlsx")


urlpatterns: list[URLPattern] = [
    path("hotline/stats/", statistics, name="stats"),
    path("hotline/stats/export.xlsx", statistics_export, name="stats-export"),
    path("hotline/export.xlsx", orders_export, name="export"),
]
