"""The hotline list's text filter through the index of characters and pairs (PostgreSQL,
``gridgov/core/textsearch.py``): the side table follows the orders, and the filter finds the
same orders with it as without it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from gridgov.core import textsearch
from gridgov.hotline import selectors
from gridgov.hotline.models import HotlineOrder

from .web_orders import receive

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the side tables are PostgreSQL's"),
]

TABLE = HotlineOrder._meta.db_table


def found(people: dict[str, Any], text: str) -> set[int]:
    center = people["center01"]
    query = selectors.apply_filters(center, selectors.orders_visible(center), selectors.OrderFilters(text=text))
    return set(query.values_list("pk", flat=True))


def test_the_filter_finds_the_same_orders_with_the_side_table_and_without_it(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    lamp = receive(people, content="路灯不亮", title="路灯")
    noise = receive(people, content="噪音扰民", address="太平镇幸福里5号")
    assert textsearch.candidates("default", TABLE, "路灯") == [lamp.pk]
    assert textsearch.candidates("default", TABLE, "地震") == []
    words = ["路灯", "噪音", "幸福里", "灯路", noise.upstream_number, noise.upstream_number[-3:].lower(), "地震"]
    with_index = {word: found(people, word) for word in words}
    assert with_index["噪音"] == {noise.pk} and with_index["幸福里"] == {noise.pk} and with_index["灯路"] == set()
    monkeypatch.setattr(textsearch, "CAP", 0)
    assert {word: found(people, word) for word in words} == with_index

    HotlineOrder.objects.filter(pk=lamp.pk).update(content="井盖缺失", title="井盖")
    monkeypatch.setattr(textsearch, "CAP", 2000)
    assert found(people, "井盖") == {lamp.pk} and found(people, "路灯") == set()
    HotlineOrder.objects.filter(pk=lamp.pk).delete()
    assert textsearch.candidates("default", TABLE, "井盖") == []
