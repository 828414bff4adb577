"""Writes of basic data and visits: every one in a transaction with its audit row."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import unicodedata
import uuid
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any, Final

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.access.scope import scope_for
from gridgov.areas.selectors import current_grid
from gridgov.cases import photos
from gridgov.cases import services as case_services
from gridgov.cases.models import Source
from gridgov.cases.selectors import reported_case_ids
from gridgov.core.actors import signed_in
from gridgov.core.audit import record
from gridgov.core.crypto import digest
from gridgov.core.errors import Forbidden
from gridgov.core.reveals import reveal_guard
from gridgov.people.models import Role

from .. import access
from ..models import (
    CareTag,
    Finding,
    HazardTag,
    Household,
    Unit,
    UnitKind,
    UnitPlanTag,
    UnitVisitPlan,
    Visit,
    VisitPhoto,
    VisitPlan,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

    from gridgov.areas.models import Area
    from gridgov.cases.models import Case

ADDRESS_MAX: Final = 200
NAME_MAX: Final = 100
PHONE_MAX: Final = 30
NOTES_MAX: Final = 2000
# Photos of one visit, as of a case report.
MAX_PHOTOS: Final = case_services.MAX_PHOTOS
MEMBERS_MAX: Final = 30
# Clock difference between the phone and the server that is still accepted.
CLOCK_SKEW: Final = dt.timedelta(minutes=5)
# A visit recorded offline may reach the server this late.
MAX_AGE: Final = dt.timedelta(days=30)
CREATED: Final = "created"
UPDATED: Final = "updated"
UNCHANGED: Final = "unchanged"
PHONE_RE: Final = re.compile(r"^[0-9+\-() ]{5,30}$")


class VisitForbidden(Forbidden):
    pass


def normalise(text: str) -> str:
    """Full-width to half-width, runs of blanks to one space, trimmed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip()


def address_key(address: str) -> str:
    return digest(normalise(address).replace(" ", "").lower(), purpose="visits.household_address")


def _grid(grid: Area | str) -> Area:
    found = current_grid(code=grid) if isinstance(grid, str) else grid
    if found is None or found.level != "grid":
        raise ValidationError({"grid": [_("No such grid in force.")]})
    return found


def _text(value: str, field: str, maximum: int, *, required: bool = False) -> str:
    text = normalise(value)
    if required and not text:
        raise ValidationError({field: [_("This field is required.")]})
    if len(text) > maximum:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": maximum}]})
    return text


def _tags(values: Sequence[str], allowed: list[str], field: str) -> list[str]:
    tags: list[str] = []
    for value in values:
        tag = str(value).strip()
        if tag not in allowed:
            raise ValidationError({field: [_("Unknown tag: %(tag)s.") % {"tag": tag}]})
        if tag not in tags:
            tags.append(tag)
    return tags


def _check_edit(actor: User | AnonymousUser, grid: Area) -> User:
    user = signed_in(actor)
    if user is None or not access.may_edit(user, grid.path):
        raise VisitForbidden(_("You may not edit the basic data of this grid."))
    return user


def _phone(value: str, field: str) -> str:
    phone = _text(value, field, PHONE_MAX)
    if phone and not PHONE_RE.match(phone):
        raise ValidationError({field: [_("Not a phone number.")]})
    return phone


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


@transaction.atomic
def plan_set(
    *,
    actor: User | AnonymousUser,
    care_tag: str,
    interval_days: int,
    active: bool = True,
    request: HttpRequest | None = None,
) -> VisitPlan:
    """Set how often households with ``care_tag`` are visited (the center or an administrator)."""
    if not (access.is_administrator(actor) or scope_for(actor).has_role(Role.CENTER_OPERATOR)):
        raise VisitForbidden(_("Only the center sets the visit plans."))
    if care_tag not in CareTag.values:
        raise ValidationError({"care_tag": [_("Unknown tag: %(tag)s.") % {"tag": care_tag}]})
    if not 1 <= interval_days <= 366:
        raise ValidationError({"interval_days": [_("Between 1 and 366 days.")]})
    plan, _created = VisitPlan.objects.update_or_create(
        care_tag=care_tag, defaults={"interval_days": interval_days, "active": active}
    )
    record(
        action="visits.plan_set",
        actor=actor,
        obj=plan,
        request=request,
        data={"care_tag": care_tag, "interval_days": interval_days, "active": active},
    )
    return plan


# How often a household with each care tag is visited until the center changes it (the
# migration 0002 creates the same plans).
DEFAULT_PLANS: Final = {
    CareTag.ELDERLY_ALONE: 7,
    CareTag.DISABLED: 14,
    CareTag.LEFT_BEHIND_CHILD: 14,
    CareTag.LOW_INCOME: 30,
}


# How often a unit with each hazard tag, or a key place of each kind, is visited until the
# center changes it, and whether the plan is on (the migration 0003 creates the same plans).
# Fire, crowd and flood are on nearly every shop, school or low street, which the monthly
# coverage asks for anyway: their plans start switched off.
DEFAULT_UNIT_PLANS: Final = {
    UnitPlanTag.HAZARD_POINT: (7, True),
    UnitPlanTag.CONSTRUCTION_SITE: (7, True),
    UnitPlanTag.CHEMICALS: (14, True),
    UnitPlanTag.STRUCTURE: (14, True),
    UnitPlanTag.GAS: (30, True),
    UnitPlanTag.FIRE: (30, False),
    UnitPlanTag.CROWD: (30, False),
    UnitPlanTag.FLOOD: (30, False),
}


def unit_plan_set(
    *,
    actor: User | AnonymousUser,
    tag: str,
    interval_days: int,
    active: bool = True,
    request: HttpRequest | None = None,
) -> UnitVisitPlan:
    """Set how often units with a hazard tag, or key places of a kind, are visited (the center
    or an administrator)."""
    scope = scope_for(actor)
    if not (scope.everything or scope.has_role(Role.CENTER_OPERATOR)):
        raise VisitForbidden(_("Only the center sets the visit plans."))
    if tag not in UnitPlanTag.values:
        raise ValidationError({"tag": [_("Unknown tag: %(tag)s.") % {"tag": tag}]})
    if not 1 <= interval_days <= 366:
        raise ValidationError({"interval_days": [_("Between 1 and 366 days.")]})
    with transaction.atomic():
        plan, _created = UnitVisitPlan.objects.update_or_create(
            tag=tag, defaults={"interval_days": interval_days, "active": active}
        )
        record(
            action="visits.unit_plan_set",
            actor=actor,
            obj=plan,
            request=request,
            data={"tag": tag, "interval_days": interval_days, "active": active},
        )
    return plan


@transaction.atomic
def plans_seed(*, actor: User | None = None) -> int:
    """Create the default plan of every care tag and unit tag that has none; returns how many
    were made."""
    made = 0
    for tag, days in DEFAULT_PLANS.items():
        plan, created = VisitPlan.objects.get_or_create(care_tag=tag, defaults={"interval_days": days})
        if created:
            record(action="visits.plan_set", actor=actor, obj=plan, data={"care_tag": tag, "interval_days": days})
            made += 1
    for unit_tag, (days, active) in DEFAULT_UNIT_PLANS.items():
        unit_plan, created = UnitVisitPlan.objects.get_or_create(
            tag=unit_tag, defaults={"interval_days": days, "active": active}
        )
        if created:
            data = {"tag": unit_tag, "interval_days": days, "active": active}
            record(action="visits.unit_plan_set", actor=actor, obj=unit_plan, data=data)
            made += 1
    return made


# --- visits ---------------------------------------------------------------------------------


def _valid_point(lat: float, lng: float) -> bool:
    return (
        math.isfinite(lat)
        and math.isfinite(lng)
        and -90 <= lat <= 90
        and -180 <= lng <= 180
        and not (lat == 0 and lng == 0)
    )


def _fingerprint(*parts: Any) -> str:
    canonical = json.dumps([None if p is None else str(p) for p in parts], ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _client_uuid(client_id: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(client_id).strip())
    except (ValueError, AttributeError, TypeError):
        raise ValidationError({"client_id": [_("The visit's client id must be a UUID.")]}) from None


def _existing(worker: User, client_id: uuid.UUID, fingerprint: str) -> Visit | None:
    found = Visit.objects.filter(worker=worker, client_id=client_id).first()
    if found is not None and found.fingerprint != fingerprint:
        raise ValidationError(
            {"client_id": [_("This client id was already used for a different visit. Use a new one.")]}
        )
    return found


def _target(user: User, household_id: int | None, unit_id: int | None) -> Household | Unit:
    if (household_id is None) == (unit_id is None):
        raise ValidationError({"household_id": [_("A visit is to one household or one unit.")]})
    model: type[Household] | type[Unit] = Household if household_id is not None else Unit
    target = (
        model.objects.filter(access.area_q(user, tuple(access.VISIT_ROLES)), active=True)
        .filter(pk=household_id if household_id is not None else (unit_id or 0))
        .select_related("grid")
        .first()
    )
    if target is None:
        field = "household_id" if household_id is not None else "unit_id"
        raise ValidationError({field: [_("No such household or unit in your grids.")]})
    return target


@transaction.atomic
def visit_record(
    *,
    actor: User | AnonymousUser,
    client_id: str | uuid.UUID,
    visited_at: dt.datetime,
    household_id: int | None = None,
    unit_id: int | None = None,
    finding: str = Finding.NOTHING,
    notes: str = "",
    lat: float | None = None,
    lng: float | None = None,
    accuracy: float | None = None,
    case_client_id: str = "",
    photos_in: Sequence[IO[bytes]] = (),
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> tuple[Visit, bool]:
    """Store a visit the phone (or the web form) recorded, with its photos (at most
    :data:`MAX_PHOTOS`, checked as a case's). Returns ``(visit, created)``: the same ``client_id``
    from the same worker for the same visit (target, time, finding) is the visit already
    stored, with the photos it was stored with, even under concurrent retries; the same id for
    another visit is refused (422).
    ``case_client_id`` names the case the worker reported from the finding on the phone (its
    Idempotency-Key); it is linked now if that report arrived, else when the visit is read."""
    now = now or timezone.now()
    user = signed_in(actor)
    if user is None or not scope_for(user).has_role(*access.VISIT_ROLES):
        raise VisitForbidden(_("Your role does not record visits."))
    client_uuid = _client_uuid(client_id)
    moment = visited_at if timezone.is_aware(visited_at) else timezone.make_aware(visited_at)
    fingerprint = _fingerprint(household_id, unit_id, moment.isoformat(), finding)
    existing = _existing(user, client_uuid, fingerprint)
    if existing is not None:
        return existing, False
    if finding not in Finding.values:
        raise ValidationError({"finding": [_("Unknown finding.")]})
    if moment > now + CLOCK_SKEW:
        raise ValidationError({"visited_at": [_("The visit is in the future. Check the phone's clock.")]})
    if moment < now - MAX_AGE:
        raise ValidationError({"visited_at": [_("The visit is more than 30 days old.")]})
    if (lat is None) != (lng is None) or (lat is not None and lng is not None and not _valid_point(lat, lng)):
        raise ValidationError({"lat": [_("Not a valid coordinate.")]})
    if accuracy is not None and (not math.isfinite(accuracy) or accuracy < 0):
        raise ValidationError({"accuracy": [_("Not a valid accuracy.")]})
    clean_notes = (notes or "").strip()
    if len(clean_notes) > NOTES_MAX:
        raise ValidationError({"notes": [_("At most %(n)s characters.") % {"n": NOTES_MAX}]})
    case_key = (case_client_id or "").strip()
    if len(case_key) > 64:
        raise ValidationError({"case_client_id": [_("At most %(n)s characters.") % {"n": 64}]})
    if case_key and finding == Finding.NOTHING:
        raise ValidationError({"case_client_id": [_("A visit that found nothing has no case.")]})
    target = _target(user, household_id, unit_id)
    infos = photos.check_photos(list(photos_in), max_count=MAX_PHOTOS) if photos_in else []
    visit = Visit(
        worker=user,
        grid=target.grid,
        area_path=target.area_path,
        household=target if isinstance(target, Household) else None,
        unit=target if isinstance(target, Unit) else None,
        client_id=client_uuid,
        fingerprint=fingerprint,
        visited_at=moment,
        lat=lat,
        lng=lng,
        accuracy=accuracy,
        finding=finding,
        notes=clean_notes,
        case_client_id=case_key,
        case_id=reported_case_ids(user.pk, [case_key]).get(case_key) if case_key else None,
    )
    try:
        with transaction.atomic():
            visit.save(force_insert=True)
    except IntegrityError:
        # A concurrent retry stored it first (the unique constraint waited for its commit).
        existing = _existing(user, client_uuid, fingerprint)
        if existing is not None:
            return existing, False
        raise
    stored = _photos_store(visit, list(zip(photos_in, infos, strict=True)))
    record(
        action="visit.record",
        actor=actor,
        obj=visit,
        request=request,
        data={
            "client_id": str(client_uuid),
            "grid": target.grid.code,
            "target": "household" if visit.household_id else "unit",
            "target_id": target.pk,
            "finding": finding,
            "photos": len(stored),
        },
    )
    return visit, True


def _photos_store(visit: Visit, checked: list[tuple[IO[bytes], photos.ImageInfo]]) -> list[VisitPhoto]:
    """Store a visit's checked photos (the same photo twice is kept once); the thumbnails are
    made by the worker after the commit."""
    stored: list[VisitPhoto] = []
    seen: set[str] = set()
    for handle, info in checked:
        if info.sha256 in seen:
            continue
        seen.add(info.sha256)
        handle.seek(0)
        extension = {"jpeg": "jpg"}.get(info.format, info.format)
        photo = VisitPhoto(
            visit=visit,
            content_type=info.content_type,
            width=info.width,
            height=info.height,
            size=info.size,
            sha256=info.sha256,
            taken_at=info.taken_at,
            exif_lat=info.lat,
            exif_lng=info.lng,
        )
        photo.file.save(f"{info.sha256[:16]}.{extension}", ContentFile(handle.read()), save=False)
        photo.save()
        stored.append(photo)
    if stored:
        from ..tasks import make_visit_thumbnails  # tasks.py imports this module

        ids = [photo.pk for photo in stored]
        transaction.on_commit(lambda: make_visit_thumbnails.delay(ids))
    return stored


def visit_thumbnails_make(photo_ids: Sequence[int]) -> int:
    """The thumbnail and display copy of each visit photo that has none yet (the worker)."""
    done = 0
    for photo in VisitPhoto.objects.filter(pk__in=list(photo_ids), thumbnail=""):
        with transaction.atomic():
            done += photos.save_copies(photo)
    return done


def visit_case_create(
    visit: Visit,
    *,
    actor: User | AnonymousUser,
    category: str,
    description: str = "",
    request: HttpRequest | None = None,
) -> tuple[Case, bool]:
    """Turn a visit's finding into a case (source: grid worker report) in one step, linked to
    the visit. Idempotent: the visit's own key is the case's idempotency key, so a second tap
    returns the same case."""
    if visit.finding == Finding.NOTHING:
        raise ValidationError({"finding": [_("A visit that found nothing has no case.")]})
    if visit.case_id is not None:
        return visit.case, False  # type: ignore[return-value]
    text = (description or visit.notes or str(Finding(visit.finding).label)).strip()
    address = visit.unit.address if visit.unit_id and visit.unit else ""
    # Where the case lies: the visit's GPS fix, else the unit's point, else the grid's centre
    # (only the center names a case's grid; the position places it in the visit's grid).
    lat, lng = visit.lat, visit.lng
    if lat is None and visit.unit is not None and visit.unit.lat is not None:
        lat, lng = visit.unit.lat, visit.unit.lng
    if lat is None:
        lat, lng = visit.grid.center_lat, visit.grid.center_lng
    # The case carries the visit's photos (opened from their encrypted files).
    handles = [photo.file.open("rb") for photo in visit.photos.all()]
    try:
        case, created = case_services.case_create(
            actor=actor,
            category=category,
            description=text,
            lat=lat,
            lng=lng,
            address=address,
            source=Source.GRID_REPORT,
            idempotency_key=f"visit-{visit.client_id}",
            photos_in=[case_services.Photo(file=handle, name=handle.name or "photo") for handle in handles],
        )
    finally:
        for handle in handles:
            handle.close()
    with transaction.atomic():
        updated = Visit.objects.filter(pk=visit.pk, case__isnull=True).update(case=case)
        if updated:
            record(
                action="visit.case_create",
                actor=actor,
                obj=visit,
                request=request,
                data={"case": case.number, "category": category},
            )
    visit.case = case
    return case, created
