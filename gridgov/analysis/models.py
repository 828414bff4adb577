"""The grid's weekly analysis (周分析) and the monthly summary (月汇总) of a village or the town.

Every week a draft :class:`WeeklyAnalysis` is generated per grid with the week's figures frozen
(``figures``, see :mod:`.figures`); the grid worker writes the analysis and the measures and
submits it, the grid leader checks it, the center accepts it or returns it with a comment. The
history of each step is an :class:`AnalysisEvent`. Whether it came in on time is frozen at the
worker's first submission (``on_time``: submitted before ``due_at``, a deadline on the working
calendar).

A :class:`MonthlySummary` is composed for a village or the town and a month from the bulletin's
figures and the month's weekly analyses (frozen in ``figures`` when composed), with the
leader's remarks; once final it is printed as Word and PDF.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WeeklyStatus(models.TextChoices):
    DRAFT = "draft", _("To write")
    CHECKING = "checking", _("With the grid leader")
    SUBMITTED = "submitted", _("With the center")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")


class WeeklyAnalysis(models.Model):
    grid = models.ForeignKey("areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    # The grid's area path, copied for scoped lists without a join (as on cases).
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    week = models.DateField(_("week"), help_text=_("The Monday the week starts on."))
    status = models.CharField(_("status"), max_length=10, choices=WeeklyStatus.choices, default=WeeklyStatus.DRAFT)
    figures = models.JSONField(default=dict, blank=True, editable=False)
    analysis = models.TextField(_("analysis"), blank=True)
    measures = models.TextField(_("proposed measures"), blank=True)
    leader_comment = models.TextField(_("grid leader's comment"), blank=True)
    center_comment = models.TextField(_("center's comment"), blank=True)
    due_at = models.DateTimeField(_("due"))
    warn_at = models.DateTimeField(null=True, blank=True)
    # The worker's first submission, and whether it came before the deadline (frozen then).
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    on_time = models.BooleanField(_("on time"), null=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True, editable=False)
    return_count = models.PositiveIntegerField(_("returns"), default=0, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("weekly analysis")
        verbose_name_plural = _("weekly analyses")
        ordering = ["-week", "area_path"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "week"], name="weekly_analysis_once"),
            models.CheckConstraint(
                condition=Q(on_time__isnull=True) | Q(submitted_at__isnull=False), name="weekly_on_time_when_submitted"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="weekly_status_due")]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.week:%Y-%m-%d}"


class AnalysisEvent(models.Model):
    """One line of a weekly analysis's history: who did what, when, with which comment."""

    analysis = models.ForeignKey(WeeklyAnalysis, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["analysis_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.analysis_id} {self.action}"


class SummaryStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FINAL = "final", _("Final")


class MonthlySummary(models.Model):
    area = models.ForeignKey("areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month summarised."))
    status = models.CharField(max_length=10, choices=SummaryStatus.choices, default=SummaryStatus.DRAFT)
    figures = models.JSONField(default=dict, blank=True, editable=False)
    remarks = models.TextField(_("leader's remarks"), blank=True)
    composed_at = models.DateTimeField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finalized_at = models.DateTimeField(null=True, blank=True, editable=False)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("monthly summary")
        verbose_name_plural = _("monthly summaries")
        ordering = ["-month", "area__code"]
        constraints = [models.UniqueConstraint(fields=["area", "month"], name="monthly_summary_once")]

    def __str__(self) -> str:
        return f"{self.area_id} {self.month:%Y-%m}"
