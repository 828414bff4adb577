"""Cross-cutting records: the append-only audit log and the worker heartbeat."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

APPEND_ONLY = "Audit events are append-only."


def _now() -> datetime:
    # Looked up at call time (tests move the clock by patching timezone.now).
    return timezone.now()


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Reads only: bulk updates and deletes are refused (the database refuses them too)."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise RuntimeError(APPEND_ONLY)

    def delete(self) -> NoReturn:
        raise RuntimeError(APPEND_ONLY)

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(APPEND_ONLY)

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        # Rows are chained one by one by gridgov.core.audit.record().
        raise RuntimeError("Audit events are written one at a time through gridgov.core.audit.record().")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(APPEND_ONLY)

    def _raw_delete(self, using: Any) -> NoReturn:
        raise RuntimeError(APPEND_ONLY)


class AuditEvent(models.Model):
    """One security- or configuration-relevant action: who, when, what, result.

    Rows are append-only and hash-chained (MLPS level 3 asks that audit records cannot be
    altered or deleted): the model and its manager refuse updates and deletes, database
    triggers refuse them too (migration ``0004``), and each row stores the SHA-256 of its
    own content and of the row before it, so ``manage.py verify_audit`` finds any change.
    Write rows only through :func:`gridgov.core.audit.record`. See ``docs/security.md``.
    """

    created_at = models.DateTimeField(_("time"), default=_now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Codes, never translated labels: e.g. "auth.login", "areas.import", "calendar.override".
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    success = models.BooleanField(_("success"), default=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # The chain: ``hash`` is the SHA-256 of this row's content and ``prev_hash`` (the hash of
    # the row before it; empty for the first row ever written).
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two rows after one predecessor would be a fork of the chain.
            models.UniqueConstraint(fields=["prev_hash"], name="auditevent_one_successor"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"

    # gridgov.core.inserts.insert may write a new row without calling save: it only guards.
    insert_skips_save = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise RuntimeError(APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError(APPEND_ONLY)


class Heartbeat(models.Model):
    """Last sign of life of a background component (one row per component)."""

    component = models.CharField(_("component"), max_length=32, unique=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    seen_at = models.DateTimeField(_("seen at"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.component} {self.seen_at}"


class SubmissionKey(models.Model):
    """A form's one-time key, used once: the same form sent twice (a double click, the back
    button, a retry after a lost answer) makes one object. ``user`` is empty for the public's
    forms. ``fingerprint`` is a digest of what was sent, so that the key sent again with other
    content is refused instead of answered with the first object. Cases keep their own keys
    (``cases.IdempotencyKey``), which also cover actions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=64)
    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField(null=True)
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="submission_key_unique_per_user"),
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(user__isnull=True), name="submission_key_unique_public"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"
