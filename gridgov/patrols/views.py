"""Patrol pages for the center and grid leaders: a filtered list and one patrol with its route
on a map and the cases reported on the way."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from gridgov.core.errors import Invalid
from gridgov.core.forms import FilterDateField

from . import selectors
from .models import Patrol

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
