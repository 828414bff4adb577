"""Edge input gets a 4xx with the JSON error (or the shell's page), never a 500, and nothing is
stored (issue 13, items 7 and 11)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gridgov.cases.models import Case
from gridgov.cases.tests.loop_helpers import grid_point
from gridgov.core import inputs
from gridgov.people.services import token_issue

URL = "/api/v1/cases"


def api(user: Any) -> Client:
    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def body(people: dict[str, Any], **fields: Any) -> dict[str, Any]:
    lat, lng = grid_point(people["grid01"])
    return {"category": "parking.long_term", "description": "车辆长期占道", "lat": lat, "lng": lng, **fields}


def post(client: Client, data: Any) -> Any:
    raw = data if isinstance(data, str) else json.dumps(data)
    return client.post(URL, data=raw, content_type="application/json")


@pytest.mark.parametrize("text", ["门口\u0000路灯", "a\x07b", "\x1b[31m", "del\x7f"])
def test_control_characters_in_a_json_body_are_refused_with_the_field(people: dict[str, Any], text: str) -> None:
    answer = post(api(people["grid01"]), body(people, description=text))
    assert answer.status_code == 422, answer.content
    assert answer.json()["error"]["details"] == {"description": [answer.json()["error"]["message"]]}
    assert Case.objects.count() == 0


def test_a_lone_surrogate_is_refused_and_tab_and_newlines_are_not(people: dict[str, Any]) -> None:
    client = api(people["grid01"])
    lone = json.dumps(body(people), ensure_ascii=False).replace("车辆长期占道", "\\ud800车辆")
    assert post(client, lone).status_code == 422
    assert Case.objects.count() == 0
    fine = post(client, body(people, description="第一行\n第二行\t\r\n完"))
    assert fine.status_code == 201, fine.content


def test_json_nested_100000_deep_is_a_400_not_a_500(people: dict[str, Any]) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    answer = post(api(people["grid01"]), deep)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_request"
    assert inputs.json_problem(b'{"a": [[[["x"]]]]}') is None


def test_a_body_over_the_limit_is_a_413_with_the_json_error(people: dict[str, Any], settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    answer = post(api(people["grid01"]), body(people, description="长" * 2000))
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"


@pytest.mark.parametrize("query", ["q=%00x", "grid=%01", "q=x%1B"])
def test_control_characters_in_a_query_are_refused(people: dict[str, Any], client: Client, query: str) -> None:
    answer = api(people["center01"]).get(f"{URL}?{query}")
    assert answer.status_code in (400, 422), answer.content
    assert "error" in answer.json()
    client.force_login(people["center01"])
    page = client.get(f"/cases/?{query.replace('q=', 'text=')}")
    assert page.status_code in (400, 422)


def test_a_web_form_with_a_control_character_saves_nothing(people: dict[str, Any], client: Client) -> None:
    client.force_login(people["center01"])
    data = {"category": "parking.long_term", "description": "占道\x00停车", "urgency": "general", "source": "center"}
    answer = client.post("/cases/new/", data)
    assert answer.status_code == 422
    assert "控制字符".encode() in answer.content
    assert Case.objects.count() == 0


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/hotline/orders", "/api/v1/patrols"])
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_extreme_dates_in_filters_are_422_in_the_api(people: dict[str, Any], path: str, value: str) -> None:
    client = api(people["center01"])
    for name in ("date_from", "date_to"):
        answer = client.get(f"{path}?{name}={value}")
        assert answer.status_code == 422, (path, name, answer.content)
        assert name in answer.json()["error"]["details"]


@pytest.mark.parametrize("path", ["/cases/", "/hotline/", "/patrols/", "/cases/export.xlsx"])
def test_extreme_dates_in_page_filters_are_a_field_error_not_a_500(
    people: dict[str, Any], client: Client, path: str
) -> None:
    client.force_login(people["center01"])
    for query in ("date_from=0001-01-01", "date_to=9999-12-31"):
        answer = client.get(f"{path}?{query}")
        assert answer.status_code < 500, (path, query)


def test_huge_integers_in_paths_and_queries_are_4xx(people: dict[str, Any]) -> None:
    client = api(people["center01"])
    for url in (f"{URL}/99999999999999999999999", f"{URL}?cursor=99999999999999999999999", f"{URL}?limit=1e999"):
        assert 400 <= client.get(url).status_code < 500, url


def test_an_unknown_api_address_answers_the_json_404(people: dict[str, Any]) -> None:
    for url in ("/api/v1/no-such-thing", "/api/v2/cases", "/api/"):
        answer = api(people["center01"]).get(url)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found", url


@pytest.mark.parametrize("text", ["\u202e123-4567", "路灯\u2066坏了\u2069", "\u202a\u202c"])
def test_bidirectional_overrides_are_refused_like_control_characters(people: dict[str, Any], text: str) -> None:
    # They make a text display in another order than it is stored (a number that reads as another).
    answer = post(api(people["grid01"]), body(people, description=text))
    assert answer.status_code == 422, answer.content
    assert list(answer.json()["error"]["details"]) == ["description"]
    assert Case.objects.count() == 0


def test_a_text_of_only_invisible_characters_is_empty(people: dict[str, Any]) -> None:
    answer = post(api(people["grid01"]), body(people, description="\u200b\ufeff \u200d"))
    assert answer.status_code == 422 and "description" in answer.json()["error"]["details"], answer.content
    assert Case.objects.count() == 0
    kept = post(api(people["grid01"]), body(people, description="\ufeff路灯不亮\u200b"))
    assert kept.status_code == 201 and Case.objects.get().description == "路灯不亮"
    assert inputs.stripped("\u200b \u3000字\u200d\ufeff") == "字"


def test_thousands_of_bad_list_items_get_a_short_answer(people: dict[str, Any]) -> None:
    # 400,000 empty points made an 80 MB answer and held 1.9 GB of the server's memory.
    client = api(people["grid01"])
    now = "2026-03-02T09:00:00+08:00"
    patrol = {"started_at": now, "ended_at": now, "consent": True, "track": [{}] * 30_000}
    answer = post_to(client, "/api/v1/patrols", patrol)
    assert answer.status_code == 422 and len(answer.content) < 2_000, len(answer.content)
    assert list(answer.json()["error"]["details"]) == ["track"]
    patrol["track"] = [{}] * 300  # within the ceiling: each item an error, the answer cut
    details = post_to(client, "/api/v1/patrols", patrol).json()["error"]["details"]
    assert len(details) == 51 and "__all__" in details, list(details)[:5]


def post_to(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_too_many_files_is_the_json_400_under_the_api(people: dict[str, Any], settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = {f"photos{n}": SimpleUploadedFile(f"p{n}.jpg", b"x") for n in range(5)}
    answer = Client().post("/api/v1/notice/public/123/reports", {**files})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_request", answer.content


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-json", "application/merge-patch+json", ""])
def test_a_json_body_under_another_type_is_checked_all_the_same(people: dict[str, Any], content_type: str) -> None:
    # The API parses any body as JSON: sent as text/plain, a NUL and an override were stored.
    raw = json.dumps(body(people, description="付款\u202e1.exe\u0000"))
    answer = api(people["grid01"]).post(URL, data=raw, content_type=content_type)
    assert answer.status_code == 422, (content_type, answer.status_code, answer.content[:200])
    assert Case.objects.count() == 0


def test_json_in_a_multipart_payload_is_checked_after_its_escapes(people: dict[str, Any]) -> None:
    # '\\u202e' in the payload's text is six harmless characters until the JSON is parsed.
    payload = json.dumps(body(people, description="pay\u202e1.exe"))  # ensure_ascii: escaped
    assert "\u202e" not in payload
    answer = api(people["grid01"]).post(URL, {"payload": payload})
    assert answer.status_code == 422 and "payload.description" in answer.json()["error"]["details"], answer.content
    assert Case.objects.count() == 0
    fine = api(people["grid01"]).post(URL, {"payload": json.dumps(body(people, description="路灯\n不亮"))})
    assert fine.status_code == 201, fine.content


@pytest.mark.parametrize("text", ["\u200f", "\u00ad\u3164", "a\u0085b"])
def test_marks_fillers_and_c1_controls(people: dict[str, Any], text: str) -> None:
    answer = post(api(people["grid01"]), body(people, description=text))
    assert answer.status_code == 422, answer.content
    assert Case.objects.count() == 0
