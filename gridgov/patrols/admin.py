"""Patrols in the admin: read only (patrols come from the phone through the service)."""

from __future__ import annotations

from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Patrol, PatrolFinding


class PatrolFindingInline(ReadOnlyInline):
    model = PatrolFinding
    fields = ("client_id", "case")
    readonly_fields = fields


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "worker", "grid", "status", "distance_m", "point_count")
    list_filter = ("status",)
    search_fields = ("worker__username", "grid__code", "client_id")
    exclude = ("track",)
    readonly_fields = (
        "worker",
        "grid",
        "client_id",
        "status",
        "started_at",
        "ended_at",
        "consent",
        "consent_at",
        "distance_m",
        "point_count",
        "created_at",
    )
    inlines = [PatrolFindingInline]
