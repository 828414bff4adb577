"""统计分析 (the case statistics page) and the leader cockpit (领导驾驶舱).

Every figure comes from :mod:`gridgov.cases.indices` over the cases the viewer may see, and
every number on both pages is a link to the workbench list of exactly the cases it counts
(``?index=<code>&part=num|den`` with the period and dimensions; the workbench reads them back
through :func:`gridgov.cases.indices.parse`). Center operators, town leaders, discipline
supervisors and administrators see both pages; everybody else gets 403.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, get_script_prefix, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.geometry import metres
from gridgov.areas.models import AreaLevel
from gridgov.areas.selectors import area_names, areas_visible, latest_by_code
from gridgov.categories.models import Category
from gridgov.categories.selectors import active_minors
from gridgov.core.dbrouter import reads_from_replica
from gridgov.core.forms import BoundedDateField, DateInput
from gridgov.core.pages import error_page
from gridgov.core.schemas import FIRST_DATE, LAST_DATE
from gridgov.people.models import DESK_ROLES
from gridgov.people.selectors import department_names, display_name

from . import indices
from .access import rollup_scope
from .deadlines import light_expression
from .forms import area_choices, category_choices, department_choices
from .indices import Dimensions, Figure, Period
from .models import OPEN_STATUSES, Case, Light, Source, Status
from .selectors import cases_visible

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

STATS_ROLES: Final = DESK_ROLES
# Department lights: green from GREEN %, yellow from YELLOW %, red below (on-time closure).
GREEN: Final = 90.0
YELLOW: Final = 75.0
REPEAT_RADIUS_M: Final = 50
REPEAT_DAYS: Final = 30
REPEAT_OTHERS: Final = 2
# A degree of latitude on the sphere of ``metres``: two points whose latitudes differ by more
# than ``r / METRES_PER_DEGREE`` are farther apart than ``r``, whatever their longitudes.
METRES_PER_DEGREE: Final = 6_371_000 * math.pi / 180
MAP_POINTS: Final = 3000
DETAIL_PLACEHOLDER: Final = "987654321"
MAX_DAYS: Final = 732
# At most this many rows in the grid and verifier tables (the busiest), and reporters shown;
# a district has thousands of grids and grid workers (bench/stats.py).
TABLE_ROWS: Final = 100
TOP_PEOPLE: Final = 20
# Above this many visible grids the area filter lists towns and villages only (a grid's code is
# still accepted, from a figure's link or the address bar).
GRID_CHOICES: Final = 600

KPI_CODES: Final = (
    "reported",
    "registered",
    "voided",
    "self_handled",
    "due",
    "closed",
    "closed_on_time",
    "closure_rate",
    "on_time_closure_rate",
    "handling_rate",
    "on_time_handling_rate",
    "rework_rate",
    "accurate_dispatch_rate",
    "valid_report_rate",
    "on_time_verification_rate",
    "satisfaction_rate",
    "handling_hours",
)
DEPARTMENT_CODES: Final = (
    "due",
    "closed",
    "closure_rate",
    "on_time_closure_rate",
    "handling_rate",
    "on_time_handling_rate",
    "rework_rate",
    "satisfaction_rate",
    "handling_hours",
)
AREA_CODES: Final = ("reported", "registered", "due", "closed", "closure_rate", "on_time_closure_rate")
TREND_CODES: Final = ("reported", "registered", "closed_in")


def may_see(user: User | AnonymousUser) -> bool:
    return bool(scope_for(user).has_role(*STATS_ROLES) or getattr(user, "is_superuser", False))


class KnownChoiceField(forms.ChoiceField):
    """A choice that is valid when ``known(value)`` says so, listed in the choices or not: a
    part of the page (htmx) reads its filters without listing them (a district's 5,000 areas,
    the classification and the departments were a tenth of each part's time), and a grid
    taken from the URL is valid although the list of a district shows villages only."""

    known: Callable[[str], bool] | None = None

    def valid_value(self, value: Any) -> bool:
        return (self.known is not None and self.known(str(value))) or super().valid_value(value)


def stats_area_choices(user: User | AnonymousUser) -> list[tuple[Any, Any]]:
    """The towns (when the viewer sees several), then the villages with their grids, or the
    villages alone when there are more than GRID_CHOICES grids."""
    towns = list(areas_visible(user, level=AreaLevel.TOWN).values_list("code", "name"))
    found: list[tuple[Any, Any]] = [(_("Towns"), towns)] if len(towns) > 1 else []
    if areas_visible(user, level=AreaLevel.GRID).count() <= GRID_CHOICES:
        return found + area_choices(user, villages=True)
    villages = list(areas_visible(user, level=AreaLevel.VILLAGE).values_list("code", "name"))
    return [*found, (_("Villages"), villages)]


def area_known(user: User | AnonymousUser, code: str) -> bool:
    """Whether the area filter takes ``code``: one of the viewer's areas, or the village of one of
    the viewer's grids, which the list offers as "(whole village)" when it lists grids (a
    viewer of some grids; the scope still narrows the figures to those grids)."""
    if areas_visible(user).filter(code=code).exists():
        return True
    grids = areas_visible(user, level=AreaLevel.GRID)
    return grids.filter(parent__code=code).exists() and grids.count() <= GRID_CHOICES


DIMENSION_FIELDS: Final = ("grid", "lead", "category", "source")


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


class StatsForm(forms.Form):
    """The filters of the page (all optional; the current month by default)."""

    start = BoundedDateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    end = BoundedDateField(label=gettext_lazy("To"), required=False, widget=DateInput)
    grid = KnownChoiceField(label=gettext_lazy("Village / grid"), required=False)
    lead = KnownChoiceField(label=gettext_lazy("Lead department"), required=False)
    category = KnownChoiceField(label=gettext_lazy("Category"), required=False)
    source = forms.ChoiceField(label=gettext_lazy("Source"), required=False)
    step = forms.ChoiceField(
        label=gettext_lazy("Trend by"),
        required=False,
        choices=[
            ("day", pgettext_lazy("trend step", "Day")),
            ("week", gettext_lazy("Week")),
            ("month", gettext_lazy("Month")),
        ],
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, listed: bool = True, **kwargs: Any) -> None:
        """``listed``: with the choices of the select boxes (the page shows them; its parts
        only read the filters, each checked with one query)."""
        super().__init__(*args, **kwargs)
        any_: list[tuple[Any, Any]] = [("", _("All"))]
        fields: Any = self.fields
        fields["grid"].known = lambda code: area_known(user, code)
        fields["source"].choices = any_ + list(Source.choices)
        if listed:
            fields["grid"].choices = any_ + stats_area_choices(user)
            fields["lead"].choices = any_ + department_choices(user)
            fields["category"].choices = any_ + category_choices(majors=True)
        else:
            fields["lead"].known = lambda code: department_choices(user, code=code) != []
            fields["category"].known = lambda code: active_minors().filter(Q(code=code) | Q(parent__code=code)).exists()

    def chosen(self, today: dt.date) -> tuple[Period, Dimensions, str]:
        # The filters that were read (an unreadable one is left out, as if not given).
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()  # fills cleaned_data with the fields that were read
            data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        period = Period.of_month(today)
        unread = [str(self.data.get(name, ""))[:20] for name in ("start", "end") if name in self.errors]
        if unread:
            # Neither date is taken: the page falls back to the current month, and says so.
            start = end = None
            message = _("The dates could not be read (%(values)s): the page shows the current month.")
            if all(_is_date(value) for value in unread):  # real dates, out of the calendar's range
                message = _("Choose dates from %(first)s to %(last)s (%(values)s): the page shows the current month.")
            self.add_error(None, message % {"values": ", ".join(unread), "first": FIRST_DATE, "last": LAST_DATE})
        if start or end:
            start = start or (end.replace(day=1) if end else today)
            end = end or today
            if end < start:
                self.add_error(None, _("The period ends before it starts."))
            elif (end - start).days > MAX_DAYS:
                self.add_error(None, _("Choose a period of at most two years."))
            else:
                try:
                    chosen = Period(start, end)
                    chosen.previous()  # compared with: must exist too
                except ValueError:
                    self.add_error(
                        None,
                        _("The period and the one before it must lie between %(first)s and %(last)s.")
                        % {"first": FIRST_DATE, "last": LAST_DATE},
                    )
                else:
                    period = chosen
        left_out = [str(self.fields[name].label) for name in (*DIMENSION_FIELDS, "step") if name in self.errors]
        if left_out:
            # A stale link's retired grid: the figures are the town's, and the page says so.
            message = _("These filters could not be used and are left out: %(fields)s.")
            self.add_error(None, message % {"fields": "、".join(left_out)})
        dimensions = Dimensions(
            area=data.get("grid") or "",
            department=data.get("lead") or "",
            category=data.get("category") or "",
            source=data.get("source") or "",
        )
        step = data.get("step") or ("day" if period.days <= 62 else "month")
        return period, dimensions, step


# --- links --------------------------------------------------------------------------------


def figure_url(code: str, part: str, period: Period, dimensions: Dimensions) -> str:
    """The workbench list of a figure's part: the same parameters as
    :func:`indices.link_query`, the period's and dimensions' part encoded once per row (a
    district page builds thousands of links)."""
    return f"{workbench_path()}?{_index_query(code, part)}&{_link_tail(period, dimensions)}"


@lru_cache(maxsize=256)
def _index_query(code: str, part: str) -> str:
    return urlencode({"index": code, "part": part})


@lru_cache(maxsize=4096)
def _link_tail(period: Period, dimensions: Dimensions) -> str:
    return urlencode({**period.query(), **dimensions.query()})


def workbench_path() -> str:
    """The workbench's path, reversed once (a district page has thousands of links)."""
    return _workbench_path(get_script_prefix())


@lru_cache(maxsize=8)
def _workbench_path(prefix: str) -> str:
    return reverse("cases:workbench")


@dataclass
class Cell:
    """One figure as the page shows it: the value and the links of its parts."""

    code: str
    label: str
    display: str
    num: int
    num_url: str
    den: int | None
    den_url: str
    value: float | None
    kind: str
    definition: str
    previous: Cell | None = None

    @property
    def is_count(self) -> bool:
        return self.kind == indices.COUNT


def cell(figure: Figure, period: Period, dimensions: Dimensions) -> Cell:
    item = indices.INDICES[figure.code]
    den_url = figure_url(figure.code, indices.DEN, period, dimensions) if item.den is not None else ""
    label, definition = _texts(figure.code, get_language())
    return Cell(
        code=figure.code,
        label=label,
        display=figure.display,
        num=figure.num,
        num_url=figure_url(figure.code, indices.NUM, period, dimensions),
        den=figure.den,
        den_url=den_url,
        value=figure.value,
        kind=item.kind,
        definition=definition,
    )


@lru_cache(maxsize=256)
def _texts(code: str, language: str | None) -> tuple[str, str]:
    """An index's label and its definition with the date deciding its period, translated once
    per language (``language`` keys the cache)."""
    item = indices.INDICES[code]
    definition = f"{item.definition} " + _("Period decided by: %(date)s.") % {"date": item.month_by}
    return str(item.label), definition


def cells(figures: indices.Figures, codes: Iterable[str], period: Period, dimensions: Dimensions) -> list[Cell]:
    return [cell(figures[code], period, dimensions) for code in codes]


def light_of(rate: float | None) -> str:
    if rate is None:
        return ""
    if rate >= GREEN:
        return Light.GREEN
    return Light.YELLOW if rate >= YELLOW else Light.RED


# --- names --------------------------------------------------------------------------------


def _names(by: str, keys: Iterable[Any]) -> dict[Any, str]:
    keys = [key for key in keys if key is not None]
    if by == "department":
        return department_names(keys)
    if by in ("village", "grid"):
        return area_names(keys)
    if by in ("category", "major"):
        return dict(Category.objects.filter(code__in=keys).values_list("code", "name"))
    if by == "source":
        return {key: str(label) for key, label in Source.choices}
    if by in ("reporter", "verifier"):
        users = get_user_model().objects.filter(pk__in=keys).select_related("profile")
        return {user.pk: display_name(user) for user in users}
    return {}


def table(
    query: QuerySet[Case],
    period: Period,
    by: str,
    dimensions: Dimensions,
    codes: tuple[str, ...],
    limit: int | None = None,
    scope: Q | None = None,
) -> list[dict[str, Any]]:
    """The rows of a table by ``by``; with ``limit``, only the busiest rows (by the first
    code's numerator, else its denominator), so that a district's thousands of grids or grid
    workers do not make a page of thousands of rows."""
    rows = indices.grouped(query, period, by, dimensions, codes, scope=scope, limit=limit)
    return table_of(rows, period, by, codes)


def table_of(
    rows: list[indices.Row], period: Period, by: str, codes: tuple[str, ...], limit: int | None = None
) -> list[dict[str, Any]]:
    if limit is not None and len(rows) > limit:
        first = codes[0]
        rows = sorted(rows, key=lambda r: -(r.figures[first].den or r.figures[first].num))[:limit]
    names = _names(by, [row.key for row in rows])
    return [
        {
            "key": row.key,
            "name": names.get(row.key, str(row.key)),
            "cells": cells(row.figures, codes, period, row.dimensions),
            "figures": row.figures,
        }
        for row in rows
    ]


def with_quiet_areas(
    user: User | AnonymousUser, rows: list[dict[str, Any]], level: str, dimensions: Dimensions, room: int | None = None
) -> list[dict[str, Any]]:
    """The rows of a village or grid table, with a row for each of the viewer's villages
    (grids) under the area filter where nothing happened, marked quiet (the table says "no case
    in this period" across it): a quiet village is news to a leader, a missing one a question.
    With ``room``, only when all of them fit (a district's thousands of grids stay the busiest)."""
    areas = areas_visible(user, level=level)
    if dimensions.area:
        area = latest_by_code(dimensions.area)
        if area is None:
            return rows
        areas = areas.filter(Q(path__startswith=area.path) | Q(id__in=area.ancestor_ids()))
    if room is not None and areas.count() > room:
        return rows
    present = {row["key"] for row in rows}
    quiet = [
        {"key": code, "name": name, "quiet": True}
        for code, name in areas.exclude(code__in=present).values_list("code", "name")
    ]
    return sorted([*rows, *quiet], key=lambda row: row["key"])


def ranked(rows: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    """Rows ranked by one rate (:func:`indices.standings`), with their light."""
    found = []
    for i, rank in indices.standings([row["figures"][code] for row in rows], [row["name"] for row in rows]):
        row = rows[i]
        row["rank"] = rank
        row["light"] = light_of(row["figures"][code].value)
        found.append(row)
    return found


# --- hotspots -----------------------------------------------------------------------------


def hotspots(query: QuerySet[Case], period: Period) -> dict[str, Any]:
    """Case points of the period (at most MAP_POINTS, newest first) and which of them are
    repeat locations: at least REPEAT_OTHERS other cases within REPEAT_RADIUS_M metres and
    REPEAT_DAYS days (earlier cases of the 30 days before the period count too)."""
    window = dt.timedelta(days=REPEAT_DAYS)
    located = query.filter(lat__isnull=False, lng__isnull=False)
    rows: list[tuple[int, str, float, float, dt.datetime, str]] = [
        (pk, number, float(lat or 0), float(lng or 0), at, category)
        for pk, number, lat, lng, at, category in located.filter(
            reported_at__gte=period.start_at - window, reported_at__lt=period.end_at
        )
        .order_by("-reported_at", "-id")
        .values_list("id", "number", "lat", "lng", "reported_at", "category__name")[: MAP_POINTS * 2]
    ]
    detail = reverse("cases:detail", args=[DETAIL_PLACEHOLDER])  # reversed once for the points
    cell_size = REPEAT_RADIUS_M / 111_000
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for position, row in enumerate(rows):
        buckets[(math.floor(row[2] / cell_size), math.floor(row[3] / cell_size))].append(position)
    points = []
    repeats = []
    start = period.start_at
    too_far = REPEAT_RADIUS_M / METRES_PER_DEGREE  # of latitude alone: farther than the radius
    for position, (pk, number, lat, lng, at, category) in enumerate(rows):
        if at < start:
            continue
        key = (math.floor(lat / cell_size), math.floor(lng / cell_size))
        others = 0
        for dlat in (-1, 0, 1):
            for dlng in (-2, -1, 0, 1, 2):
                for other in buckets.get((key[0] + dlat, key[1] + dlng), ()):
                    if other == position:
                        continue
                    o = rows[other]
                    if (
                        abs(o[4] - at) <= window
                        and abs(o[2] - lat) <= too_far
                        and metres(lat, lng, o[2], o[3]) <= REPEAT_RADIUS_M
                    ):
                        others += 1
        repeat = others >= REPEAT_OTHERS
        url = detail.replace(DETAIL_PLACEHOLDER, str(pk))
        points.append({"lat": lat, "lng": lng, "repeat": repeat, "number": number, "category": category, "url": url})
        if repeat:
            repeats.append({"number": number, "category": category, "url": url, "others": others})
        if len(points) >= MAP_POINTS:
            break
    return {"points": points, "repeats": repeats[:20]}


def grid_shapes(user: User | AnonymousUser) -> list[dict[str, Any]]:
    grids = areas_visible(user, level=AreaLevel.GRID).filter(boundary__isnull=False)
    return [{"name": name, "boundary": boundary} for name, boundary in grids.values_list("name", "boundary")]


# --- the page -----------------------------------------------------------------------------


def category_rows(
    query: QuerySet[Case], period: Period, dimensions: Dimensions, scope: Q | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The top categories of the period (by reports) and those rising most against the
    previous period (the links built for those rows only)."""
    previous = period.previous()
    now_rows = indices.grouped(query, period, "category", dimensions, ("reported",), scope=scope)
    earlier_rows = indices.grouped(query, previous, "category", dimensions, ("reported",), scope=scope)
    before = {row.key: row for row in earlier_rows}

    def change(row: indices.Row) -> int:
        earlier = before.get(row.key)
        return row.figures["reported"].num - (earlier.figures["reported"].num if earlier else 0)

    names = _names("category", [row.key for row in now_rows])
    by_name = {row.key: names.get(row.key, str(row.key)) for row in now_rows}
    top = sorted(now_rows, key=lambda r: (-r.figures["reported"].num, by_name[r.key]))[:10]
    rising = sorted((r for r in now_rows if change(r) > 0), key=lambda r: (-change(r), by_name[r.key]))[:5]
    shown = {row.key: row for row in [*top, *rising]}
    rows = {row["key"]: row for row in table_of(list(shown.values()), period, "category", ("reported",))}
    for key, row in rows.items():
        earlier = before.get(key)
        row["previous"] = cell(
            earlier.figures["reported"] if earlier else Figure("reported", 0),
            previous,
            earlier.dimensions if earlier else replace(dimensions, category=key),
        )
        row["change"] = row["figures"]["reported"].num - row["previous"].num
    return [rows[row.key] for row in top], [rows[row.key] for row in rising]


def trend_chart(
    query: QuerySet[Case], period: Period, step: str, dimensions: Dimensions, scope: Q | None = None
) -> dict[str, Any]:
    """The trend's points; a day, week or month that has not begun (the rest of a running
    month or year) is a gap in the line, not a count of nought."""
    series = indices.trend(query, period, step, TREND_CODES, dimensions, scope=scope)
    labels = {code: str(indices.INDICES[code].label) for code in TREND_CODES}
    fmt = "%m-%d" if step != "month" else "%Y-%m"
    today = timezone.localdate()
    return {
        "labels": labels,
        "x": [bucket.start.strftime(fmt) for bucket, _f in series],
        "series": {
            code: [
                {"value": figures[code].num, "url": figure_url(code, indices.NUM, bucket, dimensions)}
                if bucket.start <= today
                else {"value": None}
                for bucket, figures in series
            ]
            for code in TREND_CODES
        },
    }


@dataclass
class Chosen:
    """What a request of the page (or of one of its parts) asks for, scoped to the viewer."""

    form: StatsForm
    period: Period
    dimensions: Dimensions
    step: str
    query: QuerySet[Case]
    # The viewer's scope for the rollups (None: the figures are counted on the cases).
    scope: Q | None


def chosen(request: HttpRequest, *, listed: bool = True) -> Chosen:
    form = StatsForm(request.GET or None, user=request.user, listed=listed)
    period, dimensions, step = form.chosen(timezone.localdate())
    return Chosen(form, period, dimensions, step, cases_visible(request.user), rollup_scope(request.user))


def quick_periods(request: HttpRequest, shown: Period) -> list[dict[str, Any]]:
    """This and the last month, quarter and year, one click each, with the other filters kept
    (the step is the period's default again)."""
    today = timezone.localdate()
    month = Period.of_month(today)
    first = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    quarter = Period(first, Period.of_month(first + dt.timedelta(days=62)).end)
    year = Period(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))
    kept = {key: value for key, value in request.GET.dict().items() if key not in ("start", "end", "step")}
    return [
        {"label": label, "query": urlencode({**kept, **period.query()}), "current": period == shown}
        for label, period in (
            (_("This month"), month),
            (_("Last month"), month.previous()),
            (_("This quarter"), quarter),
            (_("Last quarter"), quarter.previous()),
            (_("This year"), year),
            (_("Last year"), year.previous()),
        )
    ]


# The parts of the page loaded after it (htmx), each at its own URL with the page's query: the
# trend, the long tables (a district's hundreds of villages, its grids, reporters and
# verifiers) and the map. The first response holds the key figures and the short tables
# (departments, categories, sources).
PARTS: Final = ("trend", "villages", "grids", "reporters", "verifiers", "map")


@login_required
@reads_from_replica
def statistics(request: HttpRequest) -> HttpResponse:
    if not may_see(request.user):
        return error_page(request, _("You may not open this page."), 403)
    c = chosen(request)
    form, period, dimensions, query, scope = c.form, c.period, c.dimensions, c.query, c.scope
    total = indices.figures(query, period, dimensions, KPI_CODES, scope=scope)
    previous = indices.figures(query, period.previous(), dimensions, KPI_CODES, scope=scope)
    kpis = cells(total, KPI_CODES, period, dimensions)
    for item, before in zip(kpis, cells(previous, KPI_CODES, period.previous(), dimensions), strict=True):
        item.previous = before
    departments = ranked(
        table(query, period, "department", dimensions, DEPARTMENT_CODES, scope=scope), "on_time_closure_rate"
    )
    top, rising = category_rows(query, period, dimensions, scope)
    sources = table(query, period, "source", dimensions, ("reported", "registered", "self_handled"), scope=scope)
    own_query = request.GET.urlencode()
    context: dict[str, Any] = {
        "form": form,
        "period": period,
        "dimensions": dimensions,
        "kpis": kpis,
        "departments": departments,
        "top_categories": top,
        "rising_categories": rising,
        "sources": sources,
        "self_handled": cell(total["self_handled"], period, dimensions),
        "parts": {
            part: f"{reverse('cases:stats-part', args=[part])}{'?' if own_query else ''}{own_query}" for part in PARTS
        },
        "definitions": [
            (str(item.label), str(item.definition), str(item.month_by), str(item.per or ""))
            for item in indices.INDICES.values()
        ],
        "area_headers": [str(indices.INDICES[code].label) for code in AREA_CODES],
        "department_headers": [str(indices.INDICES[code].label) for code in DEPARTMENT_CODES],
        "labels": {code: str(item.label) for code, item in indices.INDICES.items()},
        "green": GREEN,
        "yellow": YELLOW,
        "previous_query": urlencode({**request.GET.dict(), **period.previous().query()}),
        "quick_periods": quick_periods(request, period),
    }
    return render(request, "cases/stats.html", context)


@login_required
@reads_from_replica
def statistics_part(request: HttpRequest, part: str) -> HttpResponse:
    """One part of the page loaded after it, for the same query and viewer: the grid table, the
    reporters, the verifiers or the map (its points, grids and repeat locations)."""
    if not may_see(request.user):
        return error_page(request, _("You may not open this page."), 403)
    if part not in PARTS:
        raise Http404(part)
    c = chosen(request, listed=False)
    period, dimensions, query = c.period, c.dimensions, c.query
    context: dict[str, Any] = {"period": period, "labels": {code: str(i.label) for code, i in indices.INDICES.items()}}
    if part == "trend":
        context["chart"] = {"trend": trend_chart(query, period, c.step, dimensions, c.scope)}
    elif part == "villages":
        villages = table(query, period, "village", dimensions, AREA_CODES, scope=c.scope)
        context["villages"] = with_quiet_areas(request.user, villages, AreaLevel.VILLAGE, dimensions)
        context["area_headers"] = [str(indices.INDICES[code].label) for code in AREA_CODES]
    elif part == "grids":
        grid_rows = indices.grouped(query, period, "grid", dimensions, AREA_CODES, scope=c.scope, limit=TABLE_ROWS)
        grids = table_of(grid_rows, period, "grid", AREA_CODES)
        if grid_rows.total <= TABLE_ROWS:
            grids = with_quiet_areas(request.user, grids, AreaLevel.GRID, dimensions, room=TABLE_ROWS)
        context.update(
            grids=sorted(grids, key=lambda r: r["key"]),
            grids_total=grid_rows.total,
            table_rows=TABLE_ROWS,
            area_headers=[str(indices.INDICES[code].label) for code in AREA_CODES],
        )
    elif part == "reporters":
        codes = ("reported", "valid_report_rate")
        reporters = table(query, period, "reporter", dimensions, codes, limit=TOP_PEOPLE, scope=c.scope)
        context["reporters"] = sorted(reporters, key=lambda r: -r["figures"]["reported"].num)[:TOP_PEOPLE]
    elif part == "verifiers":
        context["verifiers"] = table(
            query, period, "verifier", dimensions, ("on_time_verification_rate",), limit=TABLE_ROWS, scope=c.scope
        )
    else:
        hot = hotspots(query.filter(dimensions.q()), period)
        context["repeats"] = hot["repeats"]
        context["map"] = {
            **hot,
            "grids": grid_shapes(request.user),
            "tileUrl": settings.MAP_TILE_URL,
            "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
            "text": {"repeat": _("Repeat location"), "case": _("Case")},
        }
    return render(request, f"cases/_stats_{part}.html", context)


# --- the cockpit --------------------------------------------------------------------------

COCKPIT_RATES: Final = (
    "closure_rate",
    "on_time_closure_rate",
    "handling_rate",
    "on_time_handling_rate",
    "rework_rate",
    "accurate_dispatch_rate",
)


@dataclass(frozen=True)
class CockpitTile:
    """A figure another app adds to the cockpit (the hotline's orders waiting for
    instruction): a label, a count and the list that makes it up. A ``waiting`` tile counts
    what waits for a leader's decision and goes in the box "Waiting for leaders"; the others
    go in the box "Other work"."""

    label: str
    count: int
    url: str
    waiting: bool = False
    # A line under the label (what the tile leaves out), linked to ``note_url`` when given.
    note: str = ""
    note_url: str = ""


CockpitSource = Callable[["User | AnonymousUser"], list[CockpitTile]]
COCKPIT_TILES: list[CockpitSource] = []


def add_cockpit_tiles(source: CockpitSource) -> None:
    """Register a function that gives tiles for the cockpit (registering twice changes nothing)."""
    if source not in COCKPIT_TILES:
        COCKPIT_TILES.append(source)


def workbench_url(**params: str) -> str:
    return f"{reverse('cases:workbench')}?{urlencode(params)}"


# Today's intake on the cockpit; "closed in the period" reads "closed" under the box "Today".
TODAY_CODES: Final = ("reported", "self_handled", "registered", "closed_in")
TODAY_LABELS: Final = {"closed_in": pgettext_lazy("cockpit today", "Closed")}


def cockpit_context(user: User | AnonymousUser) -> dict[str, Any]:
    now = timezone.now()
    today = timezone.localdate(now)
    query = cases_visible(user)
    dimensions = Dimensions()
    day = Period(today, today)
    intake = indices.figures(query, day, dimensions, TODAY_CODES)
    open_cases = query.filter(status__in=OPEN_STATUSES).annotate(light=light_expression(now))
    by_light = dict(open_cases.values_list("light").annotate(n=Count("pk")).values_list("light", "n"))
    lights = [
        {"code": code, "label": label, "count": by_light.get(code, 0), "url": workbench_url(light=code)}
        for code, label in Light.choices
        if code != Light.NONE
    ]
    overdue = (
        open_cases.filter(light=Light.RED, lead_department__isnull=False)
        .values_list("lead_department__code", "lead_department__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "lead_department__name")
    )
    overdue_rows = [
        {"name": name, "count": n, "url": workbench_url(queue="overdue", lead=code)} for code, name, n in overdue
    ]
    # Overdue before any department has them (at the center or a village): where they wait.
    undispatched = (
        open_cases.filter(light=Light.RED, lead_department__isnull=True)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by("status")
    )
    overdue_rows += [
        {
            "name": _("No lead department (%(status)s)") % {"status": Status(status).label},
            "count": n,
            "url": workbench_url(queue="overdue", status=status),
        }
        for status, n in undispatched
    ]
    supervised = query.filter(Q(supervision_pending=True), status__in=OPEN_STATUSES).count()
    month = Period.of_month(today)
    tiles = [tile for source in COCKPIT_TILES for tile in source(user)]
    scope = rollup_scope(user)
    this_month = indices.figures(query, month, dimensions, COCKPIT_RATES, scope=scope)
    last_month = indices.figures(query, month.previous(), dimensions, COCKPIT_RATES, scope=scope)
    rates = []
    for code in COCKPIT_RATES:
        current = cell(this_month[code], month, dimensions)
        before = cell(last_month[code], month.previous(), dimensions)
        change = None
        if current.value is not None and before.value is not None:
            change = round(current.value - before.value, 1)
        lower_better = code == "rework_rate"
        rates.append(
            {
                "current": current,
                "previous": before,
                "change": change,
                "points": None if change is None else abs(change),
                "lower_better": lower_better,
            }
        )
    today_cells = cells(intake, TODAY_CODES, day, dimensions)
    for item in today_cells:
        item.label = str(TODAY_LABELS.get(item.code, item.label))
    return {
        "now": now,
        "intake": today_cells,
        "lights": lights,
        "overdue": overdue_rows,
        "supervised": supervised,
        "supervised_url": workbench_url(queue="supervision"),
        "rates": rates,
        "month": month,
        # The running month is compared with the whole month before: said on the box.
        "month_to_date": today if today < month.end else None,
        "extra": [tile for tile in tiles if tile.waiting],
        "other": [tile for tile in tiles if not tile.waiting],
    }


@login_required
@reads_from_replica
def cockpit(request: HttpRequest) -> HttpResponse:
    if not may_see(request.user):
        return error_page(request, _("You may not open this page."), 403)
    context = cockpit_context(request.user)
    if request.headers.get("HX-Request"):
        return render(request, "cases/_cockpit_body.html", context)
    return render(request, "cases/cockpit.html", context)


urlpatterns: list[URLPattern] = [
    path("cases/stats/", statistics, name="stats"),
    path("cases/stats/part/<str:part>/", statistics_part, name="stats-part"),
    path("cases/cockpit/", cockpit, name="cockpit"),
]
