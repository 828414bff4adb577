"""The three documents of a bulletin (Word, PDF, Excel), written from its frozen figures only.

:func:`outline` turns the figures (:mod:`.figures`) into the bulletin's text: the title, the
standard sentences (“本月受理 N 件，应办结 N 件，办结 N 件，办结率 x%……”), and the tables with
their charts. The three writers lay the same outline out, so the documents cannot disagree:

- :func:`write_docx`: python-docx, the format Chinese offices exchange (宋体 body, 黑体 titles);
- :func:`write_pdf`: WeasyPrint from an HTML template, the CJK font embedded (subset), bar
  charts drawn as SVG;
- :func:`write_xlsx`: the safe workbook writer (:mod:`gridgov.core.spreadsheets`), a sheet per
  table, typed numbers and bar charts (openpyxl).

Documents are written in the installation's language (Chinese by default), whoever asked.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from PIL import ImageFile

from gridgov.cases.indices import INDICES
from gridgov.core.spreadsheets import SafeWorkbook

from .figures import CASE_CODES, DEPARTMENT_CODES, FORMAT, VILLAGE_CODES

TEXT: Final = "text"
COUNT: Final = "count"
RATE: Final = "rate"
HOURS: Final = "hours"
CHANGE: Final = "change"
STYLESHEET: Final = Path(__file__).resolve().parent / "pdf" / "bulletin.css"
CHART_WIDTH: Final = 300  # the longest bar of a PDF chart, in points


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    # A bar chart of one column by the first one (its index), or None.
    chart: int | None = None
    note: str = ""


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Outline:
    title: str
    subtitle: str
    sections: list[Section]
    footer: str


def show(value: Any, kind: str) -> str:
    """A cell as the Word and PDF documents print it."""
    if value is None or value == "":
        return "—" if kind != TEXT else ""
    if kind == RATE:
        return f"{value:.1f}%"
    if kind == HOURS:
        return f"{value:.1f}"
    if kind == CHANGE:
        return f"{value:+.1f}" if isinstance(value, float) else f"{value:+d}"
    return str(value)


def _rate(value: float | None) -> str:
    return show(value, RATE)


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return _("%(year)s-%(month)s") % {"year": year, "month": number}


def outline(figures: dict[str, Any]) -> Outline:
    """The bulletin's text and tables (in the active language)."""
    if figures.get("format") != FORMAT:
        raise ValueError("figures of an unknown format")
    area = figures["area"]["name"]
    month = _month_label(figures["month"])
    cases = figures["cases"]
    before = figures["cases_previous"]
    hotline = figures["hotline"]
    hotline_before = figures["hotline_previous"]

    summary = Section(_("1. Overview"))
    summary.paragraphs.append(
        _(
            "This month %(area)s registered %(registered)s cases; %(due)s were due to close, %(closed)s were "
            "closed, a closure rate of %(closure_rate)s; %(on_time)s were closed on time, an on-time closure "
            "rate of %(on_time_rate)s."
        )
        % {
            "area": area,
            "registered": cases["registered"]["num"],
            "due": cases["due"]["num"],
            "closed": cases["closed"]["num"],
            "closure_rate": _rate(cases["closure_rate"]["value"]),
            "on_time": cases["closed_on_time"]["num"],
            "on_time_rate": _rate(cases["on_time_closure_rate"]["value"]),
        }
    )
    summary.paragraphs.append(
        _(
            "Reports received: %(reported)s; solved on the spot by grid workers: %(self_handled)s; "
            "not closed on time: %(late)s; rework rate %(rework)s; satisfaction rate of the call-backs "
            "%(satisfaction)s."
        )
        % {
            "reported": cases["reported"]["num"],
            "self_handled": cases["self_handled"]["num"],
            "late": cases["not_closed_on_time"]["num"],
            "rework": _rate(cases["rework_rate"]["value"]),
            "satisfaction": _rate(cases["satisfaction_rate"]["value"]),
        }
    )
    summary.paragraphs.append(
        _(
            "Last month: %(registered)s registered, %(closed)s closed, closure rate %(closure_rate)s, "
            "on-time closure rate %(on_time_rate)s."
        )
        % {
            "registered": before["registered"]["num"],
            "closed": before["closed"]["num"],
            "closure_rate": _rate(before["closure_rate"]["value"]),
            "on_time_rate": _rate(before["on_time_closure_rate"]["value"]),
        }
    )
    rows = []
    for code, label in _case_labels().items():
        kind = {"rate": RATE, "hours": HOURS}.get(_kind(code), COUNT)
        if kind == HOURS:
            label = _("%(label)s (working hours)") % {"label": label}
        now_value = cases[code]["value"] if kind != COUNT else cases[code]["num"]
        before_value = before[code]["value"] if kind != COUNT else before[code]["num"]
        if kind == COUNT:
            change: Any = now_value - before_value
        else:
            change = _change(now_value, before_value)
        rows.append([label, now_value, before_value, change, kind])
    summary.tables.append(
        Table(
            _("Key figures"),
            [
                Column(_("Figure")),
                Column(_("This month"), "mixed"),
                Column(_("Last month"), "mixed"),
                Column(_("Change"), CHANGE),
            ],
            rows,
        )
    )

    department = Section(_("2. Departments and ranking"))
    department.paragraphs.append(
        _("Ranked by the on-time closure rate; a department without cases due this month is not ranked.")
    )
    unowned = due_without_department(figures)
    if unowned:
        department.paragraphs.append(
            _(
                "%(n)s of the %(due)s cases due this month had no lead department and are in no row of the "
                "table: the departments' figures add up to %(sum)s."
            )
            % {"n": unowned, "due": cases["due"]["num"], "sum": cases["due"]["num"] - unowned}
        )
    department.tables.append(
        Table(
            _("Departments"),
            [Column(_("Rank"), COUNT), Column(_("Department")), *_index_columns(DEPARTMENT_CODES)],
            [[row["rank"], row["name"], *_index_cells(row, DEPARTMENT_CODES)] for row in figures["departments"]],
            chart=2 + DEPARTMENT_CODES.index("on_time_closure_rate"),
        )
    )
    sections = [summary, department]

    if figures["villages"]:
        village = Section(_("3. Villages"))
        village.tables.append(
            Table(
                _("Villages"),
                [Column(_("Village")), *_index_columns(VILLAGE_CODES)],
                [[row["name"], *_index_cells(row, VILLAGE_CODES)] for row in figures["villages"]],
                chart=1,
            )
        )
        sections.append(village)

    # Written out per number (not "%(n)s、"): a Chinese heading counts 四、五、六, not 4、5、6.
    with_villages = len(sections) == 3
    issues = Section(_("4. Top issues") if with_villages else _("3. Top issues"))
    if figures["categories"]:
        first = figures["categories"][0]
        issues.paragraphs.append(
            _("The most reported issue this month was %(name)s, %(count)s reports (last month %(before)s).")
            % {"name": first["name"], "count": first["reported"], "before": first["previous"]}
        )
    issues.tables.append(
        Table(
            _("Top issues"),
            [
                Column(_("Category")),
                Column(_("This month"), COUNT),
                Column(_("Last month"), COUNT),
                Column(_("Change"), CHANGE),
            ],
            [
                [row["name"], row["reported"], row["previous"], row["reported"] - row["previous"]]
                for row in figures["categories"]
            ],
            chart=1,
        )
    )
    sections.append(issues)

    overdue = Section(_("5. Cases not closed on time") if with_villages else _("4. Cases not closed on time"))
    overdue.paragraphs.append(
        _("%(n)s cases due this month were not closed on time.") % {"n": figures["overdue_total"]}
        + (
            " " + _("The first %(shown)s by deadline are listed.") % {"shown": len(figures["overdue"])}
            if len(figures["overdue"]) < figures["overdue_total"]
            else ""
        )
    )
    overdue.tables.append(
        Table(
            _("Cases not closed on time"),
            [
                Column(_("Number")),
                Column(_("Category")),
                Column(_("Grid")),
                Column(_("Lead department")),
                Column(_("Deadline")),
                Column(_("Closed")),
                Column(_("Status")),
            ],
            [
                [
                    row["number"],
                    row["category"],
                    row["grid"],
                    row["department"],
                    row["due_at"],
                    row["closed_at"],
                    row["status"],
                ]
                for row in figures["overdue"]
            ],
        )
    )
    sections.append(overdue)

    line = Section(_("6. 12345 hotline") if with_villages else _("5. 12345 hotline"))
    rates = hotline["rates"]
    line.paragraphs.append(
        _(
            "The 12345 hotline assigned %(received)s orders this month; response rate %(response)s, resolution "
            "rate %(resolution)s, satisfaction rate %(satisfaction)s."
        )
        % {
            "received": hotline["received"],
            "response": _rate(rates["response"]["value"]),
            "resolution": _rate(rates["resolution"]["value"]),
            "satisfaction": _rate(rates["satisfaction"]["value"]),
        }
    )
    hotline_labels = {
        "response": _("Response rate"),
        "resolution": _("Resolution rate"),
        "satisfaction": _("Satisfaction rate"),
        "reply_on_time": _("Replied on time rate"),
    }
    hotline_rows: list[list[Any]] = [
        [
            _("Orders received"),
            hotline["received"],
            hotline_before["received"],
            hotline["received"] - hotline_before["received"],
            COUNT,
        ]
    ]
    for code, label in hotline_labels.items():
        now_value = rates[code]["value"]
        before_value = hotline_before["rates"][code]["value"]
        hotline_rows.append([label, now_value, before_value, _change(now_value, before_value), RATE])
    line.tables.append(
        Table(
            _("12345 hotline"),
            [
                Column(_("Figure")),
                Column(_("This month"), "mixed"),
                Column(_("Last month"), "mixed"),
                Column(_("Change"), CHANGE),
            ],
            hotline_rows,
        )
    )
    sections.append(line)

    return Outline(
        title=_("Monthly bulletin of grid-based service management"),
        subtitle=_("%(area)s · %(month)s") % {"area": area, "month": month} + _unfinished(figures),
        sections=sections,
        footer=_(
            "Source: the grid-based service management platform, computed at %(at)s. The definition of "
            "every figure is on the platform's statistics page."
        )
        % {"at": figures["computed_at"].replace("T", " ")[:16]},
    )


def due_without_department(figures: dict[str, Any]) -> int:
    """How many of the cases due in the month had no lead department: they count in the
    area's total but in no department's row (the rows add up to less than the total)."""
    rows = sum(row["figures"]["due"]["num"] for row in figures["departments"])
    return max(0, figures["cases"]["due"]["num"] - rows)


def _unfinished(figures: dict[str, Any]) -> str:
    """Said after the title when the month had not ended when the figures were computed."""
    computed = str(figures["computed_at"])[:10]
    if computed > figures["period"]["end"]:
        return ""
    return " " + _("(as of %(day)s; the month has not ended)") % {"day": computed}


def _index_columns(codes: tuple[str, ...]) -> list[Column]:
    """A column per index, titled with its label (a count, or a rate in percent)."""
    return [Column(str(INDICES[code].label), RATE if INDICES[code].kind == "rate" else COUNT) for code in codes]


def _index_cells(row: dict[str, Any], codes: tuple[str, ...]) -> list[Any]:
    figures = row["figures"]
    return [figures[code]["value"] if INDICES[code].kind == "rate" else figures[code]["num"] for code in codes]


def _case_labels() -> dict[str, str]:
    return {code: str(INDICES[code].label) for code in CASE_CODES}


def _kind(code: str) -> str:
    return INDICES[code].kind


def row_kinds(table: Table, row: list[Any]) -> list[str]:
    """The kind of each cell: a "mixed" column takes the kind the row names in its last cell."""
    return [row[-1] if column.kind == "mixed" else column.kind for column in table.columns]


def printed(table: Table) -> list[list[str]]:
    """The rows of a table as the Word and PDF documents print them."""
    result = []
    for row in table.rows:
        kinds = row_kinds(table, row)
        result.append([show(value, kind) for value, kind in zip(row, kinds, strict=False)])
    return result


def in_document_language(function: Any) -> Any:
    """Run a writer in the installation's language, whatever the request's."""

    def wrapped(figures: dict[str, Any]) -> bytes:
        with translation.override(settings.LANGUAGE_CODE):
            result: bytes = function(figures)
            return result

    wrapped.__name__ = function.__name__
    wrapped.__doc__ = function.__doc__
    return wrapped


def write_in_document_language(make: Any, writer: Any) -> bytes:
    """``writer(make())``: an outline made and written in the installation's language (the
    monthly summary, a meeting's minutes)."""
    with translation.override(settings.LANGUAGE_CODE):
        result: bytes = writer(make())
        return result


# --- Word -----------------------------------------------------------------------------------------


def _east_asian(run_or_style: Any, font: str) -> None:
    from docx.oxml.ns import qn

    element = run_or_style.element
    properties = element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), font)


@in_document_language
def write_docx(figures: dict[str, Any]) -> bytes:
    """The bulletin as a Word document."""
    return outline_docx(outline(figures))


def outline_docx(text: Outline) -> bytes:
    """Any outline (a bulletin's, a monthly summary's) as a Word document."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(12)
    _east_asian(normal, "宋体")
    for name in ("Title", "Heading 1", "Heading 2"):
        style = document.styles[name]
        style.font.name = "SimHei"
        _east_asian(style, "黑体")
    title = document.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(text.title)
    subtitle = document.add_paragraph(text.subtitle)
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in text.sections:
        document.add_heading(section.title, level=1)
        for paragraph in section.paragraphs:
            document.add_paragraph(paragraph).paragraph_format.first_line_indent = Pt(24)
        for table in section.tables:
            document.add_heading(table.title, level=2)
            cells = printed(table)
            grid = document.add_table(rows=1 + len(cells), cols=len(table.columns))
            grid.style = "Table Grid"
            for index, column in enumerate(table.columns):
                run = grid.rows[0].cells[index].paragraphs[0].add_run(column.title)
                run.bold = True
            for number, row in enumerate(cells, start=1):
                for index, value in enumerate(row[: len(table.columns)]):
                    grid.rows[number].cells[index].text = value
            if not cells:
                document.add_paragraph(_("None."))
    document.add_paragraph(text.footer).runs[0].italic = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- PDF ------------------------------------------------------------------------------------------


def bars(table: Table) -> list[dict[str, Any]]:
    """The bars of a table's chart (label, value, length in points, position)."""
    if table.chart is None:
        return []
    label_index = 1 if table.columns[0].kind == COUNT and len(table.columns) > 1 else 0
    values = [
        (str(row[label_index]), row[table.chart]) for row in table.rows if isinstance(row[table.chart], int | float)
    ]
    top = max((float(value) for _label, value in values), default=0.0) or 1.0
    kind = table.columns[table.chart].kind
    return [
        {
            "label": label,
            "value": show(value, kind),
            "length": round(CHART_WIDTH * float(value) / top, 1),
            "y": 4 + 18 * n,
        }
        for n, (label, value) in enumerate(values[:15])
    ]


def html(figures: dict[str, Any]) -> str:
    return outline_html(outline(figures))


def outline_html(text: Outline) -> str:
    tables = [
        (section, [(table, printed(table), bars(table), 8 + 18 * len(bars(table))) for table in section.tables])
        for section in text.sections
    ]
    return render_to_string(
        "bulletins/document.html", {"outline": text, "sections": tables, "chart_width": CHART_WIDTH}
    )


@in_document_language
def write_pdf(figures: dict[str, Any]) -> bytes:
    """The bulletin as a PDF, the CJK font embedded."""
    return outline_pdf(outline(figures))


def outline_pdf(text: Outline) -> bytes:
    """Any outline as a PDF, the CJK font embedded."""
    # WeasyPrint turns on Pillow's loading of truncated images for the whole process when it is
    # first imported; the photo checks of the case loop rely on it being off (a cut-off upload is
    # refused), and a bulletin holds no raster image: put it back.
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import CSS, HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = truncated
    document = HTML(string=outline_html(text), base_url=str(STYLESHEET.parent))
    result: bytes = document.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])
    return result


# --- Excel ----------------------------------------------------------------------------------------


@in_document_language
def write_xlsx(figures: dict[str, Any]) -> bytes:
    """The bulletin as a workbook: the sentences, then a sheet per table with its chart."""
    text = outline(figures)
    book = SafeWorkbook()
    first = book.sheet(_("Bulletin"))
    first.widths([120])
    first.append([text.title], bold=True, size=14)
    first.append([text.subtitle])
    for section in text.sections:
        first.blank()
        first.append([section.title], bold=True)
        for paragraph in section.paragraphs:
            first.append([paragraph])
    first.blank()
    first.append([text.footer])
    for section in text.sections:
        for table in section.tables:
            sheet = book.sheet(table.title)
            sheet.widths([28 if column.kind == TEXT else 14 for column in table.columns])
            sheet.header([column.title + (" (%)" if column.kind == RATE else "") for column in table.columns])
            for row in table.rows:
                kinds = row_kinds(table, row)
                values = [
                    value if kind != TEXT or value is None else str(value)
                    for value, kind in zip(row[: len(table.columns)], kinds, strict=False)
                ]
                sheet.append(values)
            sheet.freeze_header()
            if table.chart is not None and table.rows:
                chart = BarChart()
                chart.type = "bar"
                chart.title = table.columns[table.chart].title
                chart.legend = None
                count = len(table.rows)
                label_column = 2 if table.columns[0].kind == COUNT and len(table.columns) > 1 else 1
                data = Reference(sheet.raw, min_col=table.chart + 1, min_row=1, max_row=count + 1)
                labels = Reference(sheet.raw, min_col=label_column, min_row=2, max_row=count + 1)
                chart.add_data(data, titles_from_data=True)
                chart.set_categories(labels)
                chart.height = max(6.0, 0.6 * count)
                chart.width = 18.0
                sheet.raw.add_chart(chart, f"{_column_letter(len(table.columns) + 2)}2")
    return book.bytes()


def _column_letter(index: int) -> str:
    return get_column_letter(index)
