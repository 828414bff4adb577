"""Event classification: major and minor classes, each minor class with its time limits."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.workcalendar.units import TimeUnit

__all__ = ["TimeUnit"]  # re-exported: time limits are declared in this app


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class Stage(models.TextChoices):
    """Stages of the case loop that carry a time limit."""

    REGISTER = "register", _("Register")
    DISPATCH = "dispatch", _("Dispatch")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    HANDLE = "handle", _("Handle")
    VERIFY = "verify", _("Verify")


class CategoryQuerySet(models.QuerySet["Category"]):
    def majors(self) -> CategoryQuerySet:
        return self.filter(parent__isnull=True)

    def minors(self) -> CategoryQuerySet:
        return self.filter(parent__isnull=False)

    def active(self) -> CategoryQuerySet:
        return self.filter(is_active=True)


class Category(models.Model):
    """A major class (no parent) or a minor class (parent is a major class).

    Codes are dotted: ``parking`` is a major class, ``parking.minor`` one of its minor
    classes. Only minor classes carry a department, flags and time limits.
    """

    code = models.CharField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("major class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    default_department = models.ForeignKey(
        "people.Department",
        verbose_name=_("default department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    self_handle_allowed = models.BooleanField(_("grid workers may self-handle"), default=False)
    verification_required = models.BooleanField(_("on-site verification required"), default=True)
    # Field categories (on-site verification) need photos by default: the department's result
    # with a photo of it, the grid worker's verification with one taken on site.
    result_photo_required = models.BooleanField(_("report-back needs a result photo"), default=True)
    verify_photo_required = models.BooleanField(_("verification needs an on-site photo"), default=True)
    filing_condition = models.TextField(_("filing condition"), blank=True)
    closing_condition = models.TextField(_("closing condition"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_major(self) -> bool:
        return self.parent_id is None


class CategoryTimeLimit(models.Model):
    """How long one stage may take for a minor class at one urgency."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="time_limits"
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=20, choices=TimeUnit.choices)

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["category_id", "urgency", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["category", "urgency", "stage"], name="category_time_limit_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="category_time_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.category.code} {self.urgency} {self.stage}: {self.amount} {self.unit}"
