"""The product's URLs plus ``/bench/bare-insert/``: a bare Django view that inserts one row.

The bare view is the yardstick of ``bench/intake.py``: the same server, middleware and
database, but no authentication, validation, grid lookup, deadlines, history or outbox. It
appends one :class:`gridgov.core.models.AuditEvent` (a small append-only, hash-chained table)
per request through ``gridgov.core.audit.record`` (one read of the chain's head, one insert): a
bare ``create()`` leaves the row without its hash, which the database refuses.
Loaded only through ``bench.bench_settings``; never part of ``config.urls``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as product_urlpatterns
from gridgov.core.audit import record


@csrf_exempt
def bare_insert(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    event = record(action="bench.bare_insert", data={"bytes": len(request.body)})
    return JsonResponse({"id": event.pk}, status=201)


urlpatterns = [path("bench/bare-insert/", bare_insert, name="bench-bare-insert"), *product_urlpatterns]
