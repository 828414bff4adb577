"""Counts every request for /metrics: by view, method and status, with its latency."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import metrics

# A request no URL pattern matched: one label for all of them, never the path (which a
# scanner chooses, and which would make a new series per path).
UNRESOLVED = "<unresolved>"


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else UNRESOLVED
        method = request.method if request.method in _METHODS else "other"
        metrics.observe(view, method, response.status_code, time.perf_counter() - started)
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
