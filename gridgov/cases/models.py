"""Cases of the case loop (report → register → dispatch → handle → verify → close).

A case's ``status`` is only ever set by :func:`gridgov.cases.services.case_act` (and
``case_create``) following the table in :mod:`gridgov.cases.transitions`. Every change writes a
:class:`CaseEvent`; every timed stage a :class:`CaseStage` whose ``on_time`` is frozen when the
stage ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gridgov.categories.models import Stage, Urgency
from gridgov.core.crypto import EncryptedTextField
from gridgov.core.pathfield import PathField
from gridgov.workcalendar.units import Light

__all__ = [
    "FINAL_STATUSES",
    "OPEN_STATUSES",
    "STATUS_STAGE",
    "AttachmentKind",
    "Case",
    "CaseAttachment",
    "CaseEvent",
    "CaseNumberSequence",
    "CaseStage",
    "IdempotencyKey",
    "Light",
    "PartyKind",
    "PendingExtension",
    "Source",
    "Status",
]


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")
    REGISTERED = "registered", _("Registered")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting verification")
    CLOSED = "closed", _("Closed")
    VOIDED = "voided", _("Voided")
    PARKED = "parked", _("Parked")
    RETURNED = "returned", _("Returned")


OPEN_STATUSES: frozenset[str] = frozenset(
    {
        Status.REPORTED,
        Status.REGISTERED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.AWAITING_VERIFICATION,
        Status.PARKED,
        Status.RETURNED,
    }
)
FINAL_STATUSES: frozenset[str] = frozenset({Status.CLOSED, Status.VOIDED})
# The stages whose lateness makes a closed case late (``Case.closed_on_time``, frozen on closing).
LATENESS_STAGES: tuple[str, ...] = (Stage.HANDLE, Stage.VERIFY)

# The timed stage a case is in while it has each status (parked: the clock stops).
STATUS_STAGE: dict[str, str] = {
    Status.REPORTED: Stage.REGISTER,
    Status.REGISTERED: Stage.DISPATCH,
    Status.RETURNED: Stage.DISPATCH,
    Status.DISPATCHED: Stage.ACKNOWLEDGE,
    Status.IN_PROGRESS: Stage.HANDLE,
    Status.AWAITING_VERIFICATION: Stage.VERIFY,
}


class Source(models.TextChoices):
    GRID_REPORT = "grid_report", _("Grid worker report")
    CENTER = "center", _("Center")
    HOTLINE = "hotline", _("12345 hotline")
    PATROL = "patrol", _("Patrol")
    MEETING = "meeting", _("Meeting")
    PUBLIC = "public", _("Public")
    LEADER = "leader", _("Leader's instruction")


class Satisfaction(models.TextChoices):
    """The party's answer to the center's call-back after a case closed (回访)."""

    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


SATISFIED_VALUES: frozenset[str] = frozenset({Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED})


class PartyKind(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    UNIT = "unit", _("Unit")


@dataclass(frozen=True)
class PendingExtension:
    """An extension request waiting for the center's decision, as stored in
    :attr:`Case.pending_extension`: ``{"days": n, "reason": "...", "by": user_id, "stage": "..."}``.

    ``days`` working days asked for, the handler's ``reason``, the id of the user who asked
    (``by``) and the ``stage`` it was asked in (a new stage drops the request undecided)."""

    days: int
    reason: str
    by: int | None
    stage: str

    def to_json(self) -> dict[str, Any]:
        return {"days": self.days, "reason": self.reason, "by": self.by, "stage": self.stage}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> PendingExtension | None:
        """The request stored in ``data`` (None when there is none)."""
        if data is None:
            return None
        by = data.get("by")
        return cls(
            days=int(data.get("days") or 1),
            reason=str(data.get("reason") or ""),
            by=None if by is None else int(by),
            stage=str(data.get("stage") or ""),
        )


class CaseNumberSequence(models.Model):
    """The last number given per town and year (case numbers are ``YYYY-TTT-NNNNNN``)."""

    town = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["town", "year"], name="case_number_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.town_id}/{self.year}: {self.last}"


class Case(models.Model):
    number = models.CharField(_("number"), max_length=30, unique=True)
    town = models.ForeignKey("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(
        "areas.Area", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The area path of the grid (or the town) copied for scoped list filters without a join.
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    # No index of its own: ``case_category_reported`` starts with it.
    category = models.ForeignKey(
        "categories.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.GRID_REPORT)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.REPORTED)
    description = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    # The resident or unit concerned (optional); masked for viewers without the reveal right.
    party_kind = models.CharField(_("party kind"), max_length=10, choices=PartyKind.choices, blank=True)
    # Encrypted at rest (like a hotline petitioner); the services hold them to 100 and 30
    # characters. Only "" can be compared in a query (a party left a phone or not).
    party_name = EncryptedTextField(_("party name"), blank=True)
    party_phone = EncryptedTextField(_("party phone"), blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # No index of its own: ``case_department_status`` and ``case_department_area`` start with it.
    lead_department = models.ForeignKey(
        "people.Department",
        verbose_name=_("lead department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    cooperating_departments = models.ManyToManyField(
        "people.Department", verbose_name=_("cooperating departments"), blank=True, related_name="+"
    )
    handled_by_village = models.BooleanField(_("handled by the village"), default=False)
    self_handled = models.BooleanField(_("self-handled"), default=False)
    escalated = models.BooleanField(_("escalated by the village"), default=False)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    parked_from = models.CharField(max_length=24, blank=True, editable=False)
    parked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The extension request waiting for a decision, as PendingExtension.to_json() writes it:
    # {"days": n, "reason": "...", "by": user_id, "stage": "..."}; null when there is none.
    # Read it through ``extension_request``.
    pending_extension = models.JSONField(null=True, blank=True, editable=False)
    supervision_pending = models.BooleanField(_("supervision awaiting reply"), default=False)
    rework_count = models.PositiveIntegerField(_("reworks"), default=0)
    return_count = models.PositiveIntegerField(_("returns"), default=0)
    extension_count = models.PositiveIntegerField(_("extensions"), default=0)
    reminder_count = models.PositiveIntegerField(_("reminders"), default=0)
    supervision_count = models.PositiveIntegerField(_("supervision notices"), default=0)
    reopen_count = models.PositiveIntegerField(_("reopenings"), default=0)
    # The current timed stage, mirrored from its CaseStage row for lists and the sweep.
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, blank=True)
    stage_started_at = models.DateTimeField(null=True, blank=True)
    stage_warn_at = models.DateTimeField(null=True, blank=True)
    stage_deadline = models.DateTimeField(_("stage deadline"), null=True, blank=True)
    # When the sweep must look at the case next (80 % point, then the deadline); null when
    # nothing is due. The sweep reads only rows with next_alert_at <= now.
    next_alert_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    # When the reporter recorded it on the device (the phone's clock, offline perhaps hours
    # before it reached the server); deadlines still start at ``reported_at``. Kept as sent
    # when doubtful (in the future, or days old), with the flag set.
    occurred_at = models.DateTimeField(_("recorded on the device at"), null=True, blank=True)
    occurred_at_doubtful = models.BooleanField(_("device time doubtful"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The last call-back to the party (回访): when, and what the party said. A case reopened on a
    # dissatisfied answer and closed again is called back again (``callback_at < closed_at``).
    callback_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True)
    callback_count = models.PositiveIntegerField(_("call-backs"), default=0)
    # Frozen milestones for the statistics (gridgov.cases.indices, docs/stats.md): written by
    # the services in the transaction of the step that reaches them, never changed afterwards
    # (except closed_on_time, cleared by a reopening), so that a past month recomputed later
    # gives the same figures. The on-time flags are the stage's frozen CaseStage.on_time.
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True, editable=False)
    dispatched_at = models.DateTimeField(_("first dispatched at"), null=True, blank=True, editable=False)
    dispatch_count = models.PositiveIntegerField(_("dispatches"), default=0, editable=False)
    # The first return of a dispatched case (it had to be dispatched again).
    redispatched_at = models.DateTimeField(_("first returned at"), null=True, blank=True, editable=False)
    handled_at = models.DateTimeField(_("first handled at"), null=True, blank=True, editable=False)
    handled_on_time = models.BooleanField(_("handled on time"), null=True, editable=False)
    # Working minutes (on the working calendar) from the first dispatch, or the village's
    # acceptance, to the first report back: frozen with ``handled_at`` (docs/stats.md).
    handling_minutes = models.PositiveIntegerField(_("handling working minutes"), null=True, editable=False)
    reworked_at = models.DateTimeField(_("first rework at"), null=True, blank=True, editable=False)
    verified_at = models.DateTimeField(_("first verified at"), null=True, blank=True, editable=False)
    verified_on_time = models.BooleanField(_("verified on time"), null=True, editable=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # The overall deadline: the first handling stage's deadline (moved by extensions and
    # parking, not by a rework).
    due_at = models.DateTimeField(_("overall deadline"), null=True, blank=True, editable=False)
    # No handling or verification stage of the case ended late (set when it closes).
    closed_on_time = models.BooleanField(_("closed on time"), null=True, editable=False)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True, editable=False)
    # Brought in from a historical ledger (gridgov.ledger): a closed case of the old platform or
    # spreadsheet, written with its events and stages so past months' statistics come out of the
    # system. ``import_review`` lists what was doubtful in its row (codes and what the file said,
    # never a party's data); an empty list is a row read without doubt.
    imported = models.BooleanField(_("imported"), default=False, editable=False)
    import_review = models.JSONField(default=list, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-reported_at", "-id"], name="case_status_reported"),
            models.Index(fields=["town", "-reported_at", "-id"], name="case_town_reported"),
            models.Index(fields=["-reported_at", "-id"], name="case_reported"),
            models.Index(fields=["lead_department", "status"], name="case_department_status"),
            # A department's cases under an area path prefix: the capped count of the
            # department filter (cases.views._capped_count; migration 0028).
            models.Index(
                fields=["lead_department", "area_path"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="case_department_area",
            ),
            models.Index(fields=["grid", "status"], name="case_grid_status"),
            models.Index(fields=["category", "status", "reported_at"], name="case_category_status"),
            # The category filter's first page: a category's cases newest first (migration 0026).
            models.Index(fields=["category", "-reported_at", "-id"], name="case_category_reported"),
            models.Index(fields=["next_alert_at", "id"], name="case_next_alert"),
            # The open cases, a few tens of thousands among a district's millions: the cockpit's
            # lights, overdue departments and supervised count read them from this index alone
            # on PostgreSQL (index-only scans; bench/stats.py: 222-309 ms -> 143-159 ms at ten
            # million cases). SQLite builds it without the included columns and does not use
            # it: it matches a partial index only against literal values, and Django binds them.
            models.Index(
                fields=["area_path", "stage_deadline", "stage_warn_at"],
                include=["id", "lead_department", "supervision_pending", "reporter"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="case_open",
            ),
            # The open cases under an area path prefix (``LIKE '/1/2/%'``), which the index above
            # cannot answer unless the database's collation is C: the queue tabs' counts of a
            # town's desk read the town's 400,000 cases' bitmap without it (migration 0027:
            # a town's list 95 -> 50 ms at ten million cases, for 400 kB).
            models.Index(
                fields=["area_path"],
                opclasses=["varchar_pattern_ops"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="case_open_area",
            ),
            models.Index(fields=["due_at"], name="case_due_at"),
            models.Index(fields=["registered_at"], name="case_registered_at"),
            models.Index(fields=["handled_at"], name="case_handled_at"),
            # The other dates the statistics put a case in a period by (docs/stats.md).
            models.Index(fields=["closed_at"], name="case_closed_at"),
            models.Index(fields=["dispatched_at"], name="case_dispatched_at"),
            models.Index(fields=["verified_at"], name="case_verified_at"),
            models.Index(fields=["voided_at"], name="case_voided_at"),
            models.Index(fields=["callback_at"], name="case_callback_at"),
            # The call-back queue (selectors.callback_due_q): a few rows among a district's
            # millions of closed cases.
            models.Index(
                fields=["-closed_at"],
                name="case_callback_due",
                condition=Q(status="closed")
                & ~Q(party_phone="")
                & (Q(callback_at__isnull=True) | Q(callback_at__lt=F("closed_at"))),
            ),
        ]
        # What the loop guarantees (the state-machine test walks it), kept by the database too.
        constraints = [
            models.CheckConstraint(
                condition=Q(status=Status.CLOSED, closed_at__isnull=False)
                | (~Q(status=Status.CLOSED) & Q(closed_at__isnull=True)),
                name="case_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(status=Status.VOIDED),
                name="case_merged_only_when_voided",
            ),
            models.CheckConstraint(
                condition=Q(parked_from="") | Q(status=Status.PARKED),
                name="case_parked_from_only_when_parked",
            ),
            models.CheckConstraint(
                condition=Q(parked_at__isnull=True) | Q(status=Status.PARKED),
                name="case_parked_at_only_when_parked",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def extension_request(self) -> PendingExtension | None:
        """The pending extension request, typed (``pending_extension`` is its stored form)."""
        return PendingExtension.from_json(self.pending_extension)


class CaseStage(models.Model):
    """One timed stage of a case: its deadline and, once ended, whether it was on time."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    started_at = models.DateTimeField()
    warn_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    limit_amount = models.PositiveIntegerField(null=True, blank=True)
    limit_unit = models.CharField(max_length=20, blank=True)
    extended = models.BooleanField(default=False)
    paused_minutes = models.PositiveIntegerField(default=0)
    warning_sent = models.BooleanField(default=False)
    overdue_sent = models.BooleanField(default=False)
    ended_at = models.DateTimeField(null=True, blank=True)
    on_time = models.BooleanField(null=True)
    # The department (or village) responsible for the stage, for statistics.
    department = models.ForeignKey(
        "people.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["case_id", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(ended_at__isnull=True), name="case_one_open_stage"),
        ]
        indexes = [models.Index(fields=["stage", "ended_at"], name="case_stage_ended")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage}"


class CaseEvent(models.Model):
    """One line of a case's timeline: every action, with who, when, from/to status."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case_id", "at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class AttachmentKind(models.TextChoices):
    REPORT = "report", _("Report photo")
    BEFORE = "before", _("Before")
    AFTER = "after", _("After")
    RESULT = "result", _("Result")
    VERIFY = "verify", _("Verification")
    OTHER = "other", _("Other")


class CaseAttachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices, default=AttachmentKind.REPORT)
    file = models.FileField(_("file"), upload_to="cases/%Y/%m/")
    display = models.FileField(null=True, blank=True, upload_to="cases/display/%Y/%m/")
    thumbnail = models.FileField(null=True, blank=True, upload_to="cases/thumbs/%Y/%m/")
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    taken_at = models.DateTimeField(null=True, blank=True)
    exif_lat = models.FloatField(null=True, blank=True)
    exif_lng = models.FloatField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "sha256", "kind"], name="case_attachment_unique_content"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.sha256[:8]}"


class IdempotencyKey(models.Model):
    """A client's key for one write: the same key from the same user is the same outcome.

    ``action`` is empty for a case creation (``case`` is the created case), else the action
    taken on ``case`` (a transition code, or ``attach`` for added photos) with ``event`` its
    timeline entry. A key is used once per user, whatever it was used for."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=24, blank=True, default="")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A hash of what was sent, to refuse the same key for a different request.
    fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


# The counts a rollup row keeps (gridgov.cases.rollups says what each counts).
ROLLUP_MEASURES: tuple[str, ...] = (
    "reported",
    "self_handled",
    "valid",
    "registered",
    "voided",
    "closed",
    "closed_cot",
    "closed_due",
    "closed_due_cot",
    "due",
    "due_closed",
    "due_closed_cot",
    "due_handled",
    "due_handled_hot",
    "handled",
    "handled_hot",
    "handled_due",
    "handled_due_hot",
    "reworked",
    "minutes_n",
    "minutes",
    "dispatched",
    "misdispatched",
    "verified",
    "verified_on_time",
    "called_back",
    "satisfied",
)


class RollupCounts(models.Model):
    """The measures of a rollup row (``ROLLUP_MEASURES``; what each counts: ``gridgov.cases.rollups``)."""

    reported = models.IntegerField(default=0)
    self_handled = models.IntegerField(default=0)
    valid = models.IntegerField(default=0)
    registered = models.IntegerField(default=0)
    voided = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_cot = models.IntegerField(default=0)
    closed_due = models.IntegerField(default=0)
    closed_due_cot = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    due_closed = models.IntegerField(default=0)
    due_closed_cot = models.IntegerField(default=0)
    due_handled = models.IntegerField(default=0)
    due_handled_hot = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    handled_hot = models.IntegerField(default=0)
    handled_due = models.IntegerField(default=0)
    handled_due_hot = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    minutes_n = models.IntegerField(default=0)
    minutes = models.BigIntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    misdispatched = models.IntegerField(default=0)
    verified = models.IntegerField(default=0)
    verified_on_time = models.IntegerField(default=0)
    called_back = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)

    class Meta:
        abstract = True


class CaseRollup(RollupCounts):
    """Counts of the statistics' measures per month of the date that decides them, per grid,
    lead department, category and source (``gridgov.cases.rollups``; ``docs/stats.md``).

    ``late`` is the month of a measure's second date when it is later than ``month`` (a case
    due in January and closed in March counts for "closed" in the row of January with ``late``
    March); else it equals ``month``. Kept by the services' saves of a case, in their
    transaction; ``manage.py stats_rollup_check`` compares them with a recount."""

    month = models.DateField()
    late = models.DateField()
    grid = models.ForeignKey("areas.Area", null=True, on_delete=models.PROTECT, related_name="+")
    area_path = PathField(max_length=255, db_index=True)
    lead_department = models.ForeignKey("people.Department", null=True, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey("categories.Category", null=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["month", "late"], name="case_rollup_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.area_path}"


class CaseRollupCoarse(RollupCounts):
    """The rows of :class:`CaseRollup` summed to a town or a village and some of its
    dimensions, one set of rows per ``level`` (``gridgov.cases.rollups.LEVELS``): a district's
    year of figures reads thousands of these instead of millions of grid rows (and the person
    levels, per grid and reporter or verifier, the page's tables of people). ``area`` is the
    town or village (``area_path`` its path; a case filed above that level keeps its own path
    and no ``area``); a dimension the level does not keep is empty. Kept with the grid rows,
    in the same transaction; ``manage.py stats_rollup_check`` checks both. On the rows of a
    day level (``rollups.DAY_LEVELS``), ``month`` and ``late`` hold local days, not months."""

    level = models.CharField(max_length=20)  # the name of one of rollups.ALL_LEVELS
    month = models.DateField()
    late = models.DateField()
    area = models.ForeignKey("areas.Area", null=True, on_delete=models.PROTECT, related_name="+")
    area_path = PathField(max_length=255)
    lead_department = models.ForeignKey("people.Department", null=True, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey("categories.Category", null=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16, blank=True)
    # The reporter or the verifying grid worker on the rows of a person level; else empty.
    person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["level", "month", "late", "area_path"], name="case_rollup_level"),
            # A department's, a category's or a source's rows of a level (migration 0024).
            models.Index(fields=["level", "lead_department", "month", "late"], name="rollup_level_department"),
            models.Index(fields=["level", "category", "month", "late"], name="rollup_level_category"),
            models.Index(fields=["level", "source", "month", "late"], name="rollup_level_source"),
            # An area's rows of a level: the area filter is a prefix of the path. On PostgreSQL
            # the path's pattern operator class lets LIKE use the index under any collation
            # (migration 0031).
            models.Index(
                fields=["level", "area_path", "month", "late"],
                name="rollup_level_area",
                opclasses=["varchar_ops", "varchar_pattern_ops", "date_ops", "date_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.month:%Y-%m} {self.area_path}"
