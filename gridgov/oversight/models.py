"""The discipline office's oversight (纪委监督) of a town.

- :class:`RuleSetting`: a town's thresholds of the console's rules (``gridgov.oversight.rules``),
  edited by the discipline office; every change is a :class:`RuleSettingChange`.
- :class:`SupervisionNotice` (督办): a notice on a case or a hotline order with a deadline for
  the answer, answered by the owner (the handler or the center), on the workflow of
  :mod:`.transitions`; each step a :class:`SupervisionEvent`.
- :class:`Accountability` (责任追究/问责): a decision on a user, a department or a village,
  with the cases and orders that are its evidence, and attachments.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RuleSetting(models.Model):
    """A town's thresholds (``{param code: value}``) and the rules it switched off. A missing
    value is the rule's default."""

    town = models.OneToOneField("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    values = models.JSONField(default=dict, blank=True)
    disabled = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("oversight rule setting")
        verbose_name_plural = _("oversight rule settings")

    def __str__(self) -> str:
        return str(self.town_id)


class RuleSettingChange(models.Model):
    """One change of a town's thresholds: what they were and what they became."""

    setting = models.ForeignKey(RuleSetting, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("time"))
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.setting_id} {self.at:%Y-%m-%d %H:%M}"


class SupervisionStatus(models.TextChoices):
    ISSUED = "issued", _("Awaiting the answer")
    ANSWERED = "answered", _("Answered")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SupervisionNotice(models.Model):
    """A supervision notice (督办) of the discipline office on one case or one hotline order."""

    town = models.ForeignKey("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        "hotline.HotlineOrder",
        verbose_name=_("hotline order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("what is asked"))
    deadline = models.DateTimeField(_("answer due by"), db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SupervisionStatus.choices, default=SupervisionStatus.ISSUED
    )
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"), db_index=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # The rule of the console it was issued from (empty: issued from the case or order).
    rule = models.CharField(max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("supervision notice")
        verbose_name_plural = _("supervision notices")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(case__isnull=False) & Q(order__isnull=True))
                | (Q(case__isnull=True) & Q(order__isnull=False)),
                name="supervision_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def target_label(self) -> str:
        if self.case_id is not None and self.case is not None:
            return self.case.number
        if self.order is not None:
            return self.order.upstream_number
        return ""


class SupervisionEvent(models.Model):
    """One step of a supervision notice."""

    notice = models.ForeignKey(SupervisionNotice, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["notice_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.action}"


class TargetKind(models.TextChoices):
    USER = "user", _("A member of staff")
    DEPARTMENT = "department", _("A department")
    VILLAGE = "village", _("A village")


class AccountabilityKind(models.TextChoices):
    REMINDER_TALK = "reminder_talk", _("Reminder talk (提醒谈话)")
    CRITICISM = "criticism", _("Criticism and education (批评教育)")
    CIRCULATED = "circulated", _("Circulated criticism (通报批评)")
    ADMONITION = "admonition", _("Admonishment talk (诫勉谈话)")
    ORGANISATIONAL = "organisational", _("Proposed organisational measures (建议组织处理)")


class Accountability(models.Model):
    """An accountability decision (责任追究/问责) of the discipline office."""

    town = models.ForeignKey("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    target_kind = models.CharField(_("who is held to account"), max_length=12, choices=TargetKind.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member of staff"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_department = models.ForeignKey(
        "people.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT
    )
    target_village = models.ForeignKey(
        "areas.Area", verbose_name=_("village"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("measure"), max_length=16, choices=AccountabilityKind.choices)
    reason = models.TextField(_("reason"))
    cases = models.ManyToManyField("cases.Case", verbose_name=_("cases"), blank=True, related_name="+")
    orders = models.ManyToManyField(
        "hotline.HotlineOrder", verbose_name=_("hotline orders"), blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("accountability decision")
        verbose_name_plural = _("accountability decisions")
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_kind="user", target_user__isnull=False)
                | Q(target_kind="department", target_department__isnull=False)
                | Q(target_kind="village", target_village__isnull=False),
                name="accountability_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class AccountabilityAttachment(models.Model):
    record = models.ForeignKey(Accountability, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="oversight/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["record_id", "id"]

    def __str__(self) -> str:
        return self.name
