"""Patrol geometry: how much of a grid a route covers, and which checkpoints it passed.

Definition (used everywhere, and by the assessment): the coverage of a set of routes in a grid
is, when the grid has road lines, the length of (its roads inside the grid ∩ the routes buffered
by ``COVERAGE_BUFFER_M`` metres) divided by the length of its roads inside the grid (measure
``roads``); otherwise the area of (grid ∩ the buffered routes) divided by the area of the grid
(measure ``area``): a share between 0 and 1. The geometry is projected first to a local metric plane
(an equirectangular projection centred on the grid: at grid scale, a few kilometres, its error
is far below a metre), so the buffer is a true 50 m. A route is the line through its points
accurate enough to count (as for the distance); a single usable point counts as a 50 m disc.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

COVERAGE_BUFFER_M: Final = 50.0
# Tolerance of the route's simplification before it is buffered (metres).
SIMPLIFY_M: Final = 3.0
EARTH_RADIUS_M: Final = 6_371_000.0
# Accuracy past which a point is left out of the covered line (as for the distance).
DEFAULT_MAX_ACCURACY_M: Final = 100.0


@dataclass(frozen=True)
class Checkpoint:
    """A point the standard asks the worker to pass: within ``radius_m`` of it counts."""

    name: str
    lat: float
    lng: float
    radius_m: float = 30.0
    visits_per_week: int = 0  # 0: no frequency asked (a plain checkpoint)


class LocalProjection:
    """Equirectangular projection to metres around an origin (lat, lng)."""

    def __init__(self, lat0: float, lng0: float) -> None:
        self.lat0, self.lng0 = lat0, lng0
        self.kx = math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
        self.ky = math.radians(1) * EARTH_RADIUS_M

    def xy(self, lng: float, lat: float) -> tuple[float, float]:
        return (lng - self.lng0) * self.kx, (lat - self.lat0) * self.ky

    def geometry(self, geom: BaseGeometry) -> BaseGeometry:
        """The geometry (lng/lat) in metres."""
        return shapely.transform(geom, lambda c: (c - [self.lng0, self.lat0]) * [self.kx, self.ky])

    @classmethod
    def around(cls, geom: BaseGeometry) -> LocalProjection:
        minx, miny, maxx, maxy = geom.bounds
        return cls((miny + maxy) / 2, (minx + maxx) / 2)


def usable_points(
    track: Iterable[Sequence[Any]], max_accuracy_m: float = DEFAULT_MAX_ACCURACY_M
) -> list[tuple[float, float]]:
    """(lat, lng) of the stored track points (``[offset, lat, lng, accuracy]``) accurate enough."""
    return [(p[1], p[2]) for p in track if p[3] is None or p[3] <= max_accuracy_m]


class GridArea:
    """A grid's boundary (and road lines, if it has any) projected once, to measure the
    coverage of many routes. ``measure`` says which share :meth:`share` gives."""

    def __init__(self, boundary: dict[str, Any], roads: Sequence[dict[str, Any]] = ()) -> None:
        lnglat = shape(boundary)
        self.projection = LocalProjection.around(lnglat)
        self.polygon = shapely.make_valid(self.projection.geometry(lnglat))
        shapely.prepare(self.polygon)
        self.area = float(self.polygon.area)
        self.roads: BaseGeometry | None = None
        self.road_length = 0.0
        if roads:
            lines = shapely.union_all([self.projection.geometry(shape(road)) for road in roads])
            inside = shapely.intersection(lines, self.polygon)
            if inside.length > 0:
                self.roads, self.road_length = inside, float(inside.length)

    @property
    def measure(self) -> str:
        return "roads" if self.roads is not None else "area"

    def road_length_inside(self, geometry: dict[str, Any]) -> float:
        """The length in metres of one road line inside the grid."""
        return float(shapely.intersection(self.projection.geometry(shape(geometry)), self.polygon).length)

    def route(self, points: Sequence[tuple[float, float]]) -> BaseGeometry | None:
        """The route's covered band: its line (or point) buffered by the coverage radius."""
        xy = [self.projection.xy(lng, lat) for lat, lng in points]
        if not xy:
            return None
        if len(set(xy)) == 1:
            return shapely.Point(xy[0]).buffer(COVERAGE_BUFFER_M, quad_segs=4)
        # Simplified by a few metres first: the band changes by less than that, and buffering
        # a long, self-crossing walk gets much cheaper.
        line = shapely.LineString(xy).simplify(SIMPLIFY_M, preserve_topology=False)
        return line.buffer(COVERAGE_BUFFER_M, quad_segs=4)

    def covered(self, bands: Iterable[BaseGeometry | None]) -> BaseGeometry | None:
        parts = [band for band in bands if band is not None]
        if not parts:
            return None
        return shapely.intersection(self.polygon, shapely.union_all(parts))

    def share(self, bands: Iterable[BaseGeometry | None]) -> float:
        """The covered share of the grid (0–1) for the bands together (their union): of its
        road length when it has roads, else of its area."""
        if self.roads is not None:
            parts = [band for band in bands if band is not None]
            if not parts or self.road_length <= 0:
                return 0.0
            walked = shapely.intersection(self.roads, shapely.union_all(parts))
            return min(1.0, float(walked.length) / self.road_length)
        covered = self.covered(bands)
        if covered is None or self.area <= 0:
            return 0.0
        return min(1.0, float(covered.area) / self.area)


def coverage_of(
    boundary: dict[str, Any] | None,
    tracks: Iterable[Sequence[tuple[float, float]]],
    roads: Sequence[dict[str, Any]] = (),
) -> float | None:
    """The coverage (0–1) of the routes (lists of (lat, lng)) together in the grid (of its
    ``roads`` when given); ``None`` for a grid without a boundary."""
    if not boundary:
        return None
    grid = GridArea(boundary, roads)
    return grid.share(grid.route(points) for points in tracks)


def checkpoints_passed(points: Sequence[tuple[float, float]], checkpoints: Sequence[Checkpoint]) -> list[str]:
    """Names of the checkpoints the route (the line through its usable points, not only the
    points: a point is sampled every minute or so) came within the checkpoint's radius of."""
    if not points or not checkpoints:
        return []
    lat0 = sum(lat for lat, _lng in points) / len(points)
    lng0 = sum(lng for _lat, lng in points) / len(points)
    projection = LocalProjection(lat0, lng0)
    xy = [projection.xy(lng, lat) for lat, lng in points]
    line = shapely.Point(xy[0]) if len(set(xy)) == 1 else shapely.LineString(xy)
    passed = []
    for checkpoint in checkpoints:
        spot = shapely.Point(projection.xy(checkpoint.lng, checkpoint.lat))
        if line.distance(spot) <= checkpoint.radius_m:
            passed.append(checkpoint.name)
    return passed
