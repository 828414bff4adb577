"""Excel workbooks of the hotline: the filtered order list, and the statistics of a period.

The order list never carries the petitioner in clear: the masked copies (``张*``,
``138****8888``) are exported whoever asks, the decrypted fields are not even loaded. Large
lists are cut at :data:`EXPORT_LIMIT` rows, newest first, and the sheet says so. Every export
writes an audit row (who, which filters or period, how many rows) through
:func:`export_recorded`.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING, Any, Final

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from gridgov.core.audit import record

from .models import (
    Channel,
    HotlineOrder,
    OrderStatus,
    OrderType,
    Satisfaction,
    SourceSystem,
    UrgencyClass,
)
from .stats import Figures, Statistics

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

EXPORT_LIMIT: Final = 20_000
XLSX_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The only columns the list export loads: never the encrypted petitioner fields.
ORDER_COLUMNS: Final = (
    "id",
    "source_system",
    "upstream_number",
    "channel",
    "order_type",
    "urgency_class",
    "complex",
    "title",
    "content",
    "upstream_category",
    "address",
    "received_at",
    "arrived_at",
    "anonymous",
    "petitioner_name_masked",
    "petitioner_phone_masked",
    "status",
    "lead_department__name",
    "acknowledged_at",
    "ack_on_time",
    "reply_deadline",
    "replied_at",
    "reply_on_time",
    "closed_at",
    "returned_at",
    "satisfaction",
    "solved",
    "case__number",
    "extension_count",
    "reopen_count",
    "reminder_count",
    "supervision_count",
)


@transaction.atomic
def export_recorded(
    *, actor: User | AnonymousUser, kind: str, rows: int, filters: dict[str, Any], request: HttpRequest | None = None
) -> None:
    """Write the audit row of a hotline export (``kind``: ``orders`` or ``statistics``)."""
    record(action=f"hotline.export_{kind}", actor=actor, request=request, data={"rows": rows, "filters": filters})


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    """Excel has no time zones: local wall time without the offset."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _header(sheet: Any, titles: list[str]) -> list[Any]:
    bold = Font(bold=True)
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        cells.append(cell)
    return cells


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("yes") if value else _("no")


def export_orders_workbook(
    query: QuerySet[HotlineOrder],
    *,
    actor: User | AnonymousUser,
    filters: dict[str, Any],
    request: HttpRequest | None = None,
) -> bytes:
    """The orders of ``query`` (already scoped and filtered) as an .xlsx file."""
    rows = query.order_by("-arrived_at", "-id").values(*ORDER_COLUMNS)[: EXPORT_LIMIT + 1]
    labels = {
        "source_system": dict(SourceSystem.choices),
        "channel": dict(Channel.choices),
        "order_type": dict(OrderType.choices),
        "urgency_class": dict(UrgencyClass.choices),
        "status": dict(OrderStatus.choices),
        "satisfaction": dict(Satisfaction.choices),
    }

    def label(field: str, code: str) -> str:
        return str(labels[field].get(code, code)) if code else ""

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Hotline orders"))
    sheet.append(
        _header(
            sheet,
            [
                _("Upstream number"),
                _("Source"),
                _("Channel"),
                _("Type"),
                _("Urgency class"),
                _("Title"),
                _("Content"),
                _("Upstream category"),
                _("Address of the matter"),
                _("Received upstream at"),
                _("Arrived at"),
                _("Petitioner"),
                _("Petitioner phone"),
                _("Status"),
                _("Lead department"),
                _("Acknowledged at"),
                _("Acknowledged on time"),
                _("Reply deadline"),
                _("Replied at"),
                _("Replied on time"),
                _("Closed at"),
                _("Returned at"),
                _("Satisfaction"),
                _("Solved"),
                _("Linked case"),
                _("Extensions"),
                _("Reopenings"),
                _("Reminders"),
                _("Supervision notices"),
            ],
        )
    )
    count = 0
    for row in rows:
        if count == EXPORT_LIMIT:
            note = _("Only the newest %(n)s orders are exported; narrow the filters for the rest.")
            sheet.append([note % {"n": EXPORT_LIMIT}])
            break
        anonymous = row["anonymous"]
        sheet.append(
            [
                row["upstream_number"],
                label("source_system", row["source_system"]),
                label("channel", row["channel"]),
                label("order_type", row["order_type"]),
                label("urgency_class", row["urgency_class"]),
                row["title"],
                row["content"],
                row["upstream_category"],
                row["address"],
                _local(row["received_at"]),
                _local(row["arrived_at"]),
                _("Anonymous") if anonymous else row["petitioner_name_masked"],
                "" if anonymous else row["petitioner_phone_masked"],
                label("status", row["status"]),
                row["lead_department__name"] or "",
                _local(row["acknowledged_at"]),
                _yes_no(row["ack_on_time"]),
                _local(row["reply_deadline"]),
                _local(row["replied_at"]),
                _yes_no(row["reply_on_time"]),
                _local(row["closed_at"]),
                _local(row["returned_at"]),
                label("satisfaction", row["satisfaction"]),
                _yes_no(row["solved"]),
                row["case__number"] or "",
                row["extension_count"],
                row["reopen_count"],
                row["reminder_count"],
                row["supervision_count"],
            ]
        )
        count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    export_recorded(actor=actor, kind="orders", rows=count, filters=filters, request=request)
    return buffer.getvalue()


def _figure_columns() -> list[tuple[str, str]]:
    """(attribute of :class:`Figures`, column title) of the statistics tables."""
    return [
        ("received", _("Received")),
        ("acknowledged", _("Acknowledged")),
        ("ack_on_time", _("Acknowledged on time")),
        ("ack_on_time_rate", _("Acknowledged on time (%)")),
        ("replied", _("Replied")),
        ("reply_on_time", _("Replied on time")),
        ("reply_on_time_rate", _("Replied on time (%)")),
        ("drafts_on_time", _("Drafts on time")),
        ("draft_on_time_rate", _("Drafts on time (%)")),
        ("returned", _("Returned upstream")),
        ("extended", _("Extended")),
        ("overdue", _("Overdue")),
        ("open", _("Still open")),
        ("closed", _("Closed")),
        ("reopened", _("Reopened")),
        ("evaluated", _("Evaluated")),
        ("response_rate", _("Response rate (%)")),
        ("resolution_rate", _("Resolution rate (%)")),
        ("satisfaction_rate", _("Satisfaction rate (%)")),
    ]


def _figure_values(figures: Figures, columns: list[tuple[str, str]]) -> list[Any]:
    return [getattr(figures, name) for name, _title in columns]


def export_stats_workbook(
    result: Statistics, *, actor: User | AnonymousUser, request: HttpRequest | None = None
) -> bytes:
    """The statistics of one period as an .xlsx file: a summary sheet with the period and the
    definitions in force, the departments, the days."""
    period = result.period
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    summary = book.create_sheet(_("Summary"))
    title = WriteOnlyCell(summary, value=_("Hotline statistics"))
    title.font = Font(bold=True, size=14)
    summary.append([title])
    summary.append([_("Period"), f"{period.start.isoformat()} – {period.end.isoformat()}"])
    summary.append([_("Computed at"), _local(result.computed_at)])
    summary.append([])
    columns = _figure_columns()
    for (_name, label), value in zip(columns, _figure_values(result.total, columns), strict=True):
        summary.append([label, value if value is not None else "—"])
    summary.append([])
    heading = WriteOnlyCell(summary, value=_("How the figures are computed"))
    heading.font = bold
    summary.append([heading])
    for name, text in result.rules.descriptions():
        summary.append([name, text])

    departments = book.create_sheet(_("Departments"))
    departments.append(_header(departments, [_("Department"), *[title for _n, title in columns]]))
    for row in result.departments:
        name = row.name if row.department_id is not None else _("Not yet assigned")
        departments.append([name, *_figure_values(row.figures, columns)])

    days = book.create_sheet(_("Days"))
    days.append(_header(days, [_("Day"), _("Received"), _("Replied")]))
    for point in result.daily:
        days.append([point.day, point.received, point.replied])

    buffer = io.BytesIO()
    book.save(buffer)
    export_recorded(
        actor=actor,
        kind="statistics",
        rows=len(result.departments),
        filters={"period": period.kind, "start": period.start.isoformat(), "end": period.end.isoformat()},
        request=request,
    )
    return buffer.getvalue()
