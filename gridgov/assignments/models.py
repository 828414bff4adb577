"""Leaders' tasks (领导交办事项).

A town leader gives an :class:`Assignment` (a task) to a lead owner (the center, a department
or a village) and cooperating owners, from a document, from a meeting's resolution or by hand,
with a requirement, a priority and a deadline on the working calendar. Each owner's part is an
:class:`AssignmentPart` with its own state on the workflow engine (accept, progress, extension,
submit; the assigning leader approves or returns it), its own deadline (extended when the
leader grants it) and its own light. The task's ``status`` is a summary of its parts, kept by
the part workflow; a task's ``due_at``/``warn_at`` are those of its earliest open part (for
the lists' lights). Supervision notices (督办) are the task's own workflow. Every step is an
:class:`AssignmentEvent`; files (the document, progress and completion attachments) are
:class:`AssignmentFile`, stored encrypted by the default storage.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    MANUAL = "manual", _("By hand")
    DOCUMENT = "document", _("From a document")
    RESOLUTION = "resolution", _("From a meeting resolution")


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class AssignmentStatus(models.TextChoices):
    """The task as a whole, summarised from its parts."""

    ASSIGNED = "assigned", _("Waiting for acceptance")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Waiting for approval")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (AssignmentStatus.ASSIGNED, AssignmentStatus.IN_PROGRESS, AssignmentStatus.SUBMITTED)


class PartStatus(models.TextChoices):
    """One owner's part of a task."""

    ASSIGNED = "assigned", _("Waiting for acceptance")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Waiting for approval")
    RETURNED = "returned", _("Returned")
    DONE = "done", _("Done")
    # The task was cancelled, or the owner was taken off it before starting (an edit).
    CANCELLED = "cancelled", _("Cancelled")


PART_OPEN = (PartStatus.ASSIGNED, PartStatus.IN_PROGRESS, PartStatus.SUBMITTED, PartStatus.RETURNED)


class OwnerKind(models.TextChoices):
    CENTER = "center", _("The center")
    DEPARTMENT = "department", _("Department")
    VILLAGE = "village", _("Village")


class Assignment(models.Model):
    town = models.ForeignKey("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    # The town's path, copied for scoped lists without a join (as on cases).
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    title = models.CharField(_("title"), max_length=120)
    requirement = models.TextField(_("requirement"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    document_number = models.CharField(_("document number"), max_length=60, blank=True)
    resolution = models.OneToOneField(
        "meetings.Resolution",
        verbose_name=_("meeting resolution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigning leader"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("assigned at"))
    # The deadline given when the task was made (each part carries its own, extended one).
    deadline = models.DateTimeField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    # The earliest deadline and warn point of the open parts (the task's light in lists).
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    supervision_pending = models.BooleanField(default=False, editable=False)
    supervision_due = models.DateTimeField(null=True, blank=True, editable=False)
    supervision_count = models.PositiveIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("leader's task")
        verbose_name_plural = _("leaders' tasks")
        ordering = ["-assigned_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"], name="assignment_status_due")]

    def __str__(self) -> str:
        return self.title


class AssignmentPart(models.Model):
    """One owner's part of a task: the lead owner's or a cooperating owner's."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="parts")
    owner_kind = models.CharField(_("owner"), max_length=10, choices=OwnerKind.choices)
    department = models.ForeignKey(
        "people.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT
    )
    # The village of a village's part; the town of the center's part.
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("village or town"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lead = models.BooleanField(_("lead owner"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=PartStatus.choices, default=PartStatus.ASSIGNED)
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(_("deadline"))
    warn_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The last submission; whether the approved one came before the deadline (frozen at approval).
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    on_time = models.BooleanField(null=True, editable=False)
    # An extension asked for and not decided yet.
    extension_until = models.DateTimeField(null=True, blank=True, editable=False)
    extension_reason = models.TextField(blank=True, editable=False)
    extension_count = models.PositiveIntegerField(default=0, editable=False)
    return_count = models.PositiveIntegerField(default=0, editable=False)
    warning_sent = models.BooleanField(default=False, editable=False)
    overdue_sent = models.BooleanField(default=False, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("owner's part")
        verbose_name_plural = _("owners' parts")
        ordering = ["assignment_id", "-lead", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner_kind="department") & Q(department__isnull=False) & Q(area__isnull=True))
                | (~Q(owner_kind="department") & Q(department__isnull=True) & Q(area__isnull=False)),
                name="assignment_part_owner_shape",
            ),
            models.UniqueConstraint(
                fields=["assignment", "department"],
                condition=Q(department__isnull=False),
                name="assignment_part_department_once",
            ),
            models.UniqueConstraint(
                fields=["assignment", "area"], condition=Q(area__isnull=False), name="assignment_part_area_once"
            ),
            models.UniqueConstraint(fields=["assignment"], condition=Q(lead=True), name="assignment_one_lead"),
            models.CheckConstraint(condition=Q(percent__lte=100), name="assignment_part_percent"),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="assignment_part_status_due")]

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.owner_kind} {self.department_id or self.area_id}"

    @property
    def owner_name(self) -> str:
        if self.department_id is not None and self.department is not None:
            return self.department.name
        if self.owner_kind == OwnerKind.CENTER:
            return str(_("The center"))
        return self.area.name if self.area is not None else ""

    @property
    def owner_key(self) -> str:
        """``department:<code>``, ``village:<code>`` or ``center:<town code>``."""
        if self.department is not None:
            return f"department:{self.department.code}"
        return f"{self.owner_kind}:{self.area.code if self.area is not None else ''}"


class AssignmentEvent(models.Model):
    """One line of a task's history: a step of the task or of one owner's part."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="events")
    part = models.ForeignKey(AssignmentPart, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["assignment_id", "at", "id"]
        indexes = [models.Index(fields=["assignment", "at"], name="assignment_event_at")]

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.action}"


class FileKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    PROGRESS = "progress", _("Progress")
    RESULT = "result", _("Completion")
    OTHER = "other", _("Other")


class AssignmentFile(models.Model):
    """A file of a task (stored encrypted, served only after the visibility check)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="files")
    part = models.ForeignKey(AssignmentPart, null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    event = models.ForeignKey(AssignmentEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="files")
    kind = models.CharField(_("kind"), max_length=10, choices=FileKind.choices, default=FileKind.OTHER)
    file = models.FileField(_("file"), upload_to="assignments/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assignment_id", "id"]

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.name}"
