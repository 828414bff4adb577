"""The units of time limits and the traffic light of a timed stage (used by every app)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeUnit(models.TextChoices):
    """The unit of a time limit: working time on the calendar, or plain calendar time."""

    WORKING_MINUTES = "working_minutes", _("working minutes")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_MINUTES = "calendar_minutes", _("minutes (calendar)")
    CALENDAR_HOURS = "calendar_hours", _("hours (calendar)")
    CALENDAR_DAYS = "calendar_days", _("days (calendar)")


class Light(models.TextChoices):
    """The traffic light of a timed stage."""

    GREEN = "green", _("On time")
    YELLOW = "yellow", _("Warning")
    RED = "red", _("Overdue")
    NONE = "none", _("No time limit")
