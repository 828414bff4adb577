"""API routes of the areas app, mounted at ``/api/v1/areas``.

- ``GET /areas?level=&parent=``: the areas the user may see, as a GeoJSON FeatureCollection.
- ``GET /areas/locate?lat=&lng=``: the grid (and its village) at a point. Any signed-in user
  may ask about any point: a grid worker can stand in a neighbour's grid, and the answer is
  only a code and a name. 404 outside every grid.
- ``GET /areas/{code}``: one area as a Feature, 404 outside the user's scope.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from gridgov.core.errors import NotFound
from gridgov.core.schemas import ErrorOut

from . import locate as locate_index
from .geojson import area_feature, feature_collection
from .models import Area, AreaLevel
from .selectors import area_get, areas_visible

router = Router(tags=["areas"])


class AreaProperties(Schema):
    code: str
    name: str
    level: AreaLevel
    parent_code: str | None
    households: int
    valid_from: date | None


class AreaFeature(Schema):
    type: Literal["Feature"] = "Feature"
    id: str
    properties: AreaProperties
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon (WGS84 lng/lat)")


class AreaCollection(Schema):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[AreaFeature]


class AreaRef(Schema):
    code: str
    name: str


class LocateOut(Schema):
    grid: AreaRef
    village: AreaRef | None


class AreaListQuery(Schema):
    level: AreaLevel | None = None
    parent: str | None = Field(None, description="Code of the parent area: list its children")


class LocateQuery(Schema):
    lat: float = Field(..., ge=-90, le=90, description="Latitude (WGS84)")
    lng: float = Field(..., ge=-180, le=180, description="Longitude (WGS84)")


@router.get("", response={200: AreaCollection, 401: ErrorOut}, summary="Areas as GeoJSON")
def list_areas(request: HttpRequest, filters: Query[AreaListQuery]) -> dict[str, Any]:
    """The current areas the user may see, parents first. ``geometry`` is null for an area
    without a boundary."""
    user = request.user
    level = filters.level.value if filters.level else None
    return feature_collection(areas_visible(user, level=level, parent_code=filters.parent))


@router.get("/locate", response={200: LocateOut, 401: ErrorOut, 404: ErrorOut}, summary="Grid at a point")
def locate_point(request: HttpRequest, point: Query[LocateQuery]) -> dict[str, Any]:
    """The current grid containing the point. Not limited to the user's scope. A point on a
    shared edge belongs to the grid with the lowest code."""
    grid = locate_index.locate(point.lat, point.lng)
    if grid is None:
        raise NotFound("No grid contains this point.")
    village = {"code": grid.village_code, "name": grid.village_name} if grid.village_code else None
    return {"grid": {"code": grid.code, "name": grid.name}, "village": village}


@router.get("/{code}", response={200: AreaFeature, 401: ErrorOut, 404: ErrorOut}, summary="One area")
def area_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    user = request.user
    try:
        area = area_get(user, code)
    except Area.DoesNotExist:
        raise NotFound("No such area.") from None
    return area_feature(area)
