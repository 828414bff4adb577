"""Read-only admin for cases: administrators look, the services write (every change of a case
goes through the transition table, never through a form here)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Case, CaseEvent, CaseStage


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = readonly_fields = ("at", "action", "actor", "from_status", "to_status", "comment")


class CaseStageInline(ReadOnlyInline):
    model = CaseStage
    fields = readonly_fields = ("stage", "started_at", "warn_at", "deadline", "ended_at", "on_time", "extended")


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["number", "category", "status", "grid", "lead_department", "reported_at", "stage_deadline"]
    list_filter = ["status", "source", "urgency", "self_handled"]
    search_fields = ["number", "description", "address"]
    list_select_related = ["category", "grid", "lead_department"]
    date_hierarchy = "reported_at"
    exclude = ["party_name", "party_phone"]
    inlines = [CaseStageInline, CaseEventInline]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
