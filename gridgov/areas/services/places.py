"""Writes of the town's place names (roads, landmarks, residential communities)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from gridgov.core.audit import record
from gridgov.core.pinyin import initials

from ..models import Area, Place

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class PlaceIn:
    name: str
    kind: str
    lat: float
    lng: float


@transaction.atomic
def places_save(*, actor: User | AnonymousUser | None, town: Area, places: Iterable[PlaceIn]) -> tuple[int, int]:
    """Create or update the town's places by name; returns (created, updated). One audit row
    when anything changed, none when the places are already as given."""
    existing = {place.name: place for place in Place.objects.filter(town=town)}
    created = updated = 0
    for item in places:
        values = {"kind": item.kind, "lat": item.lat, "lng": item.lng, "initials": initials(item.name)}
        place = existing.get(item.name)
        if place is None:
            Place.objects.create(town=town, name=item.name, **values)
            created += 1
        elif any(getattr(place, name) != value for name, value in values.items()):
            Place.objects.filter(pk=place.pk).update(**values)
            updated += 1
    if created or updated:
        record(action="area.places_save", actor=actor, obj=town, data={"created": created, "updated": updated})
    return created, updated
