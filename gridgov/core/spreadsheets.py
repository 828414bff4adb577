"""The one writer of every spreadsheet the system produces (exports, reports, the district's
workbook), so that no cell a person typed can become a live formula.

Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is what a
spreadsheet program may run as a formula (OWASP, "CSV injection"). Every text cell written
here is stored as a string, never as a formula, and such text gets a leading apostrophe, as
OWASP advises, so it stays inert even after someone edits the cell. Characters a workbook
cannot hold (control characters other than tab, line feed and carriage return) are dropped
instead of failing the whole export, and so are the bidirectional overrides, embeddings and
isolates (a cell that displays in another order than it holds: an imported file may carry them,
though no form or endpoint takes them). Numbers, dates and booleans stay typed.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Final

from django.utils import timezone
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
# What the xlsx format cannot store: C0 controls except tab, LF and CR.
_ILLEGAL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATES: Final = re.compile(r"[\ud800-\udfff]")
_BIDI: Final = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
DATETIME_FORMAT: Final = "yyyy-mm-dd hh:mm"
DATE_FORMAT: Final = "yyyy-mm-dd"

BOLD: Final = Font(bold=True)
WRAP: Final = Alignment(wrap_text=True, vertical="top")


def safe_text(value: str) -> str:
    """Text as it may go into a cell: storable, and inert if it looks like a formula."""
    text = _BIDI.sub("", _SURROGATES.sub("", _ILLEGAL.sub("", value)))
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def cell_value(value: Any) -> Any:
    """A value ready for a cell: text made safe, aware times in local time without a zone
    (a workbook has none), numbers, dates and booleans as they are."""
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, Promise):
        value = str(value)
    return safe_text(value if isinstance(value, str) else str(value))


class Sheet:
    """One sheet of a :class:`SafeWorkbook`; every row goes through :func:`cell_value`."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self._sheet = sheet
        self.rows = 0

    def widths(self, widths: Sequence[float]) -> None:
        """Column widths (call before the first row)."""
        for index, width in enumerate(widths, start=1):
            self._sheet.column_dimensions[get_column_letter(index)].width = width

    @property
    def raw(self) -> WriteOnlyWorksheet:
        """The openpyxl sheet, only for what adds no cell (a chart); cells go through append."""
        return self._sheet

    def freeze_header(self) -> None:
        self._sheet.freeze_panes = "A2"

    def append(self, values: Iterable[Any], *, bold: bool = False, size: float | None = None) -> None:
        cells = []
        for value in values:
            cell = WriteOnlyCell(self._sheet, value=cell_value(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
                if len(cell.value) > 30:
                    cell.alignment = WRAP
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, dt.date):
                cell.number_format = DATE_FORMAT
            if bold or size:
                cell.font = Font(bold=True, size=size) if size else BOLD
            cells.append(cell)
        self._sheet.append(cells)
        self.rows += 1

    def header(self, titles: Iterable[Any]) -> None:
        self.append(titles, bold=True)

    def blank(self) -> None:
        self._sheet.append([])
        self.rows += 1


class SafeWorkbook:
    """A streaming (write-only) workbook whose cells are always safe."""

    def __init__(self) -> None:
        self._book = Workbook(write_only=True)

    def sheet(self, title: Any) -> Sheet:
        # Sheet titles cannot hold []:*?/\ and are at most 31 characters long.
        clean = re.sub(r"[\[\]:*?/\\]", " ", safe_text(str(title)).lstrip("'"))[:31] or "Sheet"
        return Sheet(self._book.create_sheet(clean))

    def bytes(self) -> bytes:
        buffer = io.BytesIO()
        self._book.save(buffer)
        return buffer.getvalue()
