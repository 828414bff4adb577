"""Fixtures of the patrol tests: the Taiping demo (areas, people, categories) loaded once per
test module inside a transaction that is rolled back afterwards, and patrol builders."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area


@pytest.fixture(scope="module")
def taiping(django_db_setup: Any, django_db_blocker: Any) -> Any:
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
    names = ["admin", "center01", "leader01", "dept01", "gridlead01", "grid01", "grid02", "super01"]
    return {user.username: user for user in get_user_model().objects.filter(username__in=names)}


def home_grid(user: Any) -> Area:
    area_id = next(area for role, area, _d in scope_for(user).assignments if area and role == "grid_worker")
    return Area.objects.get(pk=area_id)


def walk(user: Any, *, start: dt.datetime, points: int = 5, step_s: int = 60, step_deg: float = 0.0005) -> list[Any]:
    """Points every ``step_s`` seconds from the centre of the user's grid, going north."""
    grid = home_grid(user)
    assert grid.center_lat is not None and grid.center_lng is not None
    return [
        {
            "t": start + dt.timedelta(seconds=step_s * i),
            "lat": grid.center_lat + step_deg * i,
            "lng": grid.center_lng,
            "accuracy": 8.0,
        }
        for i in range(points)
    ]


def new_id() -> str:
    return str(uuid.uuid4())
