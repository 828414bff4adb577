"""Read-only admin for hotline orders: administrators look, the services write. The
petitioner appears only masked here; the clear (decrypted) values are never shown."""

from __future__ import annotations

from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import HotlineOrder, IdentityGrant, OrderEvent, OrderStage


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = readonly_fields = ("at", "action", "origin", "actor", "from_status", "to_status", "comment")


class OrderStageInline(ReadOnlyInline):
    model = OrderStage
    fields = readonly_fields = ("step", "started_at", "warn_at", "deadline", "ended_at", "on_time", "extended")


class IdentityGrantInline(ReadOnlyInline):
    model = IdentityGrant
    fields = readonly_fields = ("department", "granted_by", "granted_at", "reason")


# Everything an administrator may look at: the masked petitioner, never the clear columns.
SHOWN_FIELDS = (
    "source_system",
    "upstream_number",
    "channel",
    "town",
    "grid",
    "order_type",
    "urgency_class",
    "complex",
    "title",
    "content",
    "upstream_category",
    "address",
    "received_at",
    "arrived_at",
    "upstream_ack_deadline",
    "upstream_deadline",
    "anonymous",
    "petitioner_name_masked",
    "petitioner_phone_masked",
    "petitioner_address_masked",
    "status",
    "lead_department",
    "instruction",
    "draft_text",
    "reply_text",
    "return_reason",
    "return_basis",
    "case",
    "satisfaction",
    "solved",
    "step",
    "step_deadline",
    "reply_deadline",
    "acknowledged_at",
    "replied_at",
    "closed_at",
    "returned_at",
    "ack_on_time",
    "reply_on_time",
    "version",
)


@admin.register(HotlineOrder)
class HotlineOrderAdmin(ReadOnlyAdmin):
    list_display = [
        "upstream_number",
        "source_system",
        "order_type",
        "urgency_class",
        "status",
        "petitioner_phone_masked",
        "lead_department",
        "arrived_at",
        "step_deadline",
    ]
    list_filter = ["status", "source_system", "order_type", "urgency_class", "channel"]
    search_fields = ["upstream_number", "title"]
    list_select_related = ["lead_department"]
    date_hierarchy = "arrived_at"
    fields = readonly_fields = SHOWN_FIELDS
    inlines = [OrderStageInline, OrderEventInline, IdentityGrantInline]
    show_full_result_count = False
