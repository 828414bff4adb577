"""Assessment with rewards and penalties (考核奖惩).

A :class:`Scheme` (one version of a town's scheme for one target type: grid workers, grid
leaders, villages or departments) weighs :class:`SchemeItem`\\ s: automatic items read from the
system's figures (:mod:`.indicators`) and scored by a rule (:mod:`.scoring`), and manual items an
assessor scores with evidence; bonus and penalty points (:class:`Entry`) are capped per scheme.
A scheme a computed period used is frozen; editing it makes a new version.

A :class:`Period` (a month, a quarter, a year) applies one scheme per target type. Computing it
writes a :class:`Snapshot`: every input frozen (each automatic item's numerator, denominator and
the identities of the cases, patrols, visits or analyses behind them, the manual scores, the
entries, the schemes' items) and a :class:`Result` per target scored from those inputs alone, so
the digits can be scored again from the snapshot at any time. Recomputing writes a new snapshot
and keeps the old one. Results are published to the assessed, who may :class:`Appeal` within a
window; an upheld appeal changes a score by an :class:`Adjustment`. :class:`Sanction`\\ s are
the rewards and penalties decided on the ranking.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class TargetType(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid workers")
    GRID_LEADER = "grid_leader", _("Grid leaders")
    VILLAGE = "village", _("Villages")
    DEPARTMENT = "department", _("Departments")


class ItemKind(models.TextChoices):
    AUTO = "auto", _("Automatic")
    MANUAL = "manual", _("Scored by the assessor")


class NoData(models.TextChoices):
    FULL = "full", _("Full marks")
    ZERO = "zero", _("No marks")
    EXCLUDE = "exclude", _("Left out (the other weights count for all)")


class Scheme(models.Model):
    town = models.ForeignKey("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    # The scheme's lasting code; each version is a row.
    family = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(_("name"), max_length=120)
    target_type = models.CharField(_("assessed"), max_length=12, choices=TargetType.choices)
    bonus_cap = models.DecimalField(_("bonus cap"), max_digits=6, decimal_places=2, default=5)
    penalty_cap = models.DecimalField(_("penalty cap"), max_digits=6, decimal_places=2, default=10)
    note = models.TextField(_("note"), blank=True)
    # Set when a computed period used this version: it never changes again.
    frozen_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A newer version replaced it (only the latest version of a scheme is offered to periods).
    replaced = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["town_id", "target_type", "family", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["town", "family", "version"], name="scheme_version_unique"),
            models.UniqueConstraint(
                fields=["town", "family"], condition=Q(replaced=False), name="scheme_one_current_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class SchemeItem(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    code = models.SlugField(max_length=40)
    label = models.CharField(_("item"), max_length=80)
    kind = models.CharField(_("kind"), max_length=8, choices=ItemKind.choices)
    # An automatic item's figure (a code of the indicator registry).
    indicator = models.CharField(_("figure"), max_length=40, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    # {"type": "linear", "low": 60, "high": 100} or
    # {"type": "thresholds", "direction": "at_least", "steps": [[95, 100], [90, 80]], "otherwise": 0}
    rule = models.JSONField(default=dict, blank=True)
    no_data = models.CharField(_("without data"), max_length=8, choices=NoData.choices, default=NoData.FULL)

    class Meta:
        ordering = ["scheme_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="scheme_item_code_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="scheme_item_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.label


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("Open (scores being entered)")
    COMPUTING = "computing", _("Being computed")
    COMPUTED = "computed", _("Computed, not published")
    PUBLISHED = "published", _("Published (appeals open)")
    FINAL = "final", _("Final")


class Period(models.Model):
    town = models.ForeignKey("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    schemes = models.ManyToManyField(Scheme, verbose_name=_("schemes"), related_name="periods")
    status = models.CharField(max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    appeal_days = models.PositiveSmallIntegerField(_("appeal window (working days)"), default=5)
    current = models.ForeignKey(
        "Snapshot", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    appeal_until = models.DateTimeField(null=True, blank=True, editable=False)
    final_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assessment period")
        verbose_name_plural = _("assessment periods")
        ordering = ["-start", "kind", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["town", "kind", "start"], name="assessment_period_once"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="assessment_period_ends_after"),
        ]

    def __str__(self) -> str:
        return str(self.title)

    @property
    def title(self) -> str:
        """The period's name in the reader's language, e.g. "2026-11 monthly assessment"."""
        if self.kind == PeriodKind.MONTH:
            return gettext("%(year)s-%(month)02d monthly assessment") % {
                "year": self.start.year,
                "month": self.start.month,
            }
        if self.kind == PeriodKind.QUARTER:
            quarter = (self.start.month - 1) // 3 + 1
            return gettext("%(year)s Q%(quarter)s assessment") % {"year": self.start.year, "quarter": quarter}
        return gettext("%(year)s annual assessment") % {"year": self.start.year}


class SnapshotStatus(models.TextChoices):
    RUNNING = "running", _("Being computed")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Snapshot(models.Model):
    """One computation of a period: every input frozen, and the results scored from them."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="snapshots")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=SnapshotStatus.choices, default=SnapshotStatus.RUNNING)
    reason = models.TextField(_("reason"), blank=True)
    # {"schemes": {id: {...items}}, "targets": [{"key", "type", "label", "scheme", "inputs": {...}}]}
    inputs = models.JSONField(default=dict, blank=True, editable=False)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["period_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["period", "number"], name="assessment_snapshot_number")]

    def __str__(self) -> str:
        return f"{self.period_id} #{self.number}"


class Result(models.Model):
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="results")
    target_type = models.CharField(max_length=12, choices=TargetType.choices)
    target_key = models.CharField(max_length=60)
    label = models.CharField(max_length=120)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("people.Department", null=True, blank=True, on_delete=models.PROTECT)
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="+")
    # Scored from the snapshot's inputs; ``adjustment`` is the sum of the upheld appeals'.
    score = models.DecimalField(max_digits=7, decimal_places=2)
    adjustment = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=7, decimal_places=2)
    rank = models.PositiveIntegerField(default=0)
    # [{"code", "label", "kind", "weight", "value", "num", "den", "score", ...}] and bonus/penalty
    breakdown = models.JSONField(default=dict)

    class Meta:
        ordering = ["snapshot_id", "target_type", "rank", "target_key"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "target_key"], name="assessment_result_once"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.total}"


class ManualScore(models.Model):
    """An assessor's score of a manual item for one target in a period, with the evidence."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="manual_scores")
    target_key = models.CharField(max_length=60)
    item_code = models.SlugField(max_length=40)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    evidence = models.TextField(_("evidence"))
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "target_key", "item_code"], name="assessment_manual_once"),
        ]

    def __str__(self) -> str:
        return f"{self.target_key} {self.item_code} {self.score}"


class EntryKind(models.TextChoices):
    BONUS = "bonus", _("Bonus (加分)")
    PENALTY = "penalty", _("Penalty (扣分)")


class Entry(models.Model):
    """Bonus or penalty points for one target in a period, with the reason."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="entries")
    target_key = models.CharField(max_length=60)
    kind = models.CharField(_("kind"), max_length=8, choices=EntryKind.choices)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    reason = models.TextField(_("reason"))
    withdrawn = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period_id", "target_key", "id"]
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="assessment_entry_points_positive")]

    def __str__(self) -> str:
        return f"{self.kind} {self.points}"


class Attachment(models.Model):
    """A file of evidence: of a manual score, a bonus or penalty entry, or an appeal."""

    manual = models.ForeignKey(ManualScore, null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    appeal = models.ForeignKey("Appeal", null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="assessment/%Y/%m/")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(manual__isnull=False, entry__isnull=True, appeal__isnull=True)
                    | Q(manual__isnull=True, entry__isnull=False, appeal__isnull=True)
                    | Q(manual__isnull=True, entry__isnull=True, appeal__isnull=False)
                ),
                name="assessment_attachment_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.name


class AppealStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    PROPOSED = "proposed", _("Decision proposed")
    DECIDED = "decided", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Decision(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class Appeal(models.Model):
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="appeals")
    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="appeals")
    appellant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    item_code = models.CharField(_("item"), max_length=40, blank=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(max_length=10, choices=AppealStatus.choices, default=AppealStatus.SUBMITTED)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices, blank=True)
    opinion = models.TextField(_("the center's opinion"), blank=True)
    delta = models.DecimalField(_("score change"), max_digits=6, decimal_places=2, default=0)
    review_comment = models.TextField(_("discipline office's comment"), blank=True)
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["result"],
                condition=Q(status__in=["submitted", "proposed"]),
                name="assessment_one_open_appeal",
            )
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk}"


class Adjustment(models.Model):
    """A change of a published score (an upheld appeal's), kept apart from the computed score."""

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="adjustments")
    appeal = models.ForeignKey(Appeal, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    delta = models.DecimalField(max_digits=6, decimal_places=2)
    reason = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.result_id} {self.delta}"


class SanctionKind(models.TextChoices):
    REWARD = "reward", _("Reward")
    PENALTY = "penalty", _("Disciplinary measure")


class SanctionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    DROPPED = "dropped", _("Dropped")


class Sanction(models.Model):
    """A reward or a penalty (奖惩) for a target of a period, with its evidence."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="sanctions")
    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="sanctions")
    kind = models.CharField(_("kind"), max_length=8, choices=SanctionKind.choices)
    measure = models.CharField(_("measure"), max_length=120)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=9, decimal_places=2, null=True, blank=True)
    reason = models.TextField(_("reason"))
    # [{"kind": "case", "id": 1, "label": "SJ-…", "why": "overdue"}] from the snapshot
    evidence = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=SanctionStatus.choices, default=SanctionStatus.PROPOSED)
    comment = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["period_id", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.measure}"
