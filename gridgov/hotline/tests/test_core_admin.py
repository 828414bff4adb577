"""The read-only admin of orders shows the petitioner masked, never in clear."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from .core_helpers import ADDRESS, NAME, PHONE, build

pytestmark = pytest.mark.django_db


def test_the_admin_lists_and_shows_orders_masked_and_read_only(people: dict[str, Any]) -> None:
    order = build(people, "instructed")
    client = Client()
    client.force_login(people["admin"])
    for url in ("/admin/hotline/hotlineorder/", f"/admin/hotline/hotlineorder/{order.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert PHONE not in text and NAME not in text and ADDRESS not in text
        assert "138****8888" in text
    assert client.get("/admin/hotline/hotlineorder/add/").status_code == 403
