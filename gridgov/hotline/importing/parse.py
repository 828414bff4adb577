"""Reading upstream exports: the file's table, its header row, the column mapping and the values.

Nothing here touches the database. The table itself (reading the file, the header row, the
body without repeated headers and a totals row, dates and text of cells) is read by the shared
helpers of :mod:`gridgov.core.tables`, re-exported here; this module names the order fields
(:data:`FIELDS`), suggests which column feeds which (:func:`suggest_mapping`) and reads one data
row into :class:`~gridgov.hotline.intake.OrderData`-shaped values (:func:`parse_row`).

A row is refused only when it lacks its order number, its content or a readable received time:
anything else doubtful (a deadline before the received time or unreadable, a type or urgency
label matched only approximately or not at all, an invalid phone, a missing petitioner, a text
longer than its column) is imported with a review note (:mod:`gridgov.hotline.review`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core import tables
from gridgov.core.tables import (
    CSV_EXTENSIONS,
    HEADER_SEARCH_ROWS,
    XLSX_EXTENSIONS,
    Body,
    Cell,
    FieldSpec,
    ImportFileError,
    Numbered,
    Table,
    Totals,
    ValueProblem,
    aliases_of,
    as_written,
    column_names,
    columns_of,
    data_rows,
    decode_text,
    is_blank,
    normalise_header,
    parse_datetime,
    parse_number,
    read_numbered,
    read_table,
    row_cells,
    split_body,
    text_value,
    top_rows,
    totals_of,
)
from gridgov.hotline import conf, intake
from gridgov.hotline.models import OrderType, UrgencyClass
from gridgov.hotline.review import Reason, ReviewNote

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


_ALIASES: Final = aliases_of(FIELDS)

__all__ = [
    "CSV_EXTENSIONS",
    "FIELDS",
    "FIELD_NAMES",
    "HEADER_SEARCH_ROWS",
    "REQUIRED_FIELDS",
    "SPECS",
    "XLSX_EXTENSIONS",
    "Body",
    "FieldSpec",
    "ImportFileError",
    "Numbered",
    "ParsedRow",
    "Table",
    "Totals",
    "ValueProblem",
    "aliases_of",
    "column_names",
    "columns_of",
    "data_rows",
    "decode_text",
    "detect_header",
    "is_blank",
    "normalise_header",
    "parse_datetime",
    "parse_number",
    "parse_row",
    "read_numbered",
    "read_table",
    "split_body",
    "suggest_mapping",
    "text_value",
    "top_rows",
    "totals_of",
]


def detect_header(rows: list[list[Any]], aliases: Mapping[str, str] = _ALIASES, *, enough: int = 2) -> int:
    """The header row (0-based) of an export, by the order fields' known headers."""
    return tables.detect_header(rows, aliases, enough=enough)


def suggest_mapping(
    columns: list[str],
    remembered: Mapping[str, str] | None = None,
    specs: tuple[FieldSpec, ...] = FIELDS,
) -> dict[str, str]:
    """Field → column (see :func:`gridgov.core.tables.suggest_mapping`), the order fields by
    default."""
    return tables.suggest_mapping(columns, remembered, specs, _ALIASES if specs is FIELDS else None)


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
            result.note(Reason.DEADLINE_UNREADABLE, name, as_written(raw))
            moment = None
        if moment is not None and received is not None and moment <= received:
            result.note(Reason.DEADLINE_BEFORE_RECEIVED, name, as_written(moment))
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
    cell = row_cells(cells, mapping, columns)
    _parse_number_and_times(result, cell)
    _parse_codes(result, cell)
    _parse_texts(result, cell)
    _parse_petitioner(result, cell)
    return result
