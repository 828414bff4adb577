"""Fixtures of the upstream tests: the Taiping demo (loaded once per module and rolled back),
orders to send messages about, a movable clock, and the hotline simulator on a free port."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gridgov.people.tests.conftest import clock
from gridgov.upstream.simulator import HotlineSimulator

__all__ = ["clock"]

SECRET = "upstream-test-secret"
NAMES = ["admin", "center01", "leader01", "dept01", "dept02", "gridlead01", "grid01", "grid02", "super01", "upstream01"]


@pytest.fixture(scope="module")
def taiping(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The demo's areas, departments and people (no orders)."""
    from gridgov.areas import locate
    from gridgov.demo.loader import load_demo
    from gridgov.workcalendar import calendar

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            load_demo(allow_production_db=True)
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            locate.reset()
            calendar.reset()


@pytest.fixture
def people(taiping: Any, db: Any) -> dict[str, Any]:
    users = get_user_model().objects.filter(username__in=NAMES)
    return {user.username: user for user in users}


def town() -> Any:
    from gridgov.areas.models import Area, AreaLevel

    return Area.objects.filter(level=AreaLevel.TOWN).order_by("id").first()


def make_order(number: str = "BHX2026112800001", *, source_system: str = "district", area: Any = None) -> Any:
    """An order straight in the table (the hotline services are tested on their own)."""
    from gridgov.hotline.models import HotlineOrder

    place = area or town()
    now = timezone.now()
    return HotlineOrder.objects.create(
        source_system=source_system,
        upstream_number=number,
        town=place,
        area_path=place.path,
        order_type="help",
        content="来电人反映太平村3排自来水停水，请求尽快恢复供水。",
        received_at=now,
        arrived_at=now,
        petitioner_name="王建国",
        petitioner_phone="13812345678",
    )


@pytest.fixture
def order(people: Any) -> Any:
    return make_order()


def point_upstream_at(settings: Any, url: str, *, secret: str = SECRET, adapter: str = "webhook") -> None:
    settings.GRIDGOV_UPSTREAM = {
        source: {"adapter": adapter, "url": url, "secret": secret} for source in ("city", "district")
    }


@pytest.fixture
def simulator(settings: Any) -> Any:
    """The simulator on a free loopback port, receiving only (no GridGov address), with the
    upstream settings pointing at it."""
    sim = HotlineSimulator(secrets=SECRET, port=0, close_after=None).start()
    point_upstream_at(settings, sim.url)
    yield sim
    sim.stop()
