"""The delivery page and the API: the center sees its town's messages and retries failed ones;
administrators see everything; nobody else sees the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.tests.factories import AreaFactory
from gridgov.people.services import token_issue
from gridgov.upstream import services
from gridgov.upstream.models import MessageState, UpstreamMessage

from .conftest import make_order, town

pytestmark = pytest.mark.django_db


def queue(order, kind="reply"):
    return services.enqueue(
        source_system=order.source_system,
        kind=kind,
        order_id=order.pk,
        upstream_number=order.upstream_number,
        payload={"reply": "已处理。"},
        actor=None,
    )


@pytest.fixture
def outbox(people):
    """A failed message of Taiping and a pending one of another town."""
    mine = queue(make_order("BHX2026112800021"))
    UpstreamMessage.objects.filter(pk=mine.pk).update(
        state=MessageState.FAILED,
        attempts=12,
        next_attempt_at=None,
        last_error="HTTP 503 from upstream",
        last_status_code=503,
    )
    home = town()
    other_town = AreaFactory(
        level=AreaLevel.TOWN, code="120116999000", name="新河镇", parent=Area.objects.get(pk=home.parent_id)
    )
    theirs = queue(make_order("BHX2026112800022", area=other_town))
    return {"mine": mine, "theirs": theirs}


def test_the_center_sees_its_towns_messages_with_state_attempts_and_error(client, people, outbox):
    client.force_login(people["center01"])
    response = client.get(reverse("upstream:delivery"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "BHX2026112800021" in html
    assert "HTTP 503 from upstream" in html
    assert "BHX2026112800022" not in html
    assert f'data-message="{outbox["mine"].pk}"' in html
    assert 'data-testid="retry"' in html


def test_the_state_filter_narrows_the_list(client, people, outbox):
    client.force_login(people["admin"])
    html = client.get(reverse("upstream:delivery"), {"state": "pending"}).content.decode()
    assert "BHX2026112800022" in html and "BHX2026112800021" not in html
    html = client.get(reverse("upstream:delivery"), {"state": "failed"}, HTTP_HX_REQUEST="true").content.decode()
    assert html.startswith('<div id="upstream-results"')
    assert "BHX2026112800021" in html and "BHX2026112800022" not in html


def test_administrators_see_every_town(client, people, outbox):
    client.force_login(people["admin"])
    html = client.get(reverse("upstream:delivery")).content.decode()
    assert "BHX2026112800021" in html and "BHX2026112800022" in html


@pytest.mark.parametrize("username", ["leader01", "dept01", "gridlead01", "grid01", "super01", "upstream01"])
def test_other_roles_may_not_open_the_page_nor_retry(client, people, outbox, username):
    client.force_login(people[username])
    assert client.get(reverse("upstream:delivery")).status_code == 403
    assert client.post(reverse("upstream:retry", args=[outbox["mine"].pk])).status_code == 403
    assert UpstreamMessage.objects.get(pk=outbox["mine"].pk).state == MessageState.FAILED


def test_the_page_is_in_the_centers_navigation_only(client, people):
    client.force_login(people["center01"])
    assert 'data-nav="upstream-delivery"' in client.get(reverse("home")).content.decode()
    client.force_login(people["dept01"])
    assert 'data-nav="upstream-delivery"' not in client.get(reverse("home")).content.decode()


def test_retry_with_htmx_answers_the_updated_row(client, people, outbox):
    client.force_login(people["center01"])
    response = client.post(reverse("upstream:retry", args=[outbox["mine"].pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith(f'<tr data-message="{outbox["mine"].pk}"')
    message = UpstreamMessage.objects.get(pk=outbox["mine"].pk)
    assert (message.state, message.attempts) == (MessageState.PENDING, 0)
    assert 'data-testid="retried"' in html


def test_retry_of_another_towns_message_is_not_found(client, people, outbox):
    client.force_login(people["center01"])
    assert client.post(reverse("upstream:retry", args=[outbox["theirs"].pk])).status_code == 404


def test_retry_of_a_delivered_message_is_a_conflict(client, people, outbox):
    UpstreamMessage.objects.filter(pk=outbox["mine"].pk).update(
        state=MessageState.DELIVERED, delivered_at="2026-11-28T10:00:00+08:00"
    )
    client.force_login(people["center01"])
    response = client.post(reverse("upstream:retry", args=[outbox["mine"].pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 409


def bearer(user):
    _token, raw = token_issue(actor=None, user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_the_api_lists_the_center_its_towns_messages(client, people, outbox):
    response = client.get("/api/v1/upstream/messages", **bearer(people["center01"]))
    assert response.status_code == 200
    body = response.json()
    assert [item["upstream_number"] for item in body["items"]] == ["BHX2026112800021"]
    item = body["items"][0]
    assert item["state"] == "failed" and item["attempts"] == 12 and item["last_status_code"] == 503
    assert item["kind"] == "reply"


def test_the_api_filters_and_pages(client, people, outbox):
    headers = bearer(people["admin"])
    body = client.get("/api/v1/upstream/messages?limit=1", **headers).json()
    assert len(body["items"]) == 1 and body["next_cursor"] is not None
    rest = client.get(f"/api/v1/upstream/messages?limit=1&cursor={body['next_cursor']}", **headers).json()
    assert rest["next_cursor"] is None
    assert {body["items"][0]["id"], rest["items"][0]["id"]} == {outbox["mine"].pk, outbox["theirs"].pk}
    pending = client.get("/api/v1/upstream/messages?state=pending", **headers).json()
    assert [item["id"] for item in pending["items"]] == [outbox["theirs"].pk]
    by_order = client.get(f"/api/v1/upstream/messages?order={outbox['mine'].order_id}", **headers).json()
    assert [item["id"] for item in by_order["items"]] == [outbox["mine"].pk]


@pytest.mark.parametrize("username", ["dept01", "leader01", "upstream01", "super01"])
def test_the_api_refuses_other_roles(client, people, outbox, username):
    response = client.get("/api/v1/upstream/messages", **bearer(people[username]))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_messages_for_order_gives_the_order_pages_delivery_state(people, outbox):
    from gridgov.upstream.selectors import messages_for_order

    (message,) = messages_for_order(outbox["mine"].order_id)
    assert (message.kind, message.state, message.attempts) == ("reply", "failed", 12)
