"""The file adapter's workbook: one row per message, in the column layout the district's
hotline system imports.

The column titles are the district's own (工单编号, 办理单位, 签收时间 …), not labels of this
site, so they are not translated. Times are local wall times without an offset, as Excel has
no time zones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Final

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from gridgov.core.spreadsheets import SafeWorkbook

from .models import MessageKind, UpstreamMessage

SHEET_TITLE: Final = "工单办理结果"
# What each message kind is called in the district's layout.
KIND_TITLES: Final = {
    MessageKind.ACKNOWLEDGE: "签收",
    MessageKind.REPLY: "答复",
    MessageKind.RETURN: "退单",
    MessageKind.EXTENSION_REQUEST: "延期申请",
}
# (column title, width): the district's layout, in its order.
COLUMNS: Final = (
    ("工单编号", 22),
    ("报送类型", 10),
    ("办理单位", 24),
    ("签收时间", 18),
    ("答复时间", 18),
    ("答复内容", 60),
    ("退单理由", 40),
    ("退单依据", 30),
    ("延期申请", 18),
    ("延期理由", 40),
    ("报送时间", 18),
    ("系统消息号", 12),
)


def _when(value: Any) -> dt.datetime | None:
    """An ISO string (or datetime) from a payload as a local naive datetime for Excel."""
    if isinstance(value, dt.datetime):
        moment: dt.datetime | None = value
    elif isinstance(value, str) and value:
        moment = parse_datetime(value)
        if moment is None:
            try:
                moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(23, 59))
            except ValueError:
                return None
    else:
        return None
    if moment is None:
        return None
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.replace(tzinfo=None, microsecond=0)


def _unit(message: UpstreamMessage) -> str:
    """The handling unit: the lead department for a reply, else the town."""
    order = message.order
    if message.kind == MessageKind.REPLY and order.lead_department is not None:
        return str(order.lead_department.name)
    return str(order.town.name)


def row_for(message: UpstreamMessage) -> list[Any]:
    """One message as a row of :data:`COLUMNS`. Payload keys are those the hotline services
    send (see docs/hotline.md, "Upstream"); a missing key leaves its cell empty."""
    data = message.payload or {}
    kind = message.kind
    unit = data.get("unit") or data.get("department") or _unit(message)
    at = data.get("at")
    return [
        message.upstream_number,
        KIND_TITLES.get(kind, kind),  # type: ignore[call-overload]
        unit,
        _when(data.get("acknowledged_at") or (at if kind == MessageKind.ACKNOWLEDGE else None)),
        _when(data.get("replied_at") or (at if kind == MessageKind.REPLY else None)),
        (data.get("reply") or data.get("text") or "") if kind == MessageKind.REPLY else "",
        data.get("reason", "") if kind == MessageKind.RETURN else "",
        data.get("basis", "") if kind == MessageKind.RETURN else "",
        _when(data.get("until")) if kind == MessageKind.EXTENSION_REQUEST else None,
        data.get("reason", "") if kind == MessageKind.EXTENSION_REQUEST else "",
        _when(message.created_at),
        message.pk,
    ]


def build(messages: Iterable[UpstreamMessage]) -> bytes:
    """The workbook of ``messages`` (in the order given) as .xlsx bytes."""
    book = SafeWorkbook()
    sheet = book.sheet(SHEET_TITLE)
    sheet.widths([width for _title, width in COLUMNS])
    sheet.freeze_header()
    sheet.header([title for title, _width in COLUMNS])
    for message in messages:
        sheet.append(row_for(message))
    return book.bytes()
