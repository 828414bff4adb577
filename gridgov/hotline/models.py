"""Hotline work orders (12345 便民专线): what the city or district hotline sends down to the town.

An order's ``status`` is only ever set by :mod:`gridgov.hotline.services` following the table in
:mod:`gridgov.hotline.transitions`. Every change writes an :class:`OrderEvent`; every timed step
an :class:`OrderStage` whose ``on_time`` is frozen when the step ends. The petitioner's name,
phone and address are encrypted at rest (:class:`gridgov.core.crypto.EncryptedTextField`); the
masked copies beside them are what lists, exports and notifications show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.core.crypto import EncryptedTextField


class OrderStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INSTRUCTED = "instructed", _("Instructed")
    DRAFTED = "drafted", _("Reply drafted")
    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Closed")
    RETURNED_UPSTREAM = "returned_upstream", _("Returned upstream")


OPEN_ORDER_STATUSES: frozenset[str] = frozenset(
    {OrderStatus.RECEIVED, OrderStatus.ACKNOWLEDGED, OrderStatus.INSTRUCTED, OrderStatus.DRAFTED}
)
FINAL_ORDER_STATUSES: frozenset[str] = frozenset({OrderStatus.CLOSED, OrderStatus.RETURNED_UPSTREAM})


class OrderType(models.TextChoices):
    ENQUIRY = "enquiry", _("Enquiry")
    HELP = "help", _("Request for help")
    SUGGESTION = "suggestion", _("Suggestion")
    COMPLAINT = "complaint", _("Complaint")
    REPORT = "report", pgettext_lazy("hotline order type", "Report")
    PRAISE = "praise", _("Praise")


class UrgencyClass(models.TextChoices):
    LIFE_SAFETY = "life_safety", _("Danger to life or property")
    UTILITIES = "utilities", _("Water, power, gas, heating")
    GENERAL = "general", _("General")


class SourceSystem(models.TextChoices):
    CITY = "city", _("City hotline")
    DISTRICT = "district", _("District hotline")


class Channel(models.TextChoices):
    """How the order reached the town."""

    API = "api", _("Pushed by upstream")
    IMPORT = "import", _("Imported from a file")
    MANUAL = "manual", _("Entered by the center")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class OrderStep(models.TextChoices):
    """The timed steps of an order."""

    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    INSTRUCT = "instruct", _("Instruct")
    DRAFT = "draft", _("Draft the reply")
    APPROVE = "approve", _("Approve the reply")


@dataclass(frozen=True)
class PendingExtension:
    """An extension request sent upstream and not answered yet (``HotlineOrder.pending_extension``,
    stored as ``{"until": iso, "reason": "...", "by": user_id}``)."""

    until: dt.datetime
    reason: str
    by: int | None

    def to_json(self) -> dict[str, Any]:
        return {"until": timezone.localtime(self.until).isoformat(), "reason": self.reason, "by": self.by}

    @classmethod
    def from_json(cls, value: Any) -> PendingExtension | None:
        """The stored request (``None`` when there is none)."""
        if not value:
            return None
        until = parse_datetime(str(value.get("until") or ""))
        if until is None:
            raise ValueError(f"a pending extension without a valid 'until': {value!r}")
        if timezone.is_naive(until):
            until = timezone.make_aware(until)
        by = value.get("by")
        return cls(until=until, reason=str(value.get("reason") or ""), by=int(by) if by is not None else None)


class HotlineOrder(models.Model):
    source_system = models.CharField(_("source system"), max_length=10, choices=SourceSystem.choices)
    # The upstream order number: with source_system, the idempotency key of an order.
    upstream_number = models.CharField(_("upstream number"), max_length=64)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.API)
    town = models.ForeignKey("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(
        "areas.Area", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The area path of the grid (or the town), copied for scoped list filters without a join.
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    order_type = models.CharField(_("type"), max_length=12, choices=OrderType.choices)
    urgency_class = models.CharField(
        _("urgency class"), max_length=12, choices=UrgencyClass.choices, default=UrgencyClass.GENERAL
    )
    complex = models.BooleanField(_("complex"), default=False)
    title = models.CharField(pgettext_lazy("hotline order", "title"), max_length=200, blank=True)
    content = models.TextField(_("content"))
    upstream_category = models.CharField(_("upstream category"), max_length=200, blank=True)
    category = models.ForeignKey(
        "categories.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("address of the matter"), max_length=300, blank=True)
    # When the hotline took the call, and when the order reached the town (the clock's start).
    received_at = models.DateTimeField(_("received upstream at"))
    arrived_at = models.DateTimeField(_("arrived at"), db_index=True)
    # Deadlines given by upstream, if any (otherwise the configured limits apply).
    upstream_ack_deadline = models.DateTimeField(_("upstream acknowledge deadline"), null=True, blank=True)
    upstream_deadline = models.DateTimeField(_("upstream completion deadline"), null=True, blank=True)
    # The petitioner (诉求人): encrypted at rest; the masked copies are what everybody sees.
    anonymous = models.BooleanField(_("anonymous"), default=False)
    petitioner_name = EncryptedTextField(_("petitioner name"), blank=True)
    petitioner_phone = EncryptedTextField(_("petitioner phone"), blank=True)
    petitioner_address = EncryptedTextField(_("petitioner address"), blank=True)
    petitioner_name_masked = models.CharField(max_length=100, blank=True, editable=False)
    petitioner_phone_masked = models.CharField(max_length=30, blank=True, editable=False)
    petitioner_address_masked = models.CharField(max_length=300, blank=True, editable=False)
    # A keyed digest of the normalised phone (blind index): repeat callers without decrypting.
    petitioner_phone_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.RECEIVED)
    lead_department = models.ForeignKey(
        "people.Department",
        verbose_name=_("lead department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cooperating_departments = models.ManyToManyField(
        "people.Department", verbose_name=_("cooperating departments"), blank=True, related_name="+"
    )
    instruction = models.TextField(_("instruction"), blank=True)
    draft_text = models.TextField(_("draft reply"), blank=True)
    reply_text = models.TextField(_("reply"), blank=True)
    return_reason = models.TextField(_("return reason"), blank=True)
    return_basis = models.TextField(_("legal basis"), blank=True)
    # A pending extension request sent upstream: a :class:`PendingExtension` as JSON (read and
    # written through :attr:`extension`).
    pending_extension = models.JSONField(null=True, blank=True, editable=False)
    # The case in the case loop doing the field work (several orders may share one case).
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("linked case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hotline_orders",
    )
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True)
    solved = models.BooleanField(_("solved"), null=True)
    callback_at = models.DateTimeField(_("call-back at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    # Frozen when the step ends: was the order acknowledged / replied within its limit?
    ack_on_time = models.BooleanField(null=True)
    reply_on_time = models.BooleanField(null=True)
    reject_count = models.PositiveIntegerField(_("drafts rejected"), default=0)
    reopen_count = models.PositiveIntegerField(_("reopenings"), default=0)
    reminder_count = models.PositiveIntegerField(_("reminders"), default=0)
    supervision_count = models.PositiveIntegerField(_("supervision notices"), default=0)
    extension_count = models.PositiveIntegerField(_("extensions"), default=0)
    update_count = models.PositiveIntegerField(_("upstream updates"), default=0)
    # Doubtful values an import let through (待核实): the order is in, and the center checks it
    # and clears the flag (action ``clear_review``). ``review_reasons`` holds
    # :class:`gridgov.hotline.review.ReviewNote` as JSON (codes, the field, what the file said;
    # never the petitioner's data).
    needs_review = models.BooleanField(_("to review"), default=False)
    review_reasons = models.JSONField(default=list, blank=True, editable=False)
    # The current timed step, mirrored from its OrderStage row for lists and the sweep.
    step = models.CharField(_("step"), max_length=12, choices=OrderStep.choices, blank=True)
    step_started_at = models.DateTimeField(null=True, blank=True)
    step_warn_at = models.DateTimeField(null=True, blank=True)
    step_deadline = models.DateTimeField(_("step deadline"), null=True, blank=True)
    # The reply deadline of the whole order (upstream's, or the type's limit from arrival).
    reply_deadline = models.DateTimeField(_("reply deadline"), null=True, blank=True)
    next_alert_at = models.DateTimeField(null=True, blank=True)
    # A hash of the last upstream copy, to tell a resend from a changed copy.
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hotline work order")
        verbose_name_plural = _("hotline work orders")
        ordering = ["-arrived_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source_system", "upstream_number"], name="hotline_order_upstream_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "-arrived_at", "-id"], name="hotline_status_arrived"),
            models.Index(fields=["town", "-arrived_at", "-id"], name="hotline_town_arrived"),
            models.Index(fields=["lead_department", "status"], name="hotline_department_status"),
            models.Index(fields=["next_alert_at", "id"], name="hotline_next_alert"),
            models.Index(fields=["town", "-arrived_at"], condition=Q(needs_review=True), name="hotline_needs_review"),
        ]

    def __str__(self) -> str:
        return f"{self.source_system}:{self.upstream_number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ORDER_STATUSES

    @property
    def extension(self) -> PendingExtension | None:
        """The pending extension request, typed."""
        return PendingExtension.from_json(self.pending_extension)

    @extension.setter
    def extension(self, value: PendingExtension | None) -> None:
        self.pending_extension = value.to_json() if value is not None else None


class OrderStage(models.Model):
    """One timed step of an order: its deadline and, once ended, whether it was on time."""

    order = models.ForeignKey(HotlineOrder, on_delete=models.CASCADE, related_name="stages")
    step = models.CharField(_("step"), max_length=12, choices=OrderStep.choices)
    started_at = models.DateTimeField()
    warn_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    limit_amount = models.PositiveIntegerField(null=True, blank=True)
    limit_unit = models.CharField(max_length=20, blank=True)
    extended = models.BooleanField(default=False)
    warning_sent = models.BooleanField(default=False)
    overdue_sent = models.BooleanField(default=False)
    ended_at = models.DateTimeField(null=True, blank=True)
    on_time = models.BooleanField(null=True)
    department = models.ForeignKey(
        "people.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["order_id", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(ended_at__isnull=True), name="hotline_one_open_stage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.step}"


class EventOrigin(models.TextChoices):
    TOWN = "town", _("Town")
    UPSTREAM = "upstream", _("Upstream")
    SYSTEM = "system", _("System")


class OrderEvent(models.Model):
    """One line of an order's history: every action and upstream event, with who and when."""

    order = models.ForeignKey(HotlineOrder, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=24)
    origin = models.CharField(max_length=10, choices=EventOrigin.choices, default=EventOrigin.TOWN)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # Upstream's id of the event it reported (empty otherwise): the same id twice on one order is
    # one event, so a resend has no second effect.
    event_id = models.CharField(max_length=100, blank=True, default="")
    # Never the petitioner's identity in clear.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["order_id", "at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="hotline_event_order_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "event_id"], condition=~Q(event_id=""), name="hotline_event_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class OrderAttachment(models.Model):
    order = models.ForeignKey(HotlineOrder, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="hotline/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sha256"], name="hotline_attachment_unique_content"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.name}"


class IdentityGrant(models.Model):
    """The center lets one department see the petitioner of one order (complaints stay masked)."""

    order = models.ForeignKey(HotlineOrder, on_delete=models.CASCADE, related_name="identity_grants")
    department = models.ForeignKey("people.Department", on_delete=models.PROTECT, related_name="+")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "department"], name="hotline_identity_grant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} → {self.department_id}"


class ImportStatus(models.TextChoices):
    READING = "reading", _("Reading the file")
    REFUSED = "refused", _("File refused")
    UPLOADED = "uploaded", _("Uploaded")
    PREVIEWED = "previewed", _("Previewed")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One upload of an upstream export (Excel or CSV): reading, mapping, preview, import, row
    report. ``file`` is the upload until the worker has read it, then the rows it read (one JSON
    line per row, :mod:`gridgov.core.uploads`), until the import is done."""

    source_system = models.CharField(_("source system"), max_length=10, choices=SourceSystem.choices)
    town = models.ForeignKey("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="hotline/imports/%Y/%m/")
    original_name = models.CharField(max_length=200)
    sheet = models.CharField(max_length=100, blank=True)
    header_row = models.PositiveIntegerField(default=1)
    # {"upstream_number": "工单编号", "received_at": "来电时间", ...}: our field → the file's column.
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    # A totals row of the export (合计/总计): its sheet row and the number of orders it states,
    # checked against the rows read.
    totals_row = models.PositiveIntegerField(null=True, blank=True)
    totals_declared = models.PositiveIntegerField(null=True, blank=True)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    # Orders brought in with a review flag (created or updated with doubtful values).
    review_count = models.PositiveIntegerField(default=0)
    # Row-level outcome: [{"row": 5, "outcome": "created|updated|unchanged|skipped", "number": "...",
    #  "errors": [{"field": "...", "message": "..."}], "review": [ReviewNote as JSON]}]
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source_system} {self.original_name}"


class ColumnMapping(models.Model):
    """The column mapping last used for a source's exports, offered again on the next upload."""

    source_system = models.CharField(max_length=10, choices=SourceSystem.choices, unique=True)
    mapping = models.JSONField(default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.source_system


class ReconcileStatus(models.TextChoices):
    READING = "reading", _("Comparing")
    REFUSED = "refused", _("File refused")
    DONE = "done", _("Compared")


class Reconciliation(models.Model):
    """One comparison (对账) of the monthly list an upstream system sent (the orders it assigned to
    a town, with their status and times) with the town's own orders of that month.

    ``file`` is the upload until the worker has compared it; the differences found are kept as
    :class:`ReconcileDifference` rows, the figures of both sides in ``figures``."""

    source_system = models.CharField(_("source system"), max_length=10, choices=SourceSystem.choices)
    town = models.ForeignKey("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month compared."))
    file = models.FileField(upload_to="hotline/reconcile/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=ReconcileStatus.choices, default=ReconcileStatus.READING)
    # Our field → the file's column, as recognised from the headers.
    mapping = models.JSONField(default=dict, blank=True)
    # {"list": {...}, "town": {...}}: the counts and rates of each side (see reconcile.compare).
    figures = models.JSONField(default=dict, blank=True)
    list_rows = models.PositiveIntegerField(default=0)
    town_orders = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    difference_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source_system} {self.month:%Y-%m} {self.original_name}"


class DifferenceKind(models.TextChoices):
    MISSING_IN_TOWN = "missing_in_town", _("In the list, not in the town")
    MISSING_IN_LIST = "missing_in_list", _("In the town, not in the list")
    STATUS = "status", _("Status differs")
    STATUS_UNKNOWN = "status_unknown", _("Status not recognised")
    ARRIVAL = "arrival", _("Arrival time differs")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge time differs")
    REPLY = "reply", _("Reply time differs")
    DUPLICATE = "duplicate", _("Listed twice")
    UNREADABLE = "unreadable", _("Row without an order number")


class DifferenceState(models.TextChoices):
    OPEN = "open", _("To explain")
    EXPLAINED = "explained", _("Explained")


class ReconcileDifference(models.Model):
    """One difference a reconciliation found; the center explains it (with a reason) or leaves it
    open. Explaining is a workflow step: its history is the audit log."""

    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="differences")
    kind = models.CharField(_("difference"), max_length=20, choices=DifferenceKind.choices)
    upstream_number = models.CharField(_("upstream number"), max_length=64, blank=True)
    row = models.PositiveIntegerField(_("row"), null=True, blank=True)
    order = models.ForeignKey(HotlineOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    list_value = models.CharField(_("in the list"), max_length=200, blank=True)
    town_value = models.CharField(_("in the town"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=DifferenceState.choices, default=DifferenceState.OPEN)
    explanation = models.TextField(_("explanation"), blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    explained_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["reconciliation", "kind", "upstream_number", "id"]
        indexes = [models.Index(fields=["reconciliation", "kind", "status"], name="hotline_recon_diff_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.upstream_number}"
