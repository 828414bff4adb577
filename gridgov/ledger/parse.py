"""Reading a historical ledger's rows: the fields a column can feed, and one row's values.

The table itself (the file, the header row, the body, dates and text of cells) is read by
:mod:`gridgov.core.tables`. Nothing here touches the database: names of categories, places and
departments are matched in :mod:`gridgov.ledger.services.matching` against the town's.

A row is refused only when it has no number or no readable time at all. Anything else doubtful
is imported with a review note (``{"code", "field", "value", "taken"}``, :data:`NOTES`):

- no report time: the earliest time of the row is taken (``reported_missing``);
- no close time: the latest time of the row is taken (``closed_missing``);
- a time that cannot be read is left out (``time_unreadable``); a time before the one the loop
  puts before it (``time_order``), after the import (``time_future``) or before 2000
  (``time_early``) is kept as written;
- a number that is a figure of 16 digits or more in the file, which a spreadsheet may have
  changed, is kept as read (``number_imprecise``);
- an on-time flag, deadline or source that cannot be read is left out or defaults
  (``on_time_unreadable``, ``deadline_unreadable``, ``source_unknown``);
- a number met again in the same file is imported under ``<number>-<n>`` (``number_repeated``);
- a text longer than its column is cut (``text_too_long``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.historical_notes import FIELD_LABELS as L
from gridgov.cases.historical_notes import Code, note_text
from gridgov.core.tables import (
    FieldSpec,
    ValueProblem,
    aliases_of,
    as_written,
    parse_datetime,
    parse_number,
    row_cells,
    text_value,
)

__all__ = ["FIELDS", "Code", "LedgerRow", "note_text", "parse_row"]

FIELDS: Final[tuple[FieldSpec, ...]] = (
    FieldSpec("number", L["number"], True, ("案件编号", "编号", "案卷号", "工单编号", "事件编号", "number")),
    FieldSpec(
        "reported_at",
        L["reported_at"],
        False,
        ("上报时间", "发现时间", "受理时间", "来电时间", "reportedat"),
    ),
    FieldSpec("registered_at", L["registered_at"], False, ("立案时间", "登记时间", "registeredat")),
    FieldSpec("dispatched_at", L["dispatched_at"], False, ("派遣时间", "派单时间", "交办时间", "dispatchedat")),
    FieldSpec("handled_at", L["handled_at"], False, ("处置时间", "办结时间", "处理时间", "反馈时间", "handledat")),
    FieldSpec("verified_at", L["verified_at"], False, ("核查时间", "核实时间", "验收时间", "verifiedat")),
    FieldSpec("closed_at", L["closed_at"], False, ("结案时间", "归档时间", "关闭时间", "closedat")),
    FieldSpec("category", L["category"], False, ("问题类型", "案件类型", "事件类型", "小类", "分类", "category")),
    FieldSpec("area", L["area"], False, ("所属网格", "网格", "所属村", "村居", "村社区", "area", "grid")),
    FieldSpec("department", L["department"], False, ("处置部门", "责任部门", "承办部门", "主办部门", "department")),
    FieldSpec("description", L["description"], False, ("问题描述", "案件描述", "事件描述", "内容", "description")),
    FieldSpec("address", L["address"], False, ("地址", "事发地址", "发生地点", "位置", "address")),
    FieldSpec("result", L["result"], False, ("处置结果", "办理结果", "处理结果", "结果", "result")),
    FieldSpec("deadline", L["deadline"], False, ("办结时限", "处置时限", "截止时间", "期限", "deadline")),
    FieldSpec("on_time", L["on_time"], False, ("是否按时", "按时结案", "是否超期", "是否及时", "ontime")),
    FieldSpec("source", L["source"], False, ("案件来源", "来源", "source")),
)
FIELD_NAMES: Final = tuple(spec.name for spec in FIELDS)
REQUIRED_FIELDS: Final = tuple(spec.name for spec in FIELDS if spec.required)
SPECS: Final = {spec.name: spec for spec in FIELDS}
ALIASES: Final = aliases_of(FIELDS)
# The times of the loop, in the order it reaches them.
TIME_FIELDS: Final = ("reported_at", "registered_at", "dispatched_at", "handled_at", "verified_at", "closed_at")
TEXT_LIMITS: Final = {"description": 4000, "address": 200, "result": 2000}
NUMBER_MAX: Final = 30
# Grid platforms began in 2004; a time before 2000 is a typing or conversion slip (noted, kept).
EARLIEST_PLAUSIBLE: Final = dt.date(2000, 1, 1)
# Figures from here on are not exact in a spreadsheet (15 significant digits).
EXACT_DIGITS_LIMIT: Final = 10**15

# "是否超期" says late for yes: a header naming lateness turns the flag over.
LATE_HEADER_WORDS: Final = ("超期", "超时", "逾期")
ON_TIME_WORDS: Final = frozenset({"是", "按时", "及时", "正常", "未超期", "未超时", "√", "y", "yes", "true", "1"})
LATE_WORDS: Final = frozenset({"否", "超期", "超时", "逾期", "延期", "不及时", "×", "n", "no", "false", "0"})
SOURCE_WORDS: Final = (
    ("网格", "grid_report"),
    ("12345", "hotline"),
    ("热线", "hotline"),
    ("巡查", "patrol"),
    ("会议", "meeting"),
    ("群众", "public"),
    ("信访", "public"),
    ("领导", "leader"),
    ("中心", "center"),
)
SOURCE_CODES: Final = frozenset({"grid_report", "center", "hotline", "patrol", "meeting", "public", "leader"})
DEFAULT_SOURCE: Final = "center"


@dataclass
class LedgerRow:
    """One data row of the ledger: its sheet row (1-based), its values (aware datetimes, texts,
    the names still to be matched), why it is refused (``errors``) and its review notes."""

    row: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    review: list[dict[str, str]] = field(default_factory=list)

    @property
    def number(self) -> str:
        return str(self.values.get("number") or "")

    @property
    def valid(self) -> bool:
        return not self.errors

    def error(self, field_name: str, message: str) -> None:
        self.errors.append({"field": field_name, "message": message})

    def note(self, code: str, field_name: str, value: Any = "", taken: Any = "") -> None:
        self.review.append({"code": code, "field": field_name, "value": str(value)[:60], "taken": str(taken)[:60]})


def parse_on_time(value: Any, column: str = "") -> bool | None:
    """An on-time cell: ``None`` when empty; :class:`ValueProblem` when unreadable. A column
    named for lateness (是否超期) means late for yes."""
    text = unicodedata.normalize("NFKC", text_value(value)).strip().lower()
    if not text:
        return None
    inverted = any(word in column for word in LATE_HEADER_WORDS)
    if text in ON_TIME_WORDS:
        flag = True
    elif text in LATE_WORDS:
        flag = False
    else:
        raise ValueProblem(_("expected yes or no: %(value)s") % {"value": text[:20]})
    if inverted and text in ("是", "否", "y", "n", "yes", "no", "true", "false", "1", "0", "√", "×"):
        return not flag
    return flag


def parse_source(value: Any) -> tuple[str, bool]:
    """The source's code and whether the cell named one (empty: the center)."""
    text = unicodedata.normalize("NFKC", text_value(value)).strip()
    if not text:
        return DEFAULT_SOURCE, True
    if text.lower() in SOURCE_CODES:
        return text.lower(), True
    for word, code in SOURCE_WORDS:
        if word in text:
            return code, True
    return DEFAULT_SOURCE, False


def _times(result: LedgerRow, cell: Any, now: dt.datetime) -> None:
    values = result.values
    for name in TIME_FIELDS:
        raw = cell(name)
        try:
            values[name] = parse_datetime(raw)
        except ValueProblem:
            values[name] = None
            result.note(Code.TIME_UNREADABLE, name, as_written(raw))
    known = [values[name] for name in TIME_FIELDS if values[name] is not None]
    if not known:
        result.error("reported_at", _("The row has no readable time."))
        return
    for name in TIME_FIELDS:
        if values[name] is not None and values[name] > now:
            result.note(Code.TIME_FUTURE, name, as_written(values[name]))
        elif values[name] is not None and values[name].date() < EARLIEST_PLAUSIBLE:
            result.note(Code.TIME_EARLY, name, as_written(values[name]))
    if values["reported_at"] is None:
        values["reported_at"] = min(known)
        result.note(Code.REPORTED_MISSING, "reported_at", "", as_written(values["reported_at"]))
    if values["closed_at"] is None:
        values["closed_at"] = max(known)
        result.note(Code.CLOSED_MISSING, "closed_at", "", as_written(values["closed_at"]))
    last: dt.datetime | None = None
    for name in TIME_FIELDS:
        moment = values[name]
        if moment is None:
            continue
        if last is not None and moment < last:
            result.note(Code.TIME_ORDER, name, as_written(moment))
        last = moment if last is None else max(last, moment)


def _others(result: LedgerRow, cell: Any, mapping: Mapping[str, str]) -> None:
    values = result.values
    raw = cell("deadline")
    try:
        values["deadline"] = parse_datetime(raw, end_of_day=True)
    except ValueProblem:
        values["deadline"] = None
        result.note(Code.DEADLINE_UNREADABLE, "deadline", as_written(raw))
    raw = cell("on_time")
    try:
        values["on_time"] = parse_on_time(raw, mapping.get("on_time", ""))
    except ValueProblem:
        values["on_time"] = None
        result.note(Code.ON_TIME_UNREADABLE, "on_time", as_written(raw))
    raw = cell("source")
    values["source"], known = parse_source(raw)
    if not known:
        result.note(Code.SOURCE_UNKNOWN, "source", as_written(raw), DEFAULT_SOURCE)
    for name in ("category", "area", "department"):
        values[name] = unicodedata.normalize("NFKC", text_value(cell(name))).strip()
    for name, limit in TEXT_LIMITS.items():
        text = text_value(cell(name))
        if len(text) > limit:
            result.note(Code.TEXT_TOO_LONG, name, len(text), limit)
            text = text[:limit].rstrip()
        values[name] = text


def parse_row(
    row_number: int,
    cells: list[Any],
    mapping: Mapping[str, str],
    columns: list[str],
    *,
    now: dt.datetime | None = None,
) -> LedgerRow:
    """The mapped cells of one ledger row read into values, with the reasons it is refused and
    the doubtful values it is imported with (names are matched later)."""
    result = LedgerRow(row=row_number)
    cell = row_cells(cells, mapping, columns)
    raw = cell("number")
    number = parse_number(raw)
    result.values["number"] = number
    if not number:
        result.error("number", _("The case number is missing."))
    elif isinstance(raw, float | int) and not isinstance(raw, bool) and abs(raw) >= EXACT_DIGITS_LIMIT:
        # A spreadsheet keeps a figure in 15 significant digits: the file's number may not be
        # the ledger's. Kept as read, and said.
        result.note(Code.NUMBER_IMPRECISE, "number", number)
    _times(result, cell, now or timezone.now())
    _others(result, cell, mapping)
    return result


def number_repeats(rows: list[LedgerRow]) -> None:
    """A number met again in the file: the later rows get ``<number>-2``, ``-3`` …, noted."""
    seen: dict[str, int] = {}
    for row in rows:
        if not row.number:
            continue
        count = seen.get(row.number, 0) + 1
        seen[row.number] = count
        if count > 1:
            suffix = f"-{count}"
            row.note(Code.NUMBER_REPEATED, "number", row.number, row.number[: NUMBER_MAX - len(suffix)] + suffix)
            row.values["number"] = row.number[: NUMBER_MAX - len(suffix)] + suffix
