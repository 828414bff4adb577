"""Keyset cursors."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core import cursors


def test_a_cursor_round_trips_its_time_and_id():
    moment = dt.datetime(2026, 10, 1, 2, 15, tzinfo=dt.UTC)
    assert cursors.decode(cursors.encode(moment, 42)) == (moment, 42)


@pytest.mark.parametrize("junk", ["", "@@", "bm90IGEgY3Vyc29y", cursors.encode(dt.datetime(2026, 1, 1), 1)[:-3]])
def test_anything_else_is_a_value_error(junk):
    with pytest.raises(ValueError):
        cursors.decode(junk)
