"""Comparing an upstream monthly list with the town's orders: what each row of the list says,
what the town holds, and every difference between them. Nothing here touches the database.

The list is read with the import's reader and header recognition
(:mod:`gridgov.hotline.importing.parse`): its columns are recognised by their usual titles
(:data:`FIELDS`); only the order number is required. For each number:

- listed but not in the town (any month): ``missing_in_town``;
- in the town in the month but not listed: ``missing_in_list``;
- both, but the status class differs (:data:`STATUS_WORDS`; 待签收 / 办理中 / 已答复 / 已退回),
  or the list's label is not recognised: ``status`` / ``status_unknown``;
- both, but the arrival, acknowledge or reply time differs by more than the tolerance (one side
  empty counts as a difference): ``arrival`` / ``acknowledge`` / ``reply``;
- listed twice: ``duplicate``; a row without a number: ``unreadable``.

Doubtful rows are never dropped: each becomes a difference the center sees and explains.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.utils import timezone
from django.utils.translation import gettext_lazy

from gridgov.hotline.importing import parse
from gridgov.hotline.models import DifferenceKind, OrderStatus

FIELDS: Final[tuple[parse.FieldSpec, ...]] = (
    parse.FieldSpec(
        "upstream_number", gettext_lazy("Upstream order number"), True, parse.SPECS["upstream_number"].aliases
    ),
    parse.FieldSpec(
        "arrived_at",
        gettext_lazy("Assigned at"),
        False,
        ("派单时间", "下派时间", "交办时间", "转办时间", "下发时间", "分派时间", "到达时间", "arrivedat"),
    ),
    parse.FieldSpec("status", gettext_lazy("Status"), False, ("工单状态", "办理状态", "处理状态", "状态", "status")),
    parse.FieldSpec(
        "acknowledged_at",
        gettext_lazy("Acknowledged at"),
        False,
        ("签收时间", "接单时间", "接收时间", "acknowledgedat"),
    ),
    parse.FieldSpec(
        "replied_at",
        gettext_lazy("Replied at"),
        False,
        ("答复时间", "回复时间", "办结时间", "反馈时间", "回复办结时间", "repliedat"),
    ),
    parse.FieldSpec(
        "on_time", gettext_lazy("Replied on time"), False, ("是否按期", "是否按时", "按期答复", "按时答复", "ontime")
    ),
    parse.FieldSpec("overdue", gettext_lazy("Overdue"), False, ("是否超期", "是否逾期", "超期", "逾期", "overdue")),
)
ALIASES: Final = parse.aliases_of(FIELDS)

# Status classes, compared instead of the exact labels (the district's workflow has other steps).
WAITING: Final = "waiting"
HANDLING: Final = "handling"
ANSWERED: Final = "answered"
RETURNED: Final = "returned"
CLASS_LABELS: Final = {
    WAITING: gettext_lazy("waiting to be acknowledged"),
    HANDLING: gettext_lazy("being handled"),
    ANSWERED: gettext_lazy("answered"),
    RETURNED: gettext_lazy("returned"),
}
STATUS_WORDS: Final = {
    WAITING: ("待签收", "未签收", "待接收", "待接单", "待受理", "未接收"),
    RETURNED: ("已退回", "退回", "退单", "已退单", "回退"),
    HANDLING: ("已签收", "办理中", "处理中", "在办", "待答复", "待回复", "已受理", "已接收", "延期中"),
    ANSWERED: ("已答复", "已回复", "已办结", "办结", "已反馈", "已回访", "已完成", "已归档", "结案", "已结案", "完成"),
}
TOWN_CLASSES: Final = {
    OrderStatus.RECEIVED: WAITING,
    OrderStatus.ACKNOWLEDGED: HANDLING,
    OrderStatus.INSTRUCTED: HANDLING,
    OrderStatus.DRAFTED: HANDLING,
    OrderStatus.REPLIED: ANSWERED,
    OrderStatus.CLOSED: ANSWERED,
    OrderStatus.RETURNED_UPSTREAM: RETURNED,
}


def status_class(label: Any) -> str | None:
    """The class of a list's status label, ``None`` when not recognised (an exact word first,
    then a word contained in the label)."""
    text = unicodedata.normalize("NFKC", parse.text_value(label)).strip()
    if not text:
        return None
    for exact in (True, False):
        for klass, words in STATUS_WORDS.items():
            if any((text == word) if exact else (word in text) for word in words):
                return klass
    return None


@dataclass
class ListRow:
    """One data row of the list as read: number, times, status label and class, on-time flag;
    ``problems`` holds the values that could not be read (kept as written)."""

    row: int
    number: str = ""
    arrived_at: dt.datetime | None = None
    acknowledged_at: dt.datetime | None = None
    replied_at: dt.datetime | None = None
    status: str = ""
    status_class: str | None = None
    on_time: bool | None = None
    problems: dict[str, str] = field(default_factory=dict)


def read_row(number: int, cells: list[Any], mapping: Mapping[str, str], columns: list[str]) -> ListRow:
    position = {name: index for index, name in enumerate(columns)}

    def cell(name: str) -> Any:
        column = mapping.get(name)
        if column is None or column not in position or position[column] >= len(cells):
            return None
        return cells[position[column]]

    result = ListRow(row=number, number=parse.text_value(cell("upstream_number"))[:64])
    for name in ("arrived_at", "acknowledged_at", "replied_at"):
        value = cell(name)
        try:
            setattr(result, name, parse.parse_datetime(value))
        except parse.ValueProblem:
            result.problems[name] = parse.text_value(value)[:100]
    result.status = parse.text_value(cell("status"))[:100]
    result.status_class = status_class(result.status)
    for name, invert in (("on_time", False), ("overdue", True)):
        flag = on_time_flag(cell(name))
        if flag is not None:
            result.on_time = (not flag) if invert else flag
    return result


ON_TIME_WORDS: Final = frozenset({"按期", "按时", "未超期", "未逾期", "正常"})
LATE_WORDS: Final = frozenset({"超期", "逾期", "超时", "已超期", "延误"})


def on_time_flag(value: Any) -> bool | None:
    """A yes/no cell (是/否, or 按期/超期 written out): ``True`` for on time (or, in an "overdue"
    column, for overdue), ``None`` when empty or unreadable."""
    text = unicodedata.normalize("NFKC", parse.text_value(value)).strip()
    if not text:
        return None
    if text in ON_TIME_WORDS:
        return True
    if text in LATE_WORDS:
        return False
    try:
        return parse.parse_flag(text)
    except parse.ValueProblem:
        return None


@dataclass(frozen=True)
class TownOrder:
    """What the comparison needs of one of the town's orders."""

    id: int
    number: str
    status: str
    arrived_at: dt.datetime
    acknowledged_at: dt.datetime | None
    replied_at: dt.datetime | None
    reply_on_time: bool | None
    in_month: bool


@dataclass(frozen=True)
class Difference:
    kind: str
    number: str = ""
    row: int | None = None
    order_id: int | None = None
    list_value: str = ""
    town_value: str = ""


@dataclass
class Side:
    """The comparable figures of one side: orders, replied, replied on time (``None`` when the
    list does not say), and the two shares."""

    orders: int = 0
    replied: int = 0
    on_time: int | None = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "orders": self.orders,
            "replied": self.replied,
            "on_time": self.on_time,
            "reply_rate": rate(self.replied, self.orders),
            "on_time_rate": None if self.on_time is None else rate(self.on_time, self.replied),
        }


def rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class Outcome:
    differences: list[Difference]
    list_side: Side
    town_side: Side
    matched: int


def _moment(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _time_differs(a: dt.datetime | None, b: dt.datetime | None, tolerance: dt.timedelta) -> bool:
    if a is None and b is None:
        return False
    if a is None or b is None:
        return True
    return abs(a - b) > tolerance


def compare(
    rows: Iterable[ListRow],
    orders: Mapping[str, TownOrder],
    *,
    tolerance: dt.timedelta,
    mapped: Iterable[str],
) -> Outcome:
    """Every difference between the list's rows and the town's orders (``orders`` by number:
    those of the month, and any other of the town the list names). Times and statuses are
    compared only when the list has the column (``mapped``)."""
    columns = set(mapped)
    differences: list[Difference] = []
    seen: dict[str, int] = {}
    listed = Side(on_time=0 if ({"on_time", "overdue"} & columns) else None)
    matched = 0
    for item in rows:
        if not item.number:
            differences.append(Difference(DifferenceKind.UNREADABLE, row=item.row))
            continue
        if item.number in seen:
            differences.append(
                Difference(DifferenceKind.DUPLICATE, item.number, item.row, list_value=f"#{seen[item.number]}")
            )
            continue
        seen[item.number] = item.row
        listed.orders += 1
        answered = item.status_class == ANSWERED or (item.status_class is None and item.replied_at is not None)
        if answered:
            listed.replied += 1
            if listed.on_time is not None and item.on_time:
                listed.on_time += 1
        order = orders.get(item.number)
        if order is None:
            differences.append(
                Difference(DifferenceKind.MISSING_IN_TOWN, item.number, item.row, list_value=item.status or "—")
            )
            continue
        matched += 1
        differences.extend(_field_differences(item, order, tolerance, columns))
    town = Side(on_time=0)
    for number, order in orders.items():
        if not order.in_month:
            continue
        town.orders += 1
        if order.replied_at is not None:
            town.replied += 1
            if order.reply_on_time:
                assert town.on_time is not None
                town.on_time += 1
        if number not in seen:
            differences.append(
                Difference(
                    DifferenceKind.MISSING_IN_LIST,
                    number,
                    order_id=order.id,
                    town_value=str(OrderStatus(order.status).label),
                )
            )
    return Outcome(differences=differences, list_side=listed, town_side=town, matched=matched)


def _field_differences(item: ListRow, order: TownOrder, tolerance: dt.timedelta, columns: set[str]) -> list[Difference]:
    found: list[Difference] = []

    def add(kind: str, list_value: str, town_value: str) -> None:
        found.append(Difference(kind, item.number, item.row, order.id, list_value[:200], town_value[:200]))

    town_class = TOWN_CLASSES.get(OrderStatus(order.status))
    town_status = f"{OrderStatus(order.status).label}"
    if "status" in columns:
        if item.status_class is None:
            add(DifferenceKind.STATUS_UNKNOWN, item.status or "—", town_status)
        elif item.status_class != town_class:
            add(DifferenceKind.STATUS, item.status, town_status)
    for name, kind, town_time in (
        ("arrived_at", DifferenceKind.ARRIVAL, order.arrived_at),
        ("acknowledged_at", DifferenceKind.ACKNOWLEDGE, order.acknowledged_at),
        ("replied_at", DifferenceKind.REPLY, order.replied_at),
    ):
        if name not in columns:
            continue
        if name in item.problems:
            add(kind, item.problems[name], _moment(town_time))
        elif _time_differs(getattr(item, name), town_time, tolerance):
            add(kind, _moment(getattr(item, name)), _moment(town_time))
    return found
