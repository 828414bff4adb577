"""A workbook whose cells hold formulas without their results (written by a program, never
opened in Excel or WPS) is refused with the cells named: openpyxl reads such a cell as empty,
so the import would otherwise lose its values without a word."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from gridgov.core import uploads
from gridgov.testing.workbooks import formulas_as_text

HEADER = ["工单编号", "来电时间", "诉求内容"]


def workbook(rows: list[list[object]], *, text: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    if text:
        formulas_as_text(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(content: bytes) -> list[list[object]]:
    with uploads.open_table(io.BytesIO(content), "list.xlsx", uploads.UploadLimits()) as reader:
        return [row for _number, row in reader.rows()]


def test_formulas_without_results_are_refused_with_the_cells_named_in_chinese():
    rows = [[f"HL{n}", "=NOW()" if n in (2, 4, 5, 6) else "2026-03-05 10:00", "问路"] for n in range(8)]
    with translation.override("zh-hans"), pytest.raises(uploads.UploadRefused) as refused:
        read(workbook(rows))
    message = refused.value.message
    assert "4 个单元格" in message and "B4、B6、B7" in message and "B8" not in message
    assert "Excel" in message and "WPS" in message


def test_text_that_looks_like_a_formula_is_read_as_text():
    rows = [["HL1", "=HYPERLINK(1)", "问路"], ["HL2", "2026-03-05 10:00", "=1+1"]]
    assert read(workbook(rows, text=True))[1:] == rows


@pytest.mark.parametrize(
    ("cells", "count"),
    [
        ('<c r="A1"><f>1+1</f><v>2</v></c>', 0),  # Excel's: the result kept
        ('<c r="A1" t="str"><f>""</f><v></v></c>', 0),  # a formula whose result is empty text
        ('<c r="A1"><f>1+1</f><v></v></c>', 1),  # openpyxl's: no result
        ('<c r="A1"><f>1+1</f></c>', 1),
        ('<c r="A1"><f t="shared" si="0"/><v/></c>', 1),
        ('<x:c r="A1"><x:f>1+1</x:f></x:c>', 1),  # a namespace prefix
        ('<c r="A1" t="inlineStr"><is><r><rPr><family val="2"/></rPr><t>f</t></r></is></c>', 0),
        ('<c r="A1" s="1"/><c r="B1"><f>A1</f></c><c r="C1" s="2"/>', 1),
    ],
)
def test_the_scan_tells_a_result_from_none_whatever_the_chunks(cells: str, count: int):
    text = f'<sheetData><row r="1">{cells}</row></sheetData>'.encode()
    for size in (1, 3, 7, len(text)):
        formulas = uploads._Formulas()
        for start in range(0, len(text), size):
            formulas.feed(text[start : start + size])
        formulas.feed(b"")
        assert formulas.count == count, (cells, size)
