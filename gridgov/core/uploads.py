"""Reading uploaded tables (Excel ``.xlsx`` and CSV) without letting one file stall the system.

Every table upload goes through here, so that the same ceilings hold for all of them:

- the file is checked by name and size before anything is read (:func:`check_upload`);
- it is read **streaming**, row by row (openpyxl's read-only mode; CSV decoded as it is
  read), never loaded whole: :func:`open_table` gives a :class:`TableReader` whose
  :meth:`~TableReader.rows` yields the non-blank rows with their sheet row numbers, merged
  ranges filled in as a reader sees them;
- a ceiling per upload (:class:`UploadLimits`): bytes, non-blank rows, columns, characters per
  cell and in all, the size of the workbook parts that are loaded whole (shared strings,
  styles), the merged ranges. Beyond any of them the reader stops and raises
  :class:`UploadRefused` with a message for the person who uploaded the file;
- nothing here touches the database: callers read in a background task, outside any
  transaction, and keep what they read in a file (:class:`RowWriter`, :func:`read_rows`: one
  JSON line per row, dates tagged) that later steps read back cheaply.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import logging
import math
import re
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any, Final

from django.utils.translation import gettext as _

logger = logging.getLogger("gridgov.core.uploads")

MB: Final = 1024 * 1024
XLSX_EXTENSIONS: Final = (".xlsx", ".xlsm")
CSV_EXTENSIONS: Final = (".csv", ".txt")
# Bytes of a CSV file looked at to tell its encoding and its delimiter.
CSV_SAMPLE_BYTES: Final = 64 * 1024
# Workbook parts read in chunks when looking for the merged ranges.
SCAN_CHUNK: Final = 1 * MB


class UploadRefused(ValueError):
    """The upload cannot be read, or goes beyond a ceiling; the message is for the person who
    uploaded it (in their language)."""

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class UploadLimits:
    """The ceilings of one upload (see the module's docstring)."""

    max_bytes: int = 10 * MB
    # Non-blank rows read, whatever they are (title, header, data, totals).
    max_rows: int = 10_000
    max_columns: int = 200
    # Excel's own limit for one cell.
    max_cell_chars: int = 32_767
    max_total_chars: int = 20_000_000
    # A part of the workbook that the reader loads whole (shared strings, styles, the workbook).
    max_part_bytes: int = 64 * MB
    # The first sheet, unpacked. It is streamed, but a sheet without a <dimension> element makes
    # openpyxl parse it whole once before the first row (ten seconds for 140 MB); this bounds that.
    max_sheet_bytes: int = 256 * MB
    max_merged: int = 10_000


def file_kind(name: str) -> str:
    """``"xlsx"`` or ``"csv"`` from the file's name; :class:`UploadRefused` otherwise."""
    lowered = name.lower()
    if lowered.endswith(XLSX_EXTENSIONS):
        return "xlsx"
    if lowered.endswith(CSV_EXTENSIONS):
        return "csv"
    raise UploadRefused(_("Only Excel (.xlsx) and CSV files can be imported."))


def check_upload(name: str, size: int, limits: UploadLimits) -> str:
    """What can be checked before reading: the kind of file, empty, too large. Returns the kind."""
    kind = file_kind(name)
    if size <= 0:
        raise UploadRefused(_("The file is empty."))
    if size > limits.max_bytes:
        raise UploadRefused(_("The file is larger than %(n)s MB.") % {"n": limits.max_bytes // MB})
    return kind


def check_workbook(handle: IO[bytes], limits: UploadLimits) -> None:
    """The cheap checks of an ``.xlsx`` before its rows are read: a zip archive holding a
    workbook, no part loaded whole larger than ``max_part_bytes`` (from the archive's
    directory, nothing unpacked)."""
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UploadRefused(_("The file is not a readable Excel workbook.")) from error
    try:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise UploadRefused(_("The file is not a readable Excel workbook."))
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/"):
                if info.file_size > limits.max_sheet_bytes:
                    raise UploadRefused(
                        _("The workbook unpacks to more than %(n)s MB of text; split it into smaller files.")
                        % {"n": limits.max_sheet_bytes // MB}
                    )
                continue  # sheets are streamed
            if info.file_size > limits.max_part_bytes:
                raise UploadRefused(
                    _("The workbook unpacks to more than %(n)s MB of text; split it into smaller files.")
                    % {"n": limits.max_part_bytes // MB}
                )
    finally:
        archive.close()
        handle.seek(0)


# --- cells -----------------------------------------------------------------------------------


def is_blank(cells: Any) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in cells)


def _trimmed(cells: Any) -> list[Any]:
    row = list(cells)
    while row and (row[-1] is None or (isinstance(row[-1], str) and not row[-1].strip())):
        row.pop()
    return row


class _Budget:
    """The characters read so far, against the ceilings."""

    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits
        self.chars = 0
        self.rows = 0

    def row(self, number: int, cells: list[Any]) -> None:
        limits = self.limits
        self.rows += 1
        if self.rows > limits.max_rows:
            raise UploadRefused(
                _("The file has more than %(n)s rows; split it into smaller files.") % {"n": limits.max_rows}
            )
        if len(cells) > limits.max_columns:
            raise UploadRefused(
                _("Row %(row)s has more than %(n)s columns; only tables up to %(n)s columns wide can be read.")
                % {"row": number, "n": limits.max_columns}
            )
        for value in cells:
            if isinstance(value, str):
                size = len(value)
                if size > limits.max_cell_chars:
                    raise UploadRefused(
                        _("A cell of row %(row)s holds more than %(n)s characters.")
                        % {"row": number, "n": limits.max_cell_chars}
                    )
                self.chars += size
        if self.chars > limits.max_total_chars:
            raise UploadRefused(
                _("The file holds more than %(n)s million characters of text; split it into smaller files.")
                % {"n": limits.max_total_chars // 1_000_000}
            )


# --- Excel -------------------------------------------------------------------------------------

_SHEET_DATA_END: Final = re.compile(rb"</(?:[A-Za-z0-9_]+:)?sheetData\s*>|<(?:[A-Za-z0-9_]+:)?sheetData\s*/>")
_MERGE_CELL: Final = re.compile(
    rb"<(?:[A-Za-z0-9_]+:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]{1,3}\d+(?::[A-Za-z]{1,3}\d+)?)\""
)


@dataclass
class _Merged:
    min_col: int
    min_row: int
    max_col: int
    max_row: int
    value: Any = None


# A sheet's cells as the scan for formulas sees them (any namespace prefix): a cell's opening
# tag (not an empty ``<c …/>``), a whole cell, a formula and a cached value in a cell's text.
_NAME_PREFIX: Final = rb"(?:[A-Za-z0-9_.-]+:)?"
_CELL_OPEN: Final = re.compile(rb"<" + _NAME_PREFIX + rb"c(?:\s[^>]*)?(?<!/)>")
_CELL: Final = re.compile(rb"<" + _NAME_PREFIX + rb"c(\s[^>]*)?(?<!/)>(.*?)</" + _NAME_PREFIX + rb"c\s*>", re.DOTALL)
_FORMULA: Final = re.compile(rb"<" + _NAME_PREFIX + rb"f[\s/>]")
# A cached value's text (``<v/>`` or ``<v></v>``: empty, which is a result only of a formula
# that gives text: ``t="str"``).
_VALUE: Final = re.compile(
    rb"<" + _NAME_PREFIX + rb"v(?:\s[^>]*)?(?:/>|>(.*?)</" + _NAME_PREFIX + rb"v\s*>)", re.DOTALL
)
_TEXT_TYPE: Final = re.compile(rb"\bt\s*=\s*[\"']str[\"']")
_CELL_REF: Final = re.compile(rb"\br\s*=\s*[\"']([A-Za-z]{1,3}[0-9]{1,7})[\"']")
# Cells named in the message when formulas come without their results.
FORMULAS_NAMED: Final = 3


class _Formulas:
    """Finds the cells of a sheet's rows that hold a formula but no cached result, fed the
    part's text in chunks. openpyxl reads such a cell as empty (it reads results, it computes
    nothing): a workbook written by a program other than Excel or WPS, or never recalculated,
    would lose those values without a word. Only a chunk with a formula in it is parsed."""

    def __init__(self) -> None:
        self.carry = b""
        self.count = 0
        self.cells: list[str] = []

    def feed(self, chunk: bytes) -> None:
        window = self.carry + chunk
        cut = self._unfinished(window)
        whole = window[:cut]
        self.carry = window[cut:]
        if (b"<f" not in whole and b":f" not in whole) or _FORMULA.search(whole) is None:
            return
        for match in _CELL.finditer(whole):
            body = match.group(2)
            if _FORMULA.search(body) is None:
                continue
            value = _VALUE.search(body)
            if value is not None and (value.group(1) or _TEXT_TYPE.search(match.group(1) or b"")):
                continue
            self.count += 1
            if len(self.cells) < FORMULAS_NAMED:
                ref = _CELL_REF.search(match.group(1) or b"")
                self.cells.append(ref.group(1).decode("ascii").upper() if ref else "?")

    @staticmethod
    def _unfinished(window: bytes) -> int:
        """Where the text the next chunk completes begins: the last cell not closed in
        ``window``, else a tag cut off at its end, else nowhere (the end)."""
        end = len(window)
        last = window.rfind(b"<")
        if last >= 0 and b">" not in window[last:]:
            end = last  # a tag cut off: kept for the next chunk
        position = window.rfind(b"<", 0, end)
        while position >= 0:
            if _CELL_OPEN.match(window, position):
                return end if _CELL.match(window, position) else position
            position = window.rfind(b"<", 0, position)
        return end

    def refuse(self) -> None:
        if not self.count:
            return
        raise UploadRefused(
            _(
                "%(count)s cells hold a formula without its result (%(cells)s): the file was not saved "
                "by Excel or WPS, and their values would be read as empty. Open it in Excel or WPS, "
                "save it and upload it again."
            )
            % {"count": self.count, "cells": "、".join(self.cells)}
        )


def _merged_ranges(archive: zipfile.ZipFile, path: str, limits: UploadLimits) -> list[_Merged]:
    """The merged ranges of a sheet, read from the part's tail (they follow the rows), without
    parsing the rows: the part is scanned in chunks for the end of its data. On the way,
    refused when a cell holds a formula without its result (:class:`_Formulas`)."""
    from openpyxl.utils.cell import range_boundaries

    tail = b""
    found = False
    rest = bytearray()
    formulas = _Formulas()
    with archive.open(path) as stream:
        while True:
            chunk = stream.read(SCAN_CHUNK)
            if not chunk:
                break
            if found:
                rest += chunk
            else:
                window = tail + chunk
                match = _SHEET_DATA_END.search(window)
                if match:
                    found = True
                    formulas.feed(chunk[: max(0, match.start() - len(tail))])
                    rest += window[match.end() :]
                else:
                    formulas.feed(chunk)
                    tail = window[-64:]
            if len(rest) > limits.max_part_bytes or len(formulas.carry) > limits.max_part_bytes:
                raise UploadRefused(_("The workbook's sheet is not readable."))
    formulas.feed(b"")
    formulas.refuse()
    ranges: list[_Merged] = []
    for match in _MERGE_CELL.finditer(bytes(rest)):
        if len(ranges) >= limits.max_merged:
            raise UploadRefused(
                _("The sheet has more than %(n)s merged cells; unmerge them and upload it again.")
                % {"n": limits.max_merged}
            )
        try:
            min_col, min_row, max_col, max_row = range_boundaries(match.group(1).decode("ascii"))
        except (ValueError, TypeError):
            continue
        if None in (min_col, min_row, max_col, max_row):
            continue
        # A title merged over the whole width: only the columns a table can have are filled.
        ranges.append(_Merged(min_col, min_row, min(max_col, limits.max_columns), max_row))  # type: ignore[arg-type]
    ranges.sort(key=lambda item: (item.min_row, item.min_col))
    return ranges


class _MergeFill:
    """Gives a merged range's value (its top-left cell's) to every cell of the range, row by
    row as the rows stream past."""

    def __init__(self, ranges: list[_Merged]) -> None:
        self.pending = ranges
        self.position = 0
        self.active: list[_Merged] = []

    def apply(self, number: int, cells: list[Any]) -> list[Any]:
        while self.position < len(self.pending) and self.pending[self.position].min_row <= number:
            self.active.append(self.pending[self.position])
            self.position += 1
        if not self.active:
            return cells
        self.active = [item for item in self.active if item.max_row >= number]
        for item in self.active:
            if item.min_row == number:
                item.value = cells[item.min_col - 1] if item.min_col <= len(cells) else None
            if item.value is None:
                continue
            if len(cells) < item.max_col:
                cells.extend([None] * (item.max_col - len(cells)))
            for column in range(item.min_col - 1, item.max_col):
                cells[column] = item.value
        return cells


Rows = Generator[tuple[int, list[Any]], None, None]


def _xlsx_rows(handle: IO[bytes], limits: UploadLimits) -> tuple[str, Rows, Any]:
    from openpyxl import load_workbook  # slow import, only when needed

    check_workbook(handle, limits)
    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as error:
        raise UploadRefused(_("The file is not a readable Excel workbook.")) from error
    try:
        sheets = book.worksheets
        if not sheets:
            raise UploadRefused(_("The workbook has no sheet."))
        sheet: Any = sheets[0]
        path = getattr(sheet, "_worksheet_path", None)
        ranges = _merged_ranges(book._archive, path, limits) if path else []  # type: ignore[attr-defined]
        # Trust the rows, not the sheet's stated size (some exporters claim the whole grid).
        sheet.reset_dimensions()
    except BaseException:
        book.close()
        raise

    def rows() -> Rows:
        fill = _MergeFill(ranges)
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = fill.apply(number, list(values)) if ranges else list(values)
                yield number, cells
        except UploadRefused:
            raise
        except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError, SyntaxError) as error:
            raise UploadRefused(_("The file is not a readable Excel workbook.")) from error

    return str(sheet.title), rows(), book


# --- CSV -----------------------------------------------------------------------------------------


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without a byte order mark), UTF-16 with its mark, else GB18030 (a superset
    of GBK/GB2312); decided on the first bytes of the file."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise UploadRefused(_("The file's text encoding is not UTF-8 or GBK."))


def _csv_rows(handle: IO[bytes]) -> Rows:
    sample = handle.read(CSV_SAMPLE_BYTES)
    handle.seek(0)
    encoding = detect_encoding(sample)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="", errors="strict")
    try:
        head = text.read(8192)
        text.seek(0)
    except UnicodeDecodeError as error:
        raise UploadRefused(_("The file's text encoding is not UTF-8 or GBK.")) from error
    try:
        dialect: Any = csv.Sniffer().sniff(head, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text, dialect)
    number = 0
    try:
        for row in reader:
            number += 1
            yield number, list(row)
    except UnicodeDecodeError as error:
        raise UploadRefused(_("The file's text encoding is not UTF-8 or GBK.")) from error
    except csv.Error as error:
        raise UploadRefused(_("Line %(row)s of the file cannot be read as CSV.") % {"row": number + 1}) from error
    finally:
        # The caller's file stays open (the caller closes it).
        with contextlib.suppress(ValueError):
            text.detach()


# --- the reader ---------------------------------------------------------------------------------


class TableReader:
    """The first sheet of a workbook, or a CSV file, as it streams past: use as a context
    manager, then iterate :meth:`rows`."""

    def __init__(self, handle: IO[bytes], name: str, limits: UploadLimits) -> None:
        self.limits = limits
        self.kind = file_kind(name)
        self.sheet = ""
        self._book: Any = None
        self._source: Rows
        if self.kind == "xlsx":
            self.sheet, self._source, self._book = _xlsx_rows(handle, limits)
        else:
            self._source = _csv_rows(handle)

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """``(row number, cells)`` of every non-blank row, trailing empty cells dropped, merged
        ranges filled; :class:`UploadRefused` at the first ceiling passed."""
        budget = _Budget(self.limits)
        for number, cells in self._source:
            if is_blank(cells):
                continue
            row = _trimmed(cells)
            budget.row(number, row)
            yield number, row

    def close(self) -> None:
        self._source.close()
        if self._book is not None:
            self._book.close()
            self._book = None

    def __enter__(self) -> TableReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def open_table(handle: IO[bytes], name: str, limits: UploadLimits) -> TableReader:
    """A :class:`TableReader` over an open binary file (seekable, for workbooks)."""
    return TableReader(handle, name, limits)


# --- the row store: one JSON line per row --------------------------------------------------------


def encode_cell(value: Any) -> Any:
    """A cell as JSON: dates and times tagged, numbers that JSON cannot hold as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"t": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"td": value.total_seconds()}
    return str(value)


def decode_cell(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return dt.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        if "t" in value:
            return dt.time.fromisoformat(value["t"])
        if "td" in value:
            return dt.timedelta(seconds=float(value["td"]))
        return None
    return value


class RowWriter:
    """Writes rows to a binary file, one JSON line each: ``[row number, [cells]]``."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.count = 0

    def write(self, number: int, cells: list[Any]) -> None:
        line = json.dumps([number, [encode_cell(value) for value in cells]], ensure_ascii=False)
        self.handle.write(line.encode("utf-8") + b"\n")
        self.count += 1


def read_rows(handle: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    """The rows a :class:`RowWriter` wrote, as ``(row number, cells)``, one line at a time."""
    for line in handle:
        if not line.strip():
            continue
        number, cells = json.loads(line)
        yield int(number), [decode_cell(value) for value in cells]


def delete_stored(storage: Any, name: str) -> None:
    """Delete a stored upload once it is no longer needed (after the commit that let go of
    it); a failure is logged, never raised: the data it held is already in the database."""
    if not name:
        return
    try:
        storage.delete(name)
    except OSError:
        logger.warning("stored upload %s could not be deleted", name, exc_info=True)
