"""Read-only admin of the outbox; failed deliveries can be retried (through the service)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from gridgov.core.admin import ReadOnlyAdmin, ReadOnlyInline

from . import services
from .models import Delivery, Notification


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = readonly_fields = ("channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["kind", "note", "recipient__username", "object_id"]
    list_select_related = ["recipient__profile"]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]

    @admin.display(description=pgettext_lazy("notification", "title"))
    def title(self, notification: Notification) -> str:
        """As the recipient reads it."""
        return notification.title


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "channel", "status", "attempts", "next_attempt_at", "sent_at", "notification", "last_error"]
    list_filter = ["status", "channel"]
    search_fields = ["notification__kind", "notification__recipient__username"]
    list_select_related = ["notification__recipient__profile"]
    raw_id_fields = ["notification"]
    actions = ["retry_now"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notify.change_delivery")

    @admin.action(description=_("Retry failed deliveries now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = services.delivery_retry(actor=request.user, deliveries=queryset)
        self.message_user(
            request,
            ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
