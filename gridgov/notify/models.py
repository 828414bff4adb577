"""The outbox: one in-app :class:`Notification` per recipient, one :class:`Delivery` per
external channel (SMS, webhook) that carries it. The in-app row needs no delivery row."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.people.selectors import language_of

from .rendering import Rendered, render


class Notification(models.Model):
    """One notice to one person. What it says is rendered from ``kind``, ``params`` and
    ``note`` when it is shown or sent, in the reader's language (``gridgov.notify.rendering``)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40)
    # Codes, ids and numbers the kind's renderer reads; never a translated label or personal data.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # Free text as a person typed it (a comment), or data shown as is (a masked phone).
    note = models.TextField(_("note"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # The object it is about, as in the audit log: ``app_label.model`` and the primary key.
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-id"], name="notify_recipient_unread")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def rendered(self, language: str | None = None) -> Rendered:
        """Title and body in ``language``; by default in the recipient's (their profile's
        language, else the installation's)."""
        return render(self.kind, self.params or {}, self.note, language=language or language_of(self.recipient))

    @cached_property
    def shown(self) -> Rendered:
        """What the recipient reads: the notification rendered in their language."""
        return self.rendered()

    @property
    def title(self) -> str:
        return self.shown.title

    @property
    def body(self) -> str:
        return self.shown.body


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Delivery(models.Model):
    """One notification on one external channel; retried with backoff while pending."""

    notification = models.ForeignKey(
        Notification, verbose_name=_("notification"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When a pending row is due (next try, or the end of a running attempt's lease); null once final.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_delivery_due")]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="notify_delivery_one_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.notification_id}"
