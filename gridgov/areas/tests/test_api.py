"""The areas API: GeoJSON lists, detail, locate; scoped to the user."""

from __future__ import annotations

import pytest

from gridgov.areas.models import Area
from gridgov.areas.services import areas_import
from gridgov.areas.tests.conftest import tree_collection
from gridgov.people.tests.factories import RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db

GRID_1, GRID_2 = "12011610420101", "12011610420102"


@pytest.fixture
def tree():
    areas_import(actor=None, collection=tree_collection())


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def worker_client(client, tree):
    user = UserFactory(username="worker")
    RoleAssignmentFactory(user=user, role="grid_worker", area=Area.objects.get(code=GRID_1))
    client.force_login(user)
    return client


def test_the_list_is_a_feature_collection_with_the_documented_properties(tree, admin_client):
    response = admin_client.get("/api/v1/areas")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 5
    grid = next(f for f in body["features"] if f["properties"]["code"] == GRID_1)
    assert grid["type"] == "Feature"
    assert grid["properties"] == {
        "code": GRID_1,
        "name": "Grid 1",
        "level": "grid",
        "parent_code": "120116104201",
        "households": 320,
        "valid_from": None,
    }
    assert grid["geometry"]["type"] == "Polygon"


def test_the_list_filters_by_level_and_parent(tree, admin_client):
    grids = admin_client.get("/api/v1/areas?level=grid").json()["features"]
    assert [f["properties"]["code"] for f in grids] == [GRID_1, GRID_2]
    towns = admin_client.get("/api/v1/areas?parent=120116000000").json()["features"]
    assert [f["properties"]["code"] for f in towns] == ["120116104000"]


def test_an_unknown_level_is_refused(tree, admin_client):
    assert admin_client.get("/api/v1/areas?level=hamlet").status_code == 422


def test_a_grid_worker_sees_only_their_grid(worker_client):
    features = worker_client.get("/api/v1/areas").json()["features"]
    assert [f["properties"]["code"] for f in features] == [GRID_1]


def test_an_area_outside_the_scope_is_not_found(worker_client):
    assert worker_client.get(f"/api/v1/areas/{GRID_1}").status_code == 200
    response = worker_client.get(f"/api/v1/areas/{GRID_2}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert worker_client.get("/api/v1/areas/120116104201").status_code == 404


def test_the_detail_is_one_feature(tree, admin_client):
    body = admin_client.get("/api/v1/areas/120116104000").json()
    assert body["properties"]["valid_from"] == "2024-01-01"
    assert body["properties"]["parent_code"] == "120116000000"


def test_locate_answers_the_grid_and_village_even_outside_the_scope(worker_client):
    response = worker_client.get("/api/v1/areas/locate?lat=38.605&lng=117.215")
    assert response.status_code == 200
    assert response.json() == {
        "grid": {"code": GRID_2, "name": "Grid 2"},
        "village": {"code": "120116104201", "name": "Xinhe Village"},
    }


def test_locate_outside_every_grid_is_a_404_with_an_error_body(worker_client):
    response = worker_client.get("/api/v1/areas/locate?lat=39.9&lng=116.4")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("query", ["lat=91&lng=117.2", "lat=38.6&lng=-181", "lat=north&lng=117.2", "lng=117.2"])
def test_locate_refuses_bad_coordinates_with_422(worker_client, query):
    response = worker_client.get(f"/api/v1/areas/locate?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_the_areas_api_needs_authentication(tree, client):
    for url in ("/api/v1/areas", "/api/v1/areas/locate?lat=38.605&lng=117.205", f"/api/v1/areas/{GRID_1}"):
        assert client.get(url).status_code == 401


def test_the_openapi_schema_describes_the_area_responses(client, settings):
    settings.GRIDGOV_API_DOCS_PUBLIC = True
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/areas/locate" in schema["paths"]
    assert {"AreaCollection", "LocateOut", "AreaFeature"} <= set(schema["components"]["schemas"])
