"""Visits: stored once per client UUID (service and API), due and overdue by the visit plans,
a finding turned into a case, coverage on a hand-made month."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from gridgov.cases import services as case_services
from gridgov.cases.models import Case, Source
from gridgov.core.models import AuditEvent
from gridgov.visits import selectors, services
from gridgov.visits.models import Finding, Household, Unit, UnitKind, Visit, VisitPlan
from gridgov.visits.services import VisitForbidden

from .conftest import api, home_grid, new_id, post_json

pytestmark = pytest.mark.usefixtures("clean_basic_data")
URL = "/api/v1/visits"
TZ_NOON = dt.time(12, 0)


def household(user: Any, address: str = "太平村3排5号", tags: tuple[str, ...] = ("elderly_alone",)) -> Household:
    return services.household_save(
        actor=user, grid=home_grid(user), address=address, head_name="王秀兰", member_count=1, care_tags=tags
    )[0]


def unit(user: Any, name: str = "太平超市", kind: str = UnitKind.SHOP) -> Unit:
    return services.unit_save(actor=user, grid=home_grid(user), kind=kind, name=name)[0]


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), timezone.get_current_timezone())


def visit(user: Any, target: Household | Unit, when: dt.datetime, **extra: Any) -> Visit:
    return services.visit_record(
        actor=user,
        client_id=new_id(),
        visited_at=when,
        now=when + dt.timedelta(hours=1),
        household_id=target.pk if isinstance(target, Household) else None,
        unit_id=target.pk if isinstance(target, Unit) else None,
        **extra,
    )[0]


def test_the_same_client_id_is_the_same_visit_even_through_the_api(people):
    home = household(people["grid01"])
    client = api(people["grid01"])
    key = new_id()
    body = {"household_id": home.pk, "visited_at": timezone.now().isoformat(), "finding": "need", "notes": "缺药"}
    first = post_json(client, URL, body, **{"Idempotency-Key": key})
    second = post_json(client, URL, body, **{"Idempotency-Key": key})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"] and Visit.objects.count() == 1
    assert AuditEvent.objects.filter(action="visit.record").count() == 1
    changed = post_json(client, URL, {**body, "finding": "dispute"}, **{"Idempotency-Key": key})
    assert changed.status_code == 422 and "client_id" in changed.json()["error"]["details"]
    missing = post_json(client, URL, body)
    assert missing.status_code == 422
    assert first.json()["target"]["label"] != "太平村3排5号"  # masked in the answer


def test_a_visit_is_refused_outside_the_worker_s_grids_and_for_other_roles(people):
    home = household(people["grid01"])
    with pytest.raises(ValidationError) as caught:
        visit(people["grid02"], home, timezone.now())
    assert "household_id" in caught.value.message_dict
    with pytest.raises(VisitForbidden):
        visit(people["dept01"], home, timezone.now())
    with pytest.raises(ValidationError):
        services.visit_record(
            actor=people["grid01"],
            client_id=new_id(),
            household_id=home.pk,
            visited_at=timezone.now() + dt.timedelta(hours=1),
        )
    assert not Visit.objects.exists()


def test_due_and_overdue_follow_the_shortest_plan_of_the_household_s_tags(people):
    VisitPlan.objects.update_or_create(care_tag="elderly_alone", defaults={"interval_days": 7, "active": True})
    VisitPlan.objects.update_or_create(care_tag="disabled", defaults={"interval_days": 3, "active": True})
    VisitPlan.objects.update_or_create(care_tag="low_income", defaults={"interval_days": 30, "active": False})
    today = timezone.localdate()
    worker = people["grid01"]
    recent = household(worker, "1号", ("elderly_alone",))
    due_now = household(worker, "2号", ("elderly_alone",))
    late = household(worker, "3号", ("elderly_alone", "disabled"))
    never = household(worker, "4号", ("elderly_alone",))
    untagged = household(worker, "5号", ())
    unplanned = household(worker, "6号", ("low_income",))
    visit(worker, recent, at(today - dt.timedelta(days=6)))
    visit(worker, due_now, at(today - dt.timedelta(days=7)))
    visit(worker, late, at(today - dt.timedelta(days=5)))  # 3-day plan: due 2 days ago

    due = {d.household.pk: d for d in selectors.due_today(worker, today=today)}
    assert set(due) == {due_now.pk, late.pk, never.pk}
    assert due[due_now.pk].overdue_days == 0 and due[due_now.pk].due_on == today
    assert due[late.pk].interval_days == 3 and due[late.pk].overdue_days == 2
    assert due[never.pk].due_on == timezone.localtime(never.created_at).date()
    assert untagged.pk not in due and unplanned.pk not in due and recent.pk not in due

    overdue = {d.household.pk for d in selectors.overdue(people["gridlead01"], today=today)}
    assert late.pk in overdue and due_now.pk not in overdue
    assert selectors.overdue(people["grid02"], today=today) == []
    assert selectors.due_today(people["gridlead01"], today=today) == []  # only a worker's own grids

    body = api(worker).get(f"{URL}/due").json()
    assert body["count"] == 3 and {i["household_id"] for i in body["items"]} == set(due)
    assert body["items"][0]["head_name"] == "王**"


def test_units_and_key_places_with_a_plan_are_due_and_overdue(people, client):
    from gridgov.visits.models import UnitVisitPlan

    UnitVisitPlan.objects.all().delete()
    UnitVisitPlan.objects.create(tag="hazard_point", interval_days=7)
    UnitVisitPlan.objects.create(tag="gas", interval_days=30)
    UnitVisitPlan.objects.create(tag="crowd", interval_days=3)
    UnitVisitPlan.objects.create(tag="fire", interval_days=1, active=False)
    today = timezone.localdate()
    worker = people["grid01"]
    point = unit(worker, "河堤隐患点", UnitKind.HAZARD_POINT)
    gas = unit(worker, "燃气站", UnitKind.ENTERPRISE)
    Unit.objects.filter(pk=gas.pk).update(hazard_tags=["gas", "crowd"])
    shop = unit(worker, "小卖部")  # no tag: no plan
    Unit.objects.filter(pk=shop.pk).update(hazard_tags=["fire"])  # its plan is switched off
    site = unit(worker, "工地", UnitKind.CONSTRUCTION_SITE)  # no plan for construction sites here
    visit(worker, point, at(today - dt.timedelta(days=9)))  # 7-day plan: 2 days overdue
    visit(worker, gas, at(today - dt.timedelta(days=3)))  # the shortest of its tags: 3 days, due today

    due = {d.unit.pk: d for d in selectors.due_today(worker, today=today) if d.unit is not None}
    assert set(due) == {point.pk, gas.pk}
    assert due[point.pk].overdue_days == 2 and due[point.pk].interval_days == 7 and due[point.pk].kind == "unit"
    assert due[gas.pk].interval_days == 3 and due[gas.pk].overdue_days == 0
    assert shop.pk not in due and site.pk not in due
    overdue = {d.unit.pk for d in selectors.overdue(people["gridlead01"], today=today) if d.unit is not None}
    assert overdue == {point.pk}
    assert selectors.overdue(people["grid02"], today=today) == []

    body = api(worker).get(f"{URL}/due").json()
    items = {item["unit_id"]: item for item in body["items"] if item["kind"] == "unit"}
    assert items[point.pk]["key_place"] is True and items[point.pk]["name"] == "河堤隐患点"
    assert items[point.pk]["household_id"] is None and items[point.pk]["tag_labels"] == ["隐患点"]
    assert items[gas.pk]["tags"] == ["gas", "crowd"]
    client.force_login(people["gridlead01"])
    page = client.get("/visits/overdue/").content.decode()
    assert f'data-unit="{point.pk}"' in page and "河堤隐患点" in page and f'data-unit="{gas.pk}"' not in page

    # A unit visited today is no longer due.
    visit(worker, point, at(today, 9))
    assert point.pk not in {d.unit.pk for d in selectors.due_today(worker, today=today) if d.unit is not None}


def test_unit_plans_are_set_by_the_center(people):
    from gridgov.visits.models import UnitVisitPlan

    plan = services.unit_plan_set(actor=people["center01"], tag="construction_site", interval_days=5)
    assert UnitVisitPlan.objects.get(tag="construction_site").interval_days == plan.interval_days == 5
    assert AuditEvent.objects.filter(action="visits.unit_plan_set").exists()
    with pytest.raises(VisitForbidden):
        services.unit_plan_set(actor=people["grid01"], tag="construction_site", interval_days=5)
    with pytest.raises(ValidationError):
        services.unit_plan_set(actor=people["center01"], tag="shop", interval_days=5)
    with pytest.raises(ValidationError):
        services.unit_plan_set(actor=people["center01"], tag="gas", interval_days=0)


def test_coverage_of_a_hand_made_month(people):
    worker, colleague = people["grid01"], people["gridlead01"]
    grid = home_grid(worker)
    tz = timezone.get_current_timezone()
    may = dt.datetime(2026, 5, 1, tzinfo=tz)
    homes = [household(worker, f"{n}号") for n in range(4)]
    shops = [unit(worker, f"店{n}") for n in range(2)]
    site = unit(worker, "工地", UnitKind.CONSTRUCTION_SITE)
    for obj in [*homes, *shops, site]:
        type(obj).objects.filter(pk=obj.pk).update(created_at=may - dt.timedelta(days=10))
    late_home = household(worker, "新登记")  # registered after May: not due in May
    Household.objects.filter(pk=late_home.pk).update(created_at=dt.datetime(2026, 6, 2, tzinfo=tz))
    rows = [
        (worker, homes[0], dt.datetime(2026, 5, 3, 9, tzinfo=tz)),
        (worker, homes[0], dt.datetime(2026, 5, 20, 9, tzinfo=tz)),  # a second visit counts once
        (colleague, homes[1], dt.datetime(2026, 5, 31, 23, 30, tzinfo=tz)),  # the last evening of May
        (worker, homes[2], dt.datetime(2026, 4, 30, 23, 59, tzinfo=tz)),  # April
        (worker, homes[3], dt.datetime(2026, 6, 1, 0, 0, tzinfo=tz)),  # June
        (worker, site, dt.datetime(2026, 5, 10, 9, tzinfo=tz)),
    ]
    for who, target, when in rows:
        key = "household_id" if isinstance(target, Household) else "unit_id"
        with_now = when + dt.timedelta(hours=1)
        services.visit_record(actor=who, client_id=new_id(), visited_at=when, now=with_now, **{key: target.pk})

    [all_of] = selectors.visit_coverage(year=2026, month=5, grid_ids=[grid.pk])
    assert (all_of.households_due, all_of.households_visited) == (4, 2)
    assert (all_of.units_due, all_of.units_visited) == (3, 1)
    assert all_of.rate == pytest.approx(3 / 7) and all_of.month == dt.date(2026, 5, 1)
    [own] = selectors.visit_coverage(year=2026, month=5, grid_ids=[grid.pk], worker_id=worker.pk)
    assert (own.households_visited, own.units_visited) == (1, 1)
    [empty] = selectors.visit_coverage(year=2026, month=5, grid_ids=[home_grid(people["grid02"]).pk])
    assert empty.due == 0 and empty.rate is None
    # The cockpit's total over every grid a viewer sees: the sum of the grids' rows.
    for viewer in ("center01", "gridlead01", "grid02"):
        listed = selectors.coverage_for(people[viewer], year=2026, month=5)
        total = (sum(c.visited for *_n, c in listed), sum(c.due for *_n, c in listed))
        assert selectors.coverage_total(people[viewer], year=2026, month=5) == total
    assert selectors.coverage_total(people["center01"], year=2026, month=5)[1] >= 7

    answer = api(people["gridlead01"]).get(f"{URL}/coverage?month=2026-05").json()
    mine = next(r for r in answer if r["grid"]["code"] == grid.code)
    assert mine["households_visited"] == 2 and mine["rate"] == round(3 / 7, 4)
    assert all(r["grid"]["code"] != home_grid(people["grid02"]).code for r in answer)

    client = Client()
    client.force_login(people["gridlead01"])
    page = client.get("/visits/coverage/?month=2026-05").content.decode()
    # The total row adds households to households and units to units.
    households = re.search(r'data-testid="households-total">(\d+) / (\d+)<', page)
    units = re.search(r'data-testid="units-total">(\d+) / (\d+)<', page)
    assert households and units
    assert int(households.group(2)) >= 4 and int(units.group(2)) >= 3


def test_a_finding_becomes_a_case_in_one_step_and_only_once(people):
    home = household(people["grid01"])
    found = visit(
        people["grid01"], home, timezone.now() - dt.timedelta(minutes=5), finding=Finding.HAZARD, notes="楼道堆放杂物"
    )
    client = api(people["grid01"])
    first = post_json(client, f"{URL}/{found.pk}/case", {"category": "parking.long_term"})
    again = post_json(client, f"{URL}/{found.pk}/case", {"category": "parking.long_term"})
    assert (first.status_code, again.status_code) == (201, 200)
    case = Case.objects.get()
    assert first.json()["case_id"] == case.pk == again.json()["case_id"]
    assert case.source == Source.GRID_REPORT and case.grid_id == home.grid_id and "杂物" in case.description
    nothing = visit(people["grid01"], home, timezone.now() - dt.timedelta(minutes=1))
    assert post_json(client, f"{URL}/{nothing.pk}/case", {"category": "parking.long_term"}).status_code == 422


def test_a_case_reported_on_the_phone_is_linked_by_its_client_key(people):
    home = household(people["grid01"])
    key = new_id()
    found = visit(
        people["grid01"], home, timezone.now() - dt.timedelta(minutes=5), finding=Finding.NEED, case_client_id=key
    )
    assert found.case_id is None and selectors.case_of(found) is None
    case, _created = case_services.case_create(
        actor=people["grid01"],
        category="parking.long_term",
        description="走访发现",
        lat=home.grid.center_lat,
        lng=home.grid.center_lng,
        idempotency_key=key,
    )
    assert selectors.case_of(found) == case.pk


def test_the_coverage_lists_the_grids_by_code(people):
    """Villages and grids come in the order of their codes on every page (the path is made of
    ids: /1/2/10/ sorts before /1/2/3/)."""
    rows = selectors.coverage_for(people["center01"], year=2026, month=1)
    codes = [code for code, _name, _coverage in rows]
    assert len(codes) > 10 and codes == sorted(codes)


def test_all_places_of_my_grids_planned_or_not_for_the_phone(people):
    worker = people["grid01"]
    home = household(worker, tags=())
    shop = unit(worker)  # a shop without hazard tags: no plan, never due
    other = household(people["grid02"], address="别村1号")
    assert selectors.due_today(worker) == []
    answer = api(worker).get("/api/v1/visits/places")
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 2 and body["truncated"] is False
    by_target = {(item["kind"], item["household_id"] or item["unit_id"]): item for item in body["items"]}
    assert set(by_target) == {("household", home.pk), ("unit", shop.pk)}
    assert by_target[("household", home.pk)]["address"] == "太平村3排5号"  # in full: the worker finds the door
    assert "*" in by_target[("household", home.pk)]["head_name"]  # the head's name masked
    assert by_target[("unit", shop.pk)]["name"] == "太平超市" and by_target[("unit", shop.pk)]["last_visit"] is None
    # A visit to the unit without a plan is recorded and shows as its last visit.
    recorded = post_json(
        api(worker),
        "/api/v1/visits",
        {"unit_id": shop.pk, "visited_at": timezone.now().isoformat(), "finding": "nothing"},
        **{"Idempotency-Key": new_id()},
    )
    assert recorded.status_code == 201
    again = api(worker).get("/api/v1/visits/places").json()
    assert next(i for i in again["items"] if i["unit_id"] == shop.pk)["last_visit"] is not None
    # Capped, and says so.
    capped = selectors.places(worker, limit=1)
    assert len(capped.items) == 1 and capped.total == 2 and capped.truncated
    # Others: their own grids, or nothing.
    assert {i["household_id"] for i in api(people["grid02"]).get("/api/v1/visits/places").json()["items"]} == {other.pk}
    assert api(people["dept01"]).get("/api/v1/visits/places").json()["items"] == []
