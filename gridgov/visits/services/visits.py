"""Visits: recorded once per client id with their photos, the photos' thumbnails, and the case a
visit's finding becomes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import uuid
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.access.scope import scope_for
from gridgov.cases import photos
from gridgov.cases import services as case_services
from gridgov.cases.models import Source
from gridgov.cases.selectors import reported_case_ids
from gridgov.core.actors import signed_in
from gridgov.core.audit import record

from .. import access
from ..models import (
    Finding,
    Household,
    Unit,
    Visit,
    VisitPhoto,
)
from .common import CLOCK_SKEW, MAX_AGE, MAX_PHOTOS, NOTES_MAX, VisitForbidden, _valid_point

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

    from gridgov.cases.models import Case


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
        from ..tasks import make_visit_thumbnails  # tasks.py imports this package (a cycle)

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
