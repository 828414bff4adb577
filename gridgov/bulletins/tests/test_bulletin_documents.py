"""What the bulletin's documents say and how they look: a case not closed on time names the
stage that was late with that stage's deadline and end, the standard sentences carry their
denominator, the Word page is an official A4 page, and the PDF's columns and charts read."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Length
from openpyxl import load_workbook

from gridgov.bulletins import documents
from gridgov.bulletins.figures import compute
from gridgov.cases.models import Case
from gridgov.cases.tests.test_indices import handled_case, month  # noqa: F401 - the hand-built March

from .test_bulletins import MARCH, town

THIS_MONTH = "本月受理 5 件，应办结 5 件，办结 4 件，办结率 80.0%，按期办结 4 件，按期办结率 80.0%。"


def mm(length: Length | None) -> float:
    """A length of the Word document in millimetres (Word keeps twips: 210 mm is 209.99…)."""
    assert length is not None
    return round(length.mm, 1)


@pytest.fixture
def march(month: dict[str, Case]) -> dict[str, Any]:  # noqa: F811 - the imported fixture
    return compute(town(), MARCH)


@pytest.fixture
def late_verification(people: dict[str, Any], month: dict[str, Case]) -> Case:  # noqa: F811
    """Handled the day after (handling limit five working days, to 16 March), verified on 12 March,
    a day after the verification's limit of one working day: closed before the overall deadline,
    and late."""
    return handled_case(people, "2026-03-09", back="2026-03-10", verify="2026-03-12")


def test_a_case_closed_before_its_deadline_is_listed_with_its_late_verification(
    late_verification: Case,
    month: dict[str, Case],  # noqa: F811
) -> None:
    case = Case.objects.get(pk=late_verification.pk)
    assert case.closed_on_time is False and case.closed_at is not None and case.due_at is not None
    assert case.closed_at < case.due_at  # what read as a contradiction: closed before the deadline
    figures = compute(town(), MARCH)
    assert figures["overdue_total"] == figures["cases"]["not_closed_on_time"]["num"] == 2  # the indices'
    rows = {row["number"]: row for row in figures["overdue"]}
    (verify,) = rows[case.number]["late"]
    assert verify["stage"] == "verify" and verify["deadline"] < verify["ended"] == rows[case.number]["closed_at"]
    (handle,) = rows[month["B"].number]["late"]  # B: still in handling, its deadline passed in March
    assert handle["stage"] == "handle" and handle["ended"] == ""

    table = documents.outline(figures).sections[4].tables[0]
    titles = [column.title for column in table.columns]
    assert titles[4:8] == ["超期环节", "环节时限", "环节结束时间", "结案时间"] and "已结案" not in titles
    printed = {row[0]: row for row in documents.printed(table)}
    assert printed[case.number][4:8] == ["核查", verify["deadline"], verify["ended"], verify["ended"]]
    assert printed[month["B"].number][4:8] == ["处置", handle["deadline"], "未结束", "—"]
    word = Document(io.BytesIO(documents.write_docx(figures)))
    assert "核查" in [cell.text for row in word.tables[-2].rows for cell in row.cells]  # before the hotline's
    sheet = load_workbook(io.BytesIO(documents.write_xlsx(figures)))["未按期办结案件"]
    assert [cell.value for cell in sheet[1]][4:8] == titles[4:8]


def test_a_case_late_with_no_late_stage_was_not_closed_by_the_end_of_the_month(march: dict[str, Any]) -> None:
    row = {**march["overdue"][0], "late": []}
    assert documents.late_lines(row) == [{"stage": "月末未结案", "deadline": row["due_at"], "ended": ""}]


def test_a_bulletin_filed_before_the_late_stages_is_written_again(march: dict[str, Any]) -> None:
    old = {**march, "format": 1, "overdue": [{k: v for k, v in row.items() if k != "late"} for row in march["overdue"]]}
    table = documents.outline(old).sections[4].tables[0]
    assert documents.printed(table)[0][4:6] == ["", old["overdue"][0]["due_at"]]
    assert documents.write_pdf(old).startswith(b"%PDF")
    with pytest.raises(ValueError):
        documents.outline({**march, "format": 99})


def test_every_standard_sentence_carries_what_was_due(march: dict[str, Any]) -> None:
    before = march["cases_previous"]
    figures = (before["registered"]["num"], before["due"]["num"], before["closed"]["num"])
    last_month = "上月受理 {} 件，应办结 {} 件，办结 {} 件，".format(*figures)
    text = documents.outline(march)
    assert text.sections[0].paragraphs[0] == THIS_MONTH
    assert text.sections[0].paragraphs[2].startswith(last_month) and "按期办结率" in text.sections[0].paragraphs[2]
    (note,) = text.notes
    assert "“受理”即表中“已立案”" in note and "“办结”即“已结案”" in note
    word = "\n".join(p.text for p in Document(io.BytesIO(documents.write_docx(march))).paragraphs)
    html = documents.html(march)
    book = load_workbook(io.BytesIO(documents.write_xlsx(march)))
    first = "\n".join(str(row[0]) for row in book["通报"].iter_rows(values_only=True) if row and row[0])
    for document in (word, html, first):
        assert THIS_MONTH in document and last_month in document and "口径说明" in document and note in document


def test_the_villages_have_a_sentence_and_tied_issues_are_all_named(march: dict[str, Any]) -> None:
    text = documents.outline(march)
    village = next(section for section in text.sections if section.title.startswith("三、"))
    assert village.paragraphs and village.paragraphs[0].startswith(
        f"本月有 {len(march['villages'])} 个村（社区）有案件"
    )
    figures = {
        **march,
        "categories": [
            {"name": "甲类", "reported": 2, "previous": 0},
            {"name": "乙类", "reported": 2, "previous": 1},
            {"name": "丙类", "reported": 1, "previous": 0},
        ],
    }
    issues = next(section for section in documents.outline(figures).sections if section.title.startswith("四、"))
    assert issues.paragraphs[0] == "本月上报最多的问题是甲类、乙类，各 2 件。"
    many = {**march, "categories": [{"name": f"{n}类", "reported": 1, "previous": 0} for n in "甲乙丙丁戊"]}
    issues = next(section for section in documents.outline(many).sections if section.title.startswith("四、"))
    assert issues.paragraphs[0] == "本月上报最多的问题是甲类、乙类、丙类等（另有 2 个），各 1 件。"


def test_a_village_bulletin_says_which_hotline_orders_it_counts(month: dict[str, Case], march: dict[str, Any]) -> None:  # noqa: F811
    grid = month["A"].grid
    assert grid is not None and grid.parent is not None
    said = "村（社区）的数字只统计已转为本村（社区）网格案件的工单"
    village = documents.outline(compute(grid.parent, MARCH))
    assert any(said in paragraph for section in village.sections for paragraph in section.paragraphs)
    town_text = documents.outline(march)
    assert not any(said in paragraph for section in town_text.sections for paragraph in section.paragraphs)


def test_the_word_document_is_an_official_a4_page(march: dict[str, Any]) -> None:
    word = Document(io.BytesIO(documents.write_docx(march)))
    first = word.sections[0]
    assert (mm(first.page_width), mm(first.page_height)) == (210, 297)
    margins = (first.top_margin, first.bottom_margin, first.left_margin, first.right_margin)
    assert [mm(margin) for margin in margins] == [37, 35, 28, 26]
    for name, east_asian in (("Normal", "宋体"), ("Title", "黑体"), ("Heading 1", "黑体"), ("Heading 2", "黑体")):
        style = word.styles[name]
        fonts = style.element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == east_asian, name
        assert not any(fonts.get(qn(f"w:{theme}")) for theme in ("asciiTheme", "eastAsiaTheme", "hAnsiTheme"))
        assert str(style.font.color.rgb) == "000000" and style.font.color.theme_color is None, name
    assert word.styles["Title"].element.pPr.find(qn("w:pBdr")) is None  # no blue rule under the title
    title = word.paragraphs[0]
    assert title.text == "网格化服务管理月度通报" and title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    # The cases not closed on time (nine columns) are on landscape pages, the rest is portrait.
    orientations = [section.orientation for section in word.sections]
    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    assert all(mm(section.top_margin) == 37 for section in word.sections)


def test_the_pdf_keeps_short_cells_on_one_line_and_says_what_its_charts_show(march: dict[str, Any]) -> None:
    html = documents.html(march)
    late = html[html.index("<h3>未按期办结案件</h3>") :]
    header = re.findall(r"<th[^>]*>([^<]*)</th>", late[: late.index("</thead>")])
    assert header == [
        "编号",
        "事项分类",
        "网格",
        "主办部门",
        "超期环节",
        "环节时限",
        "环节结束时间",
        "结案时间",
        "状态",
    ]
    assert re.search(r'<td class="nowrap">[^<]+</td></tr>', late)  # the status, last
    assert re.search(r'<td class="nowrap">[^<]*第\d+网格</td>', late)  # a grid's name is not broken
    assert '<table class="wide">' in late
    for caption in ("各部门按期结案率（%）", "各村(社区)已上报案件数（件）", "各类事项本月上报数（件）"):
        assert f'<p class="chart-title">{caption}</p>' in html
    # An SVG's sizes are CSS pixels (0.75 pt): 8 pt is 10.7 px.
    sizes = [int(size) for size in re.findall(r'font-size="(\d+)"', html)]
    assert sizes and min(sizes) * 0.75 >= 8


def test_a_rate_changes_by_percentage_points_and_a_count_by_cases(march: dict[str, Any]) -> None:
    figures = dict(march, cases_previous=dict(march["cases_previous"]))
    previous = figures["cases_previous"]
    previous["closure_rate"] = dict(previous["closure_rate"], value=72.5)
    previous["registered"] = dict(previous["registered"], num=3)
    table = documents.outline(figures).sections[0].tables[0]
    printed = {row[0]: row for row in documents.printed(table)}
    assert printed["结案率"][1:] == ["80.0%", "72.5%", "+7.5 个百分点"]
    assert printed["已立案"][1:] == ["5", "3", "+2"]
    hotline = documents.outline(figures).sections[-1].tables[0]
    rates = [shown[3] for row, shown in zip(hotline.rows, documents.printed(hotline), strict=True) if row[-1] == "rate"]
    assert rates and all(change == "—" or change.endswith("个百分点") for change in rates)
