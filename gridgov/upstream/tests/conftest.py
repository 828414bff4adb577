"""Fixtures of the upstream tests: orders to send messages about, a movable clock, and the hotline
simulator on a free port (the Taiping demo and its people come from ``gridgov.testing.fixtures``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from gridgov.people.tests.conftest import clock
from gridgov.upstream.simulator import HotlineSimulator

__all__ = ["clock"]

SECRET = "upstream-test-secret"


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
