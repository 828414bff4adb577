"""Template helpers for deadlines shown on pages: the mark of a provisional deadline.

``{% load workcalendar %}``, then ``{{ case.stage_deadline|provisional_mark }}`` after a shown
deadline: a small "provisional" tag with a tooltip when the deadline falls in a year whose
official holiday schedule is not loaded yet, nothing otherwise. ``{% if deadline|is_provisional %}``
tests the same for other markup. See ``docs/calendar.md``.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from gridgov.workcalendar import calendar
from gridgov.workcalendar.display import provisional_label, provisional_tooltip

register = template.Library()


@register.filter
def is_provisional(moment: dt.datetime | dt.date | None) -> bool:
    """Whether the deadline falls in a provisional year (``False`` for no deadline)."""
    return calendar.deadline_is_provisional(moment)


@register.filter
def provisional_mark(moment: dt.datetime | dt.date | None) -> SafeString | str:
    """A small "provisional" mark with its tooltip if the deadline is provisional, else ``""``."""
    if not calendar.deadline_is_provisional(moment):
        return ""
    return format_html(
        '<span class="provisional-mark" title="{}" data-testid="provisional-mark">{}</span>',
        provisional_tooltip(),
        provisional_label(),
    )
