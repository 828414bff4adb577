"""The upstream machine account is API-only and sees only what its integration needs: the
district's hotline orders and their events; no case, photo or patrol track (issue 13, item 10)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from gridgov.cases.models import Case
from gridgov.cases.selectors import cases_visible
from gridgov.cases.tests.loop_helpers import build
from gridgov.hotline import services as hotline
from gridgov.hotline.selectors import orders_visible
from gridgov.hotline.tests.core_helpers import order_data
from gridgov.patrols.models import Patrol
from gridgov.patrols.selectors import patrols_visible
from gridgov.people.services import token_issue


def api(user: Any) -> Client:
    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


PASSWORD = "Machine-account-2026"


def test_the_machine_account_cannot_log_into_the_web_or_the_admin(people: dict[str, Any]) -> None:
    user = people["upstream01"]
    user.set_password(PASSWORD)
    user.save()
    demo_password = PASSWORD
    for path in ("/login/", "/admin/login/"):
        answer = Client().post(path, {"username": "upstream01", "password": demo_password})
        assert answer.status_code == 200, path  # the form again, with the reason
        assert "_auth_user_id" not in answer.wsgi_request.session
        assert "令牌" in answer.content.decode()


def test_the_machine_account_sees_the_districts_orders_and_nothing_else(people: dict[str, Any]) -> None:
    machine = people["upstream01"]
    sent = hotline.order_receive(actor=machine, data=order_data(), channel="api")
    typed = hotline.order_receive(
        actor=people["center01"], data=order_data(upstream_number="BH-PHONED-1"), channel="manual"
    )
    case = build(people, "dispatched")

    # Its own, and the one the center typed in from the district's phone call (same system).
    assert set(orders_visible(machine).values_list("pk", flat=True)) == {sent.order.pk, typed.order.pk}
    assert not cases_visible(machine).exists() and Case.objects.filter(pk=case.pk).exists()
    assert not patrols_visible(machine).exists()

    client = api(machine)
    assert client.get(f"/api/v1/hotline/orders/{sent.order.pk}").status_code == 200
    assert client.get(f"/api/v1/hotline/orders/{typed.order.pk}").status_code == 200
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert client.get("/api/v1/cases").json()["items"] == []
    assert client.get("/api/v1/patrols").json()["items"] == [] or Patrol.objects.count() == 0
