"""Households and units (and key places): created or updated on their natural key, and their
personal details revealed under audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.audit import record
from gridgov.core.reveals import reveal_guard

from .. import access
from ..models import (
    CareTag,
    HazardTag,
    Household,
    Unit,
    UnitKind,
)
from .common import (
    ADDRESS_MAX,
    CREATED,
    MEMBERS_MAX,
    NAME_MAX,
    UNCHANGED,
    UPDATED,
    VisitForbidden,
    _check_edit,
    _grid,
    _phone,
    _tags,
    _text,
    _valid_point,
    address_key,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

    from gridgov.areas.models import Area


@transaction.atomic
def household_save(
    *,
    actor: User | AnonymousUser,
    grid: Area | str,
    address: str,
    head_name: str = "",
    head_phone: str = "",
    member_count: int | None = None,
    care_tags: Sequence[str] = (),
    doubts: Sequence[str] = (),
    household: Household | None = None,
    via: str = "web",
    request: HttpRequest | None = None,
    at: dt.datetime | None = None,
) -> tuple[Household, str]:
    """Create or update a household; the outcome is ``created``, ``updated`` or ``unchanged``.
    Without ``household`` the grid and the address are its natural key: the household already
    registered there is updated (a re-import changes nothing twice). ``doubts`` flag it (kept,
    shown, to be checked), never refuse it. ``at`` is when a new household was registered (now
    by default; the demo's history sets it)."""
    area = _grid(grid)
    _check_edit(actor, area)
    clean_address = _text(address, "address", ADDRESS_MAX, required=True)
    name = _text(head_name, "head_name", NAME_MAX)
    phone = _phone(head_phone, "head_phone")
    if member_count is not None and not 0 < member_count <= MEMBERS_MAX:
        raise ValidationError({"member_count": [_("Between 1 and %(n)s members.") % {"n": MEMBERS_MAX}]})
    tags = _tags(care_tags, list(CareTag.values), "care_tags")
    key = address_key(clean_address)
    if household is None:
        household = Household.objects.select_for_update().filter(grid=area, address_key=key).first()
    elif (household.grid_id != area.pk or household.address_key != key) and (
        Household.objects.filter(grid=area, address_key=key).exclude(pk=household.pk).exists()
    ):
        raise ValidationError({"address": [_("Another household of the grid has this address.")]})
    created = household is None
    if household is None:
        household = Household(created_at=at or timezone.now())
    before = (
        household.grid_id,
        household.address,
        household.head_name,
        household.head_phone,
        household.member_count,
        list(household.care_tags),
        household.doubts,
    )
    household.grid, household.area_path, household.address, household.address_key = area, area.path, clean_address, key
    household.head_name, household.head_phone, household.member_count = name, phone, member_count
    household.care_tags = tags
    household.doubts = "\n".join(str(d) for d in doubts)
    household.doubtful = bool(doubts)
    household.active = True
    after = (area.pk, clean_address, name, phone, member_count, tags, household.doubts)
    if not created and before == after:
        return household, UNCHANGED
    household.save()
    # No personal data in the audit row: which fields changed, not their values.
    changed = [
        f
        for f, a, b in zip(
            ("grid", "address", "head_name", "head_phone", "member_count", "care_tags", "doubts"),
            before,
            after,
            strict=True,
        )
        if a != b
    ]
    record(
        action="visits.household_create" if created else "visits.household_update",
        actor=actor,
        obj=household,
        request=request,
        data={"grid": area.code, "via": via, "changed": changed, "doubtful": household.doubtful},
    )
    return household, CREATED if created else UPDATED


@transaction.atomic
def unit_save(
    *,
    actor: User | AnonymousUser,
    grid: Area | str,
    kind: str,
    name: str,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    hazard_tags: Sequence[str] = (),
    lat: float | None = None,
    lng: float | None = None,
    doubts: Sequence[str] = (),
    unit: Unit | None = None,
    via: str = "web",
    request: HttpRequest | None = None,
    at: dt.datetime | None = None,
) -> tuple[Unit, str]:
    """Create or update a unit or key place; its natural key is the grid and the name. The
    outcome is ``created``, ``updated`` or ``unchanged``."""
    area = _grid(grid)
    _check_edit(actor, area)
    if kind not in UnitKind.values:
        raise ValidationError({"kind": [_("Unknown kind of unit.")]})
    clean_name = _text(name, "name", NAME_MAX, required=True)
    values: dict[str, Any] = {
        "kind": kind,
        "address": _text(address, "address", ADDRESS_MAX),
        "contact_name": _text(contact_name, "contact_name", NAME_MAX),
        "contact_phone": _phone(contact_phone, "contact_phone"),
        "hazard_tags": _tags(hazard_tags, list(HazardTag.values), "hazard_tags"),
        "lat": lat,
        "lng": lng,
        "doubts": "\n".join(str(d) for d in doubts),
        "doubtful": bool(doubts),
    }
    if (lat is None) != (lng is None) or (lat is not None and lng is not None and not _valid_point(lat, lng)):
        raise ValidationError({"lat": [_("Not a valid coordinate.")]})
    if unit is None:
        unit = Unit.objects.select_for_update().filter(grid=area, name=clean_name).first()
    elif Unit.objects.filter(grid=area, name=clean_name).exclude(pk=unit.pk).exists():
        raise ValidationError({"name": [_("Another unit of the grid has this name.")]})
    created = unit is None
    if unit is None:
        unit = Unit(created_at=at or timezone.now())
    changed = [f for f, v in values.items() if getattr(unit, f, None) != v]
    if unit.grid_id != area.pk:
        changed.append("grid")
    if unit.name != clean_name:
        changed.append("name")
    if not created and not changed:
        return unit, UNCHANGED
    unit.grid, unit.area_path, unit.name = area, area.path, clean_name
    for field, value in values.items():
        setattr(unit, field, value)
    unit.active = True
    unit.save()
    record(
        action="visits.unit_create" if created else "visits.unit_update",
        actor=actor,
        obj=unit,
        request=request,
        data={"grid": area.code, "via": via, "kind": kind, "changed": sorted(set(changed)), "doubtful": unit.doubtful},
    )
    return unit, CREATED if created else UPDATED


def household_reveal(
    household: Household, *, actor: User | AnonymousUser, request: HttpRequest | None = None
) -> dict[str, str]:
    """The head's name, phone, the address and the care tags (``care_labels``, joined) in
    full; audited, within the hourly limit of reveals shared with cases and the hotline."""
    if not access.may_reveal(actor, household):
        raise VisitForbidden(_("You may not see this person's details."))
    with reveal_guard(actor, request):
        record(action="visits.household_reveal", actor=actor, obj=household, request=request, data={})
    return {
        "head_name": household.head_name,
        "head_phone": household.head_phone,
        "address": household.address,
        "care_labels": "、".join(household.care_labels),
    }


def unit_reveal(unit: Unit, *, actor: User | AnonymousUser, request: HttpRequest | None = None) -> dict[str, str]:
    if not access.may_reveal(actor, unit):
        raise VisitForbidden(_("You may not see this person's details."))
    with reveal_guard(actor, request):
        record(action="visits.unit_reveal", actor=actor, obj=unit, request=request, data={})
    return {"contact_name": unit.contact_name, "contact_phone": unit.contact_phone}
