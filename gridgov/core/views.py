"""Health check for load balancers and monitoring, and the administrators' status page."""

from __future__ import annotations

import platform
from typing import Any

import celery
import django
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.categories.models import Category
from gridgov.people.models import Department, Role
from gridgov.workcalendar.calendar import next_year_missing

from . import health
from .models import AuditEvent


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers (status ``ok`` or ``degraded`` when beat or the
    worker is silent); 503 when the database fails. ``?strict=1`` answers 503 on
    ``degraded`` too, for monitors that should page when background work stops."""
    result = health.check()
    failing = result.status == "fail" or (result.status == "degraded" and request.GET.get("strict") == "1")
    return JsonResponse(result.as_dict(), status=503 if failing else 200)


def masked_url(url: str) -> str:
    """A broker or database URL without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else f"{scheme}://{user}@{host}"


def _sqlite_journal_mode() -> str | None:
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        row = cursor.fetchone()
    return str(row[0]) if row else None


@never_cache
def admin_status(request: HttpRequest) -> HttpResponse:
    """System status for administrators (wrapped by ``admin.site.admin_view``)."""
    if not scope_for(request.user).has_role(Role.ADMIN):
        raise Http404
    result = health.check()
    levels = dict(Area.objects.current().values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": _("System status"),
        "health": result,
        "stale_after": health.stale_after_seconds(),
        "heartbeat_seconds": settings.HEARTBEAT_SECONDS,
        "broker_url": masked_url(settings.CELERY_BROKER_URL),
        "eager": settings.CELERY_TASK_ALWAYS_EAGER,
        "journal_mode": _sqlite_journal_mode(),
        "versions": {
            "Python": platform.python_version(),
            "Django": django.get_version(),
            "Celery": celery.__version__,
        },
        "counts": [
            (_("Villages"), levels.get("village", 0)),
            (_("Grids"), levels.get("grid", 0)),
            (_("Users"), get_user_model().objects.filter(is_active=True).count()),
            (_("Departments"), Department.objects.filter(is_active=True).count()),
            (_("Categories"), Category.objects.minors().active().count()),
        ],
        "missing_year": next_year_missing(),
        "recent_events": AuditEvent.objects.select_related("actor")[:20],
    }
    return render(request, "core/status.html", context)
