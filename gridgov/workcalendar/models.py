"""The working calendar: admin overrides, loaded official years and working hours.

The ``chinese-calendar`` package knows the official holidays and swapped workdays up to the
last year it ships. For other years the administrator loads the State Council's schedule
(``CalendarYear`` + ``CalendarDay`` rows); until then the year is provisional: Monday–Friday
minus the statutory holidays computed from the rules. See ``docs/calendar.md``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DaySource(models.TextChoices):
    ADMIN = "admin", _("Entered by an administrator")
    OFFICIAL = "official", _("Official schedule import")


class CalendarDay(models.Model):
    """One date whose status overrides everything else: a holiday or a working day."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=50, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=DaySource.choices, default=DaySource.ADMIN)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'holiday'} {self.name}"


class CalendarYear(models.Model):
    """A year whose official schedule has been loaded by an administrator."""

    year = models.PositiveIntegerField(_("year"), unique=True)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("loaded by"), null=True, blank=True, on_delete=models.PROTECT
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("loaded calendar year")
        verbose_name_plural = _("loaded calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class WorkingPeriod(models.Model):
    """One span of office hours on every working day (e.g. 08:30–12:00, 13:30–17:30)."""

    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="working_period_ordered")]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"
