"""Words shown beside a provisional deadline (pages, exports): one place for their text.

A deadline is provisional when it falls in a year whose official holiday schedule is not loaded
yet (:func:`gridgov.workcalendar.calendar.deadline_is_provisional`).
"""

from __future__ import annotations

from django.utils.translation import gettext


def provisional_label() -> str:
    """The short mark (暂定)."""
    return gettext("provisional")


def provisional_tooltip() -> str:
    """Why the deadline is provisional (for tooltips, and a note column of exports)."""
    return gettext(
        "The State Council's holiday schedule for this deadline's year is not published yet: "
        "it is counted on the statutory holidays and will be recomputed once the schedule is loaded."
    )
