"""Creating, updating and retiring single areas."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from gridgov.areas.geometry import GeometryError, bounds_of, validate
from gridgov.areas.models import Area
from gridgov.areas.services import area_create, area_retire, area_update, code_problems
from gridgov.areas.tests.factories import square
from gridgov.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def village():
    district = area_create(actor=None, code="120116000000", name="District", level="district", parent=None)
    town = area_create(actor=None, code="120116104000", name="Town", level="town", parent=district)
    return area_create(
        actor=None,
        code="120116104201",
        name="Village",
        level="village",
        parent=town,
        boundary={
            "type": "Polygon",
            "coordinates": [[[117.2, 38.6], [117.22, 38.6], [117.22, 38.61], [117.2, 38.61], [117.2, 38.6]]],
        },
    )


def test_codes_follow_the_division_code_rules():
    assert code_problems("120116000000", "district", None) == []
    assert code_problems("120116104000", "town", "120116000000") == []
    assert code_problems("120116104201", "village", "120116104000") == []
    assert code_problems("12011610420101", "grid", "120116104201") == []
    assert code_problems("12011610420100", "grid", "120116104201") == []  # a village not split into grids


@pytest.mark.parametrize(
    ("code", "level", "parent_code"),
    [
        ("12011600000", "district", None),  # 11 digits
        ("120116104000", "district", None),  # not ending in 000000
        ("12011600000A", "district", None),
        ("120117104000", "town", "120116000000"),  # another district's digits
        ("120116000000", "town", "120116000000"),  # no township part
        ("120116104201", "town", "120116000000"),  # does not end in 000
        ("120116105201", "village", "120116104000"),  # another town
        ("120116104000", "village", "120116104000"),
        ("120116104201", "grid", "120116104201"),  # 12 digits
        ("12011610420201", "grid", "120116104201"),  # another village
    ],
)
def test_codes_that_break_the_rules_are_refused(code, level, parent_code):
    assert code_problems(code, level, parent_code)


def test_a_created_area_gets_its_path_bounding_box_and_centre(village):
    grid = area_create(
        actor=None,
        code="12011610420101",
        name="Grid 1",
        level="grid",
        parent=village,
        households=320,
        boundary=square(117.2, 38.6),
    )
    assert grid.path == f"{village.path}{grid.pk}/"
    assert village.path.count("/") == 4
    assert (grid.min_lng, grid.min_lat) == pytest.approx((117.2, 38.6))
    assert (grid.max_lng, grid.max_lat) == pytest.approx((117.21, 38.61))
    assert (grid.center_lng, grid.center_lat) == pytest.approx((117.205, 38.605))
    assert AuditEvent.objects.filter(action="area.create", object_id=str(grid.pk)).exists()


def test_a_grid_needs_a_village_as_parent(village):
    with pytest.raises(ValidationError) as error:
        area_create(actor=None, code="12011610400001", name="Grid", level="grid", parent=village.parent)
    assert "parent" in error.value.message_dict


def test_a_grid_code_must_extend_its_village_code(village):
    with pytest.raises(ValidationError) as error:
        area_create(actor=None, code="12011610420201", name="Grid", level="grid", parent=village)
    assert "code" in error.value.message_dict


def test_a_current_code_cannot_be_used_twice(village):
    area_create(actor=None, code="12011610420101", name="Grid", level="grid", parent=village)
    with pytest.raises(ValidationError):
        area_create(actor=None, code="12011610420101", name="Grid again", level="grid", parent=village)


def test_an_overlapping_sibling_is_refused_by_name(village):
    area_create(
        actor=None, code="12011610420101", name="Grid 1", level="grid", parent=village, boundary=square(117.2, 38.6)
    )
    with pytest.raises(ValidationError) as error:
        area_create(
            actor=None,
            code="12011610420102",
            name="Grid 2",
            level="grid",
            parent=village,
            boundary=square(117.205, 38.6),
        )
    assert "Grid 1" in str(error.value.message_dict["boundary"])


def test_a_grid_sticking_out_of_its_village_is_refused(village):
    with pytest.raises(ValidationError) as error:
        area_create(
            actor=None, code="12011610420101", name="Grid", level="grid", parent=village, boundary=square(117.215, 38.6)
        )
    assert "sticks out" in str(error.value.message_dict["boundary"])


def test_update_changes_only_what_is_given_and_recomputes_the_box(village):
    grid = area_create(
        actor=None, code="12011610420101", name="Grid", level="grid", parent=village, boundary=square(117.2, 38.6)
    )
    updated = area_update(actor=None, area=grid, name="Grid One", boundary=square(117.21, 38.6))
    assert updated.name == "Grid One"
    assert updated.households == 0
    assert updated.min_lng == pytest.approx(117.21)
    assert Area.objects.get(pk=grid.pk).center_lng == pytest.approx(117.215)


def test_an_update_without_changes_writes_nothing(village):
    grid = area_create(actor=None, code="12011610420101", name="Grid", level="grid", parent=village)
    before = (Area.objects.get(pk=grid.pk).updated_at, AuditEvent.objects.count())
    area_update(actor=None, area=grid, name="Grid", households=0)
    assert (Area.objects.get(pk=grid.pk).updated_at, AuditEvent.objects.count()) == before


def test_retiring_an_area_with_current_children_is_refused(village):
    grid = area_create(actor=None, code="12011610420101", name="Grid", level="grid", parent=village)
    with pytest.raises(ValidationError):
        area_retire(actor=None, area=village, valid_to=date(2025, 1, 1))
    area_retire(actor=None, area=grid, valid_to=date(2025, 1, 1))
    area_retire(actor=None, area=village, valid_to=date(2025, 1, 1))
    assert not Area.objects.current().filter(pk__in=[grid.pk, village.pk]).exists()


def test_a_retired_code_can_be_used_again(village):
    grid = area_create(actor=None, code="12011610420101", name="Old grid", level="grid", parent=village)
    area_retire(actor=None, area=grid, valid_to=date(2025, 1, 1))
    new = area_create(
        actor=None, code="12011610420101", name="New grid", level="grid", parent=village, valid_from=date(2025, 1, 2)
    )
    assert Area.objects.current().get(code="12011610420101") == new


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ({"type": "Point", "coordinates": [117.2, 38.6]}, "Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": [[[117.2, 38.6], [117.3, 38.6], [117.3, 38.7], [117.2, 38.7]]]}, "closed"),
        ({"type": "Polygon", "coordinates": [[[217.2, 38.6], [217.3, 38.6], [217.3, 38.7], [217.2, 38.6]]]}, "WGS84"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            "Self-intersection",
        ),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0], [0, 0]]]}, ""),
    ],
)
def test_invalid_geometries_are_refused_with_a_reason(geometry, reason):
    with pytest.raises(GeometryError) as error:
        validate(geometry)
    assert reason in str(error.value)


def test_a_multipolygon_is_accepted_and_its_bounds_cover_all_parts():
    normalized, geom = validate(
        {
            "type": "MultiPolygon",
            "coordinates": [square(0, 0, 1)["coordinates"], square(2, 2, 1)["coordinates"]],
        }
    )
    bounds = bounds_of(geom)
    assert normalized["type"] == "MultiPolygon"
    assert (bounds.min_lng, bounds.min_lat, bounds.max_lng, bounds.max_lat) == (0, 0, 3, 3)
