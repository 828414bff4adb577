"""Patrol pages for the center and grid leaders: a filtered list and one patrol with its route
on a map and the cases reported on the way."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.areas.selectors import visible_grid
from gridgov.core.errors import Invalid
from gridgov.core.forms import FilterDateField, apply_error, month_param
from gridgov.core.pages import forbidden_page

from . import roads, selectors, services
from .coverage import Checkpoint
from .models import Patrol, PatrolStandard

if TYPE_CHECKING:
    from gridgov.areas.models import Area

PAGE: int = 30


class PatrolFilterForm(forms.Form):
    grid = forms.CharField(label=gettext_lazy("Area code"), required=False, max_length=30)
    worker = forms.CharField(label=gettext_lazy("Username"), required=False, max_length=150)
    date_from = FilterDateField(label=gettext_lazy("From"))
    date_to = FilterDateField(label=gettext_lazy("To"))


@require_GET
@login_required
def patrol_list(request: HttpRequest) -> HttpResponse:
    form = PatrolFilterForm(request.GET or None)
    filters = selectors.PatrolFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.PatrolFilters(
            grid=data["grid"], worker=data["worker"], date_from=data["date_from"], date_to=data["date_to"]
        )
    query = selectors.apply_filters(request.user, selectors.patrols_visible(request.user), filters)
    cursor = request.GET.get("cursor") or None
    try:
        result = selectors.page(query, cursor=cursor, limit=PAGE)
    except Invalid:
        cursor = None
        result = selectors.page(query, limit=PAGE)
    params = request.GET.copy()
    params.pop("cursor", None)
    return render(
        request,
        "patrols/list.html",
        {
            "form": form,
            "patrols": result.items,
            "next_cursor": result.next_cursor,
            "first": cursor is None,
            "query": params.urlencode(),
        },
    )


def _map_config(patrol: Patrol) -> dict[str, Any]:
    return {
        "areaUrl": reverse("api:area_detail", args=[patrol.grid.code]),
        "track": [[lat, lng] for _offset, lat, lng, _accuracy in patrol.track],
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "labels": {"start": _("Start"), "end": _("End")},
    }


@require_GET
@login_required
def patrol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        patrol = selectors.patrol_get(request.user, pk)
    except Patrol.DoesNotExist:
        raise Http404(_("No such patrol.")) from None
    return render(
        request,
        "patrols/detail.html",
        {
            "patrol": patrol,
            "findings": selectors.findings_of(request.user, patrol),
            "map_config": _map_config(patrol),
            "may_oversee": selectors.may_oversee(request.user),
        },
    )


# --- judging patrols: the day view, the month view of a grid, the standard ---------------------

MAX_DAYS: int = 31


class DaysForm(forms.Form):
    grid = forms.CharField(label=gettext_lazy("Area code"), required=False, max_length=30)
    date_from = FilterDateField(label=gettext_lazy("From"))
    date_to = FilterDateField(label=gettext_lazy("To"))


@require_GET
@login_required
def patrol_days(request: HttpRequest) -> HttpResponse:
    """Each grid worker the viewer may see × each working day: patrolled or not, how much."""
    today = timezone.localdate()
    form = DaysForm(request.GET or None)
    date_to, date_from, grid = today, today - dt.timedelta(days=13), ""
    if form.is_bound and form.is_valid():
        date_to = form.cleaned_data["date_to"] or date_to
        date_from = form.cleaned_data["date_from"] or date_to - dt.timedelta(days=13)
        grid = form.cleaned_data["grid"]
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    date_from = max(date_from, date_to - dt.timedelta(days=MAX_DAYS - 1))
    rows = selectors.worker_days(request.user, date_from, date_to, grid_code=grid)
    days = sorted({row.day for row in rows})
    workers: dict[tuple[int, int], dict[str, Any]] = {}
    for row in rows:
        entry = workers.setdefault(
            (row.worker.pk, row.grid.pk if row.grid else 0), {"worker": row.worker, "grid": row.grid, "days": []}
        )
        entry["days"].append(row)
    for entry in workers.values():
        entry["missing"] = sum(1 for row in entry["days"] if row.missed)
    return render(
        request,
        "patrols/days.html",
        {
            "form": form,
            "days": days,
            "rest_days": {row.day for row in rows if not row.workday},
            "workers": list(workers.values()),
            "date_from": date_from,
            "date_to": date_to,
            "may_load_roads": roads.may_load(request.user),
        },
    )


def _month_of(value: str | None) -> dt.date:
    return month_param(value, timezone.localdate())


def _visible_grid(request: HttpRequest, code: str) -> Area:
    grid = visible_grid(request.user, code)
    if grid is None:
        raise Http404(_("No such grid."))
    return grid


@require_GET
@login_required
def grid_month(request: HttpRequest, code: str) -> HttpResponse:
    """A grid's month: a calendar of daily coverage, the month's coverage (the union of its
    routes) and the routes as a heat layer over the grid."""
    grid = _visible_grid(request, code)
    month = _month_of(request.GET.get("month"))
    view = selectors.grid_month(request.user, grid, month)
    first_weekday = view.days[0]["day"].weekday() if view.days else 0
    weeks: list[list[dict[str, Any] | None]] = []
    cells: list[dict[str, Any] | None] = [None] * first_weekday + list(view.days)
    cells += [None] * (-len(cells) % 7)
    weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
    previous = (month.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    following = (month.replace(day=28) + dt.timedelta(days=4)).strftime("%Y-%m")
    return render(
        request,
        "patrols/grid_month.html",
        {
            "grid": grid,
            "view": view,
            "weeks": weeks,
            "previous": previous,
            "following": following,
            "standard": selectors.standard_of(grid),
            "may_set_standard": services.may_set_standard(request.user, grid),
            "map_config": {
                "areaUrl": reverse("api:area_detail", args=[grid.code]),
                "tracks": [[[round(lat, 5), round(lng, 5)] for lat, lng in track] for track in view.tracks],
                "roads": view.roads,
                "tileUrl": settings.MAP_TILE_URL,
                "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
            },
        },
    )


class StandardForm(forms.Form):
    min_minutes_per_day = forms.IntegerField(
        label=gettext_lazy("Minimum minutes of patrol per working day"), min_value=0, max_value=600
    )
    checkpoints = forms.CharField(
        label=gettext_lazy("Checkpoints"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "One per line: name, latitude, longitude, radius in metres, visits per week (0 for none)."
        ),
    )

    def clean_checkpoints(self) -> list[Checkpoint]:
        items = []
        for number, line in enumerate(self.cleaned_data["checkpoints"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.replace("，", ",").split(",")]
            try:
                name, lat, lng = parts[0], float(parts[1]), float(parts[2])
                radius = float(parts[3]) if len(parts) > 3 and parts[3] else 30.0
                visits = int(parts[4]) if len(parts) > 4 and parts[4] else 0
            except (IndexError, ValueError):
                raise forms.ValidationError(
                    _("Line %(n)s: write name, latitude, longitude, radius, visits per week.") % {"n": number}
                ) from None
            items.append(Checkpoint(name=name, lat=lat, lng=lng, radius_m=radius, visits_per_week=visits))
        return items


def _checkpoint_lines(standard: PatrolStandard | None) -> str:
    if standard is None:
        return ""
    return "\n".join(
        f"{c['name']}, {c['lat']}, {c['lng']}, {c['radius_m']:g}, {c['visits_per_week']}" for c in standard.checkpoints
    )


@login_required
def standard_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Set a grid's patrol standard (the center, or the grid leader of its village)."""
    grid = _visible_grid(request, code)
    if not services.may_set_standard(request.user, grid):
        raise PermissionDenied(_("You may not set the patrol standard of this grid."))
    standard = selectors.standard_of(grid)
    if request.method == "POST":
        form = StandardForm(request.POST)
        if form.is_valid():
            try:
                services.standard_set(
                    actor=request.user,
                    grid=grid,
                    min_minutes_per_day=form.cleaned_data["min_minutes_per_day"],
                    checkpoints=form.cleaned_data["checkpoints"],
                    request=request,
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("The patrol standard was saved."))
                return redirect("patrols:grid_month", code=grid.code)
    else:
        form = StandardForm(
            initial={
                "min_minutes_per_day": standard.min_minutes_per_day if standard else 60,
                "checkpoints": _checkpoint_lines(standard),
            }
        )
    return render(request, "patrols/standard.html", {"grid": grid, "form": form, "standard": standard})


class RoadImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Road lines (GeoJSON)"),
        help_text=gettext_lazy(
            "A FeatureCollection of LineString or MultiLineString features with the properties "
            "“grid” (the grid's code) and “name” (the road's name)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json,application/json"}),
    )


@require_http_methods(["GET", "POST"])
@login_required
def road_import(request: HttpRequest) -> HttpResponse:
    """The center loads the grids' road lines from GeoJSON; the row report is shown."""
    if not roads.may_load(request.user):
        return forbidden_page(request, _("Only the center loads road lines."))
    form = RoadImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > roads.MAX_BYTES:
                raise Invalid(
                    _("The file is larger than 5 MB."), details={"file": [_("The file is larger than 5 MB.")]}
                )
            rows = roads.roads_import(actor=request.user, content=upload.read(), name=upload.name or "")
        except Invalid as error:
            apply_error(form, error)
        else:
            report = [(row, roads.outcome_label(row.outcome)) for row in rows]
    grids = selectors.road_grids(request.user)
    return render(
        request,
        "patrols/roads.html",
        {"form": form, "report": report, "grids": grids},
        status=422 if form.errors else 200,
    )
