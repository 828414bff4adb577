"""The grids' road lines: loaded from GeoJSON (``manage.py load_roads``, the center's import
page), with a row report; a grid with road lines has its patrol coverage measured on them
(:class:`gridgov.patrols.coverage.GridArea`).

The file is a GeoJSON ``FeatureCollection``; each feature is a row: a ``LineString`` or
``MultiLineString`` (lng/lat) with the properties ``grid`` (the grid's code) and ``name`` (the
road's name). A row is saved on its own (its own transaction and audit row), so a bad row loses
nothing already accepted: **created** or **updated** (the same grid and name again),
**unchanged**, or **refused** with the reason (no grid or one not in force, a grid outside the
importer's towns, no name, not a line, an impossible coordinate, a line that does not enter the
grid). Importing the same file again changes nothing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.selectors import current_grid
from gridgov.core.audit import record
from gridgov.core.errors import Forbidden, Invalid
from gridgov.people.models import Role

from .coverage import GridArea
from .models import RoadLine

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area

MAX_BYTES: Final = 5 * 1024 * 1024
MAX_FEATURES: Final = 5000
MAX_POINTS: Final = 5000  # per line
LINE_TYPES: Final = ("LineString", "MultiLineString")
# Who loads road lines: the center of the town (and administrators).
ROAD_ROLES: Final = (Role.CENTER_OPERATOR,)

CREATED: Final = "created"
UPDATED: Final = "updated"
UNCHANGED: Final = "unchanged"
REFUSED: Final = "refused"


def grid_area(grid: Area) -> GridArea | None:
    """The grid's geometry to measure coverage on: its boundary and its road lines (``None``
    for a grid without a boundary)."""
    boundary: Any = grid.boundary
    if not boundary:
        return None
    return GridArea(boundary, list(RoadLine.objects.filter(grid=grid).values_list("geometry", flat=True)))


def grid_areas(grids: list[Area]) -> dict[int, GridArea | None]:
    """:func:`grid_area` of several grids, their roads read at once."""
    roads: dict[int, list[Any]] = {}
    for grid_id, geometry in RoadLine.objects.filter(grid__in=grids).values_list("grid_id", "geometry"):
        roads.setdefault(grid_id, []).append(geometry)
    return {grid.pk: GridArea(grid.boundary, roads.get(grid.pk, [])) if grid.boundary else None for grid in grids}  # type: ignore[arg-type]


def may_load(actor: User | AnonymousUser, area_path: str | None = None) -> bool:
    """Whether the actor loads road lines (for a grid of ``area_path``, when given)."""
    if not getattr(actor, "is_authenticated", False):
        return False
    scope = scope_for(actor)
    if scope.everything:
        return True
    paths = scope.paths_for_roles(*ROAD_ROLES)
    if area_path is None:
        return bool(paths)
    return any(area_path.startswith(path) for path in paths)


@dataclass
class RoadRow:
    row: int
    grid: str
    name: str
    outcome: str
    length_m: int = 0
    reasons: list[str] = field(default_factory=list)


def _coordinates_ok(geometry: dict[str, Any]) -> bool:
    lines = [geometry["coordinates"]] if geometry["type"] == "LineString" else geometry["coordinates"]
    if not isinstance(lines, list) or not lines:
        return False
    for line in lines:
        if not isinstance(line, list) or not 2 <= len(line) <= MAX_POINTS:
            return False
        for point in line:
            if not (isinstance(point, list | tuple) and len(point) >= 2):
                return False
            lng, lat = point[0], point[1]
            if not all(isinstance(v, int | float) and math.isfinite(v) for v in (lng, lat)):
                return False
            if not (-180 <= lng <= 180 and -90 <= lat <= 90) or (lat == 0 and lng == 0):
                return False
    return True


def _clean_geometry(geometry: dict[str, Any]) -> dict[str, Any]:
    def point(p: Any) -> list[float]:
        return [round(float(p[0]), 7), round(float(p[1]), 7)]

    if geometry["type"] == "LineString":
        return {"type": "LineString", "coordinates": [point(p) for p in geometry["coordinates"]]}
    return {"type": "MultiLineString", "coordinates": [[point(p) for p in line] for line in geometry["coordinates"]]}


def check_size(size: int) -> None:
    """Refuse a file over the ceiling before it is read (422 on ``file``)."""
    if size > MAX_BYTES:
        message = _("The file is larger than 5 MB.")
        raise Invalid(message, details={"file": [message]})


def counts(rows: list[RoadRow]) -> dict[str, int]:
    return {outcome: sum(1 for r in rows if r.outcome == outcome) for outcome in (CREATED, UPDATED, UNCHANGED, REFUSED)}


def _features(content: bytes) -> list[Any]:
    check_size(len(content))
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        message = _("The file is not GeoJSON (UTF-8 JSON).")
        raise Invalid(message, details={"file": [message]}) from None
    features = data.get("features") if isinstance(data, dict) and data.get("type") == "FeatureCollection" else None
    if not isinstance(features, list):
        message = _("The file is not a GeoJSON FeatureCollection.")
        raise Invalid(message, details={"file": [message]})
    if len(features) > MAX_FEATURES:
        message = _("At most %(n)s roads in one file.") % {"n": MAX_FEATURES}
        raise Invalid(message, details={"file": [message]})
    return features


def roads_import(*, actor: User | AnonymousUser | None, content: bytes, name: str = "") -> list[RoadRow]:
    """Load road lines from a GeoJSON file, one row per feature (see the module). ``actor``
    ``None`` is the management command (any grid)."""
    if actor is not None and not may_load(actor):
        raise Forbidden(_("Only the center loads road lines."))
    rows = []
    for index, feature in enumerate(_features(content), start=1):
        rows.append(_row(actor, index, feature))
    counts = {
        outcome: sum(1 for r in rows if r.outcome == outcome) for outcome in (CREATED, UPDATED, UNCHANGED, REFUSED)
    }
    record(action="patrol.roads_import", actor=actor, data={"file": name[:200], **counts})
    return rows


def _row(actor: User | AnonymousUser | None, index: int, feature: Any) -> RoadRow:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    properties = properties if isinstance(properties, dict) else {}
    code = str(properties.get("grid") or "").strip()
    road_name = str(properties.get("name") or "").strip()
    row = RoadRow(row=index, grid=code, name=road_name, outcome=REFUSED)
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    grid = current_grid(code=code) if code else None
    if grid is None:
        row.reasons.append(_("No grid in force has this code."))
    elif actor is not None and not may_load(actor, grid.path):
        row.reasons.append(_("The grid is outside your towns."))
    if not road_name:
        row.reasons.append(_("The road has no name."))
    elif len(road_name) > 100:
        row.reasons.append(_("The name is longer than 100 characters."))
    if not isinstance(geometry, dict) or geometry.get("type") not in LINE_TYPES:
        row.reasons.append(_("Not a line (LineString or MultiLineString)."))
    elif not _coordinates_ok(geometry):
        row.reasons.append(_("A coordinate is impossible, or a line has fewer than 2 or more than 5000 points."))
    if row.reasons or grid is None or not isinstance(geometry, dict):
        return row
    clean = _clean_geometry(geometry)
    area = GridArea(grid.boundary) if grid.boundary else None  # type: ignore[arg-type]
    if area is None:
        row.reasons.append(_("The grid has no boundary to measure the road in."))
        return row
    length = round(area.road_length_inside(clean))
    if length <= 0:
        row.reasons.append(_("The line does not enter the grid."))
        return row
    row.length_m = length
    with transaction.atomic():
        road = RoadLine.objects.select_for_update().filter(grid=grid, name=road_name).first()
        if road is not None and road.geometry == clean:
            row.outcome = UNCHANGED
            return row
        row.outcome = UPDATED if road is not None else CREATED
        road = road or RoadLine(grid=grid, name=road_name)
        road.geometry, road.length_m = clean, length
        road.save()
        record(
            action="patrol.road_save",
            actor=actor,
            obj=road,
            data={"grid": grid.code, "name": road_name, "length_m": length, "outcome": row.outcome},
        )
    return row


def outcome_label(code: str) -> str:
    return {CREATED: _("Created"), UPDATED: _("Updated"), UNCHANGED: _("Unchanged"), REFUSED: _("Refused")}[code]
