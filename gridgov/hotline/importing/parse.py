"""Reading upstream exports: the file's table, its header row, the column mapping and the values.

Nothing here touches the database. :func:`read_table` turns an .xlsx or .csv file into rows of
cell values (merged ranges filled in, as a reader sees them); :func:`detect_header` finds the
header row below any title rows; :func:`suggest_mapping` proposes which column feeds which
order field; :func:`parse_row` validates one data row into an
:class:`~gridgov.hotline.intake.OrderData`-shaped dict with row-level errors.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from gridgov.hotline.models import OrderType, UrgencyClass

# How many rows from the top are searched for the header row.
HEADER_SEARCH_ROWS: Final = 30
# How many distinct text cells make a row a header candidate.
HEADER_MIN_TEXT_CELLS: Final = 3

XLSX_EXTENSIONS: Final = (".xlsx", ".xlsm")
CSV_EXTENSIONS: Final = (".csv", ".txt")


class ImportFileError(ValueError):
    """The file cannot be read as a table (wrong format, broken, empty)."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Any  # a lazy translation
    required: bool = False
    # Known Chinese (and English) headers, compared after normalisation.
    aliases: tuple[str, ...] = ()


# The order fields a column can feed, in form order.
FIELDS: Final[tuple[FieldSpec, ...]] = (
    FieldSpec(
        "upstream_number",
        gettext_lazy("Upstream order number"),
        True,
        ("工单编号", "工单号", "工单编码", "编号", "受理编号", "诉求编号", "orderno", "ordernumber", "upstreamnumber"),
    ),
    FieldSpec(
        "received_at",
        gettext_lazy("Received at"),
        True,
        ("来电时间", "受理时间", "登记时间", "接收时间", "派单时间", "创建时间", "receivedat"),
    ),
    FieldSpec(
        "order_type",
        gettext_lazy("Type"),
        True,
        ("诉求类型", "工单类型", "诉求性质", "类型", "ordertype", "type"),
    ),
    FieldSpec(
        "urgency_class",
        gettext_lazy("Urgency class"),
        False,
        ("紧急程度", "缓急程度", "紧急类别", "紧急度", "urgency", "urgencyclass"),
    ),
    FieldSpec(
        "content",
        gettext_lazy("Content"),
        True,
        ("诉求内容", "工单内容", "来电内容", "反映内容", "内容", "问题描述", "content"),
    ),
    FieldSpec("title", gettext_lazy("Title"), False, ("标题", "工单标题", "诉求标题", "title")),
    FieldSpec(
        "upstream_category",
        gettext_lazy("Upstream category"),
        False,
        ("问题分类", "诉求分类", "业务分类", "事项分类", "分类", "category"),
    ),
    FieldSpec("address", gettext_lazy("Address of the matter"), False, ("事发地址", "事发地点", "问题地址", "address")),
    FieldSpec(
        "upstream_ack_deadline",
        gettext_lazy("Acknowledge deadline"),
        False,
        ("签收时限", "签收期限", "签收截止时间", "ackdeadline"),
    ),
    FieldSpec(
        "upstream_deadline",
        gettext_lazy("Completion deadline"),
        False,
        ("办结时限", "办理时限", "办结期限", "办理期限", "答复时限", "deadline"),
    ),
    FieldSpec(
        "petitioner_name",
        gettext_lazy("Petitioner name"),
        False,
        ("来电人", "诉求人", "来电人姓名", "诉求人姓名", "市民姓名", "姓名", "petitionername"),
    ),
    FieldSpec(
        "petitioner_phone",
        gettext_lazy("Petitioner phone"),
        False,
        ("联系电话", "来电号码", "来电电话", "联系方式", "手机号码", "电话", "petitionerphone", "phone"),
    ),
    FieldSpec(
        "petitioner_address",
        gettext_lazy("Petitioner address"),
        False,
        ("联系地址", "来电人地址", "诉求人地址", "住址", "petitioneraddress"),
    ),
    FieldSpec("anonymous", gettext_lazy("Anonymous"), False, ("是否匿名", "匿名", "anonymous")),
    FieldSpec("complex", gettext_lazy("Complex"), False, ("是否复杂", "复杂工单", "疑难工单", "complex")),
)
FIELD_NAMES: Final = tuple(spec.name for spec in FIELDS)
REQUIRED_FIELDS: Final = tuple(spec.name for spec in FIELDS if spec.required)
SPECS: Final = {spec.name: spec for spec in FIELDS}
DATETIME_FIELDS: Final = ("received_at", "upstream_ack_deadline", "upstream_deadline")
# Longest accepted value per text field (the model's column length); longer text is an error.
MAX_LENGTHS: Final = {
    "upstream_number": 64,
    "title": 200,
    "upstream_category": 200,
    "address": 300,
    "petitioner_name": 100,
    "petitioner_address": 300,
}

TYPE_LABELS: Final = {
    "咨询": OrderType.ENQUIRY,
    "求助": OrderType.HELP,
    "建议": OrderType.SUGGESTION,
    "投诉": OrderType.COMPLAINT,
    "举报": OrderType.REPORT,
    "表扬": OrderType.PRAISE,
    "感谢": OrderType.PRAISE,
}

# Urgency labels: the general class is checked first ("非紧急" contains "紧急").
URGENCY_GENERAL_WORDS: Final = ("非紧急", "一般", "普通", "常规", "正常")
URGENCY_LIFE_WORDS: Final = ("生命", "财产", "人身", "安全", "特急", "紧急", "加急")
URGENCY_UTILITY_WORDS: Final = ("水", "电", "气", "热", "暖")

TRUE_WORDS: Final = frozenset({"是", "y", "yes", "true", "1", "复杂", "匿名", "√"})
FALSE_WORDS: Final = frozenset({"否", "n", "no", "false", "0", "不匿名", "非匿名", "一般", "×"})


# --- reading the file --------------------------------------------------------------------------


@dataclass
class Table:
    """The first sheet of a workbook (or a CSV file) as rows of values, 0-based lists."""

    rows: list[list[Any]]
    sheet: str = ""


def read_table(content: bytes, filename: str) -> Table:
    name = filename.lower()
    if name.endswith(XLSX_EXTENSIONS):
        return _read_xlsx(content)
    if name.endswith(CSV_EXTENSIONS):
        return Table(rows=_read_csv(content))
    raise ImportFileError(_("Only Excel (.xlsx) and CSV files can be imported."))


def _read_xlsx(content: bytes) -> Table:
    try:
        # Not read-only: merged ranges are only known to a fully loaded sheet.
        book = load_workbook(io.BytesIO(content), data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise ImportFileError(_("The file is not a readable Excel workbook.")) from error
    sheet = book.worksheets[0] if book.worksheets else None
    if sheet is None:
        raise ImportFileError(_("The workbook has no sheet."))
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    # A merged range's value belongs to every cell of the range.
    for merged in sheet.merged_cells.ranges:
        value = sheet.cell(row=merged.min_row, column=merged.min_col).value
        for r in range(merged.min_row - 1, min(merged.max_row, len(rows))):
            row = rows[r]
            if len(row) < merged.max_col:
                row.extend([None] * (merged.max_col - len(row)))
            for c in range(merged.min_col - 1, merged.max_col):
                row[c] = value
    book.close()
    return Table(rows=rows, sheet=str(sheet.title))


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


def _read_csv(content: bytes) -> list[list[Any]]:
    text = decode_text(content)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


# --- header row and columns --------------------------------------------------------------------


def normalise_header(value: Any) -> str:
    """Header text compared for aliases: width-folded, lower case, without spaces and marks."""
    text = unicodedata.normalize("NFKC", str(value or "")).lower()
    return re.sub(r"[\s_\-:：()（）*＊]+", "", text)


_ALIASES: Final = {normalise_header(alias): spec.name for spec in FIELDS for alias in spec.aliases}


def _text_cells(row: Iterable[Any]) -> set[str]:
    cells = set()
    for value in row:
        if isinstance(value, str) and value.strip() and not _looks_numeric(value):
            cells.add(value.strip())
    return cells


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[\d\s.,:/\-年月日时分秒]+", text.strip()))


def detect_header(rows: list[list[Any]]) -> int:
    """The 0-based index of the header row: the first row naming at least two known columns,
    else the first row with several distinct text cells (a merged title counts once)."""
    top = rows[:HEADER_SEARCH_ROWS]
    for index, row in enumerate(top):
        known = {_ALIASES.get(normalise_header(v)) for v in row if v is not None} - {None}
        if len(known) >= 2:
            return index
    for index, row in enumerate(top):
        if len(_text_cells(row)) >= HEADER_MIN_TEXT_CELLS:
            return index
    raise ImportFileError(_("No header row found: the first rows have no column titles."))


def column_names(rows: list[list[Any]], header_index: int) -> list[str]:
    """The columns' titles; empty titles become "Column N", repeated titles get " (2)"."""
    if header_index >= len(rows):
        return []
    width = max((len(row) for row in rows), default=0)
    header = list(rows[header_index]) + [None] * (width - len(rows[header_index]))
    names: list[str] = []
    seen: dict[str, int] = {}
    for position, value in enumerate(header):
        title = re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""
        if not title:
            title = _("Column %(n)s") % {"n": position + 1}
        count = seen.get(title, 0) + 1
        seen[title] = count
        names.append(title if count == 1 else f"{title} ({count})")
    # Trailing untitled columns without any value are not columns.
    while (
        names
        and header[len(names) - 1] in (None, "")
        and not any(
            len(row) >= len(names) and row[len(names) - 1] not in (None, "") for row in rows[header_index + 1 :]
        )
    ):
        names.pop()
    return names


def suggest_mapping(columns: list[str], remembered: Mapping[str, str] | None = None) -> dict[str, str]:
    """Field → column: the mapping remembered for the source where its columns still exist,
    then the known headers. A column feeds at most one suggested field."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field_name, column in (remembered or {}).items():
        if field_name in SPECS and column in columns and column not in used:
            mapping[field_name] = column
            used.add(column)
    # Exact known headers first, then headers that contain a known one (e.g. "来电时间(北京)").
    for exact in (True, False):
        for column in columns:
            if column in used:
                continue
            key = normalise_header(column)
            for alias, field_name in _ALIASES.items():
                if field_name in mapping:
                    continue
                if (exact and key == alias) or (not exact and len(alias) >= 2 and alias in key):
                    mapping[field_name] = column
                    used.add(column)
                    break
    return {name: mapping[name] for name in FIELD_NAMES if name in mapping}


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


def parse_type(value: Any) -> str:
    text = unicodedata.normalize("NFKC", text_value(value)).strip()
    if not text:
        raise ValueProblem(_("the type is missing"))
    lowered = text.lower()
    for code, label in OrderType.choices:
        if lowered in (code, str(label).lower()):
            return str(code)
    if text in TYPE_LABELS:
        return str(TYPE_LABELS[text])
    found = {code for label, code in TYPE_LABELS.items() if label in text}
    if len(found) == 1:
        return str(found.pop())
    raise ValueProblem(_("unknown type: %(value)s") % {"value": text[:40]})


def parse_urgency(value: Any) -> str:
    text = unicodedata.normalize("NFKC", text_value(value)).strip()
    if not text:
        return str(UrgencyClass.GENERAL)
    lowered = text.lower()
    for code, label in UrgencyClass.choices:
        if lowered in (code, str(label).lower()):
            return str(code)
    if any(word in text for word in URGENCY_GENERAL_WORDS):
        return str(UrgencyClass.GENERAL)
    if any(word in text for word in URGENCY_LIFE_WORDS):
        return str(UrgencyClass.LIFE_SAFETY)
    if any(word in text for word in URGENCY_UTILITY_WORDS):
        return str(UrgencyClass.UTILITIES)
    raise ValueProblem(_("unknown urgency: %(value)s") % {"value": text[:40]})


def parse_phone(value: Any) -> str:
    """The first phone number of the cell, digits only (``+86``/``0086`` dropped, a landline's
    area code kept): ``+86 138-1234-8888`` → ``13812348888``, ``022-2345 6789`` → ``02223456789``."""
    text = unicodedata.normalize("NFKC", text_value(value)).strip()
    if not text:
        return ""
    first = re.split(r"[/,;，；、]|\s{2,}", text)[0]
    digits = re.sub(r"[\s\-()（）.]", "", first)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not re.fullmatch(r"\d{5,15}", digits):
        raise ValueProblem(_("not a phone number"))
    if digits.startswith("1") and len(digits) != 11 and len(digits) > 5:
        raise ValueProblem(_("a mobile number has 11 digits"))
    return digits


def parse_flag(value: Any) -> bool:
    text = unicodedata.normalize("NFKC", text_value(value)).strip().lower()
    if not text:
        return False
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueProblem(_("expected yes or no: %(value)s") % {"value": text[:20]})


# --- rows ----------------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    """One data row of the file: its sheet row number (1-based), values and problems."""

    row: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def number(self) -> str:
        return str(self.values.get("upstream_number") or "")

    @property
    def valid(self) -> bool:
        return not self.errors

    def error(self, field_name: str, message: str) -> None:
        self.errors.append({"field": field_name, "message": message})


def is_blank(row: Iterable[Any]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in row)


def data_rows(rows: list[list[Any]], header_index: int) -> Iterable[tuple[int, list[Any]]]:
    """(sheet row number, cells) of the rows below the header, without blank rows and without
    repeated header rows (exports printed in pages)."""
    header = [text_value(v) for v in rows[header_index]] if header_index < len(rows) else []
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        if is_blank(row):
            continue
        if [text_value(v) for v in row] == header:
            continue
        yield index + 1, row


Cell = Callable[[str], Any]


def _row_cells(cells: list[Any], mapping: Mapping[str, str], columns: list[str]) -> Cell:
    """The cell of a row that the mapping puts under a field (``None`` when unmapped)."""
    position = {name: index for index, name in enumerate(columns)}

    def cell(field_name: str) -> Any:
        column = mapping.get(field_name)
        if column is None or column not in position:
            return None
        index = position[column]
        return cells[index] if index < len(cells) else None

    return cell


def _parse_number_and_times(result: ParsedRow, cell: Cell) -> None:
    values = result.values
    number = parse_number(cell("upstream_number"))
    if not number:
        result.error("upstream_number", _("The upstream order number is missing."))
    elif len(number) > MAX_LENGTHS["upstream_number"]:
        result.error("upstream_number", _("The upstream order number is too long."))
    values["upstream_number"] = number
    for name in DATETIME_FIELDS:
        try:
            moment = parse_datetime(cell(name), end_of_day=name != "received_at")
        except ValueProblem as problem:
            result.error(name, _("%(field)s: %(problem)s") % {"field": SPECS[name].label, "problem": problem})
            continue
        if moment is None and name == "received_at":
            result.error(name, _("The received time is missing."))
        values[name] = moment


def _parse_codes(result: ParsedRow, cell: Cell) -> None:
    try:
        result.values["order_type"] = parse_type(cell("order_type"))
    except ValueProblem as problem:
        result.error("order_type", _("Type: %(problem)s") % {"problem": problem})
    try:
        result.values["urgency_class"] = parse_urgency(cell("urgency_class"))
    except ValueProblem as problem:
        result.error("urgency_class", _("Urgency: %(problem)s") % {"problem": problem})


def _parse_texts(result: ParsedRow, cell: Cell) -> None:
    values = result.values
    for name in ("content", "title", "upstream_category", "address", "petitioner_name", "petitioner_address"):
        text = text_value(cell(name))
        limit = MAX_LENGTHS.get(name)
        if limit is not None and len(text) > limit:
            result.error(
                name, _("%(field)s is longer than %(n)s characters.") % {"field": SPECS[name].label, "n": limit}
            )
        values[name] = text
    if not values["content"]:
        result.error("content", _("The content is missing."))


def _parse_phone_and_flags(result: ParsedRow, cell: Cell) -> None:
    values = result.values
    try:
        values["petitioner_phone"] = parse_phone(cell("petitioner_phone"))
    except ValueProblem as problem:
        values["petitioner_phone"] = ""
        result.error("petitioner_phone", _("Phone: %(problem)s") % {"problem": problem})
    for name in ("anonymous", "complex"):
        try:
            values[name] = parse_flag(cell(name))
        except ValueProblem as problem:
            result.error(name, _("%(field)s: %(problem)s") % {"field": SPECS[name].label, "problem": problem})


def parse_row(row_number: int, cells: list[Any], mapping: Mapping[str, str], columns: list[str]) -> ParsedRow:
    """The mapped cells of one row validated into order field values (codes, aware datetimes,
    normalised phone)."""
    result = ParsedRow(row=row_number)
    cell = _row_cells(cells, mapping, columns)
    _parse_number_and_times(result, cell)
    _parse_codes(result, cell)
    _parse_texts(result, cell)
    _parse_phone_and_flags(result, cell)
    return result
