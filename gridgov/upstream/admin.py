"""Read-only admin of the upstream outbox (retries go through the delivery page or the API)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import FileBatch, UpstreamMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UpstreamMessage)
class UpstreamMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "source_system", "upstream_number", "kind", "adapter", "state", "attempts"]
    list_filter = ["state", "kind", "source_system", "adapter"]
    search_fields = ["upstream_number"]
    raw_id_fields = ["order", "batch", "created_by"]
    date_hierarchy = "created_at"


@admin.register(FileBatch)
class FileBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "source_system", "town", "created_at", "sent_at", "sent_by"]
    list_filter = ["source_system", ("sent_at", admin.EmptyFieldListFilter)]
