"""Public-opinion analysis meetings (民情分析会) of a village or the town.

A :class:`Meeting` is planned (date, place, chair, invitees, an agenda proposed from the open
problems of the weekly analyses, the rising categories of the statistics and the last meeting's
open resolutions), held (attendees sign in on their phone by the meeting's QR code, the minutes
are written) and closed (the minutes final, printed as Word and PDF). Each :class:`Resolution`
becomes a case (field work, through the case loop, source ``meeting``) or a task for a
department or a village with a deadline, which its owner reports done and the center confirms
or returns; the next meeting of the area opens with their state.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CLOSED = "closed", _("Minutes final")


class Meeting(models.Model):
    area = models.ForeignKey("areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    starts_at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=120)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("chair"), on_delete=models.PROTECT, related_name="+"
    )
    invitees = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("invitees"), related_name="+")
    status = models.CharField(max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    # [{"title": "...", "source": "weekly" | "hotspot" | "followup" | "manual", "note": "..."}]
    agenda = models.JSONField(default=list, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    # The secret in the sign-in QR code (a new one per meeting).
    sign_in_key = models.CharField(max_length=32, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("opinion meeting")
        verbose_name_plural = _("opinion meetings")
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="meeting_sign_in_once")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.user_id}"


class ResolutionKind(models.TextChoices):
    CASE = "case", _("A case for field work")
    TASK = "task", _("A task for a department or village")


class ResolutionStatus(models.TextChoices):
    OPEN = "open", _("Not done yet")
    REPORTED = "reported", _("Reported done")
    DONE = "done", _("Done")


class Resolution(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="resolutions")
    number = models.PositiveIntegerField()
    text = models.TextField(_("resolution"))
    kind = models.CharField(_("kind"), max_length=4, choices=ResolutionKind.choices)
    # A task's owner: a department or a village.
    department = models.ForeignKey(
        "people.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT
    )
    village = models.ForeignKey(
        "areas.Area", verbose_name=_("village"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    # A resolution of kind case: the case it became (its state is the case's).
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=ResolutionStatus.choices, default=ResolutionStatus.OPEN)
    report = models.TextField(_("report"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["meeting_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="resolution_number_unique"),
            models.CheckConstraint(
                condition=Q(kind="case") | Q(department__isnull=False) | Q(village__isnull=False),
                name="resolution_task_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}-{self.number}"
