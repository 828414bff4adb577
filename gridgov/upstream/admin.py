"""Read-only admin of the upstream outbox (retries go through the delivery page or the API)."""

from __future__ import annotations

from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdmin

from .models import FileBatch, UpstreamMessage


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
