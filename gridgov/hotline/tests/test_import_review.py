"""Imports never drop an order: a row with a number, a content and a readable received time is
imported; what is doubtful in it comes in with a review flag and the reasons (preview, report,
order page, the workbench's "to review" queue) until the center clears it; anonymous rows;
a totals row checked against the rows read; an order already past upstream's deadline is
overdue at once, everywhere."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from gridgov.core.errors import Conflict, Forbidden
from gridgov.hotline import selectors, stats
from gridgov.hotline import services as order_services
from gridgov.hotline.deadlines import light
from gridgov.hotline.importing import services
from gridgov.hotline.models import HotlineOrder, ImportStatus, OrderEvent
from gridgov.hotline.review import Reason
from gridgov.testing.workbooks import formulas_as_text
from gridgov.workcalendar.units import Light

from .import_setup import make_town, upload

pytestmark = pytest.mark.django_db

HEADER = [
    "序号",
    "工单编号",
    "来电时间",
    "诉求类型",
    "紧急程度",
    "诉求内容",
    "办结时限",
    "来电人",
    "联系电话",
    "是否匿名",
]


@pytest.fixture(autouse=True)
def _chinese_and_clean_cache():
    cache.clear()
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def town() -> Any:
    return make_town()


def workbook(rows: list[list[Any]], *, header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["太平镇12345工单导出"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    formulas_as_text(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ago(**delta: Any) -> str:
    return timezone.localtime(timezone.now() - dt.timedelta(**delta)).strftime("%Y-%m-%d %H:%M")


def ahead(**delta: Any) -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(**delta)).strftime("%Y-%m-%d %H:%M")


# Each row: (what it shows, the cells). Received two days ago unless said otherwise.
DOUBTFUL = [
    # A deadline before the call: not taken (the type's limit applies), flagged.
    [1, "RV-01", ago(days=2), "咨询", "一般", "问路", ago(days=3), "王五", "13812348888", "否"],
    # A type and an urgency read only approximately.
    [2, "RV-02", ago(days=2), "投诉类", "紧急件", "夜间施工", ahead(days=9), "赵六", "13900001111", ""],
    # A phone that is no phone, a mobile number one digit short.
    [3, "RV-03", ago(days=2), "求助", "一般", "路灯不亮", ahead(days=9), "孙七", "见备注", ""],
    [4, "RV-04", ago(days=2), "求助", "一般", "井盖丢失", ahead(days=9), "周八", "1381234888", ""],
    # Not anonymous, says the file, but no petitioner at all.
    [5, "RV-05", ago(days=2), "建议", "一般", "增设公交站", ahead(days=9), "", "", "否"],
    # Anonymous: name and phone empty, or saying so (no flag for that).
    [6, "RV-06", ago(days=2), "举报", "一般", "占道经营", ahead(days=9), "", "", ""],
    [7, "RV-07", ago(days=2), "举报", "一般", "噪音扰民", ahead(days=9), "匿名", "匿名", ""],
    # An unknown type and an unknown urgency: imported all the same.
    [8, "RV-08", ago(days=2), "其他", "三级", "其他事项", ahead(days=9), "吴九", "13700001111", ""],
    # Only these three are refused: no number, no content, no readable received time.
    [9, "", ago(days=2), "咨询", "一般", "没有编号", ahead(days=9), "", "", ""],
    [10, "RV-10", ago(days=2), "咨询", "一般", "", ahead(days=9), "", "", ""],
    [11, "RV-11", "昨天下午", "咨询", "一般", "时间看不懂", ahead(days=9), "", "", ""],
    # Upstream's deadline passed before the import: overdue from the start.
    [12, "RV-12", ago(days=20), "求助", "一般", "积水", ago(hours=3), "郑十", "13600001111", ""],
]


def _previewed(town: Any, content: bytes) -> Any:
    job = upload(town.users["center"], town.town, content)
    assert job.status == ImportStatus.UPLOADED, job.error
    return services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)


def _imported(town: Any, content: bytes, capture: Any) -> Any:
    job = _previewed(town, content)
    with capture(execute=True):
        services.import_start(actor=town.users["center"], job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.error
    return job


def test_only_rows_without_number_content_or_received_time_are_refused(town):
    preview = services.build_preview(_previewed(town, workbook(DOUBTFUL)))
    outcome = {row.number or f"row {row.row}": row.outcome for row in preview.rows}
    assert [name for name, value in outcome.items() if value == "skip"] == ["row 11", "RV-10", "RV-11"]
    assert preview.counts["create"] == 9
    codes = {row.number: [note.code for note in row.review] for row in preview.rows if row.data is not None}
    assert codes == {
        "RV-01": [Reason.DEADLINE_BEFORE_RECEIVED],
        "RV-02": [Reason.TYPE_APPROXIMATE, Reason.URGENCY_APPROXIMATE],
        "RV-03": [Reason.PHONE_INVALID],
        "RV-04": [Reason.PHONE_INVALID],
        "RV-05": [Reason.PETITIONER_MISSING],
        "RV-06": [],
        "RV-07": [],
        "RV-08": [Reason.TYPE_UNKNOWN, Reason.URGENCY_UNKNOWN],
        "RV-12": [],
    }
    assert preview.counts["review"] == 6
    data = {row.number: row.data for row in preview.rows if row.data is not None}
    assert data["RV-01"].upstream_deadline is None  # the type's limit applies instead
    assert (data["RV-02"].order_type, data["RV-02"].urgency_class) == ("complaint", "life_safety")
    assert data["RV-04"].petitioner_phone == "1381234888"  # kept for the center to check
    assert data["RV-03"].petitioner_phone == ""
    assert data["RV-06"].anonymous and data["RV-07"].anonymous and data["RV-05"].anonymous
    assert data["RV-07"].petitioner_name == ""
    assert not data["RV-08"].anonymous
    # The unknown type takes the shortest reply limit, the unknown urgency the general class.
    assert (data["RV-08"].order_type, data["RV-08"].urgency_class) == ("enquiry", "general")
    # Every flagged row says why, in the reader's language; no phone in clear.
    rows = {row.number: row for row in preview.rows}
    assert "投诉类" in rows["RV-02"].review_messages[0] and "投诉" in rows["RV-02"].review_messages[0]
    assert "13812348888" not in str([row.review_messages for row in preview.rows])


def test_flagged_orders_wait_in_the_review_queue_until_the_center_clears_them(town, django_capture_on_commit_callbacks):
    job = _imported(town, workbook(DOUBTFUL), django_capture_on_commit_callbacks)
    assert (job.created_count, job.skipped_count, job.review_count) == (9, 3, 6)
    entries = {entry["number"]: entry for entry in job.report}
    assert [note["code"] for note in entries["RV-02"]["review"]] == ["type_approximate", "urgency_approximate"]
    order = HotlineOrder.objects.get(upstream_number="RV-02")
    assert order.needs_review
    assert [note["code"] for note in order.review_reasons] == ["type_approximate", "urgency_approximate"]
    receive = OrderEvent.objects.get(order=order, action="receive")
    assert receive.data["review"] == ["type_approximate", "urgency_approximate"]
    assert not HotlineOrder.objects.get(upstream_number="RV-06").needs_review
    assert HotlineOrder.objects.get(upstream_number="RV-06").anonymous

    center, leader = town.users["center"], town.users["leader"]
    queue = selectors.apply_filters(
        center, selectors.orders_visible(center), selectors.OrderFilters(queue=selectors.Queue.TO_REVIEW)
    )
    assert sorted(queue.values_list("upstream_number", flat=True)) == [
        "RV-01",
        "RV-02",
        "RV-03",
        "RV-04",
        "RV-05",
        "RV-08",
    ]
    assert selectors.queue_counts(center)[selectors.Queue.TO_REVIEW] == 6

    # Only the center clears the flag; a leader may not.
    assert "clear_review" in order_services.allowed_actions(order, center)
    assert "clear_review" not in order_services.allowed_actions(order, leader)
    with pytest.raises(Forbidden):
        order_services.order_act(order_id=order.pk, action="clear_review", actor=leader)
    cleared = order_services.order_act(
        order_id=order.pk, action="clear_review", actor=center, comment="已与区热线核对：投诉"
    )
    assert not cleared.needs_review and cleared.review_reasons == []
    assert cleared.status == "received"  # the flag is no step of the flow
    line = OrderEvent.objects.get(order=order, action="clear_review")
    assert line.actor == center
    assert line.data["reasons"] == ["type_approximate", "urgency_approximate"]
    assert line.comment == "已与区热线核对：投诉"
    with pytest.raises(Conflict) as again:
        order_services.order_act(order_id=order.pk, action="clear_review", actor=center)
    assert again.value.code == "no_review_flag"
    assert selectors.queue_counts(center)[selectors.Queue.TO_REVIEW] == 5

    # The same file again changes nothing: the cleared order stays cleared.
    again_job = _imported(town, workbook(DOUBTFUL), django_capture_on_commit_callbacks)
    assert again_job.unchanged_count == 9
    assert not HotlineOrder.objects.get(upstream_number="RV-02").needs_review


def test_the_pages_show_the_flag_and_the_reasons(town, django_capture_on_commit_callbacks):
    job = _imported(town, workbook(DOUBTFUL), django_capture_on_commit_callbacks)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(town.users["center"])
    report = client.get(reverse("hotline:import-detail", args=[job.pk])).content.decode()
    assert 'data-count="review">6<' in report
    assert report.count('data-testid="row-review"') == 6
    assert "?queue=to_review" in report

    workbench = client.get(reverse("hotline:workbench") + "?queue=to_review").content.decode()
    assert 'data-queue="to_review"' in workbench and "待核实" in workbench
    assert workbench.count('data-testid="review-badge"') == 6

    order = HotlineOrder.objects.get(upstream_number="RV-01")
    page = client.get(reverse("hotline:detail", args=[order.pk])).content.decode()
    assert 'data-testid="review-reasons"' in page
    assert "早于来电时间" in page
    assert 'action="{}"'.format(reverse("hotline:act", args=[order.pk, "clear_review"])) in page
    response = client.post(reverse("hotline:act", args=[order.pk, "clear_review"]), {"version": order.version})
    assert response.status_code == 302
    order.refresh_from_db()
    assert not order.needs_review
    page = client.get(reverse("hotline:detail", args=[order.pk])).content.decode()
    assert 'data-testid="review-reasons"' not in page
    assert "待核实" in page  # the history line names what was checked

    api = client.get(f"/api/v1/hotline/orders/{HotlineOrder.objects.get(upstream_number='RV-03').pk}")
    body = api.json()
    assert body["needs_review"] is True
    assert [item["code"] for item in body["review_reasons"]] == ["phone_invalid"]


def test_an_order_past_upstreams_deadline_is_overdue_at_once_everywhere(town, django_capture_on_commit_callbacks):
    _imported(town, workbook(DOUBTFUL), django_capture_on_commit_callbacks)
    order = HotlineOrder.objects.get(upstream_number="RV-12")
    now = timezone.now()
    # Its acknowledge step has just started...
    assert order.status == "received" and order.step_deadline > now
    # ...but upstream's completion deadline has passed: red, in the overdue queue, counted.
    assert light(order, now) == Light.RED
    center = town.users["center"]
    overdue = selectors.apply_filters(
        center, selectors.orders_visible(center), selectors.OrderFilters(queue=selectors.Queue.OVERDUE), now=now
    )
    assert list(overdue.values_list("upstream_number", flat=True)) == ["RV-12"]
    listed = selectors.page(selectors.orders_visible(center).filter(pk=order.pk), now=now).items[0]
    assert listed.light == Light.RED
    period = stats.custom_period(timezone.localdate(now) - dt.timedelta(days=1), timezone.localdate(now))
    figures = stats.order_statistics(selectors.orders_visible(center), period, now=now).total
    assert figures.overdue == 1

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(center)
    page = client.get(reverse("hotline:detail", args=[order.pk])).content.decode()
    assert 'class="light light-red"' in page and 'data-testid="reply-overdue"' in page
    row = client.get(reverse("hotline:workbench") + "?queue=overdue").content.decode()
    assert 'data-order="RV-12"' in row and "light-red" in row
    export = client.get(reverse("hotline:export") + "?queue=overdue")
    cells = [list(r) for r in load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True)]
    overdue_column = cells[0].index("超期")
    assert [r[overdue_column] for r in cells[1:]] == ["是"]


def test_a_totals_row_is_not_an_order_and_is_checked_against_the_rows_read(town, django_capture_on_commit_callbacks):
    rows = [row for row in DOUBTFUL if row[1] in ("RV-06", "RV-07")]
    content = workbook([*rows, ["合计", "共 3 条", None, None, None, None, None, None, None, None]])
    job = _previewed(town, content)
    assert (job.total_rows, job.totals_row, job.totals_declared) == (2, 5, 3)
    preview = services.build_preview(job)
    assert [row.number for row in preview.rows] == ["RV-06", "RV-07"]
    assert preview.totals_mismatch == 1
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(town.users["center"])
    page = client.get(reverse("hotline:import-preview", args=[job.pk])).content.decode()
    assert 'data-testid="totals-note"' in page and "3" in page and "alert-error" in page
    with django_capture_on_commit_callbacks(execute=True):
        services.import_start(actor=town.users["center"], job_id=job.pk)
    job.refresh_from_db()
    assert job.created_count == 2
    report = client.get(reverse("hotline:import-detail", args=[job.pk])).content.decode()
    assert 'data-testid="totals-note"' in report
    sheet = load_workbook(io.BytesIO(client.get(reverse("hotline:import-report", args=[job.pk])).content)).active
    assert sheet is not None
    text = " ".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None)
    assert "合计行" in text or "第 5 行" in text

    # A totals row that agrees is no alarm.
    agreeing = _previewed(town, workbook([*rows, [None, "合计：2", None, None, None, None, None, None, None, None]]))
    preview = services.build_preview(agreeing)
    assert preview.totals is not None and preview.totals.declared == 2 and preview.totals_mismatch is None


HOSTILE = ["=1+1", "@SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3"]


def test_the_import_report_and_the_exports_hold_no_formula(town, django_capture_on_commit_callbacks):
    rows = [
        [n, f"=HL{n}", ago(days=2), "咨询", "一般", text, ahead(days=9), "", "", ""]
        for n, text in enumerate(HOSTILE, start=1)
    ]
    job = _imported(town, workbook(rows), django_capture_on_commit_callbacks)
    assert job.created_count == len(HOSTILE)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(town.users["center"])
    downloads = {
        "report": client.get(reverse("hotline:import-report", args=[job.pk])),
        "orders": client.get(reverse("hotline:export")),
        "statistics": client.get(reverse("hotline:stats-export")),
    }
    for name, response in downloads.items():
        assert response.status_code == 200, name
        book = load_workbook(io.BytesIO(response.content))
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, cell.coordinate, cell.value)
    orders = load_workbook(io.BytesIO(downloads["orders"].content)).worksheets[0]
    texts = {cell for row in orders.iter_rows(values_only=True) for cell in row if isinstance(cell, str)}
    assert "'=1+1" in texts and "'@SUM(A1:A9)" in texts
