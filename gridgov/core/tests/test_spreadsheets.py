"""Every workbook the system writes is formula-safe and survives characters it cannot hold."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.core.spreadsheets import SafeWorkbook, cell_value, safe_text

HOSTILE = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=x", "\r=x", '=HYPERLINK("http://x","y")']


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_could_run_as_a_formula_gets_an_apostrophe(text):
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", ["路灯不亮", "138****8888", "a=b", "2026-03-01 事件", ""])
def test_ordinary_text_is_unchanged(text):
    assert safe_text(text) == text


def test_characters_a_workbook_cannot_hold_are_dropped_not_fatal():
    assert safe_text("路\x00口\x07\x1f有坑\ud800") == "路口有坑"
    assert safe_text("两行\n文字\t") == "两行\n文字\t"


def test_numbers_dates_and_booleans_stay_typed_and_aware_times_become_local():
    moment = timezone.make_aware(dt.datetime(2026, 3, 2, 1, 30), dt.UTC)
    assert cell_value(moment) == dt.datetime(2026, 3, 2, 9, 30)  # Asia/Shanghai
    for value in (3, -3, 2.5, Decimal("1.5"), True, None, dt.date(2026, 1, 1)):
        assert cell_value(value) == value


def test_a_written_workbook_has_no_formula_and_keeps_types():
    book = SafeWorkbook()
    sheet = book.sheet("案件[1]/导出:*?")
    sheet.header(["编号", "描述", "数量", "时间"])
    for text in HOSTILE:
        sheet.append(["2026-001", text, -4, dt.datetime(2026, 3, 2, 9, 30)])
    sheet.append(["x", "bad\x00byte", 0, None])
    loaded = load_workbook(io.BytesIO(book.bytes()))
    ws = loaded.worksheets[0]
    cells = [cell for row in ws.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    # (a carriage return may come back as a line feed: older XML writers did not escape it)
    found = [str(row[1]).replace("\r", "\n") for row in rows[: len(HOSTILE)]]
    assert found == ["'" + text.replace("\r", "\n") for text in HOSTILE]
    assert rows[0][2] == -4
    assert rows[0][3] == dt.datetime(2026, 3, 2, 9, 30)
    assert rows[-1][1] == "badbyte"


def test_bidirectional_overrides_are_dropped_from_cells() -> None:
    # An imported file may carry them; in a cell they make a number read as another.
    assert safe_text("BH\u202e1234") == "BH1234"
    assert safe_text("\u2066=SUM(A1)\u2069") == "'=SUM(A1)"
