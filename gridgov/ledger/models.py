"""A historical ledger import job and the column mapping remembered per town."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerStatus(models.TextChoices):
    READING = "reading", _("Reading the file")
    REFUSED = "refused", _("File refused")
    UPLOADED = "uploaded", _("Uploaded")
    PREVIEWED = "previewed", _("Previewed")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class LedgerImport(models.Model):
    """One upload of a historical ledger (Excel or CSV): reading, mapping, preview, import, row
    report. ``file`` is the upload until the worker has read it, then the rows it read (one JSON
    line per row, :mod:`gridgov.core.uploads`), until the import is done."""

    town = models.ForeignKey("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="ledger/imports/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=200)
    sheet = models.CharField(max_length=100, blank=True)
    header_row = models.PositiveIntegerField(default=1)
    # {"number": "案件编号", "reported_at": "上报时间", ...}: our field → the file's column.
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=LedgerStatus.choices, default=LedgerStatus.READING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    # Cases brought in (created or updated) with review notes.
    review_count = models.PositiveIntegerField(default=0)
    # [{"row": 5, "outcome": "created|updated|unchanged|refused", "number": "...", "case": "2024-…",
    #   "errors": [{"field": "...", "message": "..."}], "review": [{"code", "field", "value", "taken"}]}]
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")

    def __str__(self) -> str:
        return self.original_name


class LedgerMapping(models.Model):
    """The column mapping last used for a town's ledgers, offered again on the next upload."""

    town = models.OneToOneField("areas.Area", on_delete=models.PROTECT, related_name="+")
    mapping = models.JSONField(default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.town_id)
