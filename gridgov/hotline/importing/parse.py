"""Reading upstream exports: the file's table, its header row, the column mapping and the values.

Nothing here touches the database. Files are read by the streaming reader of
:mod:`gridgov.core.uploads` (:func:`read_table` for a small file in memory); :func:`detect_header`
finds the header row below any title rows; :func:`split_body` tells the data rows from repeated
headers and a totals row (合计/总计, :func:`totals_of`); :func:`suggest_mapping` proposes which
column feeds which order field; :func:`parse_row` reads one data row into
:class:`~gridgov.hotline.intake.OrderData`-shaped values.

A row is refused only when it lacks its order number, its content or a readable received time:
anything else doubtful (a deadline before the received time or unreadable, a type or urgency
label matched only approximately or not at all, an invalid phone, a missing petitioner, a text
longer than its column) is imported with a review note (:mod:`gridgov.hotline.review`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core import uploads
from gridgov.hotline import conf, intake
from gridgov.hotline.models import OrderType, UrgencyClass
from gridgov.hotline.review import Reason, ReviewNote

# How many rows from the top are searched for the header row.
HEADER_SEARCH_ROWS: Final = 30
# How many distinct text cells make a row a header candidate.
HEADER_MIN_TEXT_CELLS: Final = 3

XLSX_EXTENSIONS: Final = uploads.XLSX_EXTENSIONS
CSV_EXTENSIONS: Final = uploads.CSV_EXTENSIONS


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
        False,
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
# Labels that name a class exactly (besides the codes and the classes' names).
URGENCY_EXACT: Final = {
    "一般": UrgencyClass.GENERAL,
    "普通": UrgencyClass.GENERAL,
    "非紧急": UrgencyClass.GENERAL,
    "常规": UrgencyClass.GENERAL,
    "正常": UrgencyClass.GENERAL,
    "危及生命财产安全": UrgencyClass.LIFE_SAFETY,
    "生命财产安全": UrgencyClass.LIFE_SAFETY,
    "特急": UrgencyClass.LIFE_SAFETY,
    "水电气暖": UrgencyClass.UTILITIES,
    "水电气热": UrgencyClass.UTILITIES,
}
# A phone cell that says there is none.
NO_PHONE_WORDS: Final = frozenset({"无", "没有", "不详", "未知", "-", "--", "/", "—"})
# What a petitioner cell says for an anonymous caller.
ANONYMOUS_WORDS: Final = frozenset({"匿名", "匿名用户", "匿名市民", "匿名来电", "不愿透露"})

TRUE_WORDS: Final = frozenset({"是", "y", "yes", "true", "1", "复杂", "匿名", "√"})
FALSE_WORDS: Final = frozenset({"否", "n", "no", "false", "0", "不匿名", "非匿名", "一般", "×"})


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


_ALIASES: Final = aliases_of(FIELDS)


def _text_cells(row: Iterable[Any]) -> set[str]:
    cells = set()
    for value in row:
        if isinstance(value, str) and value.strip() and not _looks_numeric(value):
            cells.add(value.strip())
    return cells


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[\d\s.,:/\-年月日时分秒]+", text.strip()))


def detect_header(rows: list[list[Any]], aliases: Mapping[str, str] = _ALIASES) -> int:
    """The 0-based index of the header row: the first row naming at least two known columns
    (``aliases``: the order fields' by default), else the first row with several distinct text
    cells (a merged title counts once)."""
    top = rows[:HEADER_SEARCH_ROWS]
    for index, row in enumerate(top):
        known = {aliases.get(normalise_header(v)) for v in row if v is not None} - {None}
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
    remembered: Mapping[str, str] | None = None,
    specs: tuple[FieldSpec, ...] = FIELDS,
) -> dict[str, str]:
    """Field → column: the mapping remembered for the source where its columns still exist,
    then the known headers (of ``specs``: the order fields by default). A column feeds at most
    one suggested field."""
    names = tuple(spec.name for spec in specs)
    aliases = _ALIASES if specs is FIELDS else aliases_of(specs)
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


def match_type(value: Any) -> tuple[str, bool]:
    """The type's code and whether the label named it exactly (a code, the type's name, one of
    咨询/求助/建议/投诉/举报/表扬/感谢) or only approximately (a label containing exactly one of
    them, 投诉类). :class:`ValueProblem` for a missing, unknown or ambiguous label."""
    text = unicodedata.normalize("NFKC", text_value(value)).strip()
    if not text:
        raise ValueProblem(_("the type is missing"))
    lowered = text.lower()
    for code, label in OrderType.choices:
        if lowered in (code, str(label).lower()):
            return str(code), True
    if text in TYPE_LABELS:
        return str(TYPE_LABELS[text]), True
    found = {code for label, code in TYPE_LABELS.items() if label in text}
    if len(found) == 1:
        return str(found.pop()), False
    raise ValueProblem(_("unknown type: %(value)s") % {"value": text[:40]})


def parse_type(value: Any) -> str:
    return match_type(value)[0]


def match_urgency(value: Any) -> tuple[str, bool]:
    """The urgency class and whether the label named it exactly (empty, a code, the class's
    name, a known word) or only approximately (a label containing a known word: 停水,
    紧急; an unclear "urgent" takes the shortest limit rather than miss it).
    :class:`ValueProblem` for a label that names no class."""
    text = unicodedata.normalize("NFKC", text_value(value)).strip()
    if not text:
        return str(UrgencyClass.GENERAL), True
    lowered = text.lower()
    for code, label in UrgencyClass.choices:
        if lowered in (code, str(label).lower()):
            return str(code), True
    if text in URGENCY_EXACT:
        return str(URGENCY_EXACT[text]), True
    if any(word in text for word in URGENCY_GENERAL_WORDS):
        return str(UrgencyClass.GENERAL), False
    if any(word in text for word in URGENCY_LIFE_WORDS):
        return str(UrgencyClass.LIFE_SAFETY), False
    if any(word in text for word in URGENCY_UTILITY_WORDS):
        return str(UrgencyClass.UTILITIES), False
    raise ValueProblem(_("unknown urgency: %(value)s") % {"value": text[:40]})


def parse_urgency(value: Any) -> str:
    return match_urgency(value)[0]


def read_phone(value: Any) -> tuple[str, str]:
    """The first phone number of the cell, digits only (``+86``/``0086`` dropped, a landline's
    area code kept), and what is wrong with it (``""`` when nothing): ``+86 138-1234-8888`` →
    ``13812348888``, ``022-2345 6789`` → ``02223456789``; a mobile number of the wrong length
    keeps its digits (for the center to check), text that is no number none."""
    text = unicodedata.normalize("NFKC", text_value(value)).strip()
    if not text or text in NO_PHONE_WORDS:
        return "", ""
    first = re.split(r"[/,;，；、]|\s{2,}", text)[0]
    digits = re.sub(r"[\s\-()（）.]", "", first)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not re.fullmatch(r"\d{5,15}", digits):
        return "", _("not a phone number")
    if digits.startswith("1") and len(digits) != 11 and len(digits) > 5:
        return digits, _("a mobile number has 11 digits")
    return digits, ""


def parse_phone(value: Any) -> str:
    digits, problem = read_phone(value)
    if problem:
        raise ValueProblem(problem)
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
    """One data row of the file: its sheet row number (1-based), values, the problems that keep
    it out (``errors``: only a missing or unreadable number, content or received time) and the
    doubtful values it is imported with (``review``)."""

    row: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    review: list[ReviewNote] = field(default_factory=list)

    @property
    def number(self) -> str:
        return str(self.values.get("upstream_number") or "")

    @property
    def valid(self) -> bool:
        return not self.errors

    def error(self, field_name: str, message: str) -> None:
        self.errors.append({"field": field_name, "message": message})

    def note(self, code: str, field_name: str, value: Any = "", taken: Any = "") -> None:
        self.review.append(ReviewNote(code, field_name, str(value)[:60], str(taken)))


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


def _as_written(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return timezone.localtime(_aware(value)).strftime("%Y-%m-%d %H:%M")
    return text_value(value)[:40]


def _parse_number_and_times(result: ParsedRow, cell: Cell) -> None:
    """The number and the received time (a row without them is refused); upstream's deadlines,
    taken only when readable and after the received time."""
    values = result.values
    number = parse_number(cell("upstream_number"))
    if not number:
        result.error("upstream_number", _("The upstream order number is missing."))
    elif len(number) > MAX_LENGTHS["upstream_number"]:
        result.error("upstream_number", _("The upstream order number is too long."))
    values["upstream_number"] = number
    try:
        received = parse_datetime(cell("received_at"))
    except ValueProblem as problem:
        received = None
        result.error(
            "received_at", _("%(field)s: %(problem)s") % {"field": SPECS["received_at"].label, "problem": problem}
        )
    else:
        if received is None:
            result.error("received_at", _("The received time is missing."))
    values["received_at"] = received
    for name in ("upstream_ack_deadline", "upstream_deadline"):
        raw = cell(name)
        try:
            moment = parse_datetime(raw, end_of_day=True)
        except ValueProblem:
            result.note(Reason.DEADLINE_UNREADABLE, name, _as_written(raw))
            moment = None
        if moment is not None and received is not None and moment <= received:
            result.note(Reason.DEADLINE_BEFORE_RECEIVED, name, _as_written(moment))
            moment = None
        values[name] = moment


def shortest_reply_type() -> str:
    """The type an order of unknown type is imported as: the one with the shortest reply limit
    (so that no deadline is missed while the center checks it)."""
    return min(OrderType.values, key=lambda code: (conf.reply_limit_days(code), OrderType.values.index(code)))


def _parse_codes(result: ParsedRow, cell: Cell) -> None:
    raw = cell("order_type")
    try:
        code, exact = match_type(raw)
    except ValueProblem:
        code, exact = shortest_reply_type(), True
        result.note(Reason.TYPE_UNKNOWN, "order_type", text_value(raw), code)
    if not exact:
        result.note(Reason.TYPE_APPROXIMATE, "order_type", text_value(raw), code)
    result.values["order_type"] = code
    raw = cell("urgency_class")
    try:
        code, exact = match_urgency(raw)
    except ValueProblem:
        code, exact = str(UrgencyClass.GENERAL), True
        result.note(Reason.URGENCY_UNKNOWN, "urgency_class", text_value(raw), code)
    if not exact:
        result.note(Reason.URGENCY_APPROXIMATE, "urgency_class", text_value(raw), code)
    result.values["urgency_class"] = code


TEXT_LIMITS: Final = {
    "content": intake.CONTENT_MAX,
    "title": intake.TITLE_MAX,
    "upstream_category": intake.CATEGORY_MAX,
    "address": intake.ADDRESS_MAX,
    "petitioner_name": intake.NAME_MAX,
    "petitioner_address": intake.ADDRESS_MAX,
}


def _parse_texts(result: ParsedRow, cell: Cell) -> None:
    """The texts; one longer than its column is cut to it, with a note (the content is required)."""
    values = result.values
    for name, limit in TEXT_LIMITS.items():
        text = text_value(cell(name))
        if len(text) > limit:
            result.note(Reason.TEXT_TOO_LONG, name, len(text), limit)
            text = text[:limit].rstrip()
        values[name] = text
    if not values["content"]:
        result.error("content", _("The content is missing."))


def _flag(result: ParsedRow, cell: Cell, name: str) -> bool | None:
    """A yes/no cell: ``None`` when empty or unmapped, a note when it is neither."""
    raw = cell(name)
    if not text_value(raw):
        return None
    try:
        return parse_flag(raw)
    except ValueProblem:
        result.note(Reason.FLAG_UNREADABLE, name, text_value(raw))
        return None


def _parse_petitioner(result: ParsedRow, cell: Cell) -> None:
    """The phone and the flags. An order whose name and phone are both empty or say 匿名 is
    anonymous; one the file calls not anonymous without a name or phone is noted."""
    values = result.values
    if values["petitioner_name"] in ANONYMOUS_WORDS:
        values["petitioner_name"] = ""
    raw = cell("petitioner_phone")
    phone, problem = read_phone(raw)
    if unicodedata.normalize("NFKC", text_value(raw)).strip() in ANONYMOUS_WORDS:
        phone, problem = "", ""
    if problem:
        result.note(Reason.PHONE_INVALID, "petitioner_phone", problem)
    values["petitioner_phone"] = phone
    said = _flag(result, cell, "anonymous")
    nobody = not values["petitioner_name"] and not phone
    if said is False and nobody and not problem:
        result.note(Reason.PETITIONER_MISSING, "petitioner_name")
    values["anonymous"] = bool(said) or nobody
    values["complex"] = bool(_flag(result, cell, "complex"))


def parse_row(row_number: int, cells: list[Any], mapping: Mapping[str, str], columns: list[str]) -> ParsedRow:
    """The mapped cells of one row read into order field values (codes, aware datetimes,
    normalised phone), with the problems that refuse it and the doubtful values it is imported
    with."""
    result = ParsedRow(row=row_number)
    cell = _row_cells(cells, mapping, columns)
    _parse_number_and_times(result, cell)
    _parse_codes(result, cell)
    _parse_texts(result, cell)
    _parse_petitioner(result, cell)
    return result


def read_numbered(handle: Any) -> Iterator[Numbered]:
    """The rows of a job's stored rows file (see :mod:`gridgov.core.uploads`)."""
    return uploads.read_rows(handle)
