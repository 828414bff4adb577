"""Each demo role sees exactly the cases it should: in lists, detail, search, duplicate hints,
queue counts, the API (list, map, detail) and the pages (case page, workbench and its map).

Six cases, all ``parking.long_term``:

- A: grid01 reports in its grid (village 1), dispatched to traffic_police alone;
- B: grid02 reports in its grid (village 2), dispatched to urban_mgmt with traffic_police cooperating;
- C: grid01 reports in its grid, dispatched to urban_mgmt alone;
- D: grid01 reports in grid02's grid (village 2), left reported;
- E: the center reports in grid02's grid, left reported;
- F: the center reports in another grid of village 1, left reported.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from gridgov.areas.models import Area
from gridgov.cases import selectors, services
from gridgov.cases.access import may_see, parties_of
from gridgov.cases.models import Case
from gridgov.cases.selectors import CaseFilters, Queue
from gridgov.testing.fixtures import named_people

from .loop_helpers import VERIFIED, grid_point, home_grid

pytestmark = pytest.mark.django_db

SEES: dict[str, set[str]] = {
    "grid01": {"A", "C", "D"},  # its grid, and what it reported elsewhere
    "grid02": {"B", "D", "E"},
    "gridlead01": {"A", "C", "F"},  # village 1
    "center01": set("ABCDEF"),
    "leader01": set("ABCDEF"),
    "dept01": {"A", "B"},  # leads A, cooperates on B; not C although it serves the same town
    "dept02": {"B", "C"},
    "super01": set("ABCDEF"),
    "admin": set("ABCDEF"),
    "nobody": set(),
}


@pytest.fixture(scope="module")
def world(taiping: None, django_db_blocker: Any) -> dict[str, Any]:
    """The six cases, made once for the module (in the transaction of ``taiping``; each test's
    own changes are rolled back after it)."""
    with django_db_blocker.unblock():
        return _world(named_people())


def _world(people: dict[str, Any]) -> dict[str, Any]:
    people = {**people, "nobody": get_user_model().objects.create_user("nobody", password="x")}
    center = people["center01"]

    def new(tag: str, by: str, where: str | None = None, grid: str | None = None) -> Case:
        extra: dict[str, Any] = {"grid": grid}
        if not grid:
            lat, lng = grid_point(people[where or by])
            extra = {"lat": lat, "lng": lng}
        case, _created = services.case_create(
            actor=people[by], category=VERIFIED, description=f"巡查发现 {tag}号 车辆占道", **extra
        )
        return case

    def dispatch(case: Case, departments: list[str]) -> None:
        services.case_act(case.pk, "register", actor=center)
        services.case_act(case.pk, "dispatch", actor=center, departments=departments)

    grid01 = home_grid(people["grid01"])
    sibling = Area.objects.current().filter(parent_id=grid01.parent_id, level="grid").exclude(pk=grid01.pk).first()
    assert sibling is not None
    cases = {
        "A": new("A", "grid01"),
        "B": new("B", "grid02"),
        "C": new("C", "grid01"),
        "D": new("D", "grid01", where="grid02"),
        "E": new("E", "center01", where="grid02"),
        "F": new("F", "center01", grid=sibling.code),
    }
    dispatch(cases["A"], ["traffic_police"])
    dispatch(cases["B"], ["urban_mgmt", "traffic_police"])
    dispatch(cases["C"], ["urban_mgmt"])
    return {"people": people, "cases": cases, "tag": {case.pk: tag for tag, case in cases.items()}}


def tags(world: dict[str, Any], cases: Any) -> set[str]:
    return {world["tag"][case.pk] for case in cases}


@pytest.mark.parametrize("user", list(SEES))
def test_lists_show_exactly_the_users_cases(world: dict[str, Any], user: str) -> None:
    assert tags(world, selectors.cases_visible(world["people"][user])) == SEES[user]


@pytest.mark.parametrize("user", list(SEES))
def test_the_check_of_one_case_agrees_with_the_lists(world: dict[str, Any], user: str) -> None:
    actor = world["people"][user]
    for tag, case in world["cases"].items():
        assert may_see(actor, Case.objects.get(pk=case.pk)) == (tag in SEES[user]), tag


@pytest.mark.parametrize("user", list(SEES))
def test_detail_of_an_invisible_case_is_not_found(world: dict[str, Any], user: str) -> None:
    actor = world["people"][user]
    for tag, case in world["cases"].items():
        if tag in SEES[user]:
            assert selectors.case_get(actor, case.pk).pk == case.pk
        else:
            with pytest.raises(Case.DoesNotExist):
                selectors.case_get(actor, case.pk)
            with pytest.raises(services.CaseNotFound):
                services.case_act(case.pk, "remind", actor=actor)


@pytest.mark.parametrize("user", list(SEES))
def test_text_search_finds_only_visible_cases(world: dict[str, Any], user: str) -> None:
    actor = world["people"][user]
    query = selectors.cases_visible(actor)
    assert tags(world, selectors.apply_filters(actor, query, CaseFilters(text="巡查发现"))) == SEES[user]
    for tag, case in world["cases"].items():
        by_number = selectors.apply_filters(actor, query, CaseFilters(text=case.number))
        assert tags(world, by_number) == ({tag} & SEES[user])
        by_word = selectors.apply_filters(actor, query, CaseFilters(text=f"{tag}号"))
        assert tags(world, by_word) == ({tag} & SEES[user])


@pytest.mark.parametrize("user", list(SEES))
def test_duplicate_hints_come_only_from_visible_cases(world: dict[str, Any], user: str) -> None:
    actor = world["people"][user]
    lat, lng = grid_point(world["people"]["grid02"])
    found = selectors.possible_duplicates(actor, category=VERIFIED, lat=lat, lng=lng)
    # B, D and E lie at that point; A and C in grid01's grid, far away; F has no coordinates.
    assert tags(world, (case for case, _metres in found)) == SEES[user] & {"B", "D", "E"}
    assert all(metres == 0 for _case, metres in found)
    assert selectors.possible_duplicates(actor, category="parking.minor", lat=lat, lng=lng) == []


QUEUES = [Queue.OPEN, Queue.TO_REGISTER, Queue.TO_DISPATCH, Queue.DEPARTMENT, Queue.MINE]
# Reported: D, E, F. Dispatched: A (traffic_police), B and C (urban_mgmt lead).
QUEUE_MEMBERS = {
    Queue.OPEN: set("ABCDEF"),
    Queue.TO_REGISTER: {"D", "E", "F"},
    Queue.TO_DISPATCH: set(),
}


@pytest.mark.parametrize("user", list(SEES))
def test_queue_counts_count_only_visible_cases(world: dict[str, Any], user: str) -> None:
    actor = world["people"][user]
    counts = selectors.queue_counts(actor, QUEUES)
    for queue, members in QUEUE_MEMBERS.items():
        assert counts[queue] == len(members & SEES[user]), queue
    department = {"dept01": {"A"}, "dept02": {"B", "C"}}.get(user, set())
    assert counts[Queue.DEPARTMENT] == len(department)
    mine = {"grid01": {"A", "C", "D"}, "grid02": {"B"}, "center01": {"E", "F"}}.get(user, set())
    assert counts[Queue.MINE] == len(mine)


def test_a_grid_worker_of_another_grid_in_the_same_town_has_no_say(world: dict[str, Any]) -> None:
    """grid02 sees D (in its grid) but may not verify or act on grid01's A, which it cannot see."""
    people, cases = world["people"], world["cases"]
    assert parties_of(people["grid02"], cases["A"]) == set()
    assert parties_of(people["grid01"], cases["D"]) == set()  # the reporter sees, not acts


# --- the same through the API and the pages ----------------------------------------------


def _api(user: Any) -> Any:
    from django.test import Client

    from gridgov.people.services import token_issue

    _token, raw = token_issue(actor=user, user=user, name="visibility")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.mark.parametrize("user", list(SEES))
def test_the_api_list_map_and_detail_show_exactly_the_users_cases(world: dict[str, Any], user: str) -> None:
    client = _api(world["people"][user])
    listed = client.get("/api/v1/cases", {"limit": 200}).json()["items"]
    assert {world["tag"][item["id"]] for item in listed if item["id"] in world["tag"]} == SEES[user]
    mapped = client.get("/api/v1/cases/map").json()["features"]
    assert {world["tag"][f["properties"]["id"]] for f in mapped if f["properties"]["id"] in world["tag"]} == SEES[user]
    # F has a grid but no coordinates (the center chose only the grid): it stands at the grid's centre.
    assert all(f["properties"]["approximate"] == (world["tag"].get(f["id"]) == "F") for f in mapped)
    for tag, case in world["cases"].items():
        assert client.get(f"/api/v1/cases/{case.pk}").status_code == (200 if tag in SEES[user] else 404)


WORKBENCH_USERS = {"center01", "leader01", "super01", "admin"}


@pytest.mark.parametrize("user", list(SEES))
def test_the_pages_show_exactly_the_users_cases(world: dict[str, Any], user: str, client: Any) -> None:
    from django.urls import reverse

    client.force_login(world["people"][user])
    for tag, case in world["cases"].items():
        assert client.get(reverse("cases:detail", args=[case.pk])).status_code == (200 if tag in SEES[user] else 404)
    workbench = client.get(reverse("cases:workbench"))
    map_data = client.get(reverse("cases:map_data"))
    if user not in WORKBENCH_USERS:
        assert workbench.status_code == 403 and map_data.status_code == 403
        return
    html = workbench.content.decode()
    assert {tag for tag, case in world["cases"].items() if case.number in html} == SEES[user]
    points = map_data.json()
    rows = points.get("cases") or points.get("features") or []
    ids = {row.get("id") or row.get("properties", {}).get("id") for row in rows}
    assert {world["tag"][i] for i in ids if i in world["tag"]} == SEES[user]
