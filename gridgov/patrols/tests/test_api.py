"""The patrol API under /api/v1/patrols and the phone's home summary at /api/v1/work."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client
from django.utils import timezone

from gridgov.cases import services as case_services
from gridgov.cases.tests.loop_helpers import action_photo, build
from gridgov.notify.services import notify
from gridgov.patrols.models import Patrol
from gridgov.patrols.services import TrackPoint, patrol_record
from gridgov.people.services import token_issue

from .conftest import home_grid, new_id, walk

URL = "/api/v1/patrols"


def api(user: Any) -> Client:
    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def post_json(client: Client, url: str, body: Any, **headers: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def body_for(user: Any, start: dt.datetime | None = None, **extra: Any) -> dict[str, Any]:
    start = start or timezone.now() - dt.timedelta(hours=1)
    track = [{**p, "t": p["t"].isoformat()} for p in walk(user, start=start)]
    return {
        "started_at": start.isoformat(),
        "ended_at": (start + dt.timedelta(minutes=10)).isoformat(),
        "consent": True,
        "track": track,
        "findings": [],
        **extra,
    }


def stored(user: Any, start: dt.datetime) -> Patrol:
    patrol, _created = patrol_record(
        actor=user,
        client_id=new_id(),
        started_at=start,
        ended_at=start + dt.timedelta(minutes=30),
        track=[TrackPoint(**p) for p in walk(user, start=start)],
        consent=True,
    )
    return patrol


SUMMARY_KEYS = {
    "id",
    "client_id",
    "coverage",
    "coverage_measure",
    "checkpoints_passed",
    "checkpoint_total",
    "worker",
    "grid",
    "status",
    "started_at",
    "ended_at",
    "duration_s",
    "distance_m",
    "point_count",
    "finding_count",
    "url",
}


def test_post_answers_201_then_200_with_the_same_patrol_for_the_same_key(people):
    client = api(people["grid01"])
    key = new_id()
    body = body_for(people["grid01"], distance_m=99999)
    first = post_json(client, URL, body, **{"Idempotency-Key": key})
    assert first.status_code == 201, first.content
    created = first.json()
    assert set(created) == SUMMARY_KEYS | {"consent", "consent_at", "created_at", "track", "findings"}
    assert created["client_id"] == key and created["status"] == "complete"
    assert created["worker"]["username"] == "grid01"
    assert created["grid"]["code"] == home_grid(people["grid01"]).code
    assert created["duration_s"] == 600 and created["point_count"] == 5
    assert 215 <= created["distance_m"] <= 230  # measured by the server, not the phone's number
    assert set(created["track"][0]) == {"t", "lat", "lng", "accuracy"}
    assert created["track"][0]["t"].endswith("+08:00")
    assert created["url"] == f"/patrols/{created['id']}/"

    again = post_json(client, URL, body, **{"Idempotency-Key": key})
    assert again.status_code == 200 and again.json() == created
    assert Patrol.objects.count() == 1

    changed = post_json(client, URL, {**body, "ended_at": body["started_at"][:-6] + "Z"}, **{"Idempotency-Key": key})
    assert changed.status_code == 422


def test_the_client_id_may_come_in_the_body_and_track_points_as_lists(people):
    client = api(people["grid01"])
    start = timezone.now() - dt.timedelta(hours=1)
    body = body_for(people["grid01"], start=start)
    body["track"] = [[p["t"], p["lat"], p["lng"], p["accuracy"]] for p in body["track"]]
    key = new_id()
    response = post_json(client, URL, {**body, "client_id": key})
    assert response.status_code == 201, response.content
    assert response.json()["client_id"] == key and response.json()["point_count"] == 5

    mismatch = post_json(client, URL, {**body, "client_id": key}, **{"Idempotency-Key": new_id()})
    assert mismatch.status_code == 422 and "client_id" in mismatch.json()["error"]["details"]
    missing = post_json(client, URL, body)
    assert missing.status_code == 422 and "client_id" in missing.json()["error"]["details"]


def test_post_refusals(people):
    body = body_for(people["grid01"])
    no_consent = post_json(api(people["grid01"]), URL, {**body, "consent": False}, **{"Idempotency-Key": new_id()})
    assert no_consent.status_code == 422 and "consent" in no_consent.json()["error"]["details"]
    bad_point = {**body, "track": [{"t": body["started_at"], "lat": 123, "lng": 117}]}
    refused = post_json(api(people["grid01"]), URL, bad_point, **{"Idempotency-Key": new_id()})
    assert refused.status_code == 422 and "track" in refused.json()["error"]["details"]
    center = post_json(api(people["center01"]), URL, body, **{"Idempotency-Key": new_id()})
    assert center.status_code == 403 and center.json()["error"]["code"] == "forbidden"
    assert Client().post(URL, data="{}", content_type="application/json").status_code == 401
    assert not Patrol.objects.exists()


def test_list_and_detail_are_scoped(people):
    start = timezone.now() - dt.timedelta(hours=3)
    mine = stored(people["grid01"], start)
    other = stored(people["grid02"], start + dt.timedelta(minutes=1))

    def ids(user: str, query: str = "") -> list[int]:
        response = api(people[user]).get(f"{URL}{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids("grid01") == [mine.pk]
    assert ids("grid02") == [other.pk]
    assert ids("gridlead01") == [mine.pk]  # the village of grid01 only
    assert ids("center01") == [other.pk, mine.pk]
    assert ids("leader01") == [other.pk, mine.pk]
    assert ids("admin") == [other.pk, mine.pk]
    assert ids("dept01") == []

    assert api(people["grid01"]).get(f"{URL}/{mine.pk}").status_code == 200
    hidden = api(people["grid02"]).get(f"{URL}/{mine.pk}")
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    assert api(people["dept01"]).get(f"{URL}/{mine.pk}").status_code == 404
    assert api(people["center01"]).get(f"{URL}/999999").status_code == 404


def test_list_filters_and_keyset_pages(people, django_assert_max_num_queries):
    today = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    if today + dt.timedelta(hours=1) > timezone.now():  # the patrols last 30 minutes: never in the future
        today -= dt.timedelta(days=1)
    patrols = [stored(people["grid01"], today - dt.timedelta(days=n)) for n in range(5)]
    stored(people["grid02"], today)
    client = api(people["center01"])

    mine = api(people["grid01"]).get(f"{URL}?mine=1").json()["items"]
    assert [p["id"] for p in mine] == [p.pk for p in patrols]
    grid = home_grid(people["grid01"]).code
    assert len(client.get(f"{URL}?grid={grid}").json()["items"]) == 5
    assert client.get(f"{URL}?grid=nope").json()["items"] == []
    day = (today - dt.timedelta(days=1)).date().isoformat()
    ranged = client.get(f"{URL}?grid={grid}&date_from={day}&date_to={day}").json()["items"]
    assert [p["id"] for p in ranged] == [patrols[1].pk]
    assert [p["id"] for p in client.get(f"{URL}?worker=grid02").json()["items"]] != []

    seen: list[int] = []
    cursor = ""
    for _page in range(4):
        with django_assert_max_num_queries(8):
            page = client.get(f"{URL}?grid={grid}&limit=2{'&cursor=' + cursor if cursor else ''}").json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [p.pk for p in patrols]
    assert client.get(f"{URL}?cursor=%%%").status_code == 422


def test_detail_has_the_track_and_the_findings(people):
    grid = home_grid(people["grid01"])
    key = new_id()
    case, _created = case_services.case_create(
        actor=people["grid01"],
        category="parking.long_term",
        description="巡查发现",
        lat=grid.center_lat,
        lng=grid.center_lng,
        source="patrol",
        idempotency_key=key,
    )
    missing = new_id()
    client = api(people["grid01"])
    created = post_json(
        client, URL, body_for(people["grid01"], findings=[key, missing]), **{"Idempotency-Key": new_id()}
    ).json()
    detail = api(people["center01"]).get(f"{URL}/{created['id']}").json()
    assert detail["finding_count"] == 2 and len(detail["track"]) == 5
    assert detail["findings"][0] == {
        "client_id": key,
        "case": {
            "id": case.pk,
            "number": case.number,
            "status": "reported",
            "category": {"code": "parking.long_term", "name": case.category.name},
            "url": f"/cases/{case.pk}/",
        },
    }
    assert detail["findings"][1] == {"client_id": missing, "case": None}
    listed = api(people["center01"]).get(URL).json()["items"][0]
    assert listed["finding_count"] == 2 and "track" not in listed


# --- the phone's home ---------------------------------------------------------------------


def test_work_summary_of_a_grid_worker(people):
    to_verify = build(people, "awaiting_verification")
    voided = build(people, "voided")
    open_case = build(people, "reported")
    patrol = stored(people["grid01"], timezone.now() - dt.timedelta(hours=2))
    notify(recipients=[people["grid01"]], kind="case.remind", title="催办", url="/cases/1/")
    notify(recipients=[people["grid01"]], kind="case.reported", title="别的")

    response = api(people["grid01"]).get("/api/v1/work")
    assert response.status_code == 200, response.content
    work = response.json()
    assert set(work) == {
        "view",
        "overdue",
        "warning",
        "supervision",
        "to_verify",
        "returned",
        "rework",
        "unread_notifications",
        "reminders",
        "my_open_reports",
        "patrols",
        "generated_at",
    }
    assert work["view"] == "field" and work["overdue"] is None
    assert work["to_verify"]["count"] == 1
    item = work["to_verify"]["items"][0]
    assert set(item) == {"id", "number", "category", "status", "status_label", "deadline", "light", "url"}
    assert item["id"] == to_verify.pk and item["status"] == "awaiting_verification"
    assert item["light"] in {"green", "yellow", "red"} and item["deadline"]
    assert [c["id"] for c in work["returned"]["items"]] == [voided.pk]
    assert work["returned"]["items"][0]["light"] == "none"
    assert work["rework"] == {"count": 0, "items": []}
    assert work["my_open_reports"] == 2  # to_verify and open_case; the voided one is not open
    assert open_case.pk not in [c["id"] for c in work["to_verify"]["items"]]
    assert work["unread_notifications"] >= 2 and work["reminders"] == 1
    assert [p["id"] for p in work["patrols"]] == [patrol.pk]

    # Another grid worker has none of it.
    other = api(people["grid02"]).get("/api/v1/work").json()
    assert other["to_verify"]["count"] == 0 and other["returned"]["count"] == 0 and other["patrols"] == []


def test_work_summary_of_a_department_lists_its_rework(people):
    case = build(people, "awaiting_verification")
    case_services.case_act(
        case.pk, "verify_fail", actor=people["grid01"], comment="车辆仍在", photos_in=action_photo("verify_fail")
    )
    fresh = build(people, "in_progress")
    work = api(people["dept01"]).get("/api/v1/work").json()
    assert [c["id"] for c in work["rework"]["items"]] == [case.pk]
    assert fresh.pk not in [c["id"] for c in work["rework"]["items"]]
    assert work["to_verify"]["count"] == 0 and work["patrols"] == []


def test_a_leader_and_the_supervisor_get_the_oversight_view(people):
    supervised = build(people, "in_progress_supervised")
    for who in ("leader01", "super01"):
        work = api(people[who]).get("/api/v1/work").json()
        assert work["view"] == "oversight", who
        assert supervised.pk in [c["id"] for c in work["supervision"]["items"]], who
        assert {"count", "items"} <= set(work["overdue"]) and {"count", "items"} <= set(work["warning"])
    for who in ("grid01", "gridlead01", "center01", "dept01"):
        assert api(people[who]).get("/api/v1/work").json()["view"] == "field", who
