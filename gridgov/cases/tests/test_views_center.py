"""The center's pages: the workbench, the case page and its action forms, photos, the home panel."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from gridgov.areas.models import Area
from gridgov.cases import services, views
from gridgov.cases.models import Case, CaseAttachment, Status
from gridgov.cases.services import Photo
from gridgov.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def grid_of(user):
    from gridgov.access.scope import scope_for

    area_id = next(a for _r, a, _d in scope_for(user).assignments if a)
    return Area.objects.get(pk=area_id)


def report(people, description="车辆长期占道", *, at=None, photos=(), **kwargs):
    grid = grid_of(people["grid01"])
    case, _created = services.case_create(
        actor=people["grid01"],
        category=kwargs.pop("category", "parking.long_term"),
        description=description,
        lat=grid.center_lat,
        lng=grid.center_lng,
        at=at,
        photos_in=photos,
        **kwargs,
    )
    return case


def jpeg_bytes(colour=(200, 30, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def login(client, user):
    client.force_login(user)
    return client


def detail_url(case):
    return reverse("cases:detail", args=[case.pk])


def act_url(case, action):
    return reverse("cases:act", args=[case.pk, action])


# --- the workbench -----------------------------------------------------------------------


def test_the_workbench_lists_the_towns_cases_with_queue_counts(client, people):
    case = report(people)
    response = login(client, people["center01"]).get(reverse("cases:workbench"))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.number in html
    assert 'data-queue="to_register"' in html
    tab = re.search(r'data-queue="to_register".*?queue-count">(\d+)<', html, re.S)
    assert tab is not None and tab.group(1) == "1"


def test_the_workbench_filters_by_status_and_text_and_answers_htmx_with_the_table_only(client, people):
    first = report(people, "第一起占道")
    second = report(people, "第二起占道")
    services.case_act(second.pk, "register", actor=people["center01"])
    login(client, people["center01"])

    response = client.get(reverse("cases:workbench"), {"status": Status.REGISTERED})
    html = response.content.decode()
    assert second.number in html and first.number not in html

    response = client.get(reverse("cases:workbench"), {"text": "第一起"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and 'id="case-results"' in html
    assert first.number in html and second.number not in html

    response = client.get(reverse("cases:workbench"), {"queue": "to_dispatch"})
    html = response.content.decode()
    assert second.number in html and first.number not in html


def test_the_area_filter_of_a_user_who_sees_many_grids_lists_towns_and_villages_and_keeps_a_chosen_grid(
    client, people, monkeypatch
):
    from gridgov.cases import forms

    case = report(people)
    other_grid = Area.objects.current().filter(level="grid").exclude(pk=case.grid_id).order_by("code").first()
    login(client, people["center01"])
    small = client.get(reverse("cases:workbench")).content.decode()
    assert f'value="{case.grid.code}"' in small  # few grids: every grid is listed

    village = Area.objects.get(pk=int(case.grid.path.strip("/").split("/")[-2]))
    monkeypatch.setattr(forms, "FILTER_GRIDS_MAX", 2)
    html = client.get(reverse("cases:workbench")).content.decode()
    assert f'value="{village.code}"' in html and f'value="{case.town.code}"' in html
    assert f'value="{case.grid.code}"' not in html and f'value="{other_grid.code}"' not in html
    # A grid from a link (the map, the statistics) is still a valid filter, shown as chosen.
    html = client.get(reverse("cases:workbench"), {"grid": case.grid.code}).content.decode()
    assert f'<option value="{case.grid.code}" selected>' in html and case.number in html
    assert "errorlist" not in html
    # A town filters its whole area.
    html = client.get(reverse("cases:workbench"), {"grid": case.town.code}).content.decode()
    assert case.number in html and "errorlist" not in html


def test_a_plain_filter_counts_up_to_a_limit_and_a_figure_counts_exactly(client, people, monkeypatch):
    report(people, "第一起占道")
    report(people, "第二起占道")
    monkeypatch.setattr(views, "FILTER_COUNT_MAX", 1)
    login(client, people["center01"])
    # The list comes first; its count is a request of its own with the same filters.
    html = client.get(reverse("cases:workbench"), {"text": "占道"}).content.decode()
    assert f'hx-get="{reverse("cases:workbench_count")}?text=' in html and "case-total" not in html
    html = client.get(reverse("cases:workbench_count"), {"text": "占道"}).content.decode()
    assert "more than 1 cases" in html or "超过 1 件" in html
    html = client.get(reverse("cases:workbench_count"), {"text": "第一起"}).content.decode()
    assert re.search(r'data-testid="case-total" hidden>1<', html) and "超过" not in html
    # A person's id past the database's integers is a filter that cannot be read, not a 500.
    for name in ("reporter", "verifier"):
        huge = client.get(reverse("cases:workbench_count"), {name: "9" * 24, "text": "占道"})
        assert huge.status_code == 200, name
    # Refused like the list to whoever has no desk.
    login(client, people["grid01"])
    assert client.get(reverse("cases:workbench_count"), {"text": "占道"}).status_code == 403


def test_a_department_filter_counts_the_cases_it_leads_or_cooperates_on_once(client, people, monkeypatch):
    """The count of a department filter: on PostgreSQL the led and the cooperated cases are
    counted as a UNION of two capped parts (cases.views._capped_count), on SQLite as one OR;
    either way the list's cases, a case in both parts once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridgov.people.models import Department

    led, cooperated, both, _other = (report(people, f"第{n}起占道") for n in "一二三四")
    department, elsewhere = Department.objects.exclude(kind="village").order_by("code")[:2]
    Case.objects.filter(pk__in=[led.pk, both.pk]).update(lead_department=department)
    Case.objects.filter(pk=cooperated.pk).update(lead_department=elsewhere)
    cooperated.cooperating_departments.add(department)
    both.cooperating_departments.add(department)
    login(client, people["center01"])
    listed = client.get(reverse("cases:workbench"), {"department": department.code}).content.decode()
    assert [c.number in listed for c in (led, cooperated, both, _other)] == [True, True, True, False]
    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("cases:workbench_count"), {"department": department.code}).content.decode()
    assert re.search(r'data-testid="case-total" hidden>3<', html) and "超过" not in html
    union = any(" UNION " in q["sql"] for q in captured.captured_queries)
    assert union == connection.features.supports_slicing_ordering_in_compound
    # Past the cap either way, and exact at it.
    for cap, expected in ((2, "超过 2 件"), (3, "hidden>3<")):
        monkeypatch.setattr(views, "FILTER_COUNT_MAX", cap)
        html = client.get(reverse("cases:workbench_count"), {"department": department.code}).content.decode()
        assert expected in html or (cap == 2 and "more than 2 cases" in html), cap
    # Only cooperated cases past the cap: the union is past it too.
    monkeypatch.setattr(views, "FILTER_COUNT_MAX", 1)
    Case.objects.filter(pk__in=[led.pk, both.pk]).update(lead_department=elsewhere)
    html = client.get(reverse("cases:workbench_count"), {"department": department.code}).content.decode()
    assert "超过 1 件" in html or "more than 1 cases" in html


def test_the_workbench_pages_with_a_cursor_and_links_back_to_the_first_page(client, people, monkeypatch):
    monkeypatch.setattr(views, "WORKBENCH_PAGE_SIZE", 2)
    start = timezone.now() - dt.timedelta(hours=3)
    cases = [report(people, f"占道 {i}", at=start + dt.timedelta(minutes=i)) for i in range(3)]
    login(client, people["center01"])

    response = client.get(reverse("cases:workbench"))
    first_page = response.context["rows"]
    assert [row["case"].pk for row in first_page] == [cases[2].pk, cases[1].pk]
    assert 'data-testid="next-page"' in response.content.decode()
    cursor = response.context["page"].next_cursor

    response = client.get(reverse("cases:workbench"), {"cursor": cursor})
    assert [row["case"].pk for row in response.context["rows"]] == [cases[0].pk]
    html = response.content.decode()
    assert 'data-testid="first-page"' in html and 'data-testid="next-page"' not in html


def test_a_bad_cursor_shows_the_first_page(client, people):
    case = report(people)
    response = login(client, people["center01"]).get(reverse("cases:workbench"), {"cursor": "garbage!"})
    assert response.status_code == 200 and case.number in response.content.decode()


def test_a_grid_worker_may_not_open_the_workbench_or_its_map_data(client, people):
    login(client, people["grid01"])
    assert client.get(reverse("cases:workbench")).status_code == 403
    assert client.get(reverse("cases:map_data")).status_code == 403


def test_the_map_data_holds_the_filtered_cases_with_their_light(client, people):
    case = report(people)
    other = report(people, category="parking.minor")
    response = login(client, people["center01"]).get(reverse("cases:map_data"), {"category": "parking.long_term"})
    body = response.json()
    assert [item["number"] for item in body["cases"]] == [case.number]
    assert body["cases"][0]["light"] == "green" and not body["truncated"]
    assert other.number not in response.content.decode()


def test_the_center_creates_a_case_from_the_new_case_form(client, people):
    grid = grid_of(people["grid01"])
    login(client, people["center01"])
    page = client.get(reverse("cases:new"))
    assert page.status_code == 200
    # The duplicate hint follows the category and the coordinates.
    assert 'id="duplicates"' in page.content.decode() and reverse("cases:duplicates") in page.content.decode()
    response = client.post(
        reverse("cases:new"),
        {
            "category": "parking.long_term",
            "description": "市民来电：小区门口车辆占道",
            "grid": grid.code,
            "urgency": "normal",
            "source": "center",
            "party_kind": "resident",
            "party_name": "张三丰",
            "party_phone": "13812348888",
        },
    )
    case = Case.objects.get(description="市民来电：小区门口车辆占道")
    assert response.status_code == 302 and response["Location"] == detail_url(case)
    assert case.grid_id == grid.pk and case.source == "center" and case.reporter == people["center01"]


def test_the_new_case_form_needs_a_grid_or_a_location_and_is_only_for_the_center(client, people):
    login(client, people["center01"])
    data = {"category": "parking.long_term", "description": "x", "urgency": "normal", "source": "center"}
    response = client.post(reverse("cases:new"), data)
    assert response.status_code == 422 and not Case.objects.exists()
    login(client, people["grid01"])
    assert client.get(reverse("cases:new")).status_code == 403


# --- the case page -----------------------------------------------------------------------


def action_forms(response):
    return [item["action"] for item in response.context["action_forms"]]


def test_the_case_page_shows_only_the_forms_the_viewer_may_use(client, people):
    case = report(people)
    response = login(client, people["center01"]).get(detail_url(case))
    assert response.status_code == 200
    forms = action_forms(response)
    assert "register" in forms and "void" in forms and "dispatch" not in forms
    assert 'data-testid="action-register"' in response.content.decode()

    services.case_act(case.pk, "register", actor=people["center01"])
    response = login(client, people["grid01"]).get(detail_url(case))
    html = response.content.decode()
    assert "dispatch" not in action_forms(response) and "register" not in action_forms(response)
    assert 'data-testid="action-dispatch"' not in html

    response = login(client, people["center01"]).get(detail_url(case))
    assert "dispatch" in action_forms(response)
    # The category's department is preselected as the lead.
    assert 'value="traffic_police" selected' in response.content.decode()


def test_a_case_the_viewer_may_not_see_is_not_found(client, people):
    case = report(people)
    response = login(client, people["grid02"]).get(detail_url(case))
    assert response.status_code == 404
    assert login(client, people["grid02"]).post(act_url(case, "register"), {"version": case.version}).status_code == 404


def test_actions_posted_from_the_page_move_the_case_and_show_in_the_timeline(client, people):
    case = report(people)
    login(client, people["center01"])
    response = client.post(act_url(case, "register"), {"version": case.version, "comment": "符合立案条件"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.REGISTERED

    # The lead ticked as a helper too is refused with a word, not dropped.
    response = client.post(
        act_url(case, "dispatch"),
        {"version": case.version, "lead": "traffic_police", "cooperating": ["traffic_police", "urban_mgmt"]},
    )
    assert response.status_code == 422
    assert "已是主办部门，不能同时作为协办部门" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.REGISTERED

    response = client.post(
        act_url(case, "dispatch"),
        {"version": case.version, "lead": "traffic_police", "cooperating": ["urban_mgmt"], "comment": "请尽快处理"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.lead_department.code == "traffic_police"
    assert [d.code for d in case.cooperating_departments.all()] == ["urban_mgmt"]

    html = client.get(detail_url(case)).content.decode()
    assert "符合立案条件" in html and "请尽快处理" in html
    assert 'data-event="dispatch"' in html


def test_a_stale_version_shows_the_conflict_message_and_keeps_the_typed_text(client, people):
    case = report(people)
    stale = case.version
    services.case_act(case.pk, "register", actor=people["center01"])  # someone else, meanwhile
    response = login(client, people["center01"]).post(
        act_url(case, "void"), {"version": stale, "comment": "重复上报，我写的理由"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="conflict"' in html
    assert "重复上报，我写的理由" in html
    case.refresh_from_db()
    assert case.status == Status.REGISTERED
    # The form now carries the current version, so sending it again works.
    form = next(item["form"] for item in response.context["action_forms"] if item["action"] == "void")
    assert int(form["version"].value()) == case.version


def test_a_missing_reason_shows_the_field_error(client, people):
    case = report(people)
    response = login(client, people["center01"]).post(act_url(case, "void"), {"version": case.version, "comment": ""})
    assert response.status_code == 422
    form = next(item["form"] for item in response.context["action_forms"] if item["action"] == "void")
    assert form.errors["comment"]
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_an_action_that_is_not_the_viewers_is_forbidden(client, people):
    case = report(people)
    response = login(client, people["grid01"]).post(act_url(case, "register"), {"version": case.version})
    assert response.status_code == 403
    assert 'data-testid="error-page"' in response.content.decode()


def test_the_party_is_masked_and_revealed_only_on_request_with_an_audit_row(client, people):
    case = report(people, party_kind="resident", party_name="张三丰", party_phone="13812348888")
    services.case_act(case.pk, "register", actor=people["center01"])
    services.case_act(case.pk, "dispatch", actor=people["center01"], departments=["traffic_police"])

    html = login(client, people["dept01"]).get(detail_url(case)).content.decode()
    assert "张**" in html and "138****8888" in html and "13812348888" not in html
    assert 'data-testid="reveal"' not in html
    assert client.post(reverse("cases:reveal", args=[case.pk])).status_code == 403

    login(client, people["center01"])
    html = client.get(detail_url(case)).content.decode()
    assert "13812348888" not in html and 'data-testid="reveal"' in html
    response = client.post(reverse("cases:reveal", args=[case.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "张三丰" in html and "13812348888" in html and "<html" not in html
    audits = AuditEvent.objects.filter(action="case.reveal_party", actor=people["center01"], object_id=str(case.pk))
    assert audits.count() == 1


# --- photos ------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_photos_are_streamed_to_viewers_of_the_case_only(client, people, media):
    case = report(people, photos=[Photo(file=io.BytesIO(jpeg_bytes()), kind="report")])
    photo = CaseAttachment.objects.get(case=case)
    login(client, people["center01"])
    html = client.get(detail_url(case)).content.decode()
    assert reverse("cases:attachment", args=[photo.pk, "thumbnail"]) in html
    for variant in ("original", "thumbnail", "display"):  # no thumbnail yet: the original
        response = client.get(reverse("cases:attachment", args=[photo.pk, variant]))
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert client.get(reverse("cases:attachment", args=[photo.pk, "exif"])).status_code == 404

    login(client, people["grid02"])
    assert client.get(reverse("cases:attachment", args=[photo.pk, "original"])).status_code == 404


def test_related_people_add_photos_from_the_case_page(client, people, media):
    case = report(people)
    login(client, people["grid01"])
    upload = io.BytesIO(jpeg_bytes((10, 120, 30)))
    upload.name = "scene.jpg"
    response = client.post(reverse("cases:photos", args=[case.pk]), {"photos": [upload], "comment": "补充现场照片"})
    assert response.status_code == 302
    assert CaseAttachment.objects.filter(case=case, kind="other").count() == 1
    assert case.events.filter(action="attach", comment="补充现场照片").exists()


def test_report_back_with_a_photo_from_the_action_form(client, people, media):
    case = report(people)
    services.case_act(case.pk, "register", actor=people["center01"])
    services.case_act(case.pk, "dispatch", actor=people["center01"], departments=["traffic_police"])
    case = services.case_act(case.pk, "acknowledge", actor=people["dept01"])
    upload = io.BytesIO(jpeg_bytes((0, 0, 200)))
    upload.name = "done.jpg"
    response = login(client, people["dept01"]).post(
        act_url(case, "report_back"), {"version": case.version, "result": "车辆已拖离", "photos": [upload]}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.AWAITING_VERIFICATION
    event = case.events.get(action="report_back")
    assert event.data["result"] == "车辆已拖离" and event.attachments.get().kind == "result"


# --- home and navigation -----------------------------------------------------------------


def test_the_home_page_shows_the_centers_queues_and_the_workbench_link(client, people):
    report(people)
    html = login(client, people["center01"]).get(reverse("home")).content.decode()
    assert 'data-panel="cases-center"' in html
    assert f'href="{reverse("cases:workbench")}?queue=to_register"' in html
    assert 'data-nav="case-workbench"' in html

    html = login(client, people["grid01"]).get(reverse("home")).content.decode()
    assert 'data-panel="cases-center"' not in html and 'data-nav="case-workbench"' not in html


def gps_jpeg(lat: float, lng: float, colour=(20, 120, 200)) -> bytes:
    """A JPEG whose EXIF says where the camera was (degrees as one rational each)."""
    from PIL.ExifTags import GPS, IFD
    from PIL.TiffImagePlugin import IFDRational

    exif = Image.Exif()
    exif[IFD.GPSInfo] = {
        GPS.GPSLatitudeRef: "N",
        GPS.GPSLatitude: (IFDRational(round(lat * 1_000_000), 1_000_000), IFDRational(0, 1), IFDRational(0, 1)),
        GPS.GPSLongitudeRef: "E",
        GPS.GPSLongitude: (IFDRational(round(lng * 1_000_000), 1_000_000), IFDRational(0, 1), IFDRational(0, 1)),
    }
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_the_case_page_says_how_far_from_the_case_each_photo_was_taken(client, people):
    grid = grid_of(people["grid01"])
    near = Photo(file=io.BytesIO(gps_jpeg(grid.center_lat, grid.center_lng + 0.0002)), kind="report")
    far = Photo(file=io.BytesIO(gps_jpeg(grid.center_lat + 0.02, grid.center_lng, (200, 20, 20))), kind="report")
    plain = Photo(file=io.BytesIO(jpeg_bytes()), kind="report")
    case = report(people, photos=[near, far, plain])
    login(client, people["center01"])
    html = client.get(detail_url(case)).content.decode()
    places = re.findall(r'class="photo-where( photo-far)?"[^>]*>([^<]*)<', html)
    # Two photos carry a position (about 17 m and 2.2 km away, the far one flagged); the plain one none.
    assert len(places) == 4  # each photo shows in the photo list and on its timeline entry
    assert sorted(bool(flag) for flag, _text in places) == [False, False, True, True]


def test_the_filtered_list_exports_to_excel_without_personal_data_and_is_audited(client, people):
    from openpyxl import load_workbook

    kept = report(people, "门口车辆占道", party_kind="resident", party_name="张三丰", party_phone="13812348888")
    other = report(people, "路灯不亮")
    login(client, people["center01"])
    page = client.get(reverse("cases:workbench"), {"text": "占道"}).content.decode()
    assert reverse("cases:export") + "?text=" in page
    response = client.get(reverse("cases:export"), {"text": "占道"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    numbers = [row[0] for row in values[1:]]
    assert numbers == [kept.number] and other.number not in numbers
    flat = " ".join(str(cell) for row in values for cell in row)
    assert "张三丰" not in flat and "13812348888" not in flat
    audit = AuditEvent.objects.get(action="case.export")
    assert audit.actor == people["center01"] and audit.data == {"rows": 1, "filters": {"text": "占道"}}
    # Only workbench users may export.
    assert login(client, people["grid01"]).get(reverse("cases:export")).status_code == 403


def test_an_export_over_the_limit_says_it_was_cut(client, people, monkeypatch):
    from openpyxl import load_workbook

    from gridgov.cases import export

    monkeypatch.setattr(export, "EXPORT_LIMIT", 1)
    report(people, "甲")
    newest = report(people, "乙")
    response = login(client, people["center01"]).get(reverse("cases:export"))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == newest.number and len(rows) == 3 and "1" in str(rows[2][0])


def test_registering_on_the_case_page_can_correct_the_grid(client, people):
    case = report(people)
    grid = grid_of(people["grid01"])
    sibling = Area.objects.current().filter(parent_id=grid.parent_id, level="grid").exclude(pk=grid.pk).first()
    login(client, people["center01"])
    html = client.get(detail_url(case)).content.decode()
    assert 'name="grid"' in html and f'value="{sibling.code}"' in html
    response = client.post(act_url(case, "register"), {"version": case.version, "grid": sibling.code})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.grid_id == sibling.pk
    page = client.get(detail_url(case)).content.decode()
    assert sibling.name in page and grid.name in page  # the timeline says from which grid to which


def test_the_api_registers_with_a_corrected_grid(people):
    from django.test import Client

    from gridgov.people.services import token_issue

    case = report(people)
    grid = grid_of(people["grid01"])
    sibling = Area.objects.current().filter(parent_id=grid.parent_id, level="grid").exclude(pk=grid.pk).first()
    _token, raw = token_issue(actor=people["center01"], user=people["center01"], name="desk")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    url = f"/api/v1/cases/{case.pk}/actions/register"
    bad = client.post(url, {"grid": "00000000000000"}, content_type="application/json")
    assert bad.status_code == 422 and "grid" in bad.json()["error"]["details"]
    done = client.post(url, {"grid": sibling.code}, content_type="application/json")
    assert done.status_code == 200 and done.json()["grid"]["code"] == sibling.code


def test_a_report_back_without_the_required_photo_is_refused_at_the_top_and_by_the_field(client, people, media):
    """The category asks for a result photo: the form says so before, and a report-back sent
    without one is refused with the error in a summary at the top and beside the field."""
    case = report(people)
    services.case_act(case.pk, "register", actor=people["center01"])
    services.case_act(case.pk, "dispatch", actor=people["center01"], departments=["traffic_police"])
    case = services.case_act(case.pk, "acknowledge", actor=people["dept01"])
    login(client, people["dept01"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="id_report_back_photos_helptext"' in page
    response = client.post(act_url(case, "report_back"), {"version": case.version, "result": "车辆已拖离"})
    assert response.status_code == 422
    html = response.content.decode()
    summary = html.split('data-testid="action-errors"')[1].split("</div>")[0]
    assert "#id_report_back_photos" in summary
    assert html.count("field-error") >= 1
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS


def test_the_count_note_groups_digits_as_the_language_does_and_uses_its_colon():
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("en"):
        many = render_to_string("cases/_count.html", {"figure_total": 10000, "figure_more": True})
    with translation.override("zh-hans"):
        labelled = render_to_string("cases/_count.html", {"figure_total": 4, "figure_label": "已上报"})
    assert "more than 10,000 cases" in many, many  # grouped as the language writes it (zh: 10000)
    assert "已上报：4 件" in labelled, labelled
