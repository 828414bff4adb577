"""Finding the grid at a point."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.cache import cache

from gridgov.areas import locate
from gridgov.areas.models import Area
from gridgov.areas.services import area_retire, area_update, areas_import
from gridgov.areas.tests.conftest import feature, tree_collection
from gridgov.areas.tests.factories import square

pytestmark = pytest.mark.django_db

GRID_1, GRID_2 = "12011610420101", "12011610420102"


@pytest.fixture
def tree():
    areas_import(actor=None, collection=tree_collection())


def test_a_point_inside_a_grid_finds_it_and_its_village(tree):
    found = locate.locate(38.605, 117.205)
    assert found is not None
    assert (found.code, found.name) == (GRID_1, "Grid 1")
    assert (found.village_code, found.village_name) == ("120116104201", "Xinhe Village")
    assert found.id == Area.objects.get(code=GRID_1).pk


def test_a_point_on_a_shared_edge_goes_to_the_lowest_code(tree):
    assert locate.locate(38.605, 117.21).code == GRID_1


def test_a_point_on_a_shared_vertex_goes_to_the_lowest_code(tree):
    assert locate.locate(38.6, 117.21).code == GRID_1
    assert locate.locate(38.61, 117.21).code == GRID_1


def test_a_point_on_an_outer_edge_belongs_to_the_grid(tree):
    assert locate.locate(38.605, 117.22).code == GRID_2


def test_a_point_outside_every_grid_finds_nothing(tree):
    assert locate.locate(38.605, 117.25) is None
    assert locate.locate(-38.605, -117.205) is None


def test_without_grids_nothing_is_found():
    assert locate.locate(38.605, 117.205) is None


def test_the_index_is_rebuilt_after_a_boundary_change(tree, django_capture_on_commit_callbacks):
    assert locate.locate(38.605, 117.235) is None
    village = Area.objects.get(code="120116104201")
    with django_capture_on_commit_callbacks(execute=True):
        area_update(actor=None, area=village, boundary=square(117.2, 38.6, 0.04))
        area_update(actor=None, area=Area.objects.get(code=GRID_2), boundary=square(117.23, 38.6))
    assert locate.locate(38.605, 117.235).code == GRID_2
    assert locate.locate(38.605, 117.215) is None


def test_the_index_is_rebuilt_after_an_import(tree, django_capture_on_commit_callbacks):
    assert locate.locate(38.605, 117.215).code == GRID_2
    extra = feature("12011610420103", "Grid 3", "grid", "120116104201", square(117.2, 38.6, 0.005))
    collection = tree_collection()
    collection["features"][1]["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [
                [117.205, 38.6],
                [117.21, 38.6],
                [117.21, 38.61],
                [117.2, 38.61],
                [117.2, 38.605],
                [117.205, 38.605],
                [117.205, 38.6],
            ]
        ],
    }
    collection["features"].append(extra)
    assert locate.locate(38.601, 117.201).code == GRID_1
    with django_capture_on_commit_callbacks(execute=True):
        areas_import(actor=None, collection=collection)
    assert locate.locate(38.601, 117.201).code == "12011610420103"


def test_a_retired_grid_is_no_longer_found(tree, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        area_retire(actor=None, area=Area.objects.get(code=GRID_2), valid_to=date(2025, 1, 1))
    assert locate.locate(38.605, 117.215) is None


def test_another_process_notices_through_the_database_signature(tree, settings):
    """A change made elsewhere (no on-commit signal here) is seen after the check interval."""
    settings.AREAS_INDEX_CHECK_SECONDS = 0
    assert locate.locate(38.605, 117.215).code == GRID_2
    Area.objects.filter(code=GRID_2).update(valid_to=date(2025, 1, 1))
    assert locate.locate(38.605, 117.215) is None


def test_another_process_notices_through_the_cache_version(tree, settings):
    settings.AREAS_INDEX_CHECK_SECONDS = 0
    assert locate.locate(38.605, 117.205).name == "Grid 1"
    Area.objects.filter(code=GRID_1).update(name="Renamed")  # updated_at untouched
    assert locate.locate(38.605, 117.205).name == "Grid 1"
    cache.set(locate.VERSION_KEY, "bumped elsewhere")
    assert locate.locate(38.605, 117.205).name == "Renamed"


def test_between_checks_the_built_index_is_reused(tree, settings):
    settings.AREAS_INDEX_CHECK_SECONDS = 3600
    assert locate.locate(38.605, 117.215).code == GRID_2
    Area.objects.filter(code=GRID_2).update(valid_to=date(2025, 1, 1))
    assert locate.locate(38.605, 117.215).code == GRID_2
