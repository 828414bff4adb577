"""Road lines: loaded from GeoJSON with a row report (the command and the center's page), and
the coverage of a grid with roads measured on their length (the patrol's frozen figure, the
day view, the month view, the assessment's selector, the API), the area share otherwise."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from gridgov.core.errors import Forbidden
from gridgov.core.models import AuditEvent
from gridgov.patrols import roads, selectors
from gridgov.patrols.coverage import GridArea
from gridgov.patrols.models import RoadLine
from gridgov.people.services import token_issue

from .conftest import home_grid
from .test_judging import client_for, patrol_on, workdays

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[117.0, 39.0], [117.01, 39.0], [117.01, 39.01], [117.0, 39.01], [117.0, 39.0]]],
}


def line(*points: tuple[float, float]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [list(p) for p in points]}


def test_the_share_of_the_road_length_within_50_m_of_the_route() -> None:
    north = line((117.005, 39.0), (117.005, 39.01))  # through the grid, about 1,110 m inside
    east = line((116.99, 39.005), (117.02, 39.005))  # cut at the boundary: about 865 m inside
    area = GridArea(SQUARE, [north, east])
    assert area.measure == "roads"
    assert area.road_length == pytest.approx(1112 + 865, rel=0.01)
    walked = area.route([(39.0 + i * 0.0005, 117.005) for i in range(21)])  # the whole north road
    share = area.share([walked])
    assert share == pytest.approx((1112 + 100) / (1112 + 865), abs=0.01)  # plus 2 x 50 m of the east road
    assert GridArea(SQUARE).measure == "area" and GridArea(SQUARE, [line((118, 40), (118.1, 40))]).measure == "area"
    assert area.share([]) == 0.0


def collection(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def feature(grid: str, name: str, geometry: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"grid": grid, "name": name}, "geometry": geometry}


def grid_roads(grid: Any) -> bytes:
    lat, lng = grid.center_lat, grid.center_lng
    return collection(
        feature(grid.code, "太平大街", line((lng, lat - 0.0005), (lng, lat + 0.004))),
        feature(grid.code, "兴业路", line((lng - 0.002, lat + 0.0001), (lng + 0.002, lat + 0.0001))),
        feature("nowhere", "无名路", line((lng, lat), (lng, lat + 0.001))),
        feature(grid.code, "", line((lng, lat), (lng, lat + 0.001))),
        feature(grid.code, "一个点", {"type": "Point", "coordinates": [lng, lat]}),
        feature(grid.code, "远处的路", line((lng + 1, lat + 1), (lng + 1.01, lat + 1))),
        feature(grid.code, "坏坐标", line((lng, lat), (500, lat))),
    )


def test_the_import_keeps_good_rows_and_reports_the_rest(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    rows = roads.roads_import(actor=people["center01"], content=grid_roads(grid), name="roads.geojson")
    assert [row.outcome for row in rows] == ["created", "created", *["refused"] * 5]
    assert all(row.reasons for row in rows[2:]) and rows[0].length_m > 0
    assert RoadLine.objects.filter(grid=grid).count() == 2
    again = roads.roads_import(actor=people["center01"], content=grid_roads(grid))
    assert [row.outcome for row in again[:2]] == ["unchanged", "unchanged"]
    assert AuditEvent.objects.filter(action="patrol.road_save").count() == 2
    with pytest.raises(Forbidden):
        roads.roads_import(actor=people["grid01"], content=grid_roads(grid))
    with pytest.raises(Exception) as caught:
        roads.roads_import(actor=people["center01"], content=b"{not json")
    assert "file" in caught.value.details  # type: ignore[attr-defined]


def test_the_command_and_the_page(people: dict[str, Any], tmp_path: Path) -> None:
    grid = home_grid(people["grid01"])
    path = tmp_path / "roads.geojson"
    path.write_bytes(grid_roads(grid))
    out = StringIO()
    call_command("load_roads", str(path), stdout=out)
    assert "created: 2" in out.getvalue() and "refused: 5" in out.getvalue()
    center = client_for(people["center01"])
    page = center.post("/patrols/roads/", {"file": SimpleUploadedFile("r.geojson", grid_roads(grid))})
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('data-outcome="unchanged"') == 2 and text.count('data-outcome="refused"') == 5
    assert "太平大街" in text and grid.name in text
    bad = center.post("/patrols/roads/", {"file": SimpleUploadedFile("r.geojson", b"[]")})
    assert bad.status_code == 422
    assert client_for(people["grid01"]).get("/patrols/roads/").status_code == 403


def test_a_grid_with_roads_is_measured_on_them(people: dict[str, Any]) -> None:
    worker = people["grid01"]
    grid = home_grid(worker)
    day_before, day = workdays(2)
    before = patrol_on(worker, day_before)
    assert before.coverage_measure == "area"
    roads.roads_import(actor=people["center01"], content=grid_roads(grid))
    patrol = patrol_on(worker, day)
    assert patrol.coverage_measure == "roads"
    # The walk goes north along 太平大街 from the centre: nearly all of it, a bit of 兴业路.
    area = roads.grid_area(grid)
    assert area is not None and area.measure == "roads"
    assert 0.3 < patrol.coverage < 1.0
    assert patrol.coverage != pytest.approx(before.coverage)  # the stored figure of the day before stays
    rows = {
        row.day: row for row in selectors.worker_days(people["gridlead01"], day_before, day) if row.worker == worker
    }
    assert rows[day].measure == "roads" and rows[day_before].measure == "area"
    month = selectors.grid_month(people["center01"], grid, day)
    assert month.measure == "roads" and len(month.roads) == 2
    assert selectors.coverage_measure(grid) == "roads"
    assert selectors.patrol_coverage(grid, day) is not None
    page = client_for(people["gridlead01"]).get(f"/patrols/grids/{grid.code}/?month={day:%Y-%m}").content.decode()
    assert 'data-measure="roads"' in page
    days_page = client_for(people["gridlead01"]).get("/patrols/days/").content.decode()
    assert 'data-measure="roads"' in days_page
    _token, raw = token_issue(actor=worker, user=worker, name="t")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    assert api.get(f"/api/v1/patrols/{patrol.pk}").json()["coverage_measure"] == "roads"
    assert api.get(f"/api/v1/patrols/grids/{grid.code}?month={day:%Y-%m}").json()["coverage_measure"] == "roads"
