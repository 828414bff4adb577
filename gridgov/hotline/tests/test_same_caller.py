"""Repeat callers: the other orders from the same phone, found by the phone digest, for the
viewers who may reveal the petitioner, on the order page and in the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from gridgov.hotline import selectors, services
from gridgov.hotline.models import HotlineOrder
from gridgov.people.models import Department

from .web_orders import act, instructed, receive

pytestmark = pytest.mark.django_db

CALLER = "13955501234"
OTHER = "13955509876"


def from_caller(people: dict[str, Any], phone: str = CALLER, **overrides: Any) -> HotlineOrder:
    return receive(people, petitioner_phone=phone, **overrides)


def test_the_center_sees_the_other_orders_of_the_phone_newest_first(people):
    first = from_caller(people)
    second = from_caller(people, order_type="help")
    from_caller(people, phone=OTHER)
    current = from_caller(people)
    found = selectors.same_caller(people["center01"], current)
    assert found.count == 2
    assert [o.pk for o in found.orders] == [second.pk, first.pk]
    # The petitioner columns are not even loaded: nothing is decrypted in bulk.
    assert {"petitioner_phone", "petitioner_name", "petitioner_address"} <= found.orders[0].get_deferred_fields()


def test_at_most_ten_are_listed_but_all_are_counted(people):
    orders = [from_caller(people) for _ in range(12)]
    found = selectors.same_caller(people["center01"], orders[-1])
    assert found.count == 11
    assert [o.pk for o in found.orders] == [o.pk for o in reversed(orders[1:-1])]
    assert len(selectors.same_caller(people["center01"], orders[-1], limit=3).orders) == 3


def test_an_order_without_a_phone_has_no_same_caller(people):
    from_caller(people)
    lonely = receive(people, petitioner_phone="", petitioner_name="", petitioner_address="", anonymous=True)
    assert selectors.same_caller(people["center01"], lonely).count == 0


@pytest.mark.parametrize("username", ["super01", "admin", "upstream01"])
def test_viewers_who_may_not_reveal_get_nothing(people, username):
    from_caller(people)
    current = from_caller(people)
    viewer = get_user_model().objects.get(username=username)
    assert selectors.same_caller(viewer, current).count == 0


def test_the_town_leader_may_reveal_and_sees_them(people):
    earlier = from_caller(people)
    current = from_caller(people)
    assert [o.pk for o in selectors.same_caller(people["leader01"], current).orders] == [earlier.pk]


def test_a_department_sees_only_the_orders_whose_petitioner_it_may_reveal(people):
    handler = people["dept02"]  # urban_mgmt
    help_order = instructed(people, order_type="help", petitioner_phone=CALLER)
    complaint = instructed(people, order_type="complaint", petitioner_phone=CALLER)
    not_ours = from_caller(people, order_type="help")  # never reaches the department
    other_help = instructed(people, order_type="help", petitioner_phone=CALLER)
    found = selectors.same_caller(handler, other_help)
    # The complaint would give its petitioner away: left out until the center grants it.
    assert [o.pk for o in found.orders] == [help_order.pk]
    assert not_ours.pk not in [o.pk for o in found.orders]
    # The department may not reveal the complaint itself: nothing from its page.
    assert selectors.same_caller(handler, complaint).count == 0
    services.identity_grant(
        order_id=complaint.pk,
        department_id=Department.objects.get(code="urban_mgmt").pk,
        actor=people["center01"],
        reason="需当面核实",
    )
    assert [o.pk for o in selectors.same_caller(handler, other_help).orders] == [complaint.pk, help_order.pk]
    assert [o.pk for o in selectors.same_caller(handler, complaint).orders] == [other_help.pk, help_order.pk]


def test_the_order_page_shows_the_same_caller_box_to_those_who_may_reveal(client, people):
    earlier = from_caller(people)
    act(earlier, "acknowledge", people["center01"])
    current = from_caller(people)
    client.force_login(people["center01"])
    page = client.get(reverse("hotline:detail", args=[current.pk])).text
    assert 'data-testid="same-caller"' in page
    assert reverse("hotline:detail", args=[earlier.pk]) in page
    assert earlier.upstream_number in page
    assert CALLER not in page
    client.force_login(people["super01"])
    page = client.get(reverse("hotline:detail", args=[current.pk])).text
    assert 'data-testid="same-caller"' not in page


def test_the_api_detail_carries_same_caller_only_for_those_who_may_reveal(client, people):
    earlier = from_caller(people)
    current = from_caller(people)
    client.force_login(people["center01"])
    body = client.get(f"/api/v1/hotline/orders/{current.pk}").json()
    assert body["can_reveal"] is True
    assert [item["id"] for item in body["same_caller"]] == [earlier.pk]
    item = body["same_caller"][0]
    assert set(item) == {"id", "upstream_number", "status", "arrived_at"}
    assert item["upstream_number"] == earlier.upstream_number and item["status"] == "received"
    client.force_login(people["super01"])
    body = client.get(f"/api/v1/hotline/orders/{current.pk}").json()
    assert body["can_reveal"] is False and body["same_caller"] == []
