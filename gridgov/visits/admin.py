"""Visits in the admin: visits read only; the visit plans edited through their service (an
audit row each). Households and units are not in the admin: their personal data is seen
only masked on the pages, with an audited reveal."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gridgov.core.admin import ReadOnlyAdmin

from . import services
from .models import UnitVisitPlan, Visit, VisitPlan


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("visited_at", "worker", "grid", "finding")
    list_filter = ("finding",)
    search_fields = ("worker__username", "grid__code", "client_id")
    fields = ("worker", "grid", "household", "unit", "client_id", "visited_at", "finding", "case", "created_at")
    readonly_fields = fields


@admin.register(VisitPlan)
class VisitPlanAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("care_tag", "interval_days", "active")
    fields = ("care_tag", "interval_days", "active")

    def save_model(self, request: HttpRequest, obj: VisitPlan, form: Any, change: bool) -> None:
        saved = services.plan_set(
            actor=request.user,
            care_tag=obj.care_tag,
            interval_days=obj.interval_days,
            active=obj.active,
            request=request,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UnitVisitPlan)
class UnitVisitPlanAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("tag", "interval_days", "active")
    fields = ("tag", "interval_days", "active")

    def save_model(self, request: HttpRequest, obj: UnitVisitPlan, form: Any, change: bool) -> None:
        saved = services.unit_plan_set(
            actor=request.user, tag=obj.tag, interval_days=obj.interval_days, active=obj.active, request=request
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
