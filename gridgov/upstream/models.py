"""The outbox of what the town sends up to the city or district hotline.

One :class:`UpstreamMessage` per thing upstream must hear about an order (acknowledgement,
reply, return, extension request). It is written in the same transaction as the order's
change and delivered afterwards by an adapter (``gridgov.upstream.adapters``): a signed
webhook, retried with backoff until it is accepted, or a :class:`FileBatch` workbook that the
center hands over and then marks sent. See ``docs/hotline.md``, "Upstream".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledgement")
    REPLY = "reply", _("Reply")
    RETURN = "return", _("Return")
    EXTENSION_REQUEST = "extension_request", _("Extension request")


class MessageState(models.TextChoices):
    PENDING = "pending", _("Pending")
    # An attempt is running (its lease ends at next_attempt_at).
    SENDING = "sending", _("Sending")
    # Written into a file batch that has not been handed over yet.
    BATCHED = "batched", _("In a file batch")
    DELIVERED = "delivered", _("Delivered")
    # Gave up after the maximum number of attempts; a person can retry it.
    FAILED = "failed", _("Failed")


OPEN_MESSAGE_STATES: frozenset[str] = frozenset({MessageState.PENDING, MessageState.SENDING, MessageState.BATCHED})


class FileBatch(models.Model):
    """Messages for a source whose adapter is ``file``, gathered into one workbook; marking the
    batch sent (the file was handed over) delivers its messages."""

    source_system = models.CharField(_("source system"), max_length=10)
    # The town whose center hands the file over (one open batch per source and town).
    town = models.ForeignKey("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("file batch")
        verbose_name_plural = _("file batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one open batch per source and town: new messages join it.
            models.UniqueConstraint(
                fields=["source_system", "town"], condition=Q(sent_at__isnull=True), name="upstream_one_open_batch"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_system} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.sent_at is None


class UpstreamMessage(models.Model):
    source_system = models.CharField(_("source system"), max_length=10)
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    order = models.ForeignKey(
        "hotline.HotlineOrder", verbose_name=_("order"), on_delete=models.CASCADE, related_name="upstream_messages"
    )
    upstream_number = models.CharField(_("upstream number"), max_length=64)
    # What upstream is told (never the petitioner's identity).
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    # The adapter chosen when the message was queued (``webhook``, ``file``).
    adapter = models.CharField(_("adapter"), max_length=20)
    state = models.CharField(_("state"), max_length=10, choices=MessageState.choices, default=MessageState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When a pending message is due (or a running attempt's lease ends); null otherwise.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    last_status_code = models.PositiveIntegerField(_("last status code"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    batch = models.ForeignKey(
        FileBatch,
        verbose_name=_("file batch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("upstream message")
        verbose_name_plural = _("upstream messages")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at", "id"], name="upstream_message_due"),
            models.Index(fields=["order", "id"], name="upstream_message_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="delivered") | Q(delivered_at__isnull=False), name="upstream_delivered_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_system}:{self.upstream_number}"
