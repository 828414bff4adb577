"""Reminders spaced out: the same person reminds the same item at most once per
``GRIDGOV_REMIND_INTERVAL_MINUTES`` (60 by default), so a reminder button cannot flood a
department's notifications. The check reads the item's own history rows (no table of its own),
inside the action's transaction."""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from .errors import Throttled


def remind_interval() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "GRIDGOV_REMIND_INTERVAL_MINUTES", 60)))


def reminder_check(history: QuerySet[Model], *, now: dt.datetime, at_field: str = "at") -> None:
    """Refuse (:class:`Throttled`, 429, with ``retry_after_seconds``) a reminder when
    ``history`` (the item's reminder rows by this actor) holds one within the interval."""
    interval = remind_interval()
    if interval <= dt.timedelta(0):
        return
    last = (
        history.filter(**{f"{at_field}__gt": now - interval})
        .order_by(f"-{at_field}")
        .values_list(at_field, flat=True)
        .first()
    )
    if last is None:
        return
    wait = max(1, math.ceil((last + interval - now).total_seconds()))
    minutes = max(1, math.ceil(wait / 60))
    raise Throttled(
        _("You reminded this less than %(interval)s minutes ago; you can remind again in %(minutes)s minutes.")
        % {"interval": int(interval.total_seconds() // 60), "minutes": minutes},
        code="remind_too_soon",
        details={"retry_after_seconds": wait},
    )
