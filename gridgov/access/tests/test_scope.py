"""What each role may see: areas, departments and staff.

The world (see ``gridgov/people/tests/conftest.py``): district → town → villages 1 and 2 →
grids 1-1, 1-2, 2-1, 2-2; departments ``roads`` (serves village 1), ``water`` (village 2) and
``police`` (the whole district).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from gridgov.access.scope import scope_for, visible_areas, visible_departments
from gridgov.areas.models import Area
from gridgov.people import services
from gridgov.people.selectors import department_get, users_visible
from gridgov.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def area_names(user) -> set[str]:
    return set(visible_areas(user).values_list("name", flat=True))


def department_codes(user) -> set[str]:
    return set(visible_departments(user).values_list("code", flat=True))


def usernames(user) -> set[str]:
    return set(users_visible(user).values_list("username", flat=True))


ALL_AREAS = {"District", "Town", "Village 1", "Village 2", "Grid 1-1", "Grid 1-2", "Grid 2-1", "Grid 2-2"}
ALL_DEPARTMENTS = {"roads", "water", "police"}


def test_a_grid_worker_sees_only_their_own_grid(world):
    worker = world.users["worker"]
    assert area_names(worker) == {"Grid 1-1"}
    # Departments serving the grid or an area above it, not the other village's.
    assert department_codes(worker) == {"roads", "police"}
    assert "Grid 1-2" not in area_names(worker)


def test_a_grid_leader_sees_the_village_subtree(world):
    leader = world.users["leader"]
    assert area_names(leader) == {"Village 1", "Grid 1-1", "Grid 1-2"}
    assert department_codes(leader) == {"roads", "police"}


@pytest.mark.parametrize("username", ["operator", "townleader"])
def test_center_operators_and_town_leaders_see_the_whole_town(world, username):
    user = world.users[username]
    assert area_names(user) == ALL_AREAS - {"District"}
    assert department_codes(user) == ALL_DEPARTMENTS


def test_a_department_handler_sees_the_areas_their_department_serves_and_the_department(world):
    handler = world.users["handler"]
    assert area_names(handler) == {"Village 1", "Grid 1-1", "Grid 1-2"}
    assert "roads" in department_codes(handler)
    assert "water" not in department_codes(handler)
    assert scope_for(handler).department_ids == frozenset({world.departments["roads"].pk})


@pytest.mark.parametrize("username", ["supervisor", "admin"])
def test_supervisors_and_admins_without_an_area_see_everything(world, username):
    user = world.users[username]
    assert scope_for(user).everything
    assert area_names(user) == ALL_AREAS
    assert department_codes(user) == ALL_DEPARTMENTS


def test_an_upstream_account_sees_no_area_or_department(world):
    # A machine account sees hotline orders (its area bounds them), nothing else of a town.
    district_wide = world.users["upstream"]
    town_only = UserFactory(username="district-hotline")
    services.role_assign(actor=None, user=town_only, role="upstream", area=world.town)
    for user in (district_wide, town_only):
        assert not scope_for(user).everything
        assert area_names(user) == set()
        assert department_codes(user) == set()
    assert scope_for(town_only).paths_for_roles("upstream") == [world.town.path]


def test_a_superuser_sees_everything_without_roles(world):
    root = UserFactory(username="root", is_superuser=True)
    assert area_names(root) == ALL_AREAS
    assert department_codes(root) == ALL_DEPARTMENTS


def test_a_user_without_roles_and_an_anonymous_user_see_nothing(world):
    for user in (world.users["nobody"], AnonymousUser()):
        assert scope_for(user).is_empty
        assert area_names(user) == set()
        assert department_codes(user) == set()
    assert usernames(AnonymousUser()) == set()
    assert usernames(world.users["nobody"]) == {"nobody"}


def test_several_roles_add_up(world):
    worker = world.users["worker"]
    services.role_assign(actor=None, user=worker, role="grid_worker", area=world.grids[3])
    assert area_names(worker) == {"Grid 1-1", "Grid 2-2"}
    assert department_codes(worker) == ALL_DEPARTMENTS


def test_nested_assignments_collapse_to_the_outer_subtree(world):
    leader = world.users["leader"]
    services.role_assign(actor=None, user=leader, role="grid_worker", area=world.grids[0])
    assert scope_for(leader).area_paths == (world.villages[0].path,)


def test_retired_areas_are_not_listed(world):
    Area.objects.filter(pk=world.grids[1].pk).update(valid_to="2024-01-01")
    assert area_names(world.users["leader"]) == {"Village 1", "Grid 1-1"}


def test_a_similar_path_prefix_does_not_leak_into_the_scope(world):
    """``/1/2/3/`` must not match ``/1/2/30/``: paths end with a slash."""
    leader = world.users["leader"]
    for path in scope_for(leader).area_paths:
        assert path.endswith("/")


def test_roles_for_area_names_the_roles_held_over_it_or_above_it(world):
    scope = scope_for(world.users["leader"])
    assert scope.roles_for_area(world.grids[0]) == {"grid_leader"}
    assert scope.roles_for_area(world.grids[2]) == set()
    assert scope_for(world.users["supervisor"]).roles_for_area(world.grids[2]) == {"supervisor"}


# --- staff ---


def test_a_grid_worker_sees_themself_and_the_staff_of_their_departments(world):
    assert usernames(world.users["worker"]) == {"worker", "handler"}


def test_a_grid_leader_sees_the_staff_of_the_village(world):
    assert usernames(world.users["leader"]) == {"worker", "leader", "handler"}


def test_a_town_leader_sees_the_staff_of_the_town(world):
    assert usernames(world.users["townleader"]) == {"worker", "leader", "operator", "townleader", "handler"}


def test_a_supervisor_sees_all_staff(world):
    assert usernames(world.users["supervisor"]) == set(world.users)


# --- single objects ---


def test_department_get_answers_not_found_outside_the_scope(world):
    assert department_get(world.users["leader"], "roads").code == "roads"
    with pytest.raises(Http404):
        department_get(world.users["leader"], "water")
    with pytest.raises(Http404):
        department_get(world.users["leader"], "missing")


def test_an_object_outside_the_scope_is_not_found_through_the_api(client, world):
    client.force_login(world.users["worker"])
    response = client.get("/api/v1/departments/water")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": response.json()["error"]["message"]}}
    client.force_login(world.users["operator"])
    assert client.get("/api/v1/departments/water").status_code == 200
