"""Health check for load balancers and monitoring."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health
from .health import masked_url

__all__ = ["healthz", "masked_url"]


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers (status ``ok`` or ``degraded`` when beat or the
    worker is silent); 503 when the database fails. ``?strict=1`` answers 503 on
    ``degraded`` too, for monitors that should page when background work stops."""
    result = health.check()
    failing = result.status == "fail" or (result.status == "degraded" and request.GET.get("strict") == "1")
    if not (request.user.is_authenticated and request.user.is_staff):
        # Without login only the verdict: what runs and how is not for anyone who asks.
        return JsonResponse({"status": "fail" if failing else "ok"}, status=503 if failing else 200)
    return JsonResponse(result.as_dict(), status=503 if failing else 200)
