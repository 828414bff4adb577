"""Reading upstream exports: encodings, header detection, merged cells, dates, labels, phones."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone, translation
from openpyxl import Workbook

from gridgov.hotline.importing import parse
from gridgov.hotline.importing.parse import ValueProblem

from .import_setup import GBK_CSV_TEXT, messy_workbook


def local(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-05 14:30", local(2026, 3, 5, 14, 30)),
        ("2026/3/5 14:30:00", local(2026, 3, 5, 14, 30)),
        ("2026年3月5日 14时30分", local(2026, 3, 5, 14, 30)),
        ("2026年3月5日14:30", local(2026, 3, 5, 14, 30)),
        ("2026.03.05 14:30:15", local(2026, 3, 5, 14, 30, 15)),
        ("20260305143000", local(2026, 3, 5, 14, 30)),
        ("２０２６-０３-０５ １４:３０", local(2026, 3, 5, 14, 30)),
        ("2026-03-05", local(2026, 3, 5, 0, 0)),
        (46086.604166666664, local(2026, 3, 5, 14, 30)),
        ("46086.604166666664", local(2026, 3, 5, 14, 30)),
        (46086, local(2026, 3, 5, 0, 0)),
        (dt.datetime(2026, 3, 5, 14, 30), local(2026, 3, 5, 14, 30)),
        (dt.date(2026, 3, 5), local(2026, 3, 5, 0, 0)),
        (None, None),
        ("  ", None),
    ],
)
def test_dates_are_read_in_the_usual_formats(value, expected):
    assert parse.parse_datetime(value) == expected


def test_a_date_only_deadline_is_the_end_of_its_day():
    assert parse.parse_datetime("2026-03-09", end_of_day=True) == local(2026, 3, 9, 23, 59, 59)
    assert parse.parse_datetime(46090, end_of_day=True) == local(2026, 3, 9, 23, 59, 59)


@pytest.mark.parametrize("value", ["2026-13-45 25:00", "昨天", "2026-02-30", 12, "abc", True])
def test_bad_dates_are_refused(value):
    with pytest.raises(ValueProblem):
        parse.parse_datetime(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("咨询", "enquiry"),
        ("求助", "help"),
        ("建议", "suggestion"),
        ("投诉", "complaint"),
        ("举报", "report"),
        ("表扬", "praise"),
        ("投诉类", "complaint"),
        ("complaint", "complaint"),
    ],
)
def test_chinese_type_labels_become_codes(value, expected):
    assert parse.parse_type(value) == expected


@pytest.mark.parametrize("value", ["其他", "", "投诉/建议"])
def test_unknown_or_ambiguous_types_are_refused(value):
    with pytest.raises(ValueProblem):
        parse.parse_type(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "general"),
        ("一般", "general"),
        ("非紧急", "general"),
        ("危及生命财产安全", "life_safety"),
        ("紧急", "life_safety"),
        ("水电气热", "utilities"),
        ("停水", "utilities"),
        ("utilities", "utilities"),
    ],
)
def test_urgency_labels_become_classes(value, expected):
    assert parse.parse_urgency(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("138 1234 8888", "13812348888"),
        ("+86-138-1234-8888", "13812348888"),
        ("(0086)13812348888", "13812348888"),
        ("１３８１２３４８８８８", "13812348888"),
        ("022-2345 6789", "02223456789"),
        ("13812348888/13900001111", "13812348888"),
        (13812348888, "13812348888"),
        ("", ""),
    ],
)
def test_phones_are_normalised(value, expected):
    assert parse.parse_phone(value) == expected


@pytest.mark.parametrize("value", ["unknown", "138123", "1381234888899"])
def test_bad_phones_are_refused(value):
    with pytest.raises(ValueProblem):
        parse.parse_phone(value)


def test_utf8_with_and_without_bom_and_gbk_are_decoded():
    text = "工单号,来电时间\r\n"
    assert parse.decode_text(text.encode("utf-8")) == text
    assert parse.decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert parse.decode_text(text.encode("gbk")) == text
    assert parse.decode_text(GBK_CSV_TEXT.encode("gb18030")) == GBK_CSV_TEXT


def test_the_header_row_is_found_below_a_merged_title_and_merged_values_fill_their_range():
    table = parse.read_table(messy_workbook(), "export.xlsx")
    assert table.sheet == "工单导出"
    index = parse.detect_header(table.rows)
    assert index == 3  # sheet row 4
    columns = parse.column_names(table.rows, index)
    assert columns[:3] == ["序号", "工单编号", "来电时间"]
    assert len(columns) == 14
    # H16:H17 is merged: row 17 reads the value of row 16.
    assert table.rows[16][7] == "市容环境"
    assert table.rows[15][7] == "市容环境"


def test_a_header_of_unknown_titles_is_found_by_its_text_cells():
    rows = [["Report"], [], ["Alpha", "Beta", "Gamma"], ["1", "2", "3"]]
    assert parse.detect_header(rows) == 2


def test_a_file_without_a_header_is_refused():
    with pytest.raises(parse.ImportFileError):
        parse.detect_header([[1, 2, 3], [4, 5, 6]])


def test_the_mapping_is_suggested_from_known_headers():
    columns = [
        "序号",
        "工单号",
        "受理时间",
        "工单类型",
        "紧急程度",
        "工单内容",
        "诉求人",
        "联系电话",
        "联系地址",
        "办理时限",
    ]
    mapping = parse.suggest_mapping(columns)
    assert mapping == {
        "upstream_number": "工单号",
        "received_at": "受理时间",
        "order_type": "工单类型",
        "urgency_class": "紧急程度",
        "content": "工单内容",
        "upstream_deadline": "办理时限",
        "petitioner_name": "诉求人",
        "petitioner_phone": "联系电话",
        "petitioner_address": "联系地址",
    }


def test_a_remembered_mapping_wins_where_its_columns_exist():
    columns = ["单据号", "来电时间", "类别"]
    mapping = parse.suggest_mapping(columns, {"upstream_number": "单据号", "order_type": "类别", "title": "gone"})
    assert mapping == {"upstream_number": "单据号", "received_at": "来电时间", "order_type": "类别"}


def test_repeated_and_empty_titles_get_distinct_names():
    rows = [["编号", "编号", None, "内容"], ["1", "2", "3", "4"]]
    with translation.override("en"):
        assert parse.column_names(rows, 0) == ["编号", "编号 (2)", "Column 3", "内容"]
    assert parse.column_names(rows, 0)[2] == "第 3 列"  # the default language


def test_blank_rows_and_repeated_headers_are_not_data():
    rows = [["工单编号", "来电时间"], ["A", "2026-03-05"], [None, " "], ["工单编号", "来电时间"], ["B", "2026-03-05"]]
    assert [number for number, _cells in parse.data_rows(rows, 0)] == [2, 5]


def test_a_non_workbook_is_refused():
    with pytest.raises(parse.ImportFileError):
        parse.read_table(b"not a zip", "export.xlsx")
    with pytest.raises(parse.ImportFileError):
        parse.read_table(b"x", "export.pdf")


def test_an_excel_number_cell_keeps_a_long_order_number_whole():
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["工单编号", "来电时间", "诉求类型", "诉求内容"])
    sheet.append([202603050001, "2026-03-05 08:00", "咨询", "问路"])
    buffer = io.BytesIO()
    book.save(buffer)
    table = parse.read_table(buffer.getvalue(), "a.xlsx")
    columns = parse.column_names(table.rows, 0)
    row = parse.parse_row(2, table.rows[1], parse.suggest_mapping(columns), columns)
    assert row.valid
    assert row.number == "202603050001"
