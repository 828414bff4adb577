"""Patrol builders (the Taiping demo and its people come from ``gridgov.testing.fixtures``)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area


def home_grid(user: Any) -> Area:
    area_id = next(area for role, area, _d in scope_for(user).assignments if area and role == "grid_worker")
    return Area.objects.get(pk=area_id)


def walk(user: Any, *, start: dt.datetime, points: int = 5, step_s: int = 60, step_deg: float = 0.0005) -> list[Any]:
    """Points every ``step_s`` seconds from the centre of the user's grid, going north."""
    grid = home_grid(user)
    assert grid.center_lat is not None and grid.center_lng is not None
    return [
        {
            "t": start + dt.timedelta(seconds=step_s * i),
            "lat": grid.center_lat + step_deg * i,
            "lng": grid.center_lng,
            "accuracy": 8.0,
        }
        for i in range(points)
    ]


def new_id() -> str:
    return str(uuid.uuid4())
