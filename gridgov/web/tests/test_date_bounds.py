"""Dates in query strings and forms outside what the pages compute with are ignored or refused,
never a server error (found by the review: year 1 and year 9999 overflowed date arithmetic)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gridgov.cases.tests.loop_helpers import home_grid

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "0000-01", "9999-12", "2026-13", "x"])
def test_a_far_date_in_a_query_string_shows_the_default(people: dict[str, Any], value: str) -> None:
    client = Client()
    client.force_login(people["gridlead01"])
    grid = home_grid(people["grid01"])
    for url in (
        f"/analysis/weekly/rollup/?week={value}",
        f"/analysis/weekly/?week={value}",
        f"/patrols/grids/{grid.code}/?month={value}",
        f"/visits/coverage/?month={value}",
    ):
        # The default period, or the filter form with its error (422); never a server error.
        assert client.get(url).status_code in (200, 422), url


def test_a_far_month_to_compose_is_refused(people: dict[str, Any]) -> None:
    client = Client()
    client.force_login(people["center01"])
    response = client.post("/analysis/monthly/", {"month": "0001-01", "area": ""})
    assert response.status_code in (200, 422)
