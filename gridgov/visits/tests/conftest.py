"""Builders of basic data for the visit tests (the Taiping demo and its people come from
``gridgov.testing.fixtures``)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.people.services import token_issue
from gridgov.visits.models import Household, Unit, Visit


def home_grid(user: Any) -> Area:
    area_id = next(area for role, area, _d in scope_for(user).assignments if area and role == "grid_worker")
    return Area.objects.get(pk=area_id)


def new_id() -> str:
    return str(uuid.uuid4())


def api(user: Any) -> Client:
    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def post_json(client: Client, url: str, body: Any, **headers: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def clean_basic_data(people: dict[str, Any]) -> dict[str, Any]:
    """The demo's people without the demo's basic data (each test builds its own)."""
    Visit.objects.all().delete()
    Household.objects.all().delete()
    Unit.objects.all().delete()
    return people
