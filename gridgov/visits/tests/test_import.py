"""The spreadsheet import of basic data: a row report of good, doubtful and bad rows, doubtful
rows kept and flagged, a re-import that updates instead of duplicating."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gridgov.visits.importing import import_basic_data
from gridgov.visits.models import Household, Unit, UnitKind

from .conftest import home_grid

pytestmark = pytest.mark.usefixtures("clean_basic_data")


def workbook(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def households_file(grid: str, other_grid: str) -> bytes:
    return workbook(
        [
            ["太平村第1网格住户台账"],  # a title row before the header
            ["网格编码", "地址", "户主", "联系电话", "人口数", "关爱标签"],
            [grid, "太平村1排1号", "张三", "13800000001", 3, ""],  # good
            [grid, "太平村1排2号", "李四", "022-1234567", 1, "独居老人、残疾人"],  # doubtful: a landline
            [grid, "太平村1排3号", "", "", "", "留守儿童，未知标签"],  # doubtful: no head, members, a tag
            [grid, "", "王五", "13800000003", 2, ""],  # bad: no address
            [other_grid, "东兴村1号", "赵六", "13800000004", 2, ""],  # bad: outside the importer's grids
            ["99999999999999", "无此网格1号", "钱七", "13800000005", 2, ""],  # bad: no such grid
        ]
    )


def test_rows_are_good_doubtful_or_bad_and_a_reimport_changes_nothing(people):
    grid = home_grid(people["grid01"]).code
    other = home_grid(people["grid02"]).code
    data = households_file(grid, other)
    report = import_basic_data(actor=people["grid01"], kind="households", handle=io.BytesIO(data), name="h.xlsx")
    assert not report.refused
    assert report.counts == {"good": 1, "doubtful": 2, "bad": 3}
    assert [r.status for r in report.rows] == ["good", "doubtful", "doubtful", "bad", "bad", "bad"]
    assert [r.number for r in report.rows] == [3, 4, 5, 6, 7, 8]
    assert Household.objects.count() == 3
    # Care tags are encrypted: found by decrypting, not by a query.
    by_tags = {tuple(h.care_tags): h for h in Household.objects.all()}
    flagged = by_tags[("left_behind_child",)]
    assert flagged.doubtful
    assert "未知标签" in flagged.doubts and flagged.member_count is None
    landline = by_tags[("elderly_alone", "disabled")]
    assert landline.doubtful and landline.head_phone == "0221234567"
    assert "1234567" not in landline.doubts
    assert all(r.outcome == "created" for r in report.rows if r.status != "bad")
    # The address in the report is masked.
    assert "1排1号" not in report.rows[0].label
    # A refusal names its column; messages are joined by "；" alone.
    assert report.rows[3].text == "地址：此项为必填项。", report.rows[3].text
    assert len(report.rows[2].messages) > 1 and "。；" not in report.rows[2].text and "；" in report.rows[2].text

    again = import_basic_data(actor=people["grid01"], kind="households", handle=io.BytesIO(data), name="h.xlsx")
    assert again.counts == report.counts
    assert {r.outcome for r in again.rows if r.status != "bad"} == {"unchanged"}
    assert Household.objects.count() == 3

    # The report is a spreadsheet too (formula-safe through SafeWorkbook).
    sheet = openpyxl.load_workbook(io.BytesIO(report.workbook())).active
    assert sheet.max_row == 1 + len(report.rows)


def test_units_and_key_places_import_with_unknown_kinds_flagged(people):
    grid = home_grid(people["grid01"]).code
    data = workbook(
        [
            ["网格编码", "类型", "名称", "地址", "联系人", "联系电话", "隐患标签"],
            [grid, "商铺", "太平超市", "太平大街1号", "李强", "13900001111", "消防"],
            [grid, "工地", "太平小学扩建工地", "", "周工", "13900002222", "危房,人员密集"],
            [grid, "菜摊", "路边菜摊", "", "", "", ""],  # doubtful: unknown kind
            [grid, "企业", "", "", "", "", ""],  # bad: no name
        ]
    )
    report = import_basic_data(actor=people["grid01"], kind="units", handle=io.BytesIO(data), name="u.xlsx")
    assert report.counts == {"good": 2, "doubtful": 1, "bad": 1}
    site = Unit.objects.get(name="太平小学扩建工地")
    assert site.is_key_place and site.hazard_tags == ["structure", "crowd"]
    assert Unit.objects.get(name="路边菜摊").kind == UnitKind.OTHER


def test_a_file_without_the_header_is_refused_whole(people):
    data = workbook([["a", "b"], ["c", "d"]])
    report = import_basic_data(actor=people["grid01"], kind="households", handle=io.BytesIO(data), name="x.xlsx")
    assert report.refused and not report.rows
    broken = import_basic_data(actor=people["grid01"], kind="households", handle=io.BytesIO(b"no"), name="x.pdf")
    assert broken.refused


def test_the_import_page_shows_the_report_and_offers_it_for_download(people):
    grid = home_grid(people["grid01"]).code
    client = Client()
    client.force_login(people["grid01"])
    upload = SimpleUploadedFile("h.xlsx", households_file(grid, home_grid(people["grid02"]).code))
    page = client.post("/visits/import/", {"kind": "households", "file": upload})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-status="doubtful"' in html and 'data-status="bad"' in html
    token = page.context["token"]
    download = client.get(f"/visits/import/{token}/report.xlsx")
    assert download.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(download.content)).active.max_row == 7
    other = Client()
    other.force_login(people["grid02"])
    assert other.get(f"/visits/import/{token}/report.xlsx").status_code == 404


def test_a_file_over_the_row_limit_saves_nothing(people, monkeypatch):
    from gridgov.core.uploads import UploadLimits
    from gridgov.visits import importing
    from gridgov.visits.models import Household

    monkeypatch.setattr(importing, "LIMITS", UploadLimits(max_bytes=5 * 1024 * 1024, max_rows=5, max_columns=30))
    grid = home_grid(people["grid01"]).code
    rows = [["网格编码", "地址", "户主", "联系电话", "人口数", "关爱标签"]]
    rows += [[grid, f"太平村{n}排1号", "王秀兰", "13812348888", 1, ""] for n in range(10)]
    before = Household.objects.count()
    report = import_basic_data(
        actor=people["grid01"], kind="households", handle=io.BytesIO(workbook(rows)), name="x.xlsx"
    )
    assert report.refused and not report.rows
    assert Household.objects.count() == before
