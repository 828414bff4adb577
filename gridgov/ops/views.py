"""The Prometheus scrape endpoint, for the monitoring system only."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from gridgov.core.audit import client_ip

from . import metrics


def scrape_allowed(request: HttpRequest) -> bool | None:
    """``None`` when the endpoint is off (neither a token nor addresses configured); else
    whether this request passes every configured check: the bearer token
    (``GRIDGOV_METRICS_TOKEN``) and the client's address (``GRIDGOV_METRICS_ALLOWED_IPS``,
    read as the audit log reads it, trusting ``GRIDGOV_TRUSTED_PROXY_COUNT`` proxies)."""
    token = settings.GRIDGOV_METRICS_TOKEN
    networks = settings.GRIDGOV_METRICS_ALLOWED_IPS
    if not token and not networks:
        return None
    if token:
        sent = request.headers.get("Authorization", "")
        scheme, _, value = sent.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            return False
    if networks:
        address = client_ip(request)
        if address is None:
            return False
        ip = ipaddress.ip_address(address)
        if not any(ip in network for network in _networks(networks)):
            return False
    return True


def _networks(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The configured networks; one that is not an address is skipped (the deployment check
    ops.E002 names it)."""
    found = []
    for value in values:
        try:
            found.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            continue
    return found


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    allowed = scrape_allowed(request)
    if allowed is None:
        raise Http404
    if not allowed:
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
