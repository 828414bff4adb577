"""Read-only admin for cases: administrators look, the services write (every change of a case
goes through the transition table, never through a form here)."""

from __future__ import annotations

from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Case, CaseEvent, CaseStage


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = readonly_fields = ("at", "action", "actor", "from_status", "to_status", "comment")


class CaseStageInline(ReadOnlyInline):
    model = CaseStage
    fields = readonly_fields = ("stage", "started_at", "warn_at", "deadline", "ended_at", "on_time", "extended")


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["number", "category", "status", "grid", "lead_department", "reported_at", "stage_deadline"]
    list_filter = ["status", "source", "urgency", "self_handled"]
    search_fields = ["number", "description", "address"]
    list_select_related = ["category", "grid", "lead_department"]
    date_hierarchy = "reported_at"
    exclude = ["party_name", "party_phone"]
    inlines = [CaseStageInline, CaseEventInline]
    show_full_result_count = False
