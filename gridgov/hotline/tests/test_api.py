"""The hotline API: push (201 / 200, updates), list, detail, actions, events, reveal and grants,
with the error codes of the case loop (404 / 403 / 409 / 422) and the petitioner masked in
every answer but the recorded reveal."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from gridgov.core.models import AuditEvent
from gridgov.hotline.models import HotlineOrder, OrderAttachment
from gridgov.people.services import token_issue

from .core_helpers import ADDRESS, DRAFT, INSTRUCT, NAME, PHONE, build, home_grid
from .test_core_services import raw_columns

pytestmark = pytest.mark.django_db

BASE = "/api/v1/hotline/orders"


def api(user: Any) -> Client:
    """A client sending ``user``'s bearer token."""
    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def payload(number: str = "BH-API-0001", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source_system": "district",
        "upstream_number": number,
        "received_at": "2026-03-02T09:00:00+08:00",
        "order_type": "complaint",
        "urgency_class": "general",
        "content": "小区门口道路积水严重",
        "title": "道路积水",
        "upstream_category": "市政设施",
        "address": "太平镇太平路12号",
        "petitioner": {"name": NAME, "phone": PHONE, "address": ADDRESS},
        "attachments": [
            {"name": "现场.jpg", "content_base64": base64.b64encode(b"\xff\xd8photo").decode(), "content_type": ""}
        ],
    }
    body.update(overrides)
    return body


def no_clear_petitioner(response: Any) -> None:
    text = response.content.decode()
    assert PHONE not in text and NAME not in text and ADDRESS not in text, text[:500]


def test_a_push_answers_201_then_200_with_the_same_order(people: dict[str, Any]) -> None:
    client = api(people["upstream01"])
    first = post(client, BASE, payload())
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["status"] == "received" and body["upstream_number"] == "BH-API-0001"
    assert body["petitioner"] == {
        "name": "张**",
        "phone": "138****8888",
        "address": body["petitioner"]["address"],
        "anonymous": False,
        "masked": True,
    }
    assert body["can_reveal"] is False and body["allowed_actions"] == []
    assert [a["name"] for a in body["attachments"]] == ["现场.jpg"]
    assert body["deadlines"]["current"]["step"] == "acknowledge"
    no_clear_petitioner(first)
    second = post(client, BASE, payload())
    assert second.status_code == 200 and second.json()["id"] == body["id"]
    assert HotlineOrder.objects.count() == 1 and OrderAttachment.objects.count() == 1
    order = HotlineOrder.objects.get()
    assert all(clear not in stored for stored, clear in zip(raw_columns(order), (NAME, PHONE, ADDRESS), strict=True))


def test_a_received_time_in_the_future_is_kept_and_flagged_for_review(people: dict[str, Any]) -> None:
    # An order that exists upstream is always taken; a time after its arrival is the sender's
    # clock or a wrong value, for the center to check (it sorted and counted under 2999).
    client = api(people["upstream01"])
    answer = post(client, BASE, payload("BH-API-FUTURE", received_at="2999-01-01T00:00:00+08:00"))
    assert answer.status_code == 201, answer.content
    order = HotlineOrder.objects.get(upstream_number="BH-API-FUTURE")
    assert order.needs_review and [note["code"] for note in order.review_reasons] == ["received_in_future"]
    assert answer.json()["needs_review"] is True
    assert post(client, BASE, payload()).status_code == 201
    assert not HotlineOrder.objects.get(upstream_number="BH-API-0001").needs_review


def test_content_of_only_invisible_characters_is_missing(people: dict[str, Any]) -> None:
    answer = post(api(people["upstream01"]), BASE, payload("BH-API-EMPTY", content="\u200b\ufeff"))
    assert answer.status_code == 422 and "content" in answer.json()["error"]["details"], answer.content
    assert not HotlineOrder.objects.filter(upstream_number="BH-API-EMPTY").exists()


def test_a_changed_copy_answers_200_and_shows_the_update_in_the_history(people: dict[str, Any]) -> None:
    client = api(people["upstream01"])
    post(client, BASE, payload())
    response = post(client, BASE, payload(content="积水更严重了", urgency_class="utilities"))
    assert response.status_code == 200
    body = response.json()
    update = body["history"][-1]
    assert update["action"] == "upstream_update" and update["origin"] == "upstream"
    assert update["data"] == {"fields": ["urgency_class", "content"]}
    assert body["counters"]["updates"] == 1 and body["urgency_class"] == "utilities"


def test_only_the_upstream_role_pushes(people: dict[str, Any]) -> None:
    for name in ("center01", "leader01", "dept01", "grid01", "admin"):
        response = post(api(people[name]), BASE, payload())
        assert response.status_code == 403, name
        assert response.json()["error"]["code"] == "forbidden"
    assert not HotlineOrder.objects.exists()
    assert Client().post(BASE, data=json.dumps(payload()), content_type="application/json").status_code == 401


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"order_type": "gossip"}, "order_type"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"received_at": "0001-01-01T00:00:00+08:00"}, "received_at"),
        ({"upstream_deadline": "9999-12-31T23:59:59-12:00"}, "upstream_deadline"),
        ({"content": ""}, "content"),
        ({"town_code": "000000000000"}, "town_code"),
        ({"attachments": [{"name": "a.jpg", "content_base64": "@@not base64@@"}]}, "attachments"),
    ],
)
def test_a_bad_push_is_422_with_field_details(people: dict[str, Any], overrides: dict[str, Any], field: str) -> None:
    response = post(api(people["upstream01"]), BASE, payload(**overrides))
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["details"]
    assert not HotlineOrder.objects.exists()


def test_the_whole_flow_through_the_api(people: dict[str, Any]) -> None:
    upstream = api(people["upstream01"])
    center, leader, dept = api(people["center01"]), api(people["leader01"]), api(people["dept02"])
    order_id = post(upstream, BASE, payload()).json()["id"]
    url = f"{BASE}/{order_id}"
    seen = center.get(url).json()
    assert [a["code"] for a in seen["allowed_actions"]] == ["acknowledge", "return_upstream"]
    assert post(center, f"{url}/actions/acknowledge", {"version": seen["version"]}).status_code == 200
    lead_again = {**INSTRUCT, "departments": [*INSTRUCT["departments"], INSTRUCT["departments"][0]]}
    refused = post(leader, f"{url}/actions/instruct", lead_again)  # the lead was dropped from the helpers unsaid
    assert refused.status_code == 422 and "departments" in refused.json()["error"]["details"], refused.content
    response = post(leader, f"{url}/actions/instruct", INSTRUCT)
    assert response.status_code == 200 and response.json()["lead_department"]["code"] == "urban_mgmt"
    response = post(dept, f"{url}/actions/draft_reply", DRAFT)
    assert response.status_code == 200 and response.json()["status"] == "drafted"
    response = post(center, f"{url}/actions/reject_draft", {"comment": "请写明时间"})
    assert response.json()["status"] == "instructed"
    post(dept, f"{url}/actions/draft_reply", DRAFT)
    body = post(center, f"{url}/actions/approve_reply", {}).json()
    assert body["status"] == "replied" and body["reply_text"] == DRAFT["text"]
    body = post(upstream, f"{url}/events", {"type": "callback", "satisfaction": "satisfied", "solved": True}).json()
    assert body["callback"]["satisfaction"] == "satisfied"
    body = post(upstream, f"{url}/events", {"type": "close", "event_id": "close-1"}).json()
    assert body["status"] == "closed"
    again = post(upstream, f"{url}/events", {"type": "close", "event_id": "close-1"})
    assert again.status_code == 200 and again.json()["status"] == "closed"
    history = [(h["action"], h["origin"]) for h in center.get(url).json()["history"]]
    assert history == [
        ("receive", "upstream"),
        ("acknowledge", "town"),
        ("instruct", "town"),
        ("draft_reply", "town"),
        ("reject_draft", "town"),
        ("draft_reply", "town"),
        ("approve_reply", "town"),
        ("callback", "upstream"),
        ("close", "upstream"),
    ]
    stages = center.get(url).json()["stages"]
    assert [s["step"] for s in stages] == ["acknowledge", "instruct", "draft", "approve", "draft", "approve"]


def test_action_refusals_use_the_case_loop_codes(people: dict[str, Any]) -> None:
    order = build(people, "received")
    url = f"{BASE}/{order.pk}"
    center = api(people["center01"])
    cases = [
        (api(people["grid01"]), "acknowledge", {}, 404, "not_found"),
        (api(people["leader01"]), "acknowledge", {}, 403, "forbidden"),
        (center, "teleport", {}, 404, "unknown_action"),
        (center, "approve_reply", {}, 409, "invalid_transition"),
        (center, "acknowledge", {"version": order.version + 5}, 409, "version_conflict"),
        (center, "return_upstream", {"reason": "不属于本镇"}, 422, "invalid"),
        (center, "acknowledge", {"version": "one"}, 422, "invalid"),
    ]
    for client, action, body, status, code in cases:
        response = post(client, f"{url}/actions/{action}", body)
        assert response.status_code == status, (action, response.content)
        assert response.json()["error"]["code"] == code
    assert HotlineOrder.objects.get(pk=order.pk).version == order.version
    assert api(people["center01"]).get(f"{BASE}/999999").status_code == 404


def test_events_are_for_the_upstream_role_only(people: dict[str, Any]) -> None:
    order = build(people, "replied")
    url = f"{BASE}/{order.pk}/events"
    assert post(api(people["center01"]), url, {"type": "close"}).status_code == 403
    assert post(api(people["grid01"]), url, {"type": "close"}).status_code == 403
    bad = post(api(people["upstream01"]), url, {"type": "explode"})
    assert bad.status_code == 422 and "type" in bad.json()["error"]["details"]
    wrong = post(api(people["upstream01"]), f"{BASE}/{build(people, 'received').pk}/events", {"type": "reopen"})
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "invalid_transition"


def test_create_case_by_grid_code_and_the_case_in_the_detail(people: dict[str, Any]) -> None:
    order = build(people, "instructed")
    grid = home_grid(people["grid01"])
    response = post(api(people["center01"]), f"{BASE}/{order.pk}/actions/create_case", {"grid": grid.code})
    assert response.status_code == 200, response.content
    case = response.json()["case"]
    assert case["open"] is True and case["status"] == "reported" and case["result"] == ""
    blocked = post(api(people["dept02"]), f"{BASE}/{order.pk}/actions/draft_reply", DRAFT)
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "case_open"


# --- lists and masking per role -----------------------------------------------------------

VISIBLE = {
    "center01": True,
    "leader01": True,
    "super01": True,
    "admin": True,
    "upstream01": True,
    "dept02": True,  # leads
    "dept01": True,  # cooperates
    "grid01": False,
    "grid02": False,
    "gridlead01": False,
}


@pytest.mark.parametrize(("user", "visible"), list(VISIBLE.items()))
def test_every_role_sees_its_orders_masked(people: dict[str, Any], user: str, visible: bool) -> None:
    order = build(people, "instructed")
    build(people, "received")  # not led by any department yet
    client = api(people[user])
    listing = client.get(BASE)
    assert listing.status_code == 200
    ids = [item["id"] for item in listing.json()["items"]]
    assert (order.pk in ids) is visible
    no_clear_petitioner(listing)
    detail = client.get(f"{BASE}/{order.pk}")
    assert detail.status_code == (200 if visible else 404)
    no_clear_petitioner(detail)
    if user.startswith("dept"):
        assert len(ids) == 1  # departments see only the orders they work on


def test_list_filters_queues_and_cursor_pages(people: dict[str, Any]) -> None:
    orders = [build(people, "received") for _ in range(3)] + [build(people, "instructed")]
    client = api(people["center01"])
    first = client.get(BASE, {"limit": 2}).json()
    second = client.get(BASE, {"limit": 2, "cursor": first["next_cursor"]}).json()
    ids = [i["id"] for i in first["items"]] + [i["id"] for i in second["items"]]
    assert sorted(ids) == sorted(o.pk for o in orders) and second["next_cursor"] is None
    queue = client.get(BASE, {"queue": "to_acknowledge"}).json()["items"]
    assert {i["id"] for i in queue} == {o.pk for o in orders[:3]}
    assert [i["id"] for i in client.get(BASE, {"status": "instructed"}).json()["items"]] == [orders[3].pk]
    assert client.get(BASE, {"department": "urban_mgmt"}).json()["items"][0]["id"] == orders[3].pk
    assert client.get(BASE, {"queue": "nonsense"}).status_code == 422
    assert client.get(BASE, {"cursor": "!!"}).status_code == 422
    assert client.get(BASE, {"light": "purple"}).status_code == 422


def test_reveal_is_recorded_and_refused_without_the_right(people: dict[str, Any]) -> None:
    order = build(people, "instructed")
    url = f"{BASE}/{order.pk}/reveal"
    shown = api(people["center01"]).post(url)
    assert shown.status_code == 200
    assert shown.json() == {"name": NAME, "phone": PHONE, "address": ADDRESS, "anonymous": False, "masked": False}
    assert AuditEvent.objects.filter(action="hotline.petitioner_reveal", success=True).count() == 1
    refused = api(people["dept02"]).post(url)
    assert refused.status_code == 403
    no_clear_petitioner(refused)
    assert api(people["grid01"]).post(url).status_code == 404


def test_a_grant_lets_the_lead_department_reveal_a_complaint(people: dict[str, Any]) -> None:
    order = build(people, "instructed")
    url = f"{BASE}/{order.pk}"
    assert api(people["dept02"]).get(url).json()["can_reveal"] is False
    denied = post(api(people["leader01"]), f"{url}/grants", {"department": "urban_mgmt", "reason": "核实"})
    assert denied.status_code == 403
    unknown = post(api(people["center01"]), f"{url}/grants", {"department": "nowhere", "reason": "核实"})
    assert unknown.status_code == 422
    granted = post(api(people["center01"]), f"{url}/grants", {"department": "urban_mgmt", "reason": "需当面核实"})
    assert granted.status_code == 201 and granted.json()["department"] == "urban_mgmt"
    assert api(people["dept02"]).get(url).json()["can_reveal"] is True
    assert api(people["dept02"]).post(f"{url}/reveal").json()["phone"] == PHONE
    assert api(people["dept01"]).post(f"{url}/reveal").status_code == 403


def test_attachments_are_served_to_those_who_see_the_order(people: dict[str, Any]) -> None:
    body = post(api(people["upstream01"]), BASE, payload()).json()
    attachment_id = body["attachments"][0]["id"]
    file_url = f"{BASE}/attachments/{attachment_id}"
    response = api(people["center01"]).get(file_url)
    content: Any = response.streaming_content  # type: ignore[attr-defined]
    assert response.status_code == 200 and b"".join(content) == b"\xff\xd8photo"
    assert api(people["grid01"]).get(file_url).status_code == 404
    # A petitioner's attachment can identify them: a supervisor sees the order but may not open
    # it; every opening and every refusal is in the audit log.
    assert api(people["super01"]).get(file_url).status_code == 403
    opened = AuditEvent.objects.filter(action="hotline.attachment_open")
    assert opened.filter(success=True, actor=people["center01"]).count() == 1
    assert opened.filter(success=False, actor=people["super01"]).count() == 1


def test_the_openapi_schema_renders_with_the_hotline_paths(people: dict[str, Any]) -> None:
    schema = api(people["center01"]).get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        BASE,
        f"{BASE}/{{order_id}}",
        f"{BASE}/{{order_id}}/actions/{{action}}",
        f"{BASE}/{{order_id}}/events",
    ):
        assert path in paths
