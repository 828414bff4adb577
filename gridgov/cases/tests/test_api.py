"""The case API under /api/v1/cases: create (idempotent), list, map, duplicates, detail,
actions with their error statuses, reveal of personal data, photos."""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.cases import services
from gridgov.cases.models import Case, CaseAttachment, Source, Status
from gridgov.core.models import AuditEvent
from gridgov.people.services import token_issue

URL = "/api/v1/cases"


def api(user: Any) -> Client:
    """A client sending ``user``'s bearer token."""
    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def grid_of(user: Any) -> Area:
    area_id = next(a for _r, a, _d in scope_for(user).assignments if a)
    return Area.objects.get(pk=area_id)


def grid_point(user: Any) -> tuple[float, float]:
    grid = grid_of(user)
    assert grid.center_lat is not None and grid.center_lng is not None
    return grid.center_lat, grid.center_lng


def post_json(client: Client, url: str, body: Any, **headers: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (64, 48), name: str = "p.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def report(people: dict[str, Any], who: str = "grid01", **fields: Any) -> Case:
    user = people[who]
    lat, lng = grid_point(people["grid01"])
    values: dict[str, Any] = {"category": "parking.long_term", "description": "车辆长期占道", "lat": lat, "lng": lng}
    values.update(fields)
    case, _created = services.case_create(actor=user, **values)
    return case


def error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


# --- create -----------------------------------------------------------------------------


def test_create_answers_201_then_200_with_the_same_case_for_the_same_key(people):
    client = api(people["grid01"])
    lat, lng = grid_point(people["grid01"])
    body = {"category": "parking.long_term", "description": "货车长期占用消防通道", "lat": lat, "lng": lng}

    first = post_json(client, URL, body, **{"Idempotency-Key": "3f1c7f9e-0000-4000-8000-000000000001"})
    assert first.status_code == 201, first.content
    created = first.json()
    assert set(created) == {"id", "number", "status", "grid", "deadlines", "version", "url"}
    assert created["status"] == Status.REPORTED
    assert created["grid"]["code"] and created["grid"]["name"]
    assert created["deadlines"]["stage"] == "register"
    assert created["deadlines"]["deadline"] and created["deadlines"]["light"] == "green"
    assert created["url"] == f"/cases/{created['id']}/"
    assert Case.objects.get(pk=created["id"]).source == Source.GRID_REPORT

    again = post_json(client, URL, body, **{"Idempotency-Key": "3f1c7f9e-0000-4000-8000-000000000001"})
    assert again.status_code == 200
    assert again.json() == created

    other = post_json(client, URL, body, **{"Idempotency-Key": "3f1c7f9e-0000-4000-8000-000000000002"})
    assert other.status_code == 201 and other.json()["id"] != created["id"]
    assert Case.objects.count() == 2

    # The same key for a different report is refused, not answered with the first case.
    reused = post_json(
        client, URL, {**body, "description": "另一辆车"}, **{"Idempotency-Key": "3f1c7f9e-0000-4000-8000-000000000001"}
    )
    assert reused.status_code == 422 and "idempotency_key" in error(reused)["details"]
    assert Case.objects.count() == 2


def test_create_at_the_center_may_name_the_grid_and_defaults_to_the_center_source(people):
    grid = grid_of(people["grid01"])
    body = {"category": "parking.long_term", "description": "热线转来：路口占道", "grid": grid.code}
    response = post_json(api(people["center01"]), URL, body)
    assert response.status_code == 201, response.content
    assert response.json()["grid"]["code"] == grid.code
    assert Case.objects.get(pk=response.json()["id"]).source == Source.CENTER

    refused = post_json(api(people["grid01"]), URL, body)
    assert refused.status_code == 403 and error(refused)["code"] == "forbidden"


def test_create_refuses_bad_input_with_422_and_field_details(people):
    client = api(people["grid01"])
    lat, lng = grid_point(people["grid01"])
    missing = post_json(client, URL, {"category": "parking.long_term", "lat": lat, "lng": lng})
    assert missing.status_code == 422
    assert "description" in error(missing)["details"]

    blank = post_json(client, URL, {"category": "parking.long_term", "description": " ", "lat": lat, "lng": lng})
    assert blank.status_code == 422 and "description" in error(blank)["details"]

    unknown = post_json(client, URL, {"category": "no.such", "description": "x", "lat": lat, "lng": lng})
    assert unknown.status_code == 422 and "category" in error(unknown)["details"]

    not_json = client.post(URL, data="{oops", content_type="application/json")
    assert not_json.status_code == 400 and error(not_json)["code"] == "bad_request"
    assert Case.objects.count() == 0


def test_the_api_needs_credentials(people):
    assert Client().get(URL).status_code == 401


# --- list, map, duplicates --------------------------------------------------------------


def test_list_filters_and_cursor_pages_do_not_overlap(people: dict[str, Any]) -> None:
    cases = [report(people, description=f"占道 {i}") for i in range(5)]
    other = report(people, category="parking.minor", description="电动车乱停")
    services.case_act(cases[0].pk, "register", actor=people["center01"])
    client = api(people["center01"])

    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = client.get(URL, params).json()
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 6
    assert sorted(seen) == sorted([c.pk for c in [*cases, other]])

    item = client.get(URL, {"limit": 1}).json()["items"][0]
    assert item["category"] == {"code": "parking.minor", "name": item["category"]["name"]}
    for key in ("light", "stage_deadline", "number", "status", "grid", "lat", "lng", "reported_at", "lead_department"):
        assert key in item

    registered = client.get(URL, {"status": "registered"}).json()["items"]
    assert [i["id"] for i in registered] == [cases[0].pk]
    both = client.get(URL, {"status": "registered,reported"}).json()["items"]
    assert len(both) == 6
    repeated = client.get(f"{URL}?status=registered&status=reported").json()["items"]
    assert len(repeated) == 6
    minor = client.get(URL, {"category": "parking.minor"}).json()["items"]
    assert [i["id"] for i in minor] == [other.pk]
    text = client.get(URL, {"q": "电动车"}).json()["items"]
    assert [i["id"] for i in text] == [other.pk]
    queue = client.get(URL, {"queue": "to_dispatch"}).json()["items"]
    assert [i["id"] for i in queue] == [cases[0].pk]

    assert client.get(URL, {"limit": 201}).status_code == 422
    bad_status = client.get(URL, {"status": "nonsense"})
    assert bad_status.status_code == 422 and "status" in error(bad_status)["details"]
    bad_cursor = client.get(URL, {"cursor": "!!"})
    assert bad_cursor.status_code == 422 and error(bad_cursor)["code"] == "invalid"


def test_list_is_scoped_to_what_the_caller_may_see(people):
    mine = report(people)
    assert [i["id"] for i in api(people["grid01"]).get(URL).json()["items"]] == [mine.pk]
    assert api(people["grid02"]).get(URL).json()["items"] == []
    assert api(people["dept01"]).get(URL).json()["items"] == []


def test_map_is_a_feature_collection_of_the_filtered_cases(people):
    case = report(people)
    report(people, category="parking.minor", description="电动车乱停")
    body = api(people["center01"]).get(f"{URL}/map", {"category": "parking.long_term"}).json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    assert len(body["features"]) == 1
    feature = body["features"][0]
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
    assert feature["geometry"]["coordinates"] == [case.lng, case.lat]
    assert feature["properties"]["number"] == case.number
    assert feature["properties"]["light"] == "green"
    assert api(people["grid02"]).get(f"{URL}/map").json()["features"] == []


def test_duplicates_lists_open_cases_of_the_category_nearby(people):
    case = report(people, description="x" * 100)
    lat, lng = grid_point(people["grid01"])
    client = api(people["grid01"])
    found = client.get(f"{URL}/duplicates", {"category": "parking.long_term", "lat": lat, "lng": lng}).json()
    assert found == [
        {
            "id": case.pk,
            "number": case.number,
            "distance_m": 0,
            "status": "reported",
            "description": "x" * 80,
            "reported_at": found[0]["reported_at"],
        }
    ]
    assert client.get(f"{URL}/duplicates", {"category": "parking.minor", "lat": lat, "lng": lng}).json() == []
    assert client.get(f"{URL}/duplicates", {"category": "parking.minor"}).status_code == 422


# --- detail and actions -----------------------------------------------------------------


def test_detail_has_history_stages_and_the_callers_actions(people):
    case = report(people, comment="现场拍照")
    center = api(people["center01"])
    registered = post_json(center, f"{URL}/{case.pk}/actions/register", {"comment": "属实", "version": case.version})
    assert registered.status_code == 200, registered.content
    assert registered.json()["status"] == "registered"
    twice = post_json(
        center, f"{URL}/{case.pk}/actions/dispatch", {"departments": ["traffic_police", "traffic_police"]}
    )
    assert twice.status_code == 422 and "departments" in error(twice)["details"]  # the lead as its own helper
    dispatched = post_json(center, f"{URL}/{case.pk}/actions/dispatch", {"departments": ["traffic_police"]})
    assert dispatched.status_code == 200, dispatched.content

    body = center.get(f"{URL}/{case.pk}").json()
    assert body["status"] == "dispatched" and body["lead_department"]["code"] == "traffic_police"
    assert [h["action"] for h in body["history"]] == ["report", "register", "dispatch"]
    first = body["history"][0]
    assert first["actor"]["username"] == "grid01" and first["actor"]["name"]
    assert first["action_label"] and first["comment"] == "现场拍照"
    assert (first["from_status"], first["to_status"]) == ("", "reported")
    assert body["history"][2]["data"] == {"departments": ["traffic_police"]}
    assert [s["stage"] for s in body["stages"]] == ["register", "dispatch", "acknowledge"]
    assert body["stages"][0]["ended_at"] and body["stages"][0]["on_time"] is True
    assert body["stages"][2]["ended_at"] is None and body["deadlines"]["stage"] == "acknowledge"
    codes = [a["code"] for a in body["actions"]]
    assert "park" in codes and "acknowledge" not in codes
    assert body["version"] == Case.objects.get(pk=case.pk).version

    dept_actions = [a["code"] for a in api(people["dept01"]).get(f"{URL}/{case.pk}").json()["actions"]]
    assert "acknowledge" in dept_actions and "register" not in dept_actions


def test_action_errors_have_their_status_and_code(people):
    case = report(people)
    center = api(people["center01"])

    invisible = post_json(api(people["grid02"]), f"{URL}/{case.pk}/actions/register", {})
    assert invisible.status_code == 404 and error(invisible)["code"] == "not_found"
    assert api(people["grid02"]).get(f"{URL}/{case.pk}").status_code == 404
    assert center.get(f"{URL}/999999999").status_code == 404

    forbidden = post_json(api(people["grid01"]), f"{URL}/{case.pk}/actions/register", {})
    assert forbidden.status_code == 403 and error(forbidden)["code"] == "forbidden"

    stale = post_json(center, f"{URL}/{case.pk}/actions/register", {"version": case.version + 5})
    assert stale.status_code == 409 and error(stale)["code"] == "version_conflict"

    no_reason = post_json(center, f"{URL}/{case.pk}/actions/void", {})
    assert no_reason.status_code == 422 and "comment" in error(no_reason)["details"]

    bad_body = post_json(center, f"{URL}/{case.pk}/actions/request_extension", {"days": "many"})
    assert bad_body.status_code == 422 and "days" in error(bad_body)["details"]

    assert post_json(center, f"{URL}/{case.pk}/actions/register", {}).status_code == 200
    again = post_json(center, f"{URL}/{case.pk}/actions/register", {})
    assert again.status_code == 409 and error(again)["code"] == "invalid_transition"

    for code in ("self_handle", "fly_away"):
        unknown = post_json(center, f"{URL}/{case.pk}/actions/{code}", {})
        assert unknown.status_code == 404 and error(unknown)["code"] == "unknown_action"

    assert [e.action for e in Case.objects.get(pk=case.pk).events.all()] == ["report", "register"]


def test_detail_shows_a_pending_extension_request_as_it_is_stored(people):
    case = report(people)
    center = api(people["center01"])
    for action, body in [("register", {}), ("dispatch", {"departments": ["traffic_police"]})]:
        assert post_json(center, f"{URL}/{case.pk}/actions/{action}", body).status_code == 200
    department = api(people["dept01"])
    assert post_json(department, f"{URL}/{case.pk}/actions/acknowledge", {}).status_code == 200
    asked = post_json(department, f"{URL}/{case.pk}/actions/request_extension", {"days": 3, "comment": "需协调"})
    assert asked.status_code == 200, asked.content

    stored = Case.objects.get(pk=case.pk).pending_extension
    expected = {"days": 3, "reason": "需协调", "by": people["dept01"].pk, "stage": "handle"}
    assert stored == expected
    assert center.get(f"{URL}/{case.pk}").json()["pending_extension"] == expected

    assert post_json(center, f"{URL}/{case.pk}/actions/approve_extension", {}).status_code == 200
    assert center.get(f"{URL}/{case.pk}").json()["pending_extension"] is None


def test_reveal_unmasks_for_the_allowed_and_writes_an_audit_row(people):
    case = report(people, party_kind="resident", party_name="张三丰", party_phone="13812348888")
    center = api(people["center01"])

    masked = center.get(f"{URL}/{case.pk}").json()
    assert masked["party"] == {"kind": "resident", "name": "张**", "phone": "138****8888", "masked": True}
    assert masked["can_reveal"] is True
    assert not AuditEvent.objects.filter(action="case.reveal_party").exists()

    # Revealing is a POST (it writes the audit row), never a side effect of a GET.
    assert center.get(f"{URL}/{case.pk}", {"reveal": 1}).json()["party"]["masked"] is True
    shown = center.post(f"{URL}/{case.pk}/reveal")
    assert shown.status_code == 200
    assert shown.json() == {"kind": "resident", "name": "张三丰", "phone": "13812348888", "masked": False}
    audit = AuditEvent.objects.get(action="case.reveal_party")
    assert audit.actor == people["center01"] and audit.object_id == str(case.pk)

    leader = api(people["gridlead01"])
    detail = leader.get(f"{URL}/{case.pk}").json()
    assert detail["can_reveal"] is False and detail["party"]["phone"] == "138****8888"
    refused = leader.post(f"{URL}/{case.pk}/reveal")
    assert refused.status_code == 403 and error(refused)["code"] == "forbidden"
    assert api(people["grid02"]).post(f"{URL}/{case.pk}/reveal").status_code == 404
    assert AuditEvent.objects.filter(action="case.reveal_party").count() == 1


# --- photos -------------------------------------------------------------------------------


def test_multipart_create_with_photos_and_thumbnails(people, django_capture_on_commit_callbacks):
    client = api(people["grid01"])
    lat, lng = grid_point(people["grid01"])
    payload = {"category": "parking.minor", "description": "劝离违停车辆", "lat": lat, "lng": lng, "self_handle": True}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {"payload": json.dumps(payload), "photos": [jpeg((200, 0, 0)), jpeg((0, 200, 0))]},
            headers={"Idempotency-Key": "photo-1"},
        )
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert case.status == Status.CLOSED and case.self_handled
    attachments = list(CaseAttachment.objects.filter(case=case).order_by("id"))
    assert [a.kind for a in attachments] == ["before", "after"]
    assert all(a.thumbnail for a in attachments)

    detail = client.get(f"{URL}/{case.pk}").json()
    assert [a["kind"] for a in detail["attachments"]] == ["before", "after"]
    assert all(a["thumbnail_url"] and a["url"] for a in detail["attachments"])
    assert detail["attachments"][0]["width"] == 64 and detail["attachments"][0]["height"] == 48
    assert len(detail["history"][0]["photos"]) == 2

    # The photo links work with the token, and only for callers who may see the case.
    thumbnail = client.get(detail["attachments"][0]["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    assert b"".join(thumbnail.streaming_content)[:2] == b"\xff\xd8"
    assert client.get(detail["attachments"][0]["url"]).status_code == 200
    stranger = api(people["grid02"]).get(detail["attachments"][0]["url"])
    assert stranger.status_code == 404 and error(stranger)["code"] == "not_found"
    assert client.get(f"{URL}/attachments/{attachments[0].pk}/exif").status_code == 404


def test_multipart_create_with_photo_kinds_and_a_non_photo(people):
    client = api(people["grid01"])
    lat, lng = grid_point(people["grid01"])
    payload = {"category": "parking.long_term", "description": "占道", "lat": lat, "lng": lng}
    response = client.post(URL, {"payload": json.dumps(payload), "photos": [jpeg((1, 2, 3))], "photo_kinds": ["other"]})
    assert response.status_code == 201, response.content
    assert list(CaseAttachment.objects.values_list("kind", flat=True)) == ["other"]

    text = SimpleUploadedFile("fake.jpg", b"not a photo at all", content_type="image/jpeg")
    refused = client.post(URL, {"payload": json.dumps(payload), "photos": [text]})
    assert refused.status_code == 422 and "photos" in error(refused)["details"]


def test_action_with_photos_and_the_attachments_endpoint(people, django_capture_on_commit_callbacks):
    case = report(people)
    services.case_act(case.pk, "register", actor=people["center01"])
    services.case_act(case.pk, "dispatch", actor=people["center01"], departments=["traffic_police"])
    dept = api(people["dept01"])
    assert post_json(dept, f"{URL}/{case.pk}/actions/acknowledge", {}).status_code == 200
    response = dept.post(
        f"{URL}/{case.pk}/actions/report_back",
        {"payload": json.dumps({"result": "已拖离"}), "photos": [jpeg((9, 9, 9))]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "awaiting_verification"
    assert body["history"][-1]["data"] == {"result": "已拖离"}
    assert [p["kind"] for p in body["history"][-1]["photos"]] == ["result"]

    grid01 = api(people["grid01"])
    with django_capture_on_commit_callbacks(execute=True):
        added = grid01.post(
            f"{URL}/{case.pk}/attachments",
            {"photos": [jpeg((50, 60, 70)), jpeg((70, 60, 50))], "kind": "verify", "comment": "核查照片"},
        )
    assert added.status_code == 201, added.content
    assert [a["kind"] for a in added.json()] == ["verify", "verify"]
    assert CaseAttachment.objects.filter(case=case, kind="verify").exclude(thumbnail="").count() == 2
    assert Case.objects.get(pk=case.pk).events.last().action == "attach"

    outsider = api(people["grid02"]).post(f"{URL}/{case.pk}/attachments", {"photos": [jpeg((1, 1, 1))]})
    assert outsider.status_code == 404
    empty = grid01.post(f"{URL}/{case.pk}/attachments", {"kind": "verify"})
    assert empty.status_code == 422
    # A comment over the limit is refused, as an action's is (it was cut to 2,000 unsaid).
    events = case.events.count()
    long = grid01.post(f"{URL}/{case.pk}/attachments", {"photos": [jpeg((3, 3, 3))], "comment": "长" * 2001})
    assert long.status_code == 422 and "comment" in long.json()["error"]["details"], long.content
    assert case.events.count() == events
