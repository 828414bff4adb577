"""Pages of the web shell: login and logout, the language switch, the home page and the map."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_GET

from gridgov.access.scope import scope_for
from gridgov.areas.models import AreaLevel
from gridgov.people.services import profile_language_set

from .nav import QUICK_LINKS, entries_for
from .panels import panels_for
from .selectors import home_summary, missing_calendar_year, provisional_calendar_year
from .views_auth import LoginView

__all__ = ["LoginView", "LogoutView", "area_map", "home", "language_switch"]


class LogoutView(auth_views.LogoutView):
    """Logout by POST only (Django refuses GET), back to the login page."""


def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's language switch (the cookie, back to ``next``); a signed-in person's choice is
    also kept on their profile, so what is sent to them (notifications) is in it too."""
    response = i18n.set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        profile_language_set(user=request.user, language=request.POST.get("language", ""))
    return response


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    summary = home_summary(request.user)
    context: dict[str, Any] = {
        "summary": summary,
        "quick_links": entries_for(request.user, QUICK_LINKS, request.path),
        "missing_year": missing_calendar_year(request.user),
        "provisional_year": provisional_calendar_year(request.user),
        "chart_data": {
            "names": [bar.name for bar in summary.chart],
            "values": [bar.households for bar in summary.chart],
        },
        "chart_by_grid": summary.chart_level == AreaLevel.GRID,
        # One bar says nothing the figures above do not.
        "show_chart": len(summary.chart) > 1,
        "panels": panels_for(request.user),
    }
    return render(request, "web/home.html", context)


@require_GET
@login_required
def area_map(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    config = {
        "areasUrl": reverse("api:list_areas"),
        "locateUrl": reverse("api:locate_point"),
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "imagePath": settings.STATIC_URL + "vendor/leaflet/images/",
        "text": {
            "legend": _("Legend"),
            "village": _("Village"),
            "grid": _("Grid"),
            "selected": _("Selected grid"),
            "code": _("Code"),
            "households": _("Households"),
            "noGrid": _("No grid at this point."),
            "loadFailed": _("The areas could not be loaded. Please reload the page."),
            "noAreas": _("No areas with a boundary in your scope."),
            "locating": _("Looking up the grid…"),
        },
    }
    return render(request, "web/map.html", {"map_config": config, "scope_empty": scope.is_empty})
