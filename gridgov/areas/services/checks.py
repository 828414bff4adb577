"""What every write of an area shares: the name, households and boundary checks, the fit of a
boundary among its siblings and inside its parent, the insert of one area, and telling the
locate index to rebuild once the transaction commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from shapely.geometry.base import BaseGeometry

from .. import geometry, locate
from ..models import Area


def shape_or_none(boundary: Any) -> BaseGeometry | None:
    if not boundary:
        return None
    try:
        return geometry.to_shape(geometry.normalize(boundary))
    except (geometry.GeometryError, ValueError, TypeError, AttributeError):
        return None


def bbox_filter(geom: BaseGeometry) -> dict[str, float]:
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    return {"max_lng__gte": min_lng, "min_lng__lte": max_lng, "max_lat__gte": min_lat, "min_lat__lte": max_lat}


def spatial_problems(
    *, level: str, parent: Area | None, geom: BaseGeometry, exclude_pk: int | None = None
) -> list[str]:
    """Overlaps with current siblings, sticking out of the parent, children sticking out."""
    problems: list[str] = []
    siblings = Area.objects.current().filter(level=level, boundary__isnull=False, **bbox_filter(geom))
    siblings = siblings.filter(parent=parent) if parent is not None else siblings.filter(parent__isnull=True)
    if exclude_pk is not None:
        siblings = siblings.exclude(pk=exclude_pk)
    for sibling in siblings.only("code", "name", "boundary"):
        other = shape_or_none(sibling.boundary)
        if other is not None and geometry.overlap_share(geom, other) > geometry.AREA_TOLERANCE:
            problems.append(f"overlaps {sibling.name} ({sibling.code})")
    if parent is not None:
        parent_geom = shape_or_none(parent.boundary)
        if parent_geom is not None and geometry.outside_share(geom, parent_geom) > geometry.AREA_TOLERANCE:
            problems.append(f"sticks out of its parent {parent.name} ({parent.code})")
    if exclude_pk is not None:
        for child in Area.objects.current().filter(parent_id=exclude_pk, boundary__isnull=False):
            child_geom = shape_or_none(child.boundary)
            if child_geom is not None and geometry.outside_share(child_geom, geom) > geometry.AREA_TOLERANCE:
                problems.append(f"{child.name} ({child.code}) would stick out of it")
    return problems


def apply_bounds(area: Area, geom: BaseGeometry | None) -> None:
    if geom is None:
        area.min_lng = area.min_lat = area.max_lng = area.max_lat = None
        area.center_lng = area.center_lat = None
        return
    bounds = geometry.bounds_of(geom)
    area.min_lng, area.min_lat = bounds.min_lng, bounds.min_lat
    area.max_lng, area.max_lat = bounds.max_lng, bounds.max_lat
    area.center_lng, area.center_lat = bounds.center_lng, bounds.center_lat


def insert(
    *,
    code: str,
    name: str,
    level: str,
    parent: Area | None,
    households: int,
    boundary: dict[str, Any] | None,
    geom: BaseGeometry | None,
    valid_from: date | None,
) -> Area:
    area = Area(
        code=code,
        name=name,
        level=level,
        parent=parent,
        households=households,
        boundary=boundary,
        valid_from=valid_from,
    )
    apply_bounds(area, geom)
    area.save()
    area.path = f"{parent.path if parent else '/'}{area.pk}/"
    Area.objects.filter(pk=area.pk).update(path=area.path)
    return area


def invalidate_on_commit() -> None:
    transaction.on_commit(locate.invalidate)


def validate_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "A name is required."})
    name = name.strip()
    if len(name) > 100:
        raise ValidationError({"name": "A name has at most 100 characters."})
    return name


def validate_households(households: Any) -> int:
    if isinstance(households, bool) or not isinstance(households, int) or households < 0:
        raise ValidationError({"households": "Households must be a whole number, 0 or more."})
    return households


def validate_boundary(boundary: Any) -> tuple[dict[str, Any] | None, BaseGeometry | None]:
    if boundary is None:
        return None, None
    try:
        return geometry.validate(boundary)
    except geometry.GeometryError as exc:
        raise ValidationError({"boundary": str(exc)}) from exc
