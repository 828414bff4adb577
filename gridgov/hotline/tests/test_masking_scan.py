"""No petitioner's phone (or address) in full anywhere a user can look without pressing
"reveal": every hotline page, the API, the Excel exports, the import pages and report, the
notifications (rows and API), the upstream outbox page and payloads, the order history.

Orders are the demo's (received and moved through the services, with known petitioners),
plus an import of a file that carries phones. Each role fetches everything it can reach and
the responses are scanned for every known phone number and address.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.hotline.models import HotlineOrder, ImportJob, OrderEvent
from gridgov.notify.models import Notification

NOW = timezone.make_aware(dt.datetime(2026, 11, 25, 15, 20))
ORDERS = 30
IMPORT_PHONES = ("13511112222", "13633334444")
# Roles without the right to reveal the petitioner (departments: not for complaints without a
# grant; they see the masked copy on every page like the rest).
NO_REVEAL = ("super01", "admin", "upstream01", "dept01", "dept02", "grid01", "gridlead01")
# The center and the leaders may reveal, but only by asking (recorded): lists, exports, the API
# and notifications stay masked for them too.
REVEALERS = ("center01", "leader01")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def media(tmp_path_factory: Any) -> Any:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _module_media(media: Any, settings: Any) -> None:
    """The imported file lives in the module's media folder (not each test's)."""
    settings.MEDIA_ROOT = media


@pytest.fixture(scope="module")
def demo(taiping: Any, django_db_blocker: Any, media: Any) -> Any:
    """The demo with its orders and one import, made once for the module (in the transaction of
    ``taiping``, rolled back after the module)."""
    from gridgov.demo.hotline import generate_demo_orders

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        generate_demo_orders(count=ORDERS, now=NOW)
        _import(get_user_model().objects.get(username="center01"))


def _import(center: Any) -> None:
    """A small upstream export with phones, imported by the center (one row imported, one
    skipped), so that the import pages and report have petitioners to leak."""
    from gridgov.areas.models import Area
    from gridgov.hotline.importing import services as importing

    from .import_setup import upload

    rows = [
        "工单编号,来电时间,诉求类型,诉求内容,来电人,联系电话,联系地址",
        f"IMP20261120001,2026-11-20 09:30,投诉,小区门口占道经营,赵志明,{IMPORT_PHONES[0]},太平村88号",
        f"IMP20261120002,not a date,咨询,医保缴费咨询,钱玉兰,{IMPORT_PHONES[1]},东兴村5号",
    ]
    town = Area.objects.get(code="120116104000")
    job = upload(center, town, "\n".join(rows).encode(), "export.csv")
    job = importing.import_map(actor=center, job_id=job.pk, mapping=job.mapping)
    importing.import_start(actor=center, job_id=job.pk)
    importing.import_run(job_id=job.pk, actor=center)  # the task, which waits for a commit here


@pytest.fixture
def secrets(demo: Any, db: Any) -> dict[str, list[str]]:
    """The petitioners' phones and addresses in clear (decrypted from the orders)."""
    phones: list[str] = list(IMPORT_PHONES)
    addresses: list[str] = []
    for order in HotlineOrder.objects.all():
        if order.petitioner_phone:
            phones.append(order.petitioner_phone)
        if order.petitioner_address:
            addresses.append(order.petitioner_address)
    assert len(phones) > 10 and len(addresses) > 10
    return {"phones": phones, "addresses": addresses}


def _leaks(text: str, secrets: dict[str, list[str]]) -> list[str]:
    return [value for values in secrets.values() for value in values if value in text]


def _text(response: Any) -> str:
    """The response body as text; a workbook's cells joined."""
    if response.get("Content-Type", "").startswith(XLSX):
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            " ".join(str(cell) for cell in row if cell is not None)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return response.content.decode("utf-8", errors="replace")


def _url(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _pages(user: Any) -> list[str]:
    """Every GET a user might make on the hotline (and around it)."""
    urls = [
        "/",
        _url("hotline:workbench"),
        f"{_url('hotline:workbench')}?queue=all",
        f"{_url('hotline:workbench')}?status=closed",
        _url("hotline:department"),
        _url("hotline:stats"),
        _url("hotline:stats-export"),
        _url("hotline:export"),
        _url("hotline:import-list"),
        _url("upstream:delivery"),
        "/api/v1/hotline/orders?limit=200",
        "/api/v1/notifications",
    ]
    order_ids = list(HotlineOrder.objects.values_list("pk", flat=True))
    for pk in order_ids:
        urls += [_url("hotline:detail", pk), f"/api/v1/hotline/orders/{pk}"]
    for job in ImportJob.objects.all():
        urls += [
            _url("hotline:import-detail", job.pk),
            _url("hotline:import-preview", job.pk),
            _url("hotline:import-report", job.pk),
        ]
    return [url for url in urls if url]


def _scan(username: str, secrets: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[int, int]]:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    leaks: dict[str, list[str]] = {}
    statuses: dict[int, int] = {}
    for url in _pages(client):
        response = client.get(url)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        found = _leaks(_text(response), secrets)
        if found:
            leaks[url] = found
    return leaks, statuses


@pytest.mark.parametrize("username", NO_REVEAL)
def test_no_page_export_or_api_answer_shows_a_phone_to_a_role_without_the_right(
    username: str, secrets: dict[str, list[str]]
) -> None:
    leaks, statuses = _scan(username, secrets)
    assert leaks == {}
    assert statuses.get(500, 0) == 0


@pytest.mark.parametrize("username", REVEALERS)
def test_without_asking_to_reveal_even_the_center_sees_masked_petitioners(
    username: str, secrets: dict[str, list[str]]
) -> None:
    leaks, statuses = _scan(username, secrets)
    assert leaks == {}
    assert statuses.get(200, 0) > ORDERS  # the pages were really there to scan
    assert statuses.get(500, 0) == 0


def test_the_scanned_pages_show_the_masked_phones(secrets: dict[str, list[str]]) -> None:
    """The scan looks at pages that do carry petitioners (masked), not at empty ones."""
    client = Client()
    client.force_login(get_user_model().objects.get(username="super01"))
    order = HotlineOrder.objects.exclude(petitioner_phone_masked="").first()
    assert order is not None
    masked = order.petitioner_phone_masked
    assert "****" in masked
    assert masked in client.get(reverse("hotline:detail", args=[order.pk])).content.decode()
    assert masked in client.get(f"/api/v1/hotline/orders/{order.pk}").content.decode()
    assert masked in _text(client.get(reverse("hotline:export")))


def test_the_stored_history_notifications_and_outbox_carry_no_phone(secrets: dict[str, list[str]]) -> None:
    from gridgov.notify.models import Delivery
    from gridgov.upstream.models import UpstreamMessage

    notes = list(Notification.objects.values_list("params", "note", "url"))
    assert notes
    assert _leaks(json.dumps(notes, ensure_ascii=False), secrets) == []
    deliveries = list(Delivery.objects.values())
    assert _leaks(json.dumps(deliveries, ensure_ascii=False, default=str), secrets) == []
    payloads = list(UpstreamMessage.objects.values_list("payload", flat=True))
    assert payloads
    assert _leaks(json.dumps(payloads, ensure_ascii=False), secrets) == []
    history = list(OrderEvent.objects.values_list("comment", "data"))
    assert _leaks(json.dumps(history, ensure_ascii=False, default=str), secrets) == []
    reports = list(ImportJob.objects.values_list("report", "error"))
    assert reports
    assert _leaks(json.dumps(reports, ensure_ascii=False, default=str), secrets) == []


def test_the_scan_reaches_the_import_pages_the_outbox_and_the_exports(secrets: dict[str, list[str]]) -> None:
    client = Client()
    client.force_login(get_user_model().objects.get(username="center01"))
    job = ImportJob.objects.get()
    assert (job.status, job.created_count, job.skipped_count) == ("done", 1, 1)
    for url in (
        reverse("hotline:import-list"),
        reverse("hotline:import-detail", args=[job.pk]),
        reverse("hotline:import-report", args=[job.pk]),
        reverse("upstream:delivery"),
        reverse("hotline:export"),
        reverse("hotline:stats-export"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _leaks(_text(response), secrets) == [], url
