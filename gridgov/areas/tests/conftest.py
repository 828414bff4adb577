"""Fixtures of the areas tests."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.areas import locate
from gridgov.areas.tests.factories import square


@pytest.fixture(autouse=True)
def _fresh_locate_index():
    """Each test starts without a locate index (it is process-wide)."""
    locate.reset()
    yield
    locate.reset()


def feature(
    code: str,
    name: str,
    level: str,
    parent_code: str | None,
    geometry: dict[str, Any] | None = None,
    **properties: Any,
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level, "parent_code": parent_code, **properties},
        "geometry": geometry,
    }


def rect(lng0: float, lat0: float, lng1: float, lat1: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]],
    }


def tree_collection() -> dict[str, Any]:
    """A district, a town, one village of 2 x 0.01° and two grids side by side."""
    return {
        "type": "FeatureCollection",
        "features": [
            feature("120116104201", "Xinhe Village", "village", "120116104000", rect(117.2, 38.6, 117.22, 38.61)),
            feature("12011610420101", "Grid 1", "grid", "120116104201", square(117.2, 38.6), households=320),
            feature("12011610420102", "Grid 2", "grid", "120116104201", square(117.21, 38.6), households=310),
            feature("120116000000", "Binhai New Area", "district", None, rect(117.0, 38.5, 117.5, 39.0)),
            feature(
                "120116104000",
                "Taiping Town",
                "town",
                "120116000000",
                rect(117.1, 38.55, 117.3, 38.7),
                valid_from="2024-01-01",
            ),
        ],
    }
