"""GeoJSON boundaries: validation, normalisation and derived figures (bbox, centre).

Boundaries are GeoJSON ``Polygon`` or ``MultiPolygon`` geometries in WGS84 with positions in
``[lng, lat]`` order. A third coordinate (height) is dropped. Validation reports one short
reason; shapely's ``explain_validity`` supplies it for self-intersections and the like.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

ALLOWED_TYPES = ("Polygon", "MultiPolygon")
# A child may stick out of its parent, and siblings may overlap, by at most this share of
# the smaller polygon's area (digitising slivers along shared edges).
AREA_TOLERANCE = 0.001


class GeometryError(ValueError):
    """A boundary that is not a usable GeoJSON polygon; the message says why."""


@dataclass(frozen=True)
class Bounds:
    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float
    center_lng: float
    center_lat: float


def _position(value: Any) -> list[float]:
    if not isinstance(value, list | tuple) or len(value) < 2:
        raise GeometryError("a position must be [lng, lat]")
    lng, lat = value[0], value[1]
    for number in (lng, lat):
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise GeometryError("coordinates must be finite numbers")
    if not -180 <= lng <= 180 or not -90 <= lat <= 90:
        raise GeometryError(f"position [{lng}, {lat}] is outside WGS84 lng/lat ranges")
    return [float(lng), float(lat)]


def _ring(value: Any) -> list[list[float]]:
    if not isinstance(value, list | tuple):
        raise GeometryError("a ring must be a list of positions")
    ring = [_position(item) for item in value]
    if len(ring) < 4:
        raise GeometryError("a ring needs at least 4 positions")
    if ring[0] != ring[-1]:
        raise GeometryError("a ring must be closed (first position equal to the last)")
    return ring


def _polygon(value: Any) -> list[list[list[float]]]:
    if not isinstance(value, list | tuple) or not value:
        raise GeometryError("a polygon must be a non-empty list of rings")
    return [_ring(ring) for ring in value]


def normalize(data: Any) -> dict[str, Any]:
    """Check the GeoJSON shape of ``data`` and return it with plain float lists (no height)."""
    if not isinstance(data, dict):
        raise GeometryError("geometry must be a GeoJSON object")
    kind = data.get("type")
    if kind not in ALLOWED_TYPES:
        raise GeometryError(f"geometry type must be Polygon or MultiPolygon, not {kind!r}")
    coordinates = data.get("coordinates")
    if kind == "Polygon":
        return {"type": kind, "coordinates": _polygon(coordinates)}
    if not isinstance(coordinates, list | tuple) or not coordinates:
        raise GeometryError("a MultiPolygon must be a non-empty list of polygons")
    return {"type": kind, "coordinates": [_polygon(polygon) for polygon in coordinates]}


def to_shape(normalized: dict[str, Any]) -> BaseGeometry:
    """A shapely geometry of a normalised boundary (no validity check)."""
    return shape(normalized)


def validate(data: Any) -> tuple[dict[str, Any], BaseGeometry]:
    """Validate a boundary: GeoJSON shape, ranges, closed rings, and OGC validity.

    Returns the normalised GeoJSON and its shapely geometry; raises :class:`GeometryError`.
    """
    normalized = normalize(data)
    geom = to_shape(normalized)
    if geom.is_empty:
        raise GeometryError("geometry is empty")
    if not geom.is_valid:
        raise GeometryError(f"invalid polygon: {explain_validity(geom)}")
    if geom.area <= 0:
        raise GeometryError("polygon has no area")
    return normalized, geom


def bounds_of(geom: BaseGeometry) -> Bounds:
    """Bounding box and centroid. The centroid of an odd shape can fall outside it; it is a
    label position, not a membership test."""
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    centroid = geom.centroid
    return Bounds(min_lng, min_lat, max_lng, max_lat, float(centroid.x), float(centroid.y))


def overlap_share(a: BaseGeometry, b: BaseGeometry) -> float:
    """Area of the intersection over the smaller area (0 for shared edges only)."""
    smaller = min(a.area, b.area)
    if smaller <= 0:
        return 0.0
    return float(shapely.intersection(a, b).area / smaller)


def outside_share(child: BaseGeometry, parent: BaseGeometry) -> float:
    """The share of ``child``'s area that lies outside ``parent``."""
    if child.area <= 0:
        return 0.0
    return float(shapely.difference(child, parent).area / child.area)


def metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in metres between two WGS84 points."""
    rlat1, rlat2 = math.radians(lat1), math.radians(lat2)
    dlat, dlng = rlat2 - rlat1, math.radians(lng2 - lng1)
    a = math.sin(dlat / 2) ** 2 + math.cos(rlat1) * math.cos(rlat2) * math.sin(dlng / 2) ** 2
    return 6_371_000 * 2 * math.asin(min(1.0, math.sqrt(a)))
