"""Reading tables from uploads (Excel or CSV), shared by the imports (the hotline's upstream
exports, the historical ledger): the whole file in memory (:func:`read_table`), the header row
below any title rows (:func:`detect_header`), the columns' titles (:func:`columns_of`), the body
without repeated headers and a totals row (:func:`split_body`), the mapping of columns to fields
suggested from known headers (:func:`suggest_mapping`), and the values of cells (dates and times
in the forms exports write them, :func:`parse_datetime`; text, :func:`text_value`).

Nothing here touches the database; files are read by the streaming reader of
:mod:`gridgov.core.uploads`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import uploads

# How many rows from the top are searched for the header row.
HEADER_SEARCH_ROWS: Final = 30
# How many distinct text cells make a row a header candidate.
HEADER_MIN_TEXT_CELLS: Final = 3

XLSX_EXTENSIONS: Final = uploads.XLSX_EXTENSIONS
CSV_EXTENSIONS: Final = uploads.CSV_EXTENSIONS


# --- personal data in samples -------------------------------------------------------------------

# A mobile or landline number, with or without the country prefix, once spaces and dashes are gone.
PHONE_LIKE: Final = re.compile(r"(\+?86|0086)?(1[3-9]\d{9}|0\d{2,3}\d{7,8})")
# A resident identity card number (18 characters, the last a digit or X).
ID_CARD_LIKE: Final = re.compile(r"\d{17}[\dXx]")
# Column titles under which an old ledger keeps people's names, phones or identity numbers.
PERSONAL_HEADER_HINTS: Final = ("姓名", "联系人", "电话", "手机", "身份证", "证件", "contact", "phone", "mobile")


def compact(value: str) -> str:
    """The value without the spaces, dashes and brackets people put in numbers."""
    return re.sub(r"[\s\-()（）]", "", value)


def looks_like_number_of_a_person(value: str) -> bool:
    """True for a value that is a phone or an identity card number: shown masked on mapping pages."""
    text = compact(value)
    return bool(PHONE_LIKE.fullmatch(text) or ID_CARD_LIKE.fullmatch(text))


def header_looks_personal(header: str) -> bool:
    """True for a column title that names people's names, phones or identity numbers."""
    folded = header.casefold()
    return any(hint in folded for hint in PERSONAL_HEADER_HINTS)


class ImportFileError(ValueError):
    """The file cannot be read as a table (wrong format, broken, empty)."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Any  # a lazy translation
    required: bool = False
    # Known Chinese (and English) headers, compared after normalisation.
    aliases: tuple[str, ...] = ()


# --- reading the file --------------------------------------------------------------------------


@dataclass
class Table:
    """The first sheet of a workbook (or a CSV file) as rows of values, 0-based lists (a blank
    row is an empty list)."""

    rows: list[list[Any]]
    sheet: str = ""


def read_table(content: bytes, filename: str, limits: uploads.UploadLimits | None = None) -> Table:
    """A whole (small) file in memory, through the same streaming reader as the imports
    (:mod:`gridgov.core.uploads`); imports read in the worker, row by row, instead."""
    limits = limits or uploads.UploadLimits()
    try:
        uploads.check_upload(filename, max(len(content), 1), limits)
        with uploads.open_table(io.BytesIO(content), filename, limits) as reader:
            rows: list[list[Any]] = []
            for number, cells in reader.rows():
                rows.extend([] for _gap in range(number - 1 - len(rows)))
                rows.append(cells)
            return Table(rows=rows, sheet=reader.sheet)
    except uploads.UploadRefused as error:
        raise ImportFileError(error.message) from error


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without a byte order mark), else GB18030 (a superset of GBK/GB2312)."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace")
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError as error:
        raise ImportFileError(_("The file's text encoding is not UTF-8 or GBK.")) from error


# --- header row and columns --------------------------------------------------------------------


def normalise_header(value: Any) -> str:
    """Header text compared for aliases: width-folded, lower case, without spaces and marks."""
    text = unicodedata.normalize("NFKC", str(value or "")).lower()
    return re.sub(r"[\s_\-:：()（）*＊]+", "", text)


def aliases_of(specs: Iterable[FieldSpec]) -> dict[str, str]:
    """Normalised known header → field name, for a set of field specs."""
    return {normalise_header(alias): spec.name for spec in specs for alias in spec.aliases}


def _text_cells(row: Iterable[Any]) -> set[str]:
    cells = set()
    for value in row:
        if isinstance(value, str) and value.strip() and not _looks_numeric(value):
            cells.add(value.strip())
    return cells


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[\d\s.,:/\-年月日时分秒]+", text.strip()))


def detect_header(rows: list[list[Any]], aliases: Mapping[str, str], *, enough: int = 2) -> int:
    """The 0-based index of the header row: the first row naming at least ``enough`` known
    columns (``aliases``: normalised known header → field; one for a list that needs only its
    number column), else the first row with several distinct text cells (a merged title counts
    once)."""
    top = rows[:HEADER_SEARCH_ROWS]
    for index, row in enumerate(top):
        known = {aliases.get(normalise_header(v)) for v in row if v is not None} - {None}
        if len(known) >= enough:
            return index
    for index, row in enumerate(top):
        if len(_text_cells(row)) >= HEADER_MIN_TEXT_CELLS:
            return index
    examples = "、".join(list(dict.fromkeys(key for key in aliases if not key.isascii()))[:4])
    raise ImportFileError(
        _(
            "No header row found: none of the first %(rows)s rows names two of the columns this import knows "
            "(such as %(examples)s) or has three column titles."
        )
        % {"rows": HEADER_SEARCH_ROWS, "examples": examples}
    )


def column_names(rows: list[list[Any]], header_index: int) -> list[str]:
    """The columns' titles; empty titles become "Column N", repeated titles get " (2)"."""
    if header_index >= len(rows):
        return []
    return columns_of(rows[header_index], rows[header_index + 1 :])


def columns_of(header: list[Any], below: Iterable[list[Any]]) -> list[str]:
    """The columns' titles from the header row and the rows below it: empty titles become
    "Column N", repeated titles get " (2)"; trailing untitled columns without any value below
    are not columns."""
    filled = 0
    for row in below:
        for position in range(len(row) - 1, filled - 1, -1):
            if row[position] not in (None, ""):
                filled = position + 1
                break
    width = max(len(header), filled)
    cells = list(header) + [None] * (width - len(header))
    names: list[str] = []
    seen: dict[str, int] = {}
    for position, value in enumerate(cells):
        title = re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""
        if not title:
            title = _("Column %(n)s") % {"n": position + 1}
        count = seen.get(title, 0) + 1
        seen[title] = count
        names.append(title if count == 1 else f"{title} ({count})")
    while len(names) > filled and cells[len(names) - 1] in (None, ""):
        names.pop()
    return names


def suggest_mapping(
    columns: list[str],
    remembered: Mapping[str, str] | None,
    specs: tuple[FieldSpec, ...],
    aliases: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Field → column: the mapping remembered for the source where its columns still exist,
    then the known headers (of ``specs``). A column feeds at most
    one suggested field."""
    names = tuple(spec.name for spec in specs)
    aliases = aliases if aliases is not None else aliases_of(specs)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field_name, column in (remembered or {}).items():
        if field_name in names and column in columns and column not in used:
            mapping[field_name] = column
            used.add(column)
    # Exact known headers first, then headers that contain a known one (e.g. "来电时间(北京)").
    for exact in (True, False):
        for column in columns:
            if column in used:
                continue
            key = normalise_header(column)
            for alias, field_name in aliases.items():
                if field_name in mapping:
                    continue
                if (exact and key == alias) or (not exact and len(alias) >= 2 and alias in key):
                    mapping[field_name] = column
                    used.add(column)
                    break
    return {name: mapping[name] for name in names if name in mapping}


def mapping_problems(
    mapping: Mapping[str, str], columns: Iterable[str], fields: Iterable[str], required: Iterable[str]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """A mapping chosen on the form (field → column): the fields given a column, and what is wrong
    with it by field (a field not in ``fields``, a column the file does not have, a ``required``
    field without a column). Each import adds its own rules before it refuses."""
    known, present = set(fields), set(columns)
    cleaned = {name: column for name, column in mapping.items() if column}
    details: dict[str, list[str]] = {}
    for name, column in cleaned.items():
        if name not in known:
            details.setdefault(name, []).append(_("Unknown field."))
        elif column not in present:
            details.setdefault(name, []).append(_("The file has no such column."))
    for name in required:
        if name not in cleaned:
            details.setdefault(name, []).append(_("Choose the column for this field."))
    return cleaned, details


# --- values --------------------------------------------------------------------------------------


class ValueProblem(ValueError):
    """A cell's value cannot be used; the message is shown to the operator."""


EXCEL_EPOCH: Final = dt.datetime(1899, 12, 30)
# Serial day numbers accepted as dates: 1954-10-… to 2118-…, nothing that looks like a count.
SERIAL_RANGE: Final = (20000.0, 80000.0)

_DATE_RE: Final = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*T?\s*(?P<H>\d{1,2})\s*[:：时点]\s*(?P<M>\d{1,2})\s*分?"
    r"(?:\s*[:：]?\s*(?P<S>\d{1,2})(?:\.\d+)?\s*秒?)?)?\s*$"
)
_COMPACT_RE: Final = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?$")


def _aware(moment: dt.datetime) -> dt.datetime:
    if timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment, timezone.get_current_timezone())


def parse_datetime(value: Any, *, end_of_day: bool = False) -> dt.datetime | None:
    """A cell as an aware datetime (local time of the installation), ``None`` when empty.

    Accepts datetime and date cells, Excel serial numbers (as numbers or text), and text such as
    ``2026-03-05 14:30``, ``2026/3/5 14:30:00``, ``2026年3月5日 14时30分``, ``20260305143000``.
    A date without a time is the start of the day, or its last second for a deadline
    (``end_of_day``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return _aware(value)
    if isinstance(value, dt.date):
        return _aware(_day(value, end_of_day))
    if isinstance(value, bool):
        raise ValueProblem(_("not a date"))
    if isinstance(value, int | float):
        return _serial(float(value), end_of_day)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _serial(float(text), end_of_day)
    match = _DATE_RE.match(text) or _COMPACT_RE.match(text)
    if not match:
        raise ValueProblem(_("not a date: %(value)s") % {"value": text[:40]})
    parts = match.groupdict()
    try:
        day = dt.date(int(parts["y"]), int(parts["m"]), int(parts["d"]))
        if parts["H"] is None:
            return _aware(_day(day, end_of_day))
        clock = dt.time(int(parts["H"]), int(parts["M"]), int(parts["S"] or 0))
    except ValueError as error:
        raise ValueProblem(_("not a valid date: %(value)s") % {"value": text[:40]}) from error
    return _aware(dt.datetime.combine(day, clock))


def _day(day: dt.date, end_of_day: bool) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59) if end_of_day else dt.time())


def _serial(number: float, end_of_day: bool) -> dt.datetime:
    if not SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
        raise ValueProblem(_("not a date: %(value)s") % {"value": f"{number:g}"})
    moment = EXCEL_EPOCH + dt.timedelta(days=number)
    # Round to the second (serials carry floating-point noise).
    moment = (moment + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
    if number == int(number) and end_of_day:
        moment = _day(moment.date(), True)
    return _aware(moment)


def text_value(value: Any) -> str:
    """A cell as text: numbers without a trailing ``.0``, dates as ISO text, stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value).strip()


def parse_number(value: Any) -> str:
    text = unicodedata.normalize("NFKC", text_value(value)).strip().lstrip("'").strip()
    return re.sub(r"\s+", "", text)


def is_blank(row: Iterable[Any]) -> bool:
    return uploads.is_blank(row)


Numbered = tuple[int, list[Any]]


def top_rows(numbered: Iterable[Numbered]) -> list[list[Any]]:
    """The first :data:`HEADER_SEARCH_ROWS` sheet rows as a list by position (blank rows empty),
    from ``(row number, cells)`` pairs; what :func:`detect_header` looks at."""
    rows: list[list[Any]] = [[] for _row in range(HEADER_SEARCH_ROWS)]
    for number, cells in numbered:
        if number > HEADER_SEARCH_ROWS:
            break
        rows[number - 1] = cells
    while rows and not rows[-1]:
        rows.pop()
    return rows


TOTALS_WORDS: Final = ("合计", "总计", "共计")
# How many of the first columns are looked at for a totals row's word.
TOTALS_COLUMNS: Final = 3
_TOTALS_NUMBER: Final = re.compile(r"\d+")


@dataclass(frozen=True)
class Totals:
    """A totals row of an export (合计/总计): its sheet row and the count it states (``None``
    when it states none)."""

    row: int
    declared: int | None


def totals_of(number: int, cells: list[Any]) -> Totals | None:
    """The row as a totals row: a cell among the first :data:`TOTALS_COLUMNS` that starts with
    合计/总计/共计; its count is the first whole number of the row (in that cell's text, as
    "合计：125条", or in a cell of its own)."""
    head = [unicodedata.normalize("NFKC", text_value(value)).strip() for value in cells[:TOTALS_COLUMNS]]
    if not any(text.startswith(TOTALS_WORDS) for text in head):
        return None
    for value in cells:
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float) and float(value).is_integer() and value >= 0:
            return Totals(number, int(value))
        found = _TOTALS_NUMBER.search(unicodedata.normalize("NFKC", text_value(value)))
        if found and not isinstance(value, dt.date | dt.datetime | dt.time):
            return Totals(number, int(found.group()))
    return Totals(number, None)


@dataclass
class Body:
    """The rows below the header: the data rows, and the totals row if the export has one
    (the last one when it has several)."""

    header: list[Any]
    rows: list[Numbered]
    totals: Totals | None = None


def split_body(numbered: Iterable[Numbered], header_row: int, *, limit: int | None = None) -> Body:
    """The header row's cells, then the data rows below it: blank rows (already left out by the
    reader), repeated header rows (exports printed in pages) and totals rows are not data.
    ``limit``: :class:`ImportFileError` as soon as there are more data rows."""
    header: list[Any] = []
    header_text: list[str] = []
    rows: list[Numbered] = []
    totals: Totals | None = None
    for number, cells in numbered:
        if number < header_row:
            continue
        if number == header_row:
            header = cells
            header_text = [text_value(v) for v in cells]
            continue
        if not header_text:
            continue
        if [text_value(v) for v in cells] == header_text:
            continue
        found = totals_of(number, cells)
        if found is not None:
            totals = found
            continue
        rows.append((number, cells))
        if limit is not None and len(rows) > limit:
            raise ImportFileError(
                _("The file has more than %(n)s rows; at most %(n)s can be imported at once.") % {"n": limit}
            )
    return Body(header=header, rows=rows, totals=totals)


def data_rows(rows: list[list[Any]], header_index: int) -> Iterable[tuple[int, list[Any]]]:
    """(sheet row number, cells) of the rows below the header, without blank rows, repeated
    header rows (exports printed in pages) and totals rows."""
    numbered = ((index + 1, row) for index, row in enumerate(rows) if not is_blank(row))
    return split_body(numbered, header_index + 1).rows


Cell = Callable[[str], Any]


def row_cells(cells: list[Any], mapping: Mapping[str, str], columns: list[str]) -> Cell:
    """The cell of a row that the mapping puts under a field (``None`` when unmapped)."""
    position = {name: index for index, name in enumerate(columns)}

    def cell(field_name: str) -> Any:
        column = mapping.get(field_name)
        if column is None or column not in position:
            return None
        index = position[column]
        return cells[index] if index < len(cells) else None

    return cell


def as_written(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return timezone.localtime(_aware(value)).strftime("%Y-%m-%d %H:%M")
    return text_value(value)[:40]


def read_numbered(handle: Any) -> Iterator[Numbered]:
    """The rows of a job's stored rows file (see :mod:`gridgov.core.uploads`)."""
    return uploads.read_rows(handle)
