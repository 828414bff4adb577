"""The notice's API: the center's posters, publications and settings; the residents' public
report (the page's checks, limits, honeypot and one-time key) and tracking, without login."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from gridgov.cases.models import Case, Source
from gridgov.core.models import AuditEvent
from gridgov.notice import selectors
from gridgov.notice.models import NoticeSetting, Poster, Publication, PublicLimit, PublicReport
from gridgov.notice.tests.test_notice import home_grid, minor, png, publish
from gridgov.people.services import token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def api(user: Any) -> Client:
    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_posters_list_generate_and_download(people: dict[str, Any]) -> None:
    worker = people["grid01"]
    grid = home_grid(worker)
    publish(worker, display_name="甲")
    center = api(people["center01"])
    rows = {row["grid"]: row for row in center.get("/api/v1/notice/posters").json()}
    assert rows[grid.code]["state"] == "none" and rows[grid.code]["poster"] is None
    assert rows[grid.code]["public_url"].endswith(f"/p/{grid.code}/")
    made = center.post(f"/api/v1/notice/grids/{grid.code}/posters")
    assert made.status_code == 201
    poster = made.json()
    pdf = center.get(poster["pdf_url"])
    assert pdf.status_code == 200 and pdf.getvalue()[:5] == b"%PDF-"
    publish(worker, display_name="甲", work_phone="022-7654321")
    rows = {row["grid"]: row for row in center.get("/api/v1/notice/posters").json()}
    assert rows[grid.code]["state"] == "reprint"
    assert rows[grid.code]["poster"]["generated_at"]
    # Nobody but the center: a grid worker is refused the list, and the poster is not found.
    assert api(worker).get("/api/v1/notice/posters").json()["error"]["code"] == "forbidden"
    assert api(worker).get(poster["pdf_url"]).status_code == 404
    assert api(worker).post(f"/api/v1/notice/grids/{grid.code}/posters").status_code == 404
    assert Poster.objects.count() == 1


def test_publications_read_and_update(people: dict[str, Any]) -> None:
    worker = people["grid01"]
    center = api(people["center01"])
    rows = center.get("/api/v1/notice/publications").json()
    mine = [row for row in rows if row["user_id"] == worker.pk]
    assert mine and mine[0]["role"] == "grid_worker" and mine[0]["area"] == home_grid(worker).code
    assert mine[0]["published"] is False
    body = {"published": True, "display_name": "甲", "work_phone": "022-1", "duties": "巡查", "service_hours": ""}
    saved = center.post(f"/api/v1/notice/publications/{worker.pk}", body, content_type="application/json")
    assert saved.status_code == 200 and saved.json()[0]["published"] is True
    assert Publication.objects.get(user=worker).work_phone == "022-1"
    assert AuditEvent.objects.filter(action="notice.publication_save").exists()
    too_long = center.post(
        f"/api/v1/notice/publications/{worker.pk}", {**body, "work_phone": "1" * 31}, content_type="application/json"
    )
    assert too_long.status_code == 422 and "work_phone" in too_long.json()["error"]["details"]
    assert Publication.objects.get(user=worker).work_phone == "022-1"
    assert center.get(f"/api/v1/notice/publications/{people['dept01'].pk}").status_code == 404
    other = api(people["grid02"])
    assert other.get(f"/api/v1/notice/publications/{worker.pk}").status_code == 404
    refused = other.post(f"/api/v1/notice/publications/{worker.pk}", body, content_type="application/json")
    assert refused.status_code == 404


def test_settings_read_and_update_and_the_town_hours_on_cards(people: dict[str, Any]) -> None:
    worker = people["grid01"]
    grid = home_grid(worker)
    publish(worker, display_name="甲", service_hours="")
    center = api(people["center01"])
    [town] = center.get("/api/v1/notice/settings").json()
    body = {"supervision_phone": "022-12345678", "service_hours": "工作日 9:00-17:00"}
    saved = center.post(f"/api/v1/notice/settings/{town['town']}", body, content_type="application/json")
    assert saved.status_code == 200 and saved.json()["supervision_phone"] == "022-12345678"
    assert NoticeSetting.objects.get().service_hours == "工作日 9:00-17:00"
    # A card without hours of its own shows the town's.
    assert [card.service_hours for card in selectors.grid_cards(grid)] == ["工作日 9:00-17:00"]
    page = Client().get(f"/p/{grid.code}/").content.decode()
    assert "022-12345678" in page and "工作日 9:00-17:00" in page
    too_long = center.post(
        f"/api/v1/notice/settings/{town['town']}", {"service_hours": "x" * 101}, content_type="application/json"
    )
    assert too_long.status_code == 422 and "service_hours" in too_long.json()["error"]["details"]
    assert (
        api(worker).post(f"/api/v1/notice/settings/{town['town']}", body, content_type="application/json").status_code
        == 404
    )


def test_settings_page_for_the_center(people: dict[str, Any]) -> None:
    from gridgov.notice.tests.test_notice import client_for

    town = selectors.center_towns(people["center01"])[0]
    center = client_for(people["center01"])
    assert center.get(f"/notice/settings/{town.code}/").status_code == 200
    response = center.post(f"/notice/settings/{town.code}/", {"supervision_phone": "022-1", "service_hours": "8-17"})
    assert response.status_code == 302
    assert "8-17" in center.get("/notice/").content.decode()
    assert client_for(people["grid01"]).get(f"/notice/settings/{town.code}/").status_code == 403


def report(grid: Any, client: Client | None = None, headers: dict[str, str] | None = None, **extra: Any) -> Any:
    data = {"category": minor().code, "description": "路灯坏了", "name": "王五", "phone": "13800002222", **extra}
    return (client or Client()).post(f"/api/v1/notice/public/{grid.code}/reports", data, headers=headers or {})


def test_public_report_without_login_and_tracking(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    answer = report(grid, photos=png())
    assert answer.status_code == 201
    code = answer.json()["code"]
    case = PublicReport.objects.get(code=code).case
    assert case.source == Source.PUBLIC and case.grid_id == grid.pk and case.attachments.count() == 1
    tracked = Client().get(f"/api/v1/notice/track/{code.lower()}")
    assert tracked.status_code == 200
    body = tracked.json()
    assert body["progress"] == "received" and body["category"] == case.category.name and body["grid"] == grid.name
    assert body["received_at"].endswith("+08:00")  # the site's time, as the rest of the API (was UTC "Z")
    text = tracked.content.decode()
    assert "王五" not in text and "13800002222" not in text and case.number not in text and "路灯坏了" not in text
    missing = Client().get("/api/v1/notice/track/ZZZZZZZZZZ")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert Client().post("/api/v1/notice/public/nowhere/reports", {}).status_code == 404


def test_public_report_same_key_is_one_case(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    first = report(grid, idempotency_key="k" * 32)
    again = report(grid, idempotency_key="k" * 32)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["code"] == again.json()["code"]
    by_header = report(grid, headers={"Idempotency-Key": "h" * 32})
    by_header_again = report(grid, headers={"Idempotency-Key": "h" * 32})
    assert by_header_again.status_code == 200 and by_header.json()["code"] == by_header_again.json()["code"]
    assert Case.objects.filter(source=Source.PUBLIC).count() == 2


def test_public_report_checks_honeypot_and_limits(people: dict[str, Any], settings: Any) -> None:
    grid = home_grid(people["grid01"])
    bad = report(grid, category="nope", description="")
    assert bad.status_code == 422
    assert {"category", "description"} <= set(bad.json()["error"]["details"])
    robot = report(grid, website="http://spam.example")
    assert robot.status_code == 201 and len(robot.json()["code"]) == 10  # looks like any success
    assert not Case.objects.filter(source=Source.PUBLIC).exists()
    settings.GRIDGOV_PUBLIC_REPORTS_PER_CLIENT_HOUR = 2
    assert report(grid, phone="").status_code == 201
    assert report(grid, phone="").status_code == 201
    limited = report(grid, phone="")
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "throttled"
    assert Case.objects.filter(source=Source.PUBLIC).count() == 2
    # The page and the API count together: the same connection is refused on the page too.
    assert Client().post(f"/p/{grid.code}/report/", {"category": minor().code, "description": "x"}).status_code == 429
    # A village's report needs the place, as on the page.
    village = grid.parent
    PublicLimit.objects.all().delete()
    assert report(village).status_code == 422
