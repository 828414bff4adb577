"""The generated Taiping data: places tile without overlap, codes are valid, people fit."""

from __future__ import annotations

import itertools
import re

import pytest
import shapely
from shapely.geometry import shape

from gridgov.areas.services import code_problems
from gridgov.demo.taiping import (
    DISTRICT_CODE,
    LOCATION_BOX,
    SEED,
    TOWN_CODE,
    generate,
)
from gridgov.people.models import Role

DATA = generate()
# Shared edges are identical after rounding; what is left is far below a square metre.
OVERLAP = 1e-12  # square degrees (~0.01 m²)
COVER = 1e-4  # share of the parent's area


def test_there_are_at_least_12_villages_and_40_grids_each_village_with_3_to_5_grids():
    assert len(DATA.villages) >= 12
    assert len(DATA.grids) >= 40
    for village in DATA.villages:
        count = sum(1 for grid in DATA.grids if grid.parent_code == village.code)
        assert 3 <= count <= 5, village.name


def test_the_tree_is_district_town_villages_grids():
    assert DATA.area(DISTRICT_CODE).parent_code is None
    assert DATA.area(TOWN_CODE).parent_code == DISTRICT_CODE
    assert {village.parent_code for village in DATA.villages} == {TOWN_CODE}
    village_codes = {village.code for village in DATA.villages}
    assert {grid.parent_code for grid in DATA.grids} == village_codes


def test_codes_are_unique_and_valid_for_their_level():
    codes = [area.code for area in DATA.areas]
    assert len(codes) == len(set(codes))
    for area in DATA.areas:
        assert code_problems(area.code, area.level, area.parent_code) == [], area.code
    grid_codes = sorted(grid.code for grid in DATA.grids if grid.parent_code == DATA.villages[0].code)
    assert grid_codes[0] == DATA.villages[0].code + "01"


def test_villages_tile_the_town_without_overlap():
    town = shape(DATA.area(TOWN_CODE).boundary)
    villages = [shape(village.boundary) for village in DATA.villages]
    assert all(village.is_valid for village in villages)
    for a, b in itertools.combinations(villages, 2):
        assert a.intersection(b).area < OVERLAP
    assert shapely.union_all(villages).symmetric_difference(town).area / town.area < COVER


@pytest.mark.parametrize("index", range(len(DATA.villages)))
def test_grids_tile_their_village_without_overlap(index):
    village = DATA.villages[index]
    outline = shape(village.boundary)
    grids = [shape(grid.boundary) for grid in DATA.grids if grid.parent_code == village.code]
    assert all(grid.is_valid and grid.geom_type == "Polygon" for grid in grids)
    for a, b in itertools.combinations(grids, 2):
        assert a.intersection(b).area < OVERLAP
    assert shapely.union_all(grids).symmetric_difference(outline).area / outline.area < COVER


def test_coordinates_have_at_most_six_decimals_and_lie_in_the_location_box():
    lng_min, lat_min, lng_max, lat_max = LOCATION_BOX
    for area in DATA.areas:
        if area.boundary is None:
            continue
        for ring in area.boundary["coordinates"]:
            assert ring[0] == ring[-1]
            for lng, lat in ring:
                assert round(lng, 6) == lng and round(lat, 6) == lat
                assert lng_min <= lng <= lng_max and lat_min <= lat <= lat_max


def test_the_town_is_a_plausible_size():
    town = shape(DATA.area(TOWN_CODE).boundary)
    km2 = town.area * 111.32 * 111.32 * 0.782  # cos(38.6°)
    assert 100 <= km2 <= 200


def test_households_add_up_from_grids_to_the_town():
    for village in DATA.villages:
        assert village.households == sum(g.households for g in DATA.grids if g.parent_code == village.code)
    assert DATA.area(TOWN_CODE).households == sum(village.households for village in DATA.villages)


def test_generation_is_deterministic():
    again = generate.__wrapped__(SEED)
    assert again.collection == DATA.collection
    assert again.people == DATA.people


def test_the_feature_collection_is_in_the_import_format():
    features = DATA.collection["features"]
    assert DATA.collection["type"] == "FeatureCollection"
    assert len(features) == len(DATA.areas)
    for feature in features:
        assert set(feature["properties"]) == {"code", "name", "level", "parent_code", "households"}


def test_every_grid_has_a_grid_worker_and_every_village_a_grid_leader_and_village_staff():
    held: dict[str, set[str]] = {}
    for person in DATA.people:
        for role in person.roles:
            if role.area_code:
                held.setdefault(role.role, set()).add(role.area_code)
    assert held[Role.GRID_WORKER] == {grid.code for grid in DATA.grids}
    assert held[Role.GRID_LEADER] == {village.code for village in DATA.villages}
    assert held[Role.VILLAGE_STAFF] == {village.code for village in DATA.villages}


def test_people_have_unique_usernames_names_and_mobile_numbers():
    usernames = [person.username for person in DATA.people]
    assert len(usernames) == len(set(usernames))
    names = [person.full_name for person in DATA.people]
    assert len(names) == len(set(names))
    phones = [person.phone for person in DATA.people if person.phone]
    assert len(phones) == len(set(phones))
    assert all(re.fullmatch(r"1[3-9][0-9]{9}", phone) for phone in phones)


def test_every_department_handler_role_names_a_generated_department():
    codes = {department.code for department in DATA.departments}
    for person in DATA.people:
        for role in person.roles:
            if role.role == Role.DEPARTMENT_HANDLER:
                assert role.department_code in codes
