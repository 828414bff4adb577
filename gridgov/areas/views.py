"""Pages of the areas app: the place-name search of the center's forms (JSON)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from .selectors import places_search


@require_GET
@login_required
def places(request: HttpRequest) -> JsonResponse:
    """``{"places": [{name, kind, lat, lng, code}]}`` for ``?q=`` (a part of the name or the
    pinyin initials), within the areas the user sees."""
    return JsonResponse({"places": places_search(request.user, request.GET.get("q") or "")})
