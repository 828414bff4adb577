"""The import pages: who may open them, that they render in Chinese, and that no petitioner phone
shows in clear in the mapping, the preview, the report or its workbook."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.hotline import services as order_services
from gridgov.hotline.importing import services
from gridgov.hotline.models import HotlineOrder, ImportJob, ImportStatus

from .import_setup import gbk_csv, make_town, messy_workbook, order_data, upload

pytestmark = pytest.mark.django_db

FULL_PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{9,11})(?!\d)")
CLEAR_PHONES = ("13812348888", "138 1234 8888", "13900001111", "139-0000-1111", "2345 6789", "13900001234")


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()


@pytest.fixture
def town() -> Any:
    return make_town()


def client_for(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def _no_clear_phone(html: str) -> None:
    for phone in CLEAR_PHONES:
        assert phone not in html
    assert not FULL_PHONE.search(html), FULL_PHONE.search(html)


def _upload(client: Client, town: Any, content: bytes, name: str = "export.xlsx") -> Any:
    """The upload form posted; the worker reads the file once the upload is committed."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse("hotline:import-list"),
            {"town": town.town.pk, "source_system": "district", "file": SimpleUploadedFile(name, content)},
        )


def test_the_whole_flow_through_the_pages(town, django_capture_on_commit_callbacks):
    center = town.users["center"]
    order_services.order_receive(actor=center, data=order_data("HL-900", town.town), channel="manual")
    client = client_for(center)

    page = client.get(reverse("hotline:import-list"))
    assert page.status_code == 200
    # The shell is Chinese (the import's own strings are translated with the rest of the UI).
    assert 'lang="zh-hans"' in page.content.decode()
    assert "网格化服务管理平台" in page.content.decode()

    response = _upload(client, town, messy_workbook())
    job = ImportJob.objects.get()
    assert response.status_code == 302
    # The job's page, which (the file read) sends on to the mapping.
    assert response["Location"] == reverse("hotline:import-detail", args=[job.pk])
    assert client.get(response["Location"])["Location"] == reverse("hotline:import-mapping", args=[job.pk])

    mapping_page = client.get(reverse("hotline:import-mapping", args=[job.pk]))
    html = mapping_page.content.decode()
    assert mapping_page.status_code == 200
    assert "工单编号" in html and "诉求内容" in html
    assert "138****8888" in html
    _no_clear_phone(html)

    fields = dict(job.mapping)
    response = client.post(reverse("hotline:import-mapping", args=[job.pk]), fields)
    assert response.status_code == 302
    assert response["Location"] == reverse("hotline:import-preview", args=[job.pk])

    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert preview.status_code == 200
    assert 'data-count="create">8<' in html
    assert 'data-count="unchanged">1<' in html
    assert 'data-count="skip">3<' in html
    assert 'data-count="review">2<' in html
    assert 'data-row="12" data-outcome="skip"' in html
    assert "重复" in html or "Duplicate" in html
    assert "138****8888" in html
    _no_clear_phone(html)

    problems = client.get(response["Location"] + "?show=problems").content.decode()
    assert 'data-outcome="create"' not in problems
    assert problems.count('data-outcome="skip"') == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("hotline:import-start", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.error

    report = client.get(reverse("hotline:import-detail", args=[job.pk]))
    html = report.content.decode()
    assert report.status_code == 200
    assert 'data-count="created">8<' in html
    assert 'data-count="skipped">3<' in html
    assert 'data-row="12" data-outcome="skipped"' in html
    _no_clear_phone(html)

    progress = client.get(reverse("hotline:import-progress", args=[job.pk]))
    assert progress.json() == {"status": "done", "processed": 12, "total": 12, "percent": 100, "finished": True}
    fragment = client.get(reverse("hotline:import-progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert fragment["HX-Redirect"] == reverse("hotline:import-detail", args=[job.pk])

    download = client.get(reverse("hotline:import-report", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(download.content))
    sheet = book.active
    assert sheet is not None
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    text = str(cells)
    _no_clear_phone(text)
    data = [row for row in cells if row and isinstance(row[0], int)]
    assert [(row[0], row[1]) for row in data][:2] == [(5, "HL-001"), (6, "HL-002")]
    assert len(data) == 12
    assert HotlineOrder.objects.filter(channel="import").count() == 8


def test_the_progress_page_polls_while_the_import_runs(town):
    job = upload(town.users["center"], town.town, messy_workbook(), "a.xlsx")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING)
    services.progress_set(job.pk, status=ImportStatus.IMPORTING, processed=3, total=12)
    client = client_for(town.users["center"])
    page = client.get(reverse("hotline:import-detail", args=[job.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'hx-get="{}"'.format(reverse("hotline:import-progress", args=[job.pk])) in html
    assert 'value="25"' in html
    assert client.get(reverse("hotline:import-progress", args=[job.pk])).json() == {
        "status": "importing",
        "processed": 3,
        "total": 12,
        "percent": 25,
        "finished": False,
    }
    fragment = client.get(reverse("hotline:import-progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "HX-Redirect" not in fragment
    assert "3" in fragment.content.decode()


def test_a_gbk_csv_through_the_pages(town):
    client = client_for(town.users["center"])
    response = _upload(client, town, gbk_csv(), name="gbk.csv")
    assert response.status_code == 302
    html = client.get(response["Location"], follow=True).content.decode()
    assert "工单号" in html and "受理时间" in html
    _no_clear_phone(html)


def test_a_bad_upload_shows_the_reason_in_chinese(town):
    client = client_for(town.users["center"])
    response = _upload(client, town, b"not a workbook")
    assert response.status_code == 422
    assert not ImportJob.objects.exists()
    html = response.content.decode()
    assert "Excel" in html


def test_an_incomplete_mapping_is_shown_again(town):
    client = client_for(town.users["center"])
    _upload(client, town, messy_workbook())
    job = ImportJob.objects.get()
    fields = {name: column for name, column in job.mapping.items() if name != "content"}
    response = client.post(reverse("hotline:import-mapping", args=[job.pk]), fields)
    assert response.status_code == 422
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


@pytest.mark.parametrize("name", ["leader", "handler", "worker", "supervisor", "nobody"])
def test_other_roles_are_refused(town, name):
    job = upload(town.users["center"], town.town, messy_workbook(), "a.xlsx")
    client = client_for(town.users[name])
    assert client.get(reverse("hotline:import-list")).status_code == 403
    assert _upload(client, town, messy_workbook()).status_code == 403
    for route in ("import-detail", "import-mapping", "import-preview", "import-progress", "import-report"):
        assert client.get(reverse(f"hotline:{route}", args=[job.pk])).status_code == 403, route
    assert client.post(reverse("hotline:import-start", args=[job.pk])).status_code == 403
    assert ImportJob.objects.count() == 1


def test_the_center_of_another_town_does_not_see_the_job(town):
    job = upload(town.users["center"], town.town, messy_workbook(), "a.xlsx")
    client = client_for(town.users["other_center"])
    listing = client.get(reverse("hotline:import-list"))
    assert listing.status_code == 200
    assert "a.xlsx" not in listing.content.decode()
    for route in ("import-detail", "import-mapping", "import-preview", "import-progress", "import-report"):
        assert client.get(reverse(f"hotline:{route}", args=[job.pk])).status_code == 404, route
    assert client.post(reverse("hotline:import-start", args=[job.pk])).status_code == 404
    # Nor may it upload for a town that is not its own.
    assert _upload(client, town, messy_workbook()).status_code == 422  # not a choice of the form
    assert ImportJob.objects.count() == 1


@pytest.mark.parametrize("name", ["admin", "superuser"])
def test_administrators_see_every_town_and_preview(town, name):
    job = upload(town.users["center"], town.town, messy_workbook(), "a.xlsx")
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    client = client_for(town.users[name])
    listing = client.get(reverse("hotline:import-list"))
    assert listing.status_code == 200
    assert "a.xlsx" in listing.content.decode()
    assert client.get(reverse("hotline:import-preview", args=[job.pk])).status_code == 200


def test_anonymous_visitors_are_sent_to_the_login(town):
    response = Client().get(reverse("hotline:import-list"))
    assert response.status_code == 302
    assert "login" in response["Location"]
