"""What a role may not do even on a case it sees (issue 13, item 12): the supervisor and the
leaders read and supervise but add no photos; a reporter from the field cannot choose the
case's source."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from PIL import Image

from gridgov.cases import services
from gridgov.cases.models import Case, CaseAttachment, Source
from gridgov.cases.services import CaseForbidden, Photo
from gridgov.people.services import token_issue

from .loop_helpers import build, grid_point, report

URL = "/api/v1/cases"


def jpeg() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def api(user: Any) -> Client:
    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.mark.parametrize("who", ["super01", "leader01"])
def test_the_supervisor_and_the_leader_add_no_photos(people: dict[str, Any], client: Client, who: str) -> None:
    case = build(people, "dispatched")
    with pytest.raises(CaseForbidden):
        services.attachments_add(case.pk, actor=people[who], photos_in=[Photo(jpeg())])
    assert not services.may_add_photos(people[who], case)

    token_client = api(people[who])
    answer = token_client.post(f"{URL}/{case.pk}/attachments", {"photos": [jpeg()]})
    assert answer.status_code == 403, answer.content
    client.force_login(people[who])
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200 and b'data-testid="photo-add"' not in page.content
    posted = client.post(f"/cases/{case.pk}/photos/", {"photos": [jpeg()]})
    assert posted.status_code == 403
    assert CaseAttachment.objects.filter(case=case, uploaded_by=people[who]).count() == 0
    # They still supervise: the leader's documented actions stay open to them.
    assert {"remind", "supervise"} & {str(a) for a in services.allowed_actions(case, people[who])}


def test_the_people_working_on_the_case_still_add_photos(people: dict[str, Any]) -> None:
    case = build(people, "dispatched")
    for who in ("center01", "dept01", "grid01"):
        assert services.may_add_photos(people[who], case), who
    assert len(services.attachments_add(case.pk, actor=people["dept01"], photos_in=[Photo(jpeg())])) == 1


@pytest.mark.parametrize("source", [Source.CENTER, Source.HOTLINE, Source.MEETING, Source.PUBLIC, Source.LEADER])
def test_a_grid_worker_cannot_choose_the_source(people: dict[str, Any], source: str) -> None:
    with pytest.raises(ValidationError) as refused:
        report(people, by="grid01", source=source)
    assert set(refused.value.message_dict) == {"source"}
    assert Case.objects.count() == 0


def test_a_grid_worker_reports_from_the_field_or_a_patrol(people: dict[str, Any]) -> None:
    assert report(people, by="grid01").source == Source.GRID_REPORT
    assert report(people, by="grid01", source=Source.PATROL).source == Source.PATROL


def test_the_api_refuses_a_chosen_source_with_422_and_defaults_by_role(people: dict[str, Any]) -> None:
    lat, lng = grid_point(people["grid01"])
    body = {"category": "parking.long_term", "description": "车辆长期占道", "lat": lat, "lng": lng}
    refused = api(people["grid01"]).post(
        URL, data=json.dumps({**body, "source": "center"}), content_type="application/json"
    )
    assert refused.status_code == 422 and "source" in refused.json()["error"]["details"]
    made = api(people["leader01"]).post(URL, data=json.dumps(body), content_type="application/json")
    assert made.status_code == 201, made.content
    assert Case.objects.get(pk=made.json()["id"]).source == Source.LEADER
    chosen = api(people["center01"]).post(
        URL, data=json.dumps({**body, "source": "meeting"}), content_type="application/json"
    )
    assert chosen.status_code == 201 and Case.objects.get(pk=chosen.json()["id"]).source == Source.MEETING


# --- the device's time (issue 12 §4) ----------------------------------------------------------


def test_the_devices_time_is_kept_beside_the_receive_time_and_flagged_when_doubtful(
    people: dict[str, Any], client: Client
) -> None:
    import datetime as dt

    from django.utils import timezone

    lat, lng = grid_point(people["grid01"])
    body = {"category": "parking.long_term", "description": "车辆长期占道", "lat": lat, "lng": lng}
    phone = api(people["grid01"])
    now = timezone.now()
    for offset, doubtful in (
        (dt.timedelta(hours=-3), False),
        (dt.timedelta(hours=2), True),
        (dt.timedelta(days=-9), True),
    ):
        sent = (now + offset).isoformat()
        made = phone.post(URL, data=json.dumps({**body, "occurred_at": sent}), content_type="application/json")
        assert made.status_code == 201, made.content
        case = Case.objects.get(pk=made.json()["id"])
        assert case.occurred_at is not None and abs((case.occurred_at - (now + offset)).total_seconds()) < 1
        assert case.occurred_at_doubtful is doubtful
        assert case.reported_at >= now  # the deadlines start at receipt, whatever the phone says
        detail = phone.get(f"{URL}/{case.pk}").json()
        assert detail["occurred_at_doubtful"] is doubtful and detail["occurred_at"]
    client.force_login(people["center01"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="occurred-at"' in page and "手机时间存疑" in page
    assert report(people, by="grid01").occurred_at is None


@pytest.mark.parametrize("sent", ["0001-01-01T00:00:00", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-12:00"])
def test_a_devices_time_at_the_edge_of_the_calendar_is_a_422_not_a_500(people: dict[str, Any], sent: str) -> None:
    """The attack re-run (docs/security.md): 0001-01-01 in the site's time zone is the year 0
    in UTC, which the database conversion cannot hold."""
    lat, lng = grid_point(people["grid01"])
    body = {"category": "parking.long_term", "description": "车辆长期占道", "lat": lat, "lng": lng, "occurred_at": sent}
    made = api(people["grid01"]).post(URL, data=json.dumps(body), content_type="application/json")
    assert made.status_code == 422, made.content
    assert "occurred_at" in made.json()["error"]["details"]
    assert Case.objects.count() == 0


# --- the party's fields (issue 13, item 16) ---------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("party_name", "王" * 101), ("party_phone", "1" * 31), ("party_phone", "call me"), ("party_phone", "123")],
)
def test_a_partys_over_long_or_invalid_field_is_refused_not_cut(people: dict[str, Any], field: str, value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        extra: dict[str, Any] = {field: value}
        report(people, by="grid01", party_kind="resident", **extra)
    assert field in refused.value.message_dict
    assert Case.objects.count() == 0


@pytest.mark.parametrize("phone", ["13812345678", "022-2567 8901", "+86 138 1234 5678", "(022)25678901-123"])
def test_phones_as_people_write_them_are_taken(people: dict[str, Any], phone: str) -> None:
    assert report(people, by="grid01", party_kind="resident", party_phone=phone).party_phone == phone


def test_the_photos_of_one_request_have_a_pixel_budget_together(people, settings):
    """Issue 13, item 16: all photos of one request together, read from their headers before any
    is decoded; each alone passes."""
    settings.GRIDGOV_PHOTO_MEGAPIXELS_PER_REQUEST = 1
    case = build(people, "in_progress")

    def png() -> io.BytesIO:
        buffer = io.BytesIO()
        Image.new("RGB", (800, 800), (10, 20, 30)).save(buffer, "PNG")
        buffer.seek(0)
        return buffer

    with pytest.raises(ValidationError) as refused:
        services.attachments_add(
            case.pk, actor=people["dept01"], photos_in=[services.Photo(png()), services.Photo(png())]
        )
    assert "百万像素" in str(refused.value.message_dict["photos"]) or "million" in str(refused.value.message_dict)
    assert not CaseAttachment.objects.filter(case=case).exists()
    assert len(services.attachments_add(case.pk, actor=people["dept01"], photos_in=[services.Photo(png())])) == 1
