"""Patrols in the admin: read only (patrols come from the phone through the service)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Patrol, PatrolFinding


class PatrolFindingInline(admin.TabularInline):
    model = PatrolFinding
    fields = ("client_id", "case")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Patrol)
class PatrolAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
