"""The database itself refuses a case whose fields contradict its status (SQLite and
PostgreSQL alike): ``closed_at`` exactly when closed, ``merged_into`` only when voided,
``parked_from`` and ``parked_at`` only when parked. The services never write such a row (the
state-machine test walks them); these constraints keep any other writer honest too."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.areas.models import AreaLevel
from gridgov.areas.tests.factories import AreaFactory
from gridgov.cases.models import Case, Status
from gridgov.categories.models import Category

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2024, 6, 3, 9, 0))


@pytest.fixture
def make_case() -> Any:
    """Build cases straight in the database (not through the services), one number each."""
    district = AreaFactory(level=AreaLevel.DISTRICT, code="120116000000", name="District")
    town = AreaFactory(level=AreaLevel.TOWN, code="120116111000", name="Town", parent=district)
    category = Category.objects.create(code="constraints.test", name="Test")
    numbers = iter(range(1, 1000))

    def make(**fields: Any) -> Case:
        values: dict[str, Any] = {
            "number": f"T-{next(numbers)}",
            "town": town,
            "area_path": town.path,
            "category": category,
            "description": "test",
            "reported_at": NOW,
        }
        values.update(fields)
        return Case.objects.create(**values)

    return make


def refused(make: Any, **fields: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make(**fields)


def test_rows_that_keep_the_rules_are_stored(make_case: Any) -> None:
    original = make_case()
    make_case(status=Status.CLOSED, closed_at=NOW)
    make_case(status=Status.VOIDED, merged_into=original)
    make_case(status=Status.PARKED, parked_from=Status.DISPATCHED, parked_at=NOW)
    make_case(status=Status.PARKED)  # parked_from/parked_at are only required to be empty elsewhere
    assert Case.objects.count() == 5


@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.CLOSED])
def test_closed_at_is_refused_unless_the_case_is_closed(make_case: Any, status: str) -> None:
    refused(make_case, status=status, closed_at=NOW)


def test_a_closed_case_without_closed_at_is_refused(make_case: Any) -> None:
    refused(make_case, status=Status.CLOSED, closed_at=None)


@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.VOIDED])
def test_merged_into_is_refused_unless_the_case_is_voided(make_case: Any, status: str) -> None:
    original = make_case()
    extra = {"closed_at": NOW} if status == Status.CLOSED else {}
    refused(make_case, status=status, merged_into=original, **extra)


@pytest.mark.parametrize("status", [Status.REGISTERED, Status.DISPATCHED, Status.CLOSED, Status.VOIDED])
def test_parked_fields_are_refused_unless_the_case_is_parked(make_case: Any, status: str) -> None:
    extra = {"closed_at": NOW} if status == Status.CLOSED else {}
    refused(make_case, status=status, parked_from=Status.REGISTERED, **extra)
    refused(make_case, status=status, parked_at=NOW, **extra)


def test_an_update_that_breaks_a_rule_is_refused(make_case: Any) -> None:
    case = make_case(status=Status.CLOSED, closed_at=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(status=Status.REGISTERED)
    Case.objects.filter(pk=case.pk).update(status=Status.REGISTERED, closed_at=None)
    assert Case.objects.get(pk=case.pk).status == Status.REGISTERED
