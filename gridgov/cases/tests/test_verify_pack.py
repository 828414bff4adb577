"""GET /api/v1/cases/verify-pack: the grid worker's whole to-verify queue, kept on the phone
for verifying without signal (docs/mobile.md)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from gridgov.cases import services
from gridgov.cases.tests.loop_helpers import act, build, jpeg, report
from gridgov.people.services import token_issue

URL = "/api/v1/cases/verify-pack"


def api(user: Any) -> Client:
    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def awaiting_with_photo(people: dict[str, Any], result: str) -> Any:
    case = report(people)
    act(people, case, "register", "center01")
    act(people, case, "dispatch", "center01", departments=["traffic_police"])
    act(people, case, "acknowledge", "dept01")
    photo = services.Photo(jpeg((10, 200, 10)), kind="result")
    return act(people, case, "report_back", "dept01", result=result, photos_in=[photo])


def test_the_pack_holds_every_case_to_verify_with_its_result_and_photo_links(people, settings):
    first = awaiting_with_photo(people, "车辆已挪走")
    second = build(people, "awaiting_verification")
    build(people, "in_progress")  # not to verify
    build(people, "awaiting_unverified")  # its category needs no on-site check

    response = api(people["grid01"]).get(URL)
    assert response.status_code == 200, response.content
    pack = response.json()
    assert pack["count"] == 2 and pack["truncated"] is False
    by_id = {item["id"]: item for item in pack["items"]}
    assert set(by_id) == {first.pk, second.pk}
    item = by_id[first.pk]
    assert item["number"] == first.number and item["version"] == first.version
    assert item["result"]["text"] == "车辆已挪走" and item["result"]["actor"]["username"] == "dept01"
    assert len(item["photos"]) == 1 and item["photos"][0]["kind"] == "result"
    assert item["lat"] is not None and item["light"] in {"green", "yellow", "red"}
    assert item["photo_required"] is True  # a field category: the check needs an on-site photo

    # The thumbnail it links to opens with the worker's token.
    thumb = api(people["grid01"]).get(item["photos"][0]["thumbnail_url"])
    assert thumb.status_code == 200

    # A bounded pack says how many wait behind it.
    settings.GRIDGOV_MOBILE_VERIFY_CASES = 1
    small = api(people["grid01"]).get(URL).json()
    assert small["count"] == 2 and small["truncated"] is True and len(small["items"]) == 1


def test_the_pack_is_the_workers_own(people):
    awaiting_with_photo(people, "已处理")
    other = api(people["grid02"]).get(URL).json()
    assert (other["count"], other["items"]) == (0, [])
    assert api(people["dept01"]).get(URL).json()["count"] == 0
    assert Client().get(URL).status_code == 401


def test_a_result_reported_again_after_a_failed_check_is_the_one_in_the_pack(people):
    case = awaiting_with_photo(people, "第一次")
    act(people, case, "verify_fail", "grid01", comment="车辆仍在")
    first_photos = {a.pk for a in case.attachments.filter(kind="result")}
    case = act(people, case, "report_back", "dept01", result="第二次")
    item = api(people["grid01"]).get(URL).json()["items"][0]
    assert item["result"]["text"] == "第二次" and item["version"] == case.version
    # Only the second round's photo: the first showed a result the check refused.
    assert len(item["photos"]) == 1 and item["photos"][0]["id"] not in first_photos
