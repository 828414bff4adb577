"""The field pages: the report form, the duplicate hint and the inboxes of each role."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.cases import services
from gridgov.cases.models import AttachmentKind, Case, CaseAttachment, Status


def grid_point(user: Any) -> tuple[float, float]:
    area_id = next(a for _r, a, _d in scope_for(user).assignments if a)
    grid = Area.objects.get(pk=area_id)
    assert grid.center_lat is not None and grid.center_lng is not None
    return grid.center_lat, grid.center_lng


def photo(name: str = "p.jpg", colour: tuple[int, int, int] = (200, 30, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report_data(user: Any, **extra: Any) -> dict[str, Any]:
    lat, lng = grid_point(user)
    data = {
        "category": "parking.long_term",
        "description": "车辆长期占用消防通道",
        "address": "太平路12号",
        "lat": f"{lat:.6f}",
        "lng": f"{lng:.6f}",
        "urgency": "normal",
        "idempotency_key": uuid.uuid4().hex,
    }
    data.update(extra)
    return data


def reported(user: Any, category: str = "parking.long_term", **extra: Any) -> Case:
    lat, lng = grid_point(user)
    case, _created = services.case_create(
        actor=user, category=category, description="路口车辆乱停", lat=lat, lng=lng, **extra
    )
    return case


def dispatched(people: dict[str, Any], reporter: Any, department: str) -> Case:
    case = reported(reporter)
    services.case_act(case.pk, "register", actor=people["center01"])
    return services.case_act(case.pk, "dispatch", actor=people["center01"], departments=[department])


def awaiting_verification(people: dict[str, Any], reporter: Any) -> Case:
    case = dispatched(people, reporter, "traffic_police")
    services.case_act(case.pk, "acknowledge", actor=people["dept01"])
    attachment = [services.Photo(file=photo("r.jpg", (10, 200, 10)), kind=AttachmentKind.RESULT)]
    return services.case_act(case.pk, "report_back", actor=people["dept01"], result="已拖离车辆", photos_in=attachment)


# --- report form ---------------------------------------------------------------------------


def test_the_report_form_shows_active_minor_classes_grouped_and_a_fresh_key(people):
    response = client_for(people["grid01"]).get(reverse("cases:report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<optgroup label="' in html
    assert 'value="parking.minor" data-self-handle="1"' in html
    assert 'name="idempotency_key"' in html
    key = response.context["form"].initial["idempotency_key"]
    assert len(key) == 32
    assert client_for(people["grid01"]).get(reverse("cases:report")).context["form"].initial["idempotency_key"] != key


def test_a_department_handler_may_not_open_the_report_form(people):
    assert client_for(people["dept01"]).get(reverse("cases:report")).status_code == 403


def test_a_report_creates_a_case_with_its_photos_and_opens_the_case_page(people):
    grid01 = people["grid01"]
    data = report_data(grid01, photos=[photo("a.jpg"), photo("b.jpg", (0, 0, 200))])
    response = client_for(grid01).post(reverse("cases:report"), data)
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.status == Status.REPORTED and case.reporter == grid01 and case.address == "太平路12号"
    assert CaseAttachment.objects.filter(case=case, kind=AttachmentKind.REPORT).count() == 2


def test_a_double_submit_with_the_same_key_makes_one_case(people):
    grid01 = people["grid01"]
    data = report_data(grid01)
    client = client_for(grid01)
    first = client.post(reverse("cases:report"), data)
    second = client.post(reverse("cases:report"), data)
    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_the_same_page_sent_again_with_other_content_asks_to_send_again_as_a_new_report(people):
    grid01 = people["grid01"]
    data = report_data(grid01)
    client = client_for(grid01)
    client.post(reverse("cases:report"), data)
    changed = client.post(reverse("cases:report"), {**data, "description": "另一处车辆占道"})
    assert changed.status_code == 422 and Case.objects.count() == 1
    assert changed.context["form"].non_field_errors()
    renewed = changed.context["form"].data["idempotency_key"]
    assert renewed != data["idempotency_key"]
    again = client.post(reverse("cases:report"), {**data, "description": "另一处车辆占道", "idempotency_key": renewed})
    assert again.status_code == 302 and Case.objects.count() == 2


def test_errors_come_back_next_to_the_fields_with_the_text_kept(people):
    grid01 = people["grid01"]
    data = report_data(grid01, description="", category="")
    response = client_for(grid01).post(reverse("cases:report"), data)
    assert response.status_code == 422
    form = response.context["form"]
    assert "description" in form.errors and "category" in form.errors
    html = response.content.decode()
    assert "太平路12号" in html and data["idempotency_key"] in html
    assert Case.objects.count() == 0


def test_a_point_outside_every_grid_is_an_error_on_the_location(people):
    grid01 = people["grid01"]
    response = client_for(grid01).post(reverse("cases:report"), report_data(grid01, lat="10.0", lng="10.0"))
    assert response.status_code == 422
    assert "lat" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_self_handle_closes_the_case_with_before_and_after_photos(people):
    grid01 = people["grid01"]
    data = report_data(
        grid01,
        category="parking.minor",
        self_handle="1",
        comment="已劝离",
        before_photos=[photo("before.jpg")],
        after_photos=[photo("after.jpg", (0, 120, 0))],
    )
    response = client_for(grid01).post(reverse("cases:report"), data)
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.status == Status.CLOSED and case.self_handled
    kinds = sorted(case.attachments.values_list("kind", flat=True))
    assert kinds == [AttachmentKind.AFTER, AttachmentKind.BEFORE]


def test_self_handle_needs_both_photos(people):
    grid01 = people["grid01"]
    data = report_data(grid01, category="parking.minor", self_handle="1", before_photos=[photo()])
    response = client_for(grid01).post(reverse("cases:report"), data)
    assert response.status_code == 422
    assert "after_photos" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_self_handle_is_refused_for_a_category_that_does_not_allow_it(people):
    grid01 = people["grid01"]
    data = report_data(
        grid01, self_handle="1", before_photos=[photo("before.jpg")], after_photos=[photo("after.jpg", (0, 9, 0))]
    )
    response = client_for(grid01).post(reverse("cases:report"), data)
    assert response.status_code == 422
    assert "self_handle" in response.context["form"].errors
    assert Case.objects.count() == 0


# --- duplicate hint ---------------------------------------------------------------------


def test_the_duplicate_hint_lists_a_nearby_open_case_of_the_same_category(people):
    grid01 = people["grid01"]
    existing = reported(grid01)
    lat, lng = grid_point(grid01)
    client = client_for(grid01)
    url = reverse("cases:duplicates")
    response = client.get(url, {"category": "parking.long_term", "lat": lat + 0.0003, "lng": lng})
    assert response.status_code == 200
    assert existing.number in response.content.decode()
    assert reverse("cases:detail", args=[existing.pk]) in response.content.decode()
    other = client.get(url, {"category": "parking.minor", "lat": lat, "lng": lng})
    assert existing.number not in other.content.decode()
    assert client.get(url, {"category": "parking.long_term", "lat": "x", "lng": ""}).status_code == 200


# --- inboxes -------------------------------------------------------------------------------


def test_the_department_inbox_shows_the_departments_cases_only(people):
    ours = dispatched(people, people["grid01"], "traffic_police")
    theirs = dispatched(people, people["grid01"], "urban_mgmt")
    services.case_act(ours.pk, "acknowledge", actor=people["dept01"])
    fresh = dispatched(people, people["grid02"], "traffic_police")
    response = client_for(people["dept01"]).get(reverse("cases:department"))
    assert response.status_code == 200
    assert {c.case.pk for c in response.context["cards"]} == {fresh.pk, ours.pk}
    assert response.context["counts"] == {"new": 1, "working": 1}
    assert theirs.number not in response.content.decode()
    other = client_for(people["dept02"]).get(reverse("cases:department")).content.decode()
    assert theirs.number in other and ours.number not in other
    assert client_for(people["grid01"]).get(reverse("cases:department")).status_code == 403


def test_the_department_acknowledges_and_reports_back_from_its_inbox(people):
    case = dispatched(people, people["grid01"], "traffic_police")
    client = client_for(people["dept01"])
    url = reverse("cases:department")
    response = client.post(url, {"case": case.pk, "action": "acknowledge", "version": case.version})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    empty = client.post(url, {"case": case.pk, "action": "report_back", "result": "", "version": case.version})
    assert empty.status_code == 422
    response = client.post(
        url, {"case": case.pk, "action": "report_back", "result": "已处理", "version": case.version, "photos": photo()}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.AWAITING_VERIFICATION
    assert case.attachments.filter(kind=AttachmentKind.RESULT).count() == 1


def test_the_village_inbox_shows_the_leaders_village_only_and_accepts(people):
    ours = reported(people["grid01"])
    theirs = reported(people["grid02"])
    client = client_for(people["gridlead01"])
    response = client.get(reverse("cases:village"))
    assert response.status_code == 200
    assert [c.case.pk for c in response.context["waiting"]] == [ours.pk]
    assert theirs.number not in response.content.decode()
    assert {str(a) for a in response.context["waiting"][0].actions} == {"accept", "escalate"}

    response = client.post(reverse("cases:village"), {"case": ours.pk, "action": "accept", "version": ours.version})
    assert response.status_code == 302
    page = client.get(reverse("cases:village"))
    assert [c.case.pk for c in page.context["handling"]] == [ours.pk]
    assert page.context["waiting"] == []


def test_a_stale_form_in_the_village_inbox_shows_the_conflict(people):
    case = reported(people["grid01"])
    client = client_for(people["gridlead01"])
    client.post(reverse("cases:village"), {"case": case.pk, "action": "escalate", "version": case.version})
    response = client.post(reverse("cases:village"), {"case": case.pk, "action": "accept", "version": case.version})
    assert response.status_code == 409
    assert response.context["failed"].non_field_errors()
    case.refresh_from_db()
    assert case.escalated and not case.handled_by_village


def test_the_verify_page_lists_the_workers_grid_with_the_result_and_passes(people):
    ours = awaiting_verification(people, people["grid01"])
    theirs = awaiting_verification(people, people["grid02"])
    client = client_for(people["grid01"])
    response = client.get(reverse("cases:verify"))
    assert response.status_code == 200
    cards = response.context["cards"]
    assert [c.case.pk for c in cards] == [ours.pk]
    assert cards[0].result == "已拖离车辆"
    assert len(cards[0].photos) == 1
    assert theirs.number not in response.content.decode()

    refused = client.post(reverse("cases:verify"), {"case": ours.pk, "action": "verify_fail", "comment": ""})
    assert refused.status_code == 422
    response = client.post(
        reverse("cases:verify"),
        {"case": ours.pk, "action": "verify_pass", "comment": "现场已恢复", "photos": photo("v.jpg", (9, 9, 9))},
    )
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.status == Status.CLOSED
    assert ours.attachments.filter(kind=AttachmentKind.VERIFY).count() == 1


def test_my_cases_lists_what_the_worker_reported(people):
    ours = reported(people["grid01"])
    theirs = reported(people["grid02"])
    response = client_for(people["grid01"]).get(reverse("cases:mine"))
    assert response.status_code == 200
    assert [c.case.pk for c in response.context["cards"]] == [ours.pk]
    assert theirs.number not in response.content.decode()


@pytest.mark.parametrize(
    ("username", "panel"),
    [("grid01", "cases-grid-worker"), ("gridlead01", "cases-village"), ("dept01", "cases-department")],
)
def test_the_home_page_shows_the_roles_case_panel(people, username, panel):
    reported(people["grid01"])
    response = client_for(people[username]).get(reverse("home"))
    assert response.status_code == 200
    assert f'data-panel="{panel}"' in response.content.decode()


def test_inbox_refusals_answer_with_the_rule_s_status(people):
    ours = reported(people["grid01"])
    theirs = reported(people["grid02"])
    client = client_for(people["gridlead01"])
    url = reverse("cases:village")
    # Not visible → 404; visible but not the leader's move → 403; not offered here → 422.
    assert client.post(url, {"case": theirs.pk, "action": "accept", "version": theirs.version}).status_code == 404
    services.case_act(ours.pk, "register", actor=people["center01"])
    ours.refresh_from_db()
    assert client.post(url, {"case": ours.pk, "action": "report_back", "version": ours.version}).status_code == 403
    assert client.post(url, {"case": ours.pk, "action": "register", "version": ours.version}).status_code == 422
