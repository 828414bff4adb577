"""Writes of basic data and visits: every one in a transaction with its audit row.

The parts:

- :mod:`.common`: the limits, the refusal (:class:`VisitForbidden`) and the checks of a field
  that basic data and visits share;
- :mod:`.basic_data`: households and units, saved and revealed;
- :mod:`.plans`: how often households and units are visited (the visit plans);
- :mod:`.visits`: recording a visit with its photos, their thumbnails, and the case a visit's
  finding becomes.

Every public name is importable from here, as callers always did.
"""

from __future__ import annotations

from .basic_data import household_reveal, household_save, unit_reveal, unit_save
from .common import (
    ADDRESS_MAX,
    CLOCK_SKEW,
    CREATED,
    MAX_AGE,
    MAX_PHOTOS,
    MEMBERS_MAX,
    NAME_MAX,
    NOTES_MAX,
    PHONE_MAX,
    PHONE_RE,
    UNCHANGED,
    UPDATED,
    VisitForbidden,
    address_key,
    normalise,
)
from .plans import DEFAULT_PLANS, DEFAULT_UNIT_PLANS, plan_set, plans_seed, unit_plan_set
from .visits import visit_case_create, visit_record, visit_thumbnails_make

__all__ = [
    "ADDRESS_MAX",
    "CLOCK_SKEW",
    "CREATED",
    "DEFAULT_PLANS",
    "DEFAULT_UNIT_PLANS",
    "MAX_AGE",
    "MAX_PHOTOS",
    "MEMBERS_MAX",
    "NAME_MAX",
    "NOTES_MAX",
    "PHONE_MAX",
    "PHONE_RE",
    "UNCHANGED",
    "UPDATED",
    "VisitForbidden",
    "address_key",
    "household_reveal",
    "household_save",
    "normalise",
    "plan_set",
    "plans_seed",
    "unit_plan_set",
    "unit_reveal",
    "unit_save",
    "visit_case_create",
    "visit_record",
    "visit_thumbnails_make",
]
