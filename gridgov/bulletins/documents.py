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
from gridgov.categories.models import Stage
from gridgov.core.spreadsheets import SafeWorkbook

from .figures import CASE_CODES, DEPARTMENT_CODES, FORMAT, VILLAGE_CODES

# The shapes of frozen figures the writers read: a bulletin filed before the late stages were
# kept (format 1) can still be written again.
FORMATS_READ: Final = (1, FORMAT)

TEXT: Final = "text"
COUNT: Final = "count"
RATE: Final = "rate"
HOURS: Final = "hours"
CHANGE: Final = "change"
POINTS: Final = "points"  # a rate's change, in percentage points (百分点)
# The change column of a table of several kinds of figures: a rate's change is in points.
CHANGE_OF_ROW: Final = "change_of_row"
WHEN: Final = "when"  # a date and time as text ("2026-11-17 11:04")
STYLESHEET: Final = Path(__file__).resolve().parent / "pdf" / "bulletin.css"
# A PDF chart, in CSS pixels (0.75 pt): the labels' column, the longest bar, room for its value.
CHART_LABELS: Final = 200
CHART_WIDTH: Final = 270
CHART_VALUES: Final = 56
CHART_ROW: Final = 20  # one bar and the gap to the next
CHART_BARS: Final = 15


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT
    # Short values printed on one line (a status, a grid's name): the PDF does not break them.
    nowrap: bool = False


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    # A bar chart of one column by the first one (its index), or None.
    chart: int | None = None
    note: str = ""
    # The chart's title, which says the figure its bars show (the column's title when empty).
    chart_title: str = ""
    # Many columns: the PDF prints the table a little smaller.
    wide: bool = False

    @property
    def chart_caption(self) -> str:
        if self.chart is None:
            return ""
        return self.chart_title or self.columns[self.chart].title


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
    # 口径说明: what the words of the text mean in the figures' terms, printed before the footer.
    notes: list[str] = field(default_factory=list)


# At most this many tied names in a sentence; more are "and N more", the table has them all.
TIED_NAMED: Final = 3


def _most(rows: list[tuple[str, int]]) -> tuple[str, int]:
    """The names with the highest count (ties all named, up to :data:`TIED_NAMED`) and the count."""
    most = max(count for _name, count in rows)
    tied = [name for name, count in rows if count == most]
    named = "、".join(tied[:TIED_NAMED])
    if len(tied) > TIED_NAMED:
        named = _("%(names)s and %(more)s more") % {"names": named, "more": len(tied) - TIED_NAMED}
    return named, most


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
    if kind == POINTS:
        return _("%(change)s pp") % {"change": f"{value:+.1f}"}
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
    if figures.get("format") not in FORMATS_READ:
        raise ValueError("figures of an unknown format")
    area = figures["area"]["name"]
    month = _month_label(figures["month"])
    cases = figures["cases"]
    before = figures["cases_previous"]
    hotline = figures["hotline"]
    hotline_before = figures["hotline_previous"]

    summary = Section(_("1. Overview"))
    # The standard sentence, this month and last: every rate with its denominator (应办结) beside
    # its numerator, so that "registered 5, closed 8" does not read as a slip.
    summary.paragraphs.append(
        _(
            "This month: %(registered)s registered, %(due)s due to close, %(closed)s closed, closure rate "
            "%(closure_rate)s, %(on_time)s closed on time, on-time closure rate %(on_time_rate)s."
        )
        % _standard(cases)
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
            "Last month: %(registered)s registered, %(due)s due to close, %(closed)s closed, closure rate "
            "%(closure_rate)s, %(on_time)s closed on time, on-time closure rate %(on_time_rate)s."
        )
        % _standard(before)
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
                Column(_("Change"), CHANGE_OF_ROW),
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
            chart_title=_("On-time closure rate by department (%)"),
        )
    )
    sections = [summary, department]

    if figures["villages"]:
        village = Section(_("3. Villages"))
        names, most = _most([(row["name"], row["figures"]["reported"]["num"]) for row in figures["villages"]])
        village.paragraphs.append(
            _("%(villages)s of the town's villages had cases this month; most reported: %(names)s (%(count)s).")
            % {"villages": len(figures["villages"]), "names": names, "count": most}
        )
        village.tables.append(
            Table(
                _("Villages"),
                [Column(_("Village")), *_index_columns(VILLAGE_CODES)],
                [[row["name"], *_index_cells(row, VILLAGE_CODES)] for row in figures["villages"]],
                chart=1,
                chart_title=_("Cases reported by village"),
            )
        )
        sections.append(village)

    # Written out per number (not "%(n)s、"): a Chinese heading counts 四、五、六, not 4、5、6.
    with_villages = len(sections) == 3
    issues = Section(_("4. Top issues") if with_villages else _("3. Top issues"))
    if figures["categories"]:
        first = figures["categories"][0]
        names, most = _most([(row["name"], row["reported"]) for row in figures["categories"]])
        if names == first["name"]:
            issues.paragraphs.append(
                _("The most reported issue this month was %(name)s, %(count)s reports (last month %(before)s).")
                % {"name": first["name"], "count": first["reported"], "before": first["previous"]}
            )
        else:  # several at the top: all of them named, none picked
            issues.paragraphs.append(
                _("The most reported issues this month were %(names)s, %(count)s reports each.")
                % {"names": names, "count": most}
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
            chart_title=_("Reports this month by category"),
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
    overdue.paragraphs.append(
        _(
            "The late stage is the handling or on-site verification stage that ended after its own deadline "
            "(or had not ended when its deadline came); its deadline and end are those of that stage, so a "
            "case closed before the overall deadline can be late because of its verification."
        )
    )
    overdue.tables.append(
        Table(
            _("Cases not closed on time"),
            [
                Column(_("Number"), nowrap=True),
                Column(_("Category")),
                Column(_("Grid"), nowrap=True),
                Column(_("Lead department")),
                Column(_("Late stage"), nowrap=True),
                Column(_("Stage deadline"), WHEN),
                Column(_("Stage ended"), WHEN),
                Column(_("Closed at"), WHEN),
                Column(_("Status"), nowrap=True),
            ],
            [
                [
                    row["number"],
                    row["category"],
                    row["grid"],
                    row["department"],
                    *_late_cells(row),
                    row["closed_at"],
                    row["status"],
                ]
                for row in figures["overdue"]
            ],
            wide=True,
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
    if figures["area"]["level"] != "town":
        # An order stays on the town until a case is made for it in a village's grid: a
        # village's figures count those orders only, which its readers must be told.
        line.paragraphs.append(
            _(
                "12345 orders are assigned to the town; a village's figures count the orders turned into "
                "cases in its grids. The town's bulletin has all of them."
            )
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
                Column(_("Change"), CHANGE_OF_ROW),
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
        notes=[
            _(
                "The text's registered, due to close and closed are the tables' figures of the same names "
                "(registered: by the center, or accepted by the village), its closure rate is closed ÷ due "
                "to close, and closed on time means that no handling or verification stage ended after its "
                "deadline."
            )
        ],
    )


def _standard(cases: dict[str, Any]) -> dict[str, Any]:
    """The figures of the standard sentence (本月受理 N 件，应办结 N 件……) of a month."""
    return {
        "registered": cases["registered"]["num"],
        "due": cases["due"]["num"],
        "closed": cases["closed"]["num"],
        "closure_rate": _rate(cases["closure_rate"]["value"]),
        "on_time": cases["closed_on_time"]["num"],
        "on_time_rate": _rate(cases["on_time_closure_rate"]["value"]),
    }


def late_lines(row: dict[str, Any]) -> list[dict[str, str]]:
    """Why a case not closed on time is late: each late stage (its name, deadline and end), or,
    with none, that it was not closed by the end of the month (its overall deadline and closing).

    A bulletin of format 1 kept no stages: its line has the case's overall deadline only."""
    if "late" not in row:
        return [{"stage": "", "deadline": row["due_at"], "ended": ""}]
    if not row["late"]:
        return [{"stage": str(_("Not closed by the end of the month")), "deadline": row["due_at"], "ended": ""}]
    return [
        {
            "stage": _stage_label(line["stage"]),
            "deadline": line["deadline"],
            "ended": line["ended"] or str(_("Not ended")),
        }
        for line in row["late"]
    ]


def _stage_label(code: str) -> str:
    return str(Stage(code).label) if code in Stage.values else code


def _late_cells(row: dict[str, Any]) -> list[str]:
    """The late stage, its deadline and its end: a line per late stage."""
    lines = late_lines(row)
    return ["\n".join(line[key] for line in lines) for key in ("stage", "deadline", "ended")]


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
    """The kind of each cell: a "mixed" column takes the kind the row names in its last cell, a
    :data:`CHANGE_OF_ROW` column that kind's change (a rate's in points)."""
    kinds = []
    for column in table.columns:
        if column.kind == "mixed":
            kinds.append(row[-1])
        elif column.kind == CHANGE_OF_ROW:
            kinds.append(POINTS if row[-1] == RATE else CHANGE)
        else:
            kinds.append(column.kind)
    return kinds


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


# The page of a Chinese official document (GB/T 9704-2012 党政机关公文格式): A4, and its margins.
PAGE_MM: Final = (210, 297)
MARGINS_MM: Final = {"top": 37, "bottom": 35, "left": 28, "right": 26}
# Word's styles: (Latin font, East Asian font, size in points, bold). 二号 22 pt for the title,
# 三号 16 pt and 四号 14 pt for the headings, 小四 12 pt for the text.
WORD_STYLES: Final = {
    "Normal": ("SimSun", "宋体", 12, False),
    "Title": ("SimHei", "黑体", 22, False),
    "Heading 1": ("SimHei", "黑体", 16, False),
    "Heading 2": ("SimHei", "黑体", 14, False),
}
# The theme attributes of ``w:rFonts`` win over the named fonts: Word's template gives its
# headings Calibri/Cambria and the theme's East Asian font through them.
_THEME_FONTS: Final = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")


def _fonts(style: Any, latin: str, east_asian: str) -> None:
    """Name a style's Latin and East Asian fonts (``w:ascii``, ``w:hAnsi``, ``w:eastAsia``),
    without the theme's fonts that would override them."""
    from docx.oxml.ns import qn

    style.font.name = latin
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for name in _THEME_FONTS:
        fonts.attrib.pop(qn(f"w:{name}"), None)
    fonts.set(qn("w:eastAsia"), east_asian)


def _plain_styles(document: Any) -> None:
    """Black text in the set fonts and sizes, no theme colour, no rule under the title."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    for name, (latin, east_asian, size, bold) in WORD_STYLES.items():
        style = document.styles[name]
        _fonts(style, latin, east_asian)
        style.font.size = Pt(size)
        style.font.bold = bold
        style.font.color.rgb = RGBColor(0, 0, 0)
        borders = style.element.get_or_add_pPr().find(qn("w:pBdr"))
        if borders is not None:
            borders.getparent().remove(borders)


def _a4(section: Any, *, landscape: bool = False) -> None:
    """A4 with the margins of GB/T 9704; turned for a wide table (the same margins)."""
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    width, height = (PAGE_MM[1], PAGE_MM[0]) if landscape else PAGE_MM
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(width), Mm(height)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])


def _text_width(text: str) -> float:
    """The width of the longest line of ``text`` in ems: a CJK character one, anything else (digits,
    Latin) 0.62, what the widest fonts a reader may substitute need."""
    return max((sum(1.0 if ord(char) > 0x2E80 else 0.62 for char in line) for line in text.split("\n")), default=0)


def _word_widths(table: Table, cells: list[list[str]], usable_mm: float, size_pt: float) -> list[float]:
    """Column widths (mm) of a wide table in Word: each as wide as its longest line (a date and
    time on two lines), the columns of running text (a category, a department) narrowed to what
    is left, none below four characters."""
    em_mm = size_pt * 25.4 / 72
    padding = 4.0  # Word's cell margins (1.9 mm) on both sides, and a little
    natural = []
    for index, column in enumerate(table.columns):
        texts = [column.title] + [row[index] for row in cells]
        # One em more on a line that must not break: Word spaces a digit out from CJK around it.
        spare = 1.0 if column.nowrap else 0.0
        natural.append((max(_text_width(text) for text in texts) + spare) * em_mm + padding)
    flexible = [i for i, column in enumerate(table.columns) if column.kind == TEXT and not column.nowrap]
    fixed = sum(width for i, width in enumerate(natural) if i not in flexible)
    wanted = sum(natural[i] for i in flexible)
    room = usable_mm - fixed
    if flexible and wanted > room:
        least = 4 * em_mm + padding
        for i in flexible:
            natural[i] = max(least, natural[i] * room / wanted)
    return natural


@in_document_language
def write_docx(figures: dict[str, Any]) -> bytes:
    """The bulletin as a Word document."""
    return outline_docx(outline(figures))


def outline_docx(text: Outline) -> bytes:
    """Any outline (a bulletin's, a monthly summary's) as a Word document."""
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = Document()
    _a4(document.sections[0])
    _plain_styles(document)
    title = document.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(text.title)
    subtitle = document.add_paragraph(text.subtitle)
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in text.sections:
        # A section with a wide table (the cases not closed on time) is on landscape pages.
        wide = any(table.wide and table.rows for table in section.tables)
        if wide:
            _a4(document.add_section(WD_SECTION.NEW_PAGE), landscape=True)
        document.add_heading(section.title, level=1)
        for paragraph in section.paragraphs:
            document.add_paragraph(paragraph).paragraph_format.first_line_indent = Pt(24)
        for table in section.tables:
            document.add_heading(table.title, level=2)
            _word_table(document, table)
        if wide:
            _a4(document.add_section(WD_SECTION.NEW_PAGE))
    if text.notes:
        document.add_heading(_("Notes on the figures"), level=2)
        for note in text.notes:
            document.add_paragraph(note)
    footer = document.add_paragraph()
    footer.add_run(text.footer).font.size = Pt(10.5)  # 五号; no italics, which Chinese type has not
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _word_table(document: Any, table: Table) -> None:
    from docx.shared import Mm, Pt

    cells = printed(table)
    if table.wide:  # a date and its time on two lines
        cells = [
            [
                value.replace(" ", "\n") if column.kind == WHEN else value
                for value, column in zip(row, table.columns, strict=False)
            ]
            for row in cells
        ]
    grid = document.add_table(rows=1 + len(cells), cols=len(table.columns))
    grid.style = "Table Grid"
    for index, column in enumerate(table.columns):
        run = grid.rows[0].cells[index].paragraphs[0].add_run(column.title)
        run.bold = True
    for number, row in enumerate(cells, start=1):
        for index, value in enumerate(row[: len(table.columns)]):
            grid.rows[number].cells[index].text = value
    if table.wide and cells:
        size = 10.5  # 五号
        usable = PAGE_MM[1] - MARGINS_MM["left"] - MARGINS_MM["right"]
        grid.autofit = False
        for index, width in enumerate(_word_widths(table, cells, usable, size)):
            grid.columns[index].width = Mm(width)
            for cell in grid.columns[index].cells:
                cell.width = Mm(width)
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(size)
    if not cells:
        document.add_paragraph(_("None."))


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
            "y": 4 + CHART_ROW * n,
        }
        for n, (label, value) in enumerate(values[:CHART_BARS])
    ]


def html(figures: dict[str, Any]) -> str:
    return outline_html(outline(figures))


def _cell_class(column: Column) -> str:
    """The PDF's class of a column's cells: short texts on one line, a date and time broken (if
    at all) between the two."""
    classes = []
    if column.kind == WHEN:
        classes.append("when")
    if column.nowrap:
        classes.append("nowrap")
    return " ".join(classes)


def outline_html(text: Outline) -> str:
    tables = []
    for section in text.sections:
        laid_out = []
        for table in section.tables:
            classes = [_cell_class(column) for column in table.columns]
            rows = [list(zip(row, classes, strict=False)) for row in printed(table)]
            chart = bars(table)
            columns = list(zip(table.columns, classes, strict=True))
            laid_out.append((table, columns, rows, chart, 8 + CHART_ROW * len(chart)))
        tables.append((section, laid_out))
    sizes = {
        "labels": CHART_LABELS,
        "bars_at": CHART_LABELS + 6,
        "values_at": CHART_LABELS + 10,
        "width": CHART_LABELS + 6 + CHART_WIDTH + CHART_VALUES,
    }
    return render_to_string("bulletins/document.html", {"outline": text, "sections": tables, "chart": sizes})


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
    if text.notes:
        first.blank()
        first.append([_("Notes on the figures")], bold=True)
        for note in text.notes:
            first.append([note])
    first.blank()
    first.append([text.footer])
    for section in text.sections:
        for table in section.tables:
            sheet = book.sheet(table.title)
            sheet.widths([28 if column.kind == TEXT else 18 if column.kind == WHEN else 14 for column in table.columns])
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
                chart.title = table.chart_caption
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
