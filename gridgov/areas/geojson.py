"""The GeoJSON form of areas, shared by the export and the API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import LEVEL_ORDER, Area


def level_rank(level: str) -> int:
    """0 for districts … 3 for grids (unknown levels sort last)."""
    try:
        return LEVEL_ORDER.index(level)  # type: ignore[arg-type]
    except ValueError:
        return len(LEVEL_ORDER)


def area_feature(area: Area) -> dict[str, Any]:
    """One area as a GeoJSON Feature; ``parent`` should be selected with it."""
    return {
        "type": "Feature",
        "id": area.code,
        "properties": {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "parent_code": area.parent.code if area.parent is not None else None,
            "households": area.households,
            "valid_from": area.valid_from.isoformat() if area.valid_from else None,
        },
        "geometry": area.boundary,
    }


def feature_collection(areas: Iterable[Area]) -> dict[str, Any]:
    """A FeatureCollection, parents before children (the order the import needs)."""
    ordered = sorted(areas, key=lambda area: (level_rank(area.level), area.code))
    return {"type": "FeatureCollection", "features": [area_feature(area) for area in ordered]}
