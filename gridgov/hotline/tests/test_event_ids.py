"""Upstream's event ids: a column of the order's history, unique per order when given (the
database refuses a second row with the same id), the only thing a resend is recognised by, and
copied from the history's data by a data migration for events recorded before the column."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.hotline import services
from gridgov.hotline.models import EventOrigin, HotlineOrder, OrderEvent
from gridgov.people.models import Role
from gridgov.people.tests.factories import RoleAssignmentFactory, UserFactory

from .import_setup import make_town, order_data

pytestmark = pytest.mark.django_db

copy_event_ids = importlib.import_module("gridgov.hotline.migrations.0003_copy_event_ids_from_data").copy_event_ids


@pytest.fixture
def world() -> Any:
    town = make_town()
    upstream = UserFactory(username="evt_upstream")
    RoleAssignmentFactory(user=upstream, role=Role.UPSTREAM)
    town.users["upstream"] = upstream
    return town


def entered(world: Any, number: str) -> HotlineOrder:
    received = services.order_receive(
        actor=world.users["center"], data=order_data(number, world.town), channel="manual"
    )
    return received.order


def history_line(order: HotlineOrder, event_id: str, **extra: Any) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order, action="remind", origin=EventOrigin.UPSTREAM, at=timezone.now(), event_id=event_id, **extra
    )


def test_the_database_refuses_the_same_event_id_twice_on_one_order(world: Any) -> None:
    order = entered(world, "EVT-1")
    history_line(order, "up-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        history_line(order, "up-1")
    # Without an id any number of lines; the same id on another order is another event.
    history_line(order, "")
    history_line(order, "")
    history_line(entered(world, "EVT-2"), "up-1")
    assert OrderEvent.objects.filter(event_id="up-1").count() == 2


def test_an_event_sent_again_is_recognised_by_its_id_column(world: Any) -> None:
    order = entered(world, "EVT-3")
    first = services.order_event(
        order_id=order.pk, actor=world.users["upstream"], event_type="remind", data={}, event_id=" rem-1 "
    )
    assert first.reminder_count == 1
    line = OrderEvent.objects.get(order=order, action="remind")
    assert line.event_id == "rem-1" and line.data == {"event_id": "rem-1"}
    again = services.order_event(
        order_id=order.pk, actor=world.users["upstream"], event_type="remind", data={}, event_id="rem-1"
    )
    assert again.reminder_count == 1 and again.version == first.version
    # An id known only to the column (its data says nothing) is a resend too.
    history_line(order, "rem-2")
    services.order_event(
        order_id=order.pk, actor=world.users["upstream"], event_type="remind", data={}, event_id="rem-2"
    )
    assert HotlineOrder.objects.get(pk=order.pk).reminder_count == 1


def test_the_data_migration_copies_the_ids_kept_in_the_data_once_per_order(world: Any) -> None:
    order, other = entered(world, "EVT-4"), entered(world, "EVT-5")
    old = history_line(order, "", data={"event_id": "cb-1"})
    twice = history_line(order, "", data={"event_id": "cb-1"})
    elsewhere = history_line(other, "", data={"event_id": "cb-1"})
    plain = history_line(order, "", data={"satisfaction": "satisfied"})
    copy_event_ids(apps, None)
    ids = dict(
        OrderEvent.objects.filter(pk__in=[old.pk, twice.pk, elsewhere.pk, plain.pk]).values_list("pk", "event_id")
    )
    assert ids == {old.pk: "cb-1", twice.pk: "", elsewhere.pk: "cb-1", plain.pk: ""}
