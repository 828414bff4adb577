"""The staff public notice: public pages logged out (only what is published), residents'
reports (abuse limits, honeypot, tracking, spam), conduct complaints (supervisors only, reveals
audited) and posters (the reprint flag when staff change)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from PIL import Image

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.cases.models import Case, Source, Status
from gridgov.categories.models import Category
from gridgov.core.models import AuditEvent
from gridgov.notice import selectors, services
from gridgov.notice.models import ConductComplaint, Poster, Publication, PublicLimit, PublicReport
from gridgov.people.models import RoleAssignment, StaffProfile

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def home_grid(user: Any) -> Area:
    area_id = next(area for role, area, _d in scope_for(user).assignments if area and role == "grid_worker")
    return Area.objects.get(pk=area_id)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def publish(user: Any, **fields: Any) -> Publication:
    defaults = {"published": True, "work_phone": "022-1234567", "duties": "巡查走访", "service_hours": "8:30-17:30"}
    defaults.update(fields)
    publication, _created = Publication.objects.update_or_create(user=user, defaults=defaults)
    return publication


def minor() -> Category:
    return Category.objects.filter(parent__isnull=False, is_active=True).order_by("code").first()  # type: ignore[return-value]


def png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "p.png"
    return buffer


# --- Public pages -----------------------------------------------------------------------------


def test_public_grid_page_logged_out_shows_only_published(people: dict[str, Any]) -> None:
    worker = people["grid01"]
    grid = home_grid(worker)
    StaffProfile.objects.update_or_create(user=worker, defaults={"full_name": "网格员甲", "phone": "13900001111"})
    publish(worker, display_name="网格员甲")
    response = Client().get(reverse("notice:public", args=[grid.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "网格员甲" in page and "022-1234567" in page and "8:30-17:30" in page
    assert "13900001111" not in page  # the personal phone is never published
    assert "csrfmiddlewaretoken" not in page  # the cached page holds nothing of a viewer

    Publication.objects.filter(user=worker).update(published=False)
    selectors.version_bump()
    assert "网格员甲" not in Client().get(reverse("notice:public", args=[grid.code])).content.decode()


def test_public_page_is_cached_and_invalidated(people: dict[str, Any], django_assert_num_queries: Any) -> None:
    worker = people["grid01"]
    grid = home_grid(worker)
    publish(worker, display_name="甲")
    url = reverse("notice:public", args=[grid.code])
    Client().get(url)
    client = Client()
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200
    publish(worker, display_name="乙")  # the save bumps the version
    assert "乙" in client.get(url).content.decode()


def test_village_page_and_unknown_code(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    assert grid.parent is not None
    leader = people["gridlead01"]
    publish(leader, display_name="网格长甲")
    page = Client().get(reverse("notice:public", args=[grid.parent.code]))
    assert page.status_code == 200
    assert page.content.decode().count("网格长甲") == 1  # once above the grids, not once per grid
    assert Client().get(reverse("notice:public", args=["nowhere"])).status_code == 404


def test_photo_only_when_published(people: dict[str, Any]) -> None:
    worker = people["grid01"]
    profile, _created = StaffProfile.objects.get_or_create(user=worker, defaults={"full_name": "甲"})
    profile.photo.save("a.png", png(), save=True)
    url = reverse("notice:photo", args=[worker.pk])
    assert Client().get(url).status_code == 404
    publish(worker)
    assert Client().get(url).status_code == 200
    Publication.objects.filter(user=worker).update(show_photo=False)
    assert Client().get(url).status_code == 404
    Publication.objects.filter(user=worker).update(show_photo=True)
    RoleAssignment.objects.filter(user=worker, role__in=["grid_worker", "grid_leader"]).delete()
    assert Client().get(url).status_code == 404  # no longer serving a grid: no longer public


# --- Residents' reports ------------------------------------------------------------------------


def test_every_public_page_names_the_town_in_its_header(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    town = next(a for a in Area.objects.filter(pk__in=grid.ancestor_ids()) if a.level == "town")
    header = f'data-testid="notice-town">{town.name}'
    assert grid.parent is not None
    pages = [
        reverse("notice:public", args=[grid.code]),
        reverse("notice:public", args=[grid.parent.code]),
        reverse("notice:report", args=[grid.code]),
        reverse("notice:complaint", args=[grid.code]),
    ]
    for url in pages:
        assert header in Client().get(url).content.decode(), url
    report_post(Client(), grid)
    report = PublicReport.objects.get()
    assert header in Client().get(reverse("notice:track", args=[report.code])).content.decode()
    # Without a place to know the town by, the centre's name alone.
    assert 'data-testid="notice-town">' in Client().get(reverse("notice:track-form")).content.decode()


def report_post(client: Client, grid: Area, **extra: Any) -> Any:
    data = {"category": minor().code, "description": "路灯坏了", "name": "王五", "phone": "13800002222", **extra}
    return client.post(reverse("notice:report", args=[grid.code]), data)


def test_public_report_creates_a_public_case_and_tracking(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    client = Client()
    assert client.get(reverse("notice:report", args=[grid.code])).status_code == 200
    response = report_post(client, grid, photos=png())
    assert response.status_code == 200
    report = PublicReport.objects.get()
    case = report.case
    assert case.source == Source.PUBLIC and case.status == Status.REPORTED and case.grid_id == grid.pk
    assert case.reporter_id is None and case.party_phone == "13800002222"
    assert case.attachments.count() == 1
    assert report.code in response.content.decode()

    page = Client().get(reverse("notice:track", args=[report.code])).content.decode()
    assert case.category.name in page
    assert "王五" not in page and "13800002222" not in page and case.number not in page
    assert Client().get(reverse("notice:track", args=["ZZZZZZZZZZ"])).status_code == 404


def test_the_same_form_sent_twice_makes_one_case(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    first = report_post(Client(), grid, idempotency_key="a" * 32)
    again = report_post(Client(), grid, idempotency_key="a" * 32)
    report = PublicReport.objects.get()
    assert report.code in first.content.decode() and report.code in again.content.decode()
    assert Case.objects.filter(source=Source.PUBLIC).count() == 1
    report_post(Client(), grid, idempotency_key="b" * 32)
    assert Case.objects.filter(source=Source.PUBLIC).count() == 2


def test_honeypot_keeps_nothing(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    response = report_post(Client(), grid, website="http://spam.example")
    assert response.status_code == 200
    assert not Case.objects.filter(source=Source.PUBLIC).exists()
    # The robot is answered as any resident is: a tracking code of the usual shape, which leads
    # to the same "not found" as a mistyped one.
    page = response.content.decode()
    found = re.search(r'data-testid="tracking-code">([0-9A-Z]{10})<', page)
    assert found and not PublicReport.objects.filter(code=found.group(1)).exists()
    assert Client().get(reverse("notice:track", args=[found.group(1)])).status_code == 404
    complaint = Client().post(
        reverse("notice:complaint", args=[grid.code]), {"text": "广告", "website": "http://spam.example"}
    )
    code = re.search(r'data-testid="complaint-code">([0-9A-Z]{10})<', complaint.content.decode())
    assert code and not ConductComplaint.objects.exists()
    assert Client().get(reverse("notice:complaint-track", args=[code.group(1)])).status_code == 404


def test_rate_limits_per_client_and_phone(people: dict[str, Any], settings: Any) -> None:
    grid = home_grid(people["grid01"])
    settings.GRIDGOV_PUBLIC_REPORTS_PER_CLIENT_HOUR = 2
    settings.GRIDGOV_PUBLIC_REPORTS_PER_PHONE_DAY = 10
    client = Client()
    assert report_post(client, grid).status_code == 200
    assert report_post(client, grid).status_code == 200
    assert report_post(client, grid).status_code == 429
    assert PublicReport.objects.count() == 2

    PublicLimit.objects.all().delete()
    settings.GRIDGOV_PUBLIC_REPORTS_PER_CLIENT_HOUR = 10
    settings.GRIDGOV_PUBLIC_REPORTS_PER_PHONE_DAY = 1
    assert report_post(Client(REMOTE_ADDR="10.0.0.1"), grid).status_code == 200
    assert report_post(Client(REMOTE_ADDR="10.0.0.2"), grid).status_code == 429


def test_the_phone_limit_sees_one_phone_in_every_format_and_refusals_do_not_count(
    people: dict[str, Any], settings: Any
) -> None:
    grid = home_grid(people["grid01"])
    settings.GRIDGOV_PUBLIC_REPORTS_PER_CLIENT_HOUR = 2
    settings.GRIDGOV_PUBLIC_REPORTS_PER_PHONE_DAY = 1
    client = Client(REMOTE_ADDR="10.0.0.9")
    for _attempt in range(3):  # mistakes are refused but use up nothing
        assert report_post(client, grid, description="").status_code == 422
    assert report_post(client, grid, phone="139 1234 5678").status_code == 200
    for same in ("+86 13912345678", "0086-139-1234-5678", "(86)13912345678", "8613912345678"):
        assert report_post(Client(REMOTE_ADDR="10.0.1.1"), grid, phone=same).status_code == 429
    assert PublicReport.objects.count() == 1


def test_behind_the_proxy_each_resident_is_counted_apart(people: dict[str, Any], settings: Any) -> None:
    grid = home_grid(people["grid01"])
    settings.GRIDGOV_TRUSTED_PROXY_COUNT = 1
    settings.GRIDGOV_PUBLIC_REPORTS_PER_CLIENT_HOUR = 1
    settings.GRIDGOV_PUBLIC_REPORTS_PER_PHONE_DAY = 10

    def resident(address: str) -> Client:
        return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=address)

    assert report_post(resident("192.0.2.1"), grid).status_code == 200
    assert report_post(resident("192.0.2.2"), grid).status_code == 200
    assert report_post(resident("192.0.2.1"), grid).status_code == 429


def test_a_used_key_with_another_text_is_refused_with_a_new_key(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    report_post(Client(), grid, idempotency_key="c" * 32)
    response = report_post(Client(), grid, idempotency_key="c" * 32, description="闻到燃气味")
    assert response.status_code == 422
    page = response.content.decode()
    assert "闻到燃气味" in page and "c" * 32 not in page  # the text kept, the key renewed
    assert PublicReport.objects.count() == 1


def test_invalid_report_is_refused_with_the_form(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    response = report_post(Client(), grid, description="", phone="abc")
    assert response.status_code == 422
    assert not PublicReport.objects.exists()


def test_spam_voids_the_case_with_reason(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    report = services.public_report_submit(client="1.2.3.4", area=grid, category=minor().code, description="广告")
    # A grid worker cannot mark spam; the center can.
    assert (
        client_for(people["grid01"]).post(reverse("notice:report-spam", args=[report.pk]), {"reason": "x"}).status_code
        == 403
    )
    response = client_for(people["center01"]).post(reverse("notice:report-spam", args=[report.pk]), {"reason": "广告"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.spam and report.case.status == Status.VOIDED
    assert report.case.events.filter(action="void", comment__contains="广告").exists()
    page = Client().get(reverse("notice:track", args=[report.code])).content.decode()
    assert "广告" not in page  # neither the text nor the reason
    again = client_for(people["center01"]).post(reverse("notice:report-spam", args=[report.pk]), {"reason": "广告"})
    assert again.status_code == 302  # sent twice: settled already, not a server error


# --- Conduct complaints -------------------------------------------------------------------------


def test_complaint_visible_to_supervisors_only_and_reveal_audited(people: dict[str, Any]) -> None:
    worker = people["grid01"]
    grid = home_grid(worker)
    publish(worker, display_name="甲")
    response = Client().post(
        reverse("notice:complaint", args=[grid.code]),
        {"concerning": worker.pk, "text": "态度恶劣，推诿扯皮", "name": "赵六", "phone": "13700003333"},
    )
    assert response.status_code == 200
    complaint = ConductComplaint.objects.get()
    assert complaint.concerning_id == worker.pk and complaint.text == "态度恶劣，推诿扯皮"

    assert client_for(people["center01"]).get(reverse("notice:complaints")).status_code == 403
    assert client_for(people["admin"]).get(reverse("notice:complaints")).status_code == 403
    supervisor = client_for(people["super01"])
    # The discipline office handles complaints on its own pages (gridgov.oversight).
    assert supervisor.get(reverse("notice:complaints"))["Location"] == reverse("oversight:complaints")
    page = supervisor.get(reverse("oversight:complaints")).content.decode()
    assert "态度恶劣" not in page and "13700003333" not in page and "137****3333" in page
    revealed = supervisor.post(reverse("oversight:complaint", args=[complaint.pk])).content.decode()
    assert "态度恶劣" in revealed and "13700003333" in revealed
    assert AuditEvent.objects.filter(action="notice.complaint_reveal", object_id=str(complaint.pk)).count() == 1


# --- Posters and what is published --------------------------------------------------------------


def test_poster_and_reprint_flag_when_staff_change(people: dict[str, Any]) -> None:
    worker = people["grid01"]
    grid = home_grid(worker)
    publish(worker, display_name="甲")
    center = client_for(people["center01"])
    assert center.post(reverse("notice:poster-generate", args=[grid.code])).status_code == 302
    poster = Poster.objects.get(grid=grid)
    assert poster.pdf.open("rb").read(5) == b"%PDF-"
    page = center.get(reverse("notice:manage")).content.decode()
    assert 'data-testid="reprint"' not in page
    publish(worker, display_name="甲", work_phone="022-7654321")
    page = center.get(reverse("notice:manage")).content.decode()
    assert 'data-testid="reprint"' in page
    assert center.get(reverse("notice:poster-download", args=[poster.pk])).status_code == 200
    assert client_for(people["grid01"]).get(reverse("notice:poster-download", args=[poster.pk])).status_code == 403


def test_publication_edit_by_the_center_only(people: dict[str, Any]) -> None:
    worker = people["grid01"]
    url = reverse("notice:publication", args=[worker.pk])
    assert client_for(people["grid02"]).get(url).status_code == 403
    center = client_for(people["center01"])
    response = center.post(
        url,
        {
            "published": "on",
            "display_name": "甲",
            "show_photo": "on",
            "work_phone": "022-1",
            "duties": "d",
            "service_hours": "h",
        },
    )
    assert response.status_code == 302
    assert Publication.objects.get(user=worker).published
    assert AuditEvent.objects.filter(action="notice.publication_save").exists()
    assert center.get(reverse("notice:publication", args=[people["dept01"].pk])).status_code == 404


def test_the_discipline_supervisor_reads_but_does_not_manage_the_notice(people: dict[str, Any]) -> None:
    """The supervisor reads everything, but the notice is the center's: no poster, no edit, no
    spam verdict (a refusal, not a server error)."""
    worker = people["grid01"]
    grid = home_grid(worker)
    report = services.public_report_submit(client="1.2.3.4", area=grid, category=minor().code, description="广告")
    supervisor = client_for(people["super01"])
    assert supervisor.post(reverse("notice:poster-generate", args=[grid.code])).status_code in (403, 404)
    assert supervisor.get(reverse("notice:publication", args=[worker.pk])).status_code in (403, 404)
    assert supervisor.post(reverse("notice:report-spam", args=[report.pk]), {"reason": "x"}).status_code in (403, 404)
    assert not Poster.objects.exists() and not PublicReport.objects.filter(spam=True).exists()
    assert selectors.center_towns(people["super01"]) == []


def test_village_report_needs_the_place_and_locates_it(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    village = grid.parent
    assert village is not None and grid.center_lat is not None
    url = reverse("notice:report", args=[village.code])
    data = {"category": minor().code, "description": "垃圾堆放"}
    assert Client().post(url, data).status_code == 422
    response = Client().post(url, {**data, "lat": grid.center_lat, "lng": grid.center_lng})
    assert response.status_code == 200
    assert PublicReport.objects.get().case.grid_id == grid.pk


def test_tracking_result_masks_long_numbers(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    report = services.public_report_submit(client="9.9.9.9", area=grid, category=minor().code, description="x")
    report.case.events.create(action="close", at=report.case.reported_at, comment="已修复，联系人 13912345678")
    assert services.public_result(report.case) == "已修复，联系人 ****"


def test_tracking_result_is_the_report_backs_result_where_the_department_wrote_it(people: dict[str, Any]) -> None:
    # A report back keeps its result in the event's data, its comment empty (the API's
    # ``result`` field): the resident read no result at all.
    grid = home_grid(people["grid01"])
    report = services.public_report_submit(client="9.9.9.9", area=grid, category=minor().code, description="x")
    at = report.case.reported_at
    result = {"result": "已更换灯泡，电话 138-1234-8888"}
    report.case.events.create(action="report_back", at=at, comment="", data=result)
    report.case.events.create(action="close", at=at, comment="")
    assert services.public_result(report.case) == "已更换灯泡，电话 ****"
    for written in ("138.1234.8888", "138－1234－8888", "138/1234/8888", "138_1234_8888", "(022)6332-1234"):
        assert not any(ch.isdigit() for ch in services._LONG_DIGITS.sub("****", written)), written
    assert services._LONG_DIGITS.sub("****", "3 处，12 米") == "3 处，12 米"  # short numbers stay


def test_demo_notice(people: dict[str, Any], settings: Any) -> None:
    from gridgov.demo.notice import load_demo_notice

    settings.DEBUG = True
    assert load_demo_notice() > 0
    assert sorted(PublicReport.objects.values_list("case__status", flat=True)) == ["registered", "reported", "voided"]
    # Each report is filed under the category its text is about.
    assert {
        r.case.description[:4]: r.case.category.name for r in PublicReport.objects.select_related("case__category")
    }["路灯不亮"] == "路灯不亮"
    assert ConductComplaint.objects.count() == 1
    grids = selectors.grids_managed(people["center01"])
    posters = selectors.latest_posters(grids)
    reprint = [p for p in posters.values() if p.fingerprint != selectors.staff_fingerprint(p.grid)]
    assert len(posters) == 4 and [p.grid_id for p in reprint] == [home_grid(people["grid01"]).pk]
    assert load_demo_notice() == 0  # once only


def test_the_center_is_warned_while_posters_would_carry_a_local_address(people: dict[str, Any], settings: Any) -> None:
    center = client_for(people["center01"])
    settings.GRIDGOV_PUBLIC_BASE_URL = ""
    assert 'data-testid="qr-base-warning"' in center.get(reverse("notice:manage")).content.decode()
    settings.GRIDGOV_PUBLIC_BASE_URL = "https://gridgov.example.gov.cn"
    assert 'data-testid="qr-base-warning"' not in center.get(reverse("notice:manage")).content.decode()


def test_a_resident_who_chooses_no_category_is_asked_to(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    form = Client().get(reverse("notice:report", args=[grid.code])).content.decode()
    assert '<option value="" selected>' in form
    assert report_post(Client(), grid, category="").status_code == 422
    assert not PublicReport.objects.exists()


def test_the_same_complaint_form_sent_twice_is_one_complaint(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    url = reverse("notice:complaint", args=[grid.code])
    data = {"text": "办事推诿", "idempotency_key": "q" * 32}
    first = Client().post(url, data)
    again = Client().post(url, data)
    code = ConductComplaint.objects.get().code
    assert code and code in first.content.decode() and code in again.content.decode()
    other = Client().post(url, {**data, "text": "另一件事"})
    assert other.status_code == 422 and ConductComplaint.objects.count() == 1


def test_the_center_s_list_shows_the_start_of_each_report_to_judge_spam(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    text = "加微信领红包" + "快来" * 40
    assert report_post(Client(), grid, description=text).status_code == 200
    page = client_for(people["center01"]).get(reverse("notice:reports")).content.decode()
    excerpt = page[page.index('data-testid="report-excerpt"') :]
    excerpt = excerpt[excerpt.index(">") + 1 : excerpt.index("</td>")]
    assert excerpt.startswith("加微信领红包") and len(excerpt) == 60 and text not in page.replace('title="' + text, "")


def test_the_complaint_form_carries_its_key_without_a_label(people: dict[str, Any]) -> None:
    page = Client().get(reverse("notice:complaint", args=[home_grid(people["grid01"]).code])).content.decode()
    assert re.search(r'type="hidden" name="idempotency_key" value="[0-9a-f]{32}"', page)
    assert "Idempotency key" not in page and 'for="id_idempotency_key"' not in page


def test_a_village_page_refuses_a_place_in_another_village(people: dict[str, Any]) -> None:
    here = home_grid(people["grid01"])
    there = home_grid(people["grid02"])
    assert here.parent_id != there.parent_id
    village = here.parent
    assert village is not None
    url = reverse("notice:report", args=[village.code])
    data = {"category": minor().code, "description": "路灯坏了", "lat": there.center_lat, "lng": there.center_lng}
    refused = Client().post(url, data)
    assert refused.status_code == 422 and village.name in refused.content.decode()
    assert not Case.objects.filter(source=Source.PUBLIC).exists()
    inside = Client().post(url, {**data, "lat": here.center_lat, "lng": here.center_lng})
    assert inside.status_code == 200
    assert Case.objects.get(source=Source.PUBLIC).grid_id == here.pk


def test_the_report_form_offers_the_phone_s_location(people: dict[str, Any]) -> None:
    village = home_grid(people["grid01"]).parent
    assert village is not None
    page = Client().get(reverse("notice:report", args=[village.code])).content.decode()
    assert 'data-testid="use-my-location"' in page and 'type="tel"' in page
