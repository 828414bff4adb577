"""The administrators' system status page (wrapped by ``admin.site.admin_view``)."""

from __future__ import annotations

import platform
from typing import Any

import celery
import django
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.categories.models import Category
from gridgov.core import health
from gridgov.core.models import AuditEvent
from gridgov.people.models import Role
from gridgov.people.permissions import can_read_audit
from gridgov.people.selectors import active_departments
from gridgov.workcalendar.calendar import next_year_missing


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
        "broker_url": health.masked_url(settings.CELERY_BROKER_URL),
        "eager": settings.CELERY_TASK_ALWAYS_EAGER,
        "journal_mode": health.sqlite_journal_mode(),
        "versions": {
            "Python": platform.python_version(),
            "Django": django.get_version(),
            "Celery": celery.__version__,
        },
        "counts": [
            (_("Villages"), levels.get("village", 0)),
            (_("Grids"), levels.get("grid", 0)),
            (_("Users"), get_user_model().objects.filter(is_active=True).count()),
            (_("Departments"), active_departments().count()),
            (_("Categories"), Category.objects.minors().active().count()),
        ],
        "missing_year": next_year_missing(),
        # Only the audit administrator reads the audit log (docs/permissions.md).
        "show_audit": can_read_audit(request.user),
        "recent_events": AuditEvent.objects.select_related("actor")[:20] if can_read_audit(request.user) else [],
    }
    return render(request, "web/status.html", context)
