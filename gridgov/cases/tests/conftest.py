"""Fixtures of the case-loop tests: the Taiping demo (areas, people, categories) loaded once
per test module inside a transaction that is rolled back afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction


@pytest.fixture(scope="module")
def taiping(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The demo's areas, departments, categories and people (no cases)."""
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
    """The named demo accounts by username."""
    names = ["admin", "center01", "leader01", "dept01", "dept02", "gridlead01", "grid01", "grid02", "super01"]
    users = get_user_model().objects.filter(username__in=names)
    return {user.username: user for user in users}
