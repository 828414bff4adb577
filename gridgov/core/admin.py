"""Read-only admin for the audit log and heartbeats: nobody edits or deletes them here.

:class:`ReadOnlyAdmin` and :class:`ReadOnlyInline` serve every app whose rows only services
write (cases, hotline orders, patrols, the outboxes): administrators look, nothing more.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent, Heartbeat


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # any model
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]  # any model
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "object_type", "object_id", "success", "ip_address"]
    list_filter = ["success", "action"]
    search_fields = ["action", "object_id", "actor__username"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["component", "seen_at", "sent_at"]
