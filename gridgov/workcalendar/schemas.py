"""Helpers for API schemas that answer deadlines: the provisional flag beside a deadline.

A deadline in a year whose official holiday schedule is not loaded yet is *provisional*
(:func:`gridgov.workcalendar.calendar.deadline_is_provisional`). An output schema adds a flag
beside each deadline it answers::

    from gridgov.workcalendar.schemas import provisional_field, provisional_resolver

    class CaseSummaryOut(Schema):
        stage_deadline: LocalTime | None
        stage_deadline_provisional: bool = provisional_field()
        resolve_stage_deadline_provisional = provisional_resolver("stage_deadline")

The resolver reads the named attribute (or key, for dicts) of the object being answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ninja import Field

from . import calendar

PROVISIONAL_DESCRIPTION = (
    "True when the deadline falls in a year whose official holiday schedule (the State Council's "
    "notice) is not loaded yet: it is counted on the statutory holidays without swapped working "
    "days, and recomputed when the schedule is loaded."
)


def provisional_field() -> Any:
    """The schema field of a provisional flag (``False`` unless resolved otherwise)."""
    return Field(False, description=PROVISIONAL_DESCRIPTION)


def _read(obj: Any, attr: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(attr)
    return getattr(obj, attr, None)


def provisional_resolver(attr: str) -> staticmethod[[Any], bool]:
    """A ninja resolver (``resolve_<flag> = provisional_resolver("<deadline attribute>")``)."""

    def resolve(obj: Any) -> bool:
        value = _read(obj, attr)
        if not isinstance(value, dt.date):
            return False
        return calendar.deadline_is_provisional(value)

    return staticmethod(resolve)
