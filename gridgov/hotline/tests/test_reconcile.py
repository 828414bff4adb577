"""Reconciliation (对账) of the district's monthly list with the town's orders: every kind of
difference, the figures of both sides, the worker's refusal of an unusable list, explaining a
difference on the workflow engine, the pages and the workbook."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.core.cache import cache
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from gridgov.core.errors import Forbidden, Invalid, NotFound
from gridgov.core.models import AuditEvent
from gridgov.hotline import services as order_services
from gridgov.hotline.models import (
    DifferenceKind,
    DifferenceState,
    HotlineOrder,
    OrderStatus,
    ReconcileStatus,
    Reconciliation,
)
from gridgov.hotline.reconcile import compare, services
from gridgov.testing.workbooks import formulas_as_text

from .import_setup import local, make_town, order_data

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _chinese_and_clean_cache():
    cache.clear()
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def town() -> Any:
    return make_town()


def _order(town: Any, number: str, arrived: dt.datetime, **fields: Any) -> HotlineOrder:
    received = order_services.order_receive(
        actor=town.users["center"], data=order_data(number, town.town), channel="manual", at=arrived
    )
    order = HotlineOrder.objects.get(pk=received.order.pk)
    if fields:
        HotlineOrder.objects.filter(pk=order.pk).update(**fields)
        order.refresh_from_db()
    return order


def _workbook(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["区12345热线3月派单清单"])
    sheet.append(header or ["序号", "工单编号", "派单时间", "工单状态", "签收时间", "答复时间", "是否超期"])
    for row in rows:
        sheet.append(row)
    sheet.append(["合计", f"{len(rows)}条"])
    formulas_as_text(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(town: Any, content: bytes, name: str = "list.xlsx", actor: Any = None) -> Reconciliation:
    with TestCase.captureOnCommitCallbacks(execute=True):
        item = services.reconcile_upload(
            actor=actor or town.users["center"],
            town=town.town,
            source_system="district",
            month=MARCH,
            name=name,
            content=content,
        )
    item.refresh_from_db()
    return item


def _march(town: Any) -> dict[str, HotlineOrder]:
    """Five town orders of March and one of February."""
    answered = {"status": OrderStatus.REPLIED, "replied_at": local(2026, 3, 6, 16, 0), "reply_on_time": True}
    return {
        "A": _order(town, "HL-A", local(2026, 3, 4, 9, 0), acknowledged_at=local(2026, 3, 4, 9, 30), **answered),
        "B": _order(town, "HL-B", local(2026, 3, 5, 10, 0), status=OrderStatus.ACKNOWLEDGED),
        "C": _order(town, "HL-C", local(2026, 3, 6, 11, 0)),
        "D": _order(town, "HL-D", local(2026, 3, 7, 12, 0), acknowledged_at=local(2026, 3, 7, 12, 30), **answered),
        "E": _order(town, "HL-E", local(2026, 3, 8, 8, 0)),  # not in the list
        "F": _order(town, "HL-F", local(2026, 2, 27, 8, 0)),  # February
    }


def _rows() -> list[list[Any]]:
    return [
        # agrees (times within the tolerance)
        [1, "HL-A", "2026-03-04 09:02", "已答复", "2026-03-04 09:30", "2026-03-06 16:00", "否"],
        # the list says answered, the town is still handling it
        [2, "HL-B", "2026-03-05 10:00", "已办结", "", "2026-03-09 10:00", "否"],
        # a label nobody knows; the arrival time an hour apart
        [3, "HL-C", "2026-03-06 12:00", "挂起", "", "", ""],
        # the list has no reply time the town has
        [4, "HL-D", "2026-03-07 12:00", "已答复", "", "", "是"],
        # not in the town at all
        [5, "HL-X", "2026-03-09 12:00", "待签收", "", "", ""],
        # listed twice
        [6, "HL-A", "2026-03-04 09:00", "已答复", "", "", ""],
        # no number
        [7, "", "2026-03-10 12:00", "待签收", "", "", ""],
        # the town has it in February
        [8, "HL-F", "2026-03-01 08:00", "待签收", "", "", ""],
    ]


def _kinds(item: Reconciliation) -> list[tuple[str, str]]:
    return sorted(item.differences.values_list("kind", "upstream_number"))


def test_every_kind_of_difference_is_found_and_kept(town):
    _march(town)
    item = _upload(town, _workbook(_rows()))
    assert item.status == ReconcileStatus.DONE, item.error
    assert item.mapping == {
        "upstream_number": "工单编号",
        "arrived_at": "派单时间",
        "status": "工单状态",
        "acknowledged_at": "签收时间",
        "replied_at": "答复时间",
        "overdue": "是否超期",
    }
    assert _kinds(item) == sorted(
        [
            (DifferenceKind.STATUS, "HL-B"),
            (DifferenceKind.REPLY, "HL-B"),
            (DifferenceKind.STATUS_UNKNOWN, "HL-C"),
            (DifferenceKind.ARRIVAL, "HL-C"),
            (DifferenceKind.REPLY, "HL-D"),
            (DifferenceKind.ACKNOWLEDGE, "HL-D"),
            (DifferenceKind.MISSING_IN_TOWN, "HL-X"),
            (DifferenceKind.DUPLICATE, "HL-A"),
            (DifferenceKind.UNREADABLE, ""),
            (DifferenceKind.ARRIVAL, "HL-F"),
            (DifferenceKind.MISSING_IN_LIST, "HL-E"),
        ]
    )
    assert (item.list_rows, item.town_orders, item.matched, item.difference_count) == (8, 5, 5, 11)
    arrival = item.differences.get(kind=DifferenceKind.ARRIVAL, upstream_number="HL-C")
    assert (arrival.list_value, arrival.town_value) == ("2026-03-06 12:00", "2026-03-06 11:00")
    assert arrival.order is not None and arrival.order.upstream_number == "HL-C"
    assert item.differences.get(kind=DifferenceKind.UNREADABLE).row == 9
    # The list: 6 numbered orders, 3 answered (A, B, D), 2 on time (A, B: 是否超期 否); the town:
    # 5 orders of March, 2 replied on time.
    assert item.figures["list"] == {
        "orders": 6,
        "replied": 3,
        "on_time": 2,
        "reply_rate": 50.0,
        "on_time_rate": 66.7,
    }
    assert item.figures["town"] == {"orders": 5, "replied": 2, "on_time": 2, "reply_rate": 40.0, "on_time_rate": 100.0}
    assert not item.file.name  # deleted once compared
    audit = AuditEvent.objects.filter(action="hotline.reconcile", object_id=str(item.pk)).get()
    assert audit.success and audit.data["differences"] == 11 and audit.actor == town.users["center"]


def test_a_list_that_agrees_has_no_difference(town):
    orders = _march(town)
    rows = [
        [n, o.upstream_number, "", "", "", "", ""] for n, o in enumerate(orders.values()) if o.upstream_number != "HL-F"
    ]
    item = _upload(town, _workbook(rows, ["序号", "工单编号", "备注", "说明", "x", "y", "z"]))
    assert item.status == ReconcileStatus.DONE
    assert item.difference_count == 0
    assert item.figures["list"]["on_time"] is None  # the list says nothing about it


def test_a_list_of_order_numbers_alone_is_a_list(town):
    orders = _march(town)
    rows = [[o.upstream_number] for o in orders.values() if o.upstream_number != "HL-F"]
    item = _upload(town, _workbook(rows, ["工单编号"]))
    assert item.status == ReconcileStatus.DONE, item.error
    assert item.mapping == {"upstream_number": "工单编号"} and item.difference_count == 0


def test_a_list_without_order_numbers_is_refused_with_the_reason(town):
    item = _upload(town, _workbook([[1, "x", "y"]], ["序号", "名称", "备注", "状态"]))
    assert item.status == ReconcileStatus.REFUSED
    assert "工单编号" in item.error
    assert not item.file.name
    assert AuditEvent.objects.filter(action="hotline.reconcile", success=False).count() == 1


def test_a_second_delivery_of_the_task_does_nothing(town):
    _march(town)
    item = _upload(town, _workbook(_rows()))
    again = services.reconcile_run(pk=item.pk)
    assert again.difference_count == 11
    assert item.differences.count() == 11


def test_only_the_center_of_the_town_reconciles(town):
    content = _workbook(_rows())
    for name in ("handler", "worker", "leader", "nobody"):
        with pytest.raises(Forbidden):
            _upload(town, content, actor=town.users[name])
    with pytest.raises(Forbidden):
        _upload(town, content, actor=town.users["other_center"])
    with pytest.raises(Invalid):
        _upload(town, content, name="list.pdf")
    with pytest.raises(Invalid):
        services.reconcile_upload(
            actor=town.users["center"],
            town=town.town,
            source_system="district",
            month=dt.date(2999, 1, 1),
            name="list.xlsx",
            content=content,
        )


def test_explaining_a_difference_needs_a_reason_and_is_audited(town):
    _march(town)
    item = _upload(town, _workbook(_rows()))
    center = town.users["center"]
    difference = item.differences.get(kind=DifferenceKind.MISSING_IN_TOWN)
    with pytest.raises(Invalid):
        services.difference_act(actor=center, difference_id=difference.pk, action="explain", reason="  ")
    with pytest.raises(NotFound):
        services.difference_act(
            actor=town.users["other_center"], difference_id=difference.pk, action="explain", reason="x"
        )
    with pytest.raises(NotFound):
        services.difference_act(actor=town.users["handler"], difference_id=difference.pk, action="explain", reason="x")
    done = services.difference_act(
        actor=center, difference_id=difference.pk, action="explain", reason="区平台误派，已申请改派"
    )
    assert done.status == DifferenceState.EXPLAINED and done.explained_by == center
    assert services.open_count(item) == 10
    event = AuditEvent.objects.get(action="hotline.reconcile_explain")
    assert event.data["reason"] == "区平台误派，已申请改派" and event.data["number"] == "HL-X"
    reopened = services.difference_act(actor=center, difference_id=difference.pk, action="reopen")
    assert reopened.status == DifferenceState.OPEN and reopened.explanation == ""
    assert AuditEvent.objects.filter(action="hotline.reconcile_reopen").count() == 1


def test_compare_reads_on_time_words_and_status_words():
    assert compare.on_time_flag("按期") is True
    assert compare.on_time_flag("超期") is False
    assert compare.on_time_flag("未超期") is True
    assert compare.on_time_flag("") is None
    assert compare.status_class("已办结") == compare.ANSWERED
    assert compare.status_class("办理中（延期）") == compare.HANDLING
    assert compare.status_class("待签收") == compare.WAITING
    assert compare.status_class("退单") == compare.RETURNED
    assert compare.status_class("挂起") is None


def test_the_pages_upload_list_explain_and_download(client, town):
    _march(town)
    center = town.users["center"]
    client.force_login(center)
    page = client.get(reverse("hotline:reconcile-list"))
    assert page.status_code == 200 and "对账" in page.content.decode()
    rows = _rows()
    rows[4][3] = '=HYPERLINK("http://x")'
    upload = io.BytesIO(_workbook(rows))
    upload.name = "三月清单.xlsx"
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("hotline:reconcile-list"),
            {"town": town.town.pk, "source_system": "district", "month": "2026-03", "file": upload},
        )
    item = Reconciliation.objects.get()
    assert response.status_code == 302 and response.url == reverse("hotline:reconcile-detail", args=[item.pk])
    detail = client.get(response.url).content.decode()
    assert "HL-X" in detail and "区平台" not in detail
    difference = item.differences.get(kind=DifferenceKind.MISSING_IN_TOWN)
    url = reverse("hotline:reconcile-difference", args=[item.pk, difference.pk, "explain"])
    refused = client.post(url, {"reason": "", "version": difference.version}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "必填" in refused.content.decode()
    done = client.post(url, {"reason": "区平台误派", "version": difference.version}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and "区平台误派" in done.content.decode()
    book = client.get(reverse("hotline:reconcile-report", args=[item.pk]))
    assert book.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    assert "区平台误派" in values
    assert not any(value.startswith("=") for value in values)


def test_the_pages_are_closed_to_others(client, town):
    item = _upload(town, _workbook(_rows()))
    client.force_login(town.users["handler"])
    assert client.get(reverse("hotline:reconcile-list")).status_code == 403
    client.force_login(town.users["other_center"])
    assert client.get(reverse("hotline:reconcile-detail", args=[item.pk])).status_code == 404
    assert client.get(reverse("hotline:reconcile-report", args=[item.pk])).status_code == 404


def test_a_bad_month_is_a_field_error(client, town):
    client.force_login(town.users["center"])
    upload = io.BytesIO(_workbook(_rows()))
    upload.name = "list.xlsx"
    response = client.post(
        reverse("hotline:reconcile-list"),
        {"town": town.town.pk, "source_system": "district", "month": "三月", "file": upload},
    )
    assert response.status_code == 422
    assert Reconciliation.objects.count() == 0


def _api(user: Any) -> Any:
    from django.test import Client

    from gridgov.people.services import token_issue

    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_api_uploads_reads_and_explains(town):
    _march(town)
    client = _api(town.users["center"])
    upload = io.BytesIO(_workbook(_rows()))
    upload.name = "list.xlsx"
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/api/v1/hotline/reconciliations",
            {"file": upload, "town": town.town.code, "source_system": "district", "month": "2026-03"},
        )
    assert response.status_code == 202, response.content
    pk = response.json()["id"]
    detail = client.get(f"/api/v1/hotline/reconciliations/{pk}").json()
    assert detail["status"] == "done" and detail["difference_count"] == 11 and detail["open_count"] == 11
    assert detail["figures"]["town"]["orders"] == 5
    missing = client.get(f"/api/v1/hotline/reconciliations/{pk}/differences?kind=missing_in_town").json()
    assert [d["upstream_number"] for d in missing] == ["HL-X"]
    url = f"/api/v1/hotline/reconciliations/differences/{missing[0]['id']}/explain"
    refused = client.post(url, {"reason": ""}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["error"]["details"]["reason"]
    done = client.post(url, {"reason": "误派"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "explained"
    stale = client.post(
        url.replace("explain", "reopen"), {"version": missing[0]["version"]}, content_type="application/json"
    )
    assert stale.status_code == 409
    bad = client.post(
        "/api/v1/hotline/reconciliations",
        {"file": io.BytesIO(b"x"), "town": town.town.code, "source_system": "district", "month": "March"},
    )
    assert bad.status_code == 422
    other = _api(town.users["other_center"])
    assert other.get(f"/api/v1/hotline/reconciliations/{pk}").status_code == 404
    assert other.post(url, {"reason": "x"}, content_type="application/json").status_code == 404
    assert _api(town.users["handler"]).get("/api/v1/hotline/reconciliations").status_code == 403
