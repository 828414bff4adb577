"""Importing and exporting areas as GeoJSON."""

from __future__ import annotations

import copy
import json

import pytest

from gridgov.areas.models import Area
from gridgov.areas.services import AreaImportError, areas_export, areas_import
from gridgov.areas.tests.conftest import feature, rect, tree_collection
from gridgov.areas.tests.factories import square
from gridgov.core.models import AuditEvent

pytestmark = pytest.mark.django_db

GRID_1 = "12011610420101"


def problems_of(collection) -> list[str]:
    with pytest.raises(AreaImportError) as error:
        areas_import(actor=None, collection=collection)
    return [str(problem) for problem in error.value.problems]


def test_a_valid_tree_is_imported_parents_first_whatever_the_file_order():
    report = areas_import(actor=None, collection=tree_collection())
    assert (report.created, report.updated, report.unchanged, report.problems) == (5, 0, 0, [])
    grid = Area.objects.get(code=GRID_1)
    town = Area.objects.get(code="120116104000")
    assert grid.parent.code == "120116104201"
    assert grid.path.startswith(town.path)
    assert grid.households == 320
    assert grid.min_lng == pytest.approx(117.2)
    assert str(town.valid_from) == "2024-01-01"


def test_one_audit_row_records_the_counts_of_an_import():
    areas_import(actor=None, collection=tree_collection())
    events = AuditEvent.objects.filter(action__startswith="area")
    assert [(event.action, event.data) for event in events] == [
        ("areas.import", {"created": 5, "updated": 0, "unchanged": 0})
    ]


def test_importing_the_same_file_twice_changes_nothing_the_second_time():
    areas_import(actor=None, collection=tree_collection())
    stamps = dict(Area.objects.values_list("code", "updated_at"))
    events = AuditEvent.objects.count()
    report = areas_import(actor=None, collection=tree_collection())
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert dict(Area.objects.values_list("code", "updated_at")) == stamps
    assert AuditEvent.objects.count() == events


def test_a_changed_feature_is_updated_and_the_rest_left_alone():
    areas_import(actor=None, collection=tree_collection())
    collection = tree_collection()
    collection["features"][1]["properties"]["name"] = "Grid One"
    collection["features"][2]["properties"]["households"] = 999
    report = areas_import(actor=None, collection=collection)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 3)
    assert Area.objects.get(code=GRID_1).name == "Grid One"


def test_a_dry_run_reports_and_writes_nothing():
    report = areas_import(actor=None, collection=tree_collection(), dry_run=True)
    assert report.created == 5
    assert not Area.objects.exists()
    assert not AuditEvent.objects.exists()


def test_parents_can_come_from_the_database():
    collection = tree_collection()
    grids = [f for f in collection["features"] if f["properties"]["level"] == "grid"]
    collection["features"] = [f for f in collection["features"] if f not in grids]
    areas_import(actor=None, collection=collection)
    report = areas_import(actor=None, collection={"type": "FeatureCollection", "features": grids})
    assert report.created == 2
    assert Area.objects.grids().count() == 2


def test_an_invalid_polygon_is_reported_by_name_and_nothing_is_imported():
    collection = tree_collection()
    collection["features"][1]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[117.2, 38.6], [117.21, 38.61], [117.21, 38.6], [117.2, 38.61], [117.2, 38.6]]],
    }
    problems = problems_of(collection)
    assert len(problems) == 1
    assert problems[0].startswith(f"Grid 1 ({GRID_1}): invalid polygon: Self-intersection")
    assert not Area.objects.exists()


def test_overlapping_siblings_are_reported_with_both_names():
    collection = tree_collection()
    collection["features"][2]["geometry"] = square(117.205, 38.6)
    problems = problems_of(collection)
    assert problems == ["Grid 1 (12011610420101): overlaps Grid 2 (12011610420102)"]
    assert not Area.objects.exists()


def test_siblings_sharing_an_edge_or_a_sliver_are_fine():
    collection = tree_collection()
    # Grid 2 starts a hair inside grid 1: an overlap far below the tolerance.
    collection["features"][2]["geometry"] = rect(117.21 - 1e-7, 38.6, 117.22, 38.61)
    assert areas_import(actor=None, collection=collection).created == 5


def test_a_grid_overlapping_a_stored_sibling_is_reported():
    areas_import(actor=None, collection=tree_collection())
    extra = feature("12011610420103", "Grid 3", "grid", "120116104201", rect(117.215, 38.6, 117.22, 38.61))
    problems = problems_of({"type": "FeatureCollection", "features": [extra]})
    assert problems == ["Grid 3 (12011610420103): overlaps Grid 2 (12011610420102)"]


def test_a_grid_sticking_out_of_its_village_is_reported():
    collection = tree_collection()
    collection["features"][2]["geometry"] = square(117.215, 38.6)
    problems = problems_of(collection)
    assert any(p.startswith("Grid 2") and "sticks out of its parent Xinhe Village" in p for p in problems)


def test_shrinking_a_village_under_its_stored_grids_is_reported():
    areas_import(actor=None, collection=tree_collection())
    village = copy.deepcopy(tree_collection()["features"][0])
    village["geometry"] = rect(117.2, 38.6, 117.21, 38.61)
    problems = problems_of({"type": "FeatureCollection", "features": [village]})
    assert problems == ["Xinhe Village (120116104201): Grid 2 (12011610420102) would stick out of it"]


def test_every_problem_of_a_bad_file_is_listed():
    collection = tree_collection()
    collection["features"] += [
        feature("12011610420101", "Duplicate", "grid", "120116104201"),
        feature("12011610499901", "Orphan", "grid", "120116104999"),
        feature("1201161042", "Short", "village", "120116104000"),
        feature("12011610420104", "Wrong level", "hamlet", "120116104201"),
        feature("120116104202", "", "village", "120116104000"),
        "not a feature",
    ]
    with pytest.raises(AreaImportError) as error:
        areas_import(actor=None, collection=collection)
    text = "\n".join(str(problem) for problem in error.value.problems)
    assert "Short (1201161042): a village code has 12 digits" in text
    assert "Wrong level (12011610420104): level must be one of" in text
    assert "feature 10 (120116104202): name is missing" in text
    assert "feature 11: not a GeoJSON Feature" in text
    assert not Area.objects.exists()


def test_duplicate_codes_and_unknown_parents_are_reported():
    collection = tree_collection()
    collection["features"] += [
        feature("12011610420101", "Duplicate", "grid", "120116104201"),
        feature("12011610499901", "Orphan", "grid", "120116104999"),
    ]
    text = "\n".join(problems_of(collection))
    assert "code appears more than once in the file" in text
    assert "Orphan (12011610499901): unknown parent 120116104999" in text


def test_a_parent_of_the_wrong_level_is_reported():
    collection = tree_collection()
    collection["features"].append(feature("120116104000", "Town again", "village", "120116000000"))
    assert problems_of(collection)


def test_something_that_is_not_a_feature_collection_is_refused():
    assert problems_of({"type": "Feature"}) == ["file: the file is not a GeoJSON FeatureCollection"]
    assert problems_of({"type": "FeatureCollection"}) == ["file: the FeatureCollection has no list of features"]


def test_an_export_imports_back_unchanged():
    areas_import(actor=None, collection=tree_collection())
    exported = json.loads(json.dumps(areas_export()))
    assert [f["properties"]["level"] for f in exported["features"]] == ["district", "town", "village", "grid", "grid"]
    assert exported["features"][3]["properties"] == {
        "code": GRID_1,
        "name": "Grid 1",
        "level": "grid",
        "parent_code": "120116104201",
        "households": 320,
        "valid_from": None,
    }
    report = areas_import(actor=None, collection=exported)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)


def test_an_export_loads_into_an_empty_database_as_the_same_tree():
    areas_import(actor=None, collection=tree_collection())
    exported = areas_export()
    for level in ("grid", "village", "town", "district"):  # children first (PROTECT)
        Area.objects.filter(level=level).delete()
    areas_import(actor=None, collection=exported)
    assert areas_export() == exported


def test_an_export_can_be_limited_to_a_level_or_a_subtree():
    areas_import(actor=None, collection=tree_collection())
    assert len(areas_export(level="grid")["features"]) == 2
    village = Area.objects.get(code="120116104201")
    assert [f["properties"]["code"] for f in areas_export(root=village)["features"]] == [
        "120116104201",
        GRID_1,
        "12011610420102",
    ]
