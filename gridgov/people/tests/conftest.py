"""Fixtures of the people tests: a movable clock and a small world of areas and staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from gridgov.areas.tests.factories import make_tree
from gridgov.people import services
from gridgov.people.tests.factories import TEST_PASSWORD


class Clock:
    """``django.utils.timezone.now`` frozen at a moment the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch):
    moving = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", moving)
    return moving


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the cache."""
    cache.clear()
    yield
    cache.clear()


@dataclass
class World:
    district: Any
    town: Any
    villages: list[Any]
    grids: list[Any]
    departments: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)


def make_user(username: str, **kwargs: Any) -> Any:
    return services.user_create(actor=None, username=username, password=TEST_PASSWORD, full_name=username, **kwargs)


@pytest.fixture
def world(db) -> World:
    """District → town → 2 villages → 2 grids each; one user per role; two departments:
    ``roads`` serves village 1, ``police`` serves the district (an outside body), and
    ``water`` serves village 2."""
    district, town, villages, grids = make_tree(villages=2, grids_per_village=2)
    w = World(district=district, town=town, villages=villages, grids=grids)
    w.departments["roads"], _ = services.department_save(
        actor=None, code="roads", name="Roads", kind="town_office", areas=[villages[0]]
    )
    w.departments["water"], _ = services.department_save(
        actor=None, code="water", name="Water", kind="town_office", areas=[villages[1]]
    )
    w.departments["police"], _ = services.department_save(
        actor=None, code="police", name="Traffic police", kind="outside_body", areas=[district]
    )
    roles: list[tuple[str, str, Any, Any]] = [
        ("worker", "grid_worker", grids[0], None),
        ("leader", "grid_leader", villages[0], None),
        ("operator", "center_operator", town, None),
        ("townleader", "town_leader", town, None),
        ("handler", "department_handler", None, w.departments["roads"]),
        ("supervisor", "supervisor", None, None),
        ("admin", "admin", None, None),
        ("upstream", "upstream", None, None),
    ]
    for username, role, area, department in roles:
        user = make_user(username)
        services.role_assign(actor=None, user=user, role=role, area=area, department=department)
        w.users[username] = user
    w.users["nobody"] = make_user("nobody")
    return w
