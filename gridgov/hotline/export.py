"""Excel workbooks of the hotline: the filtered order list, and the statistics of a period,
both written through the one formula-safe writer (:class:`gridgov.core.spreadsheets.SafeWorkbook`):
a description typed as ``=1+1`` stays text.

The order list never carries the petitioner in clear: the masked copies (``张*``,
``138****8888``) are exported whoever asks, the decrypted fields are not even loaded. Large
lists are cut at :data:`EXPORT_LIMIT` rows, newest first, and the sheet says so. Every export
writes an audit row (who, which filters or period, how many rows) through
:func:`export_recorded`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.audit import record
from gridgov.core.spreadsheets import SafeWorkbook
from gridgov.workcalendar.calendar import deadline_is_provisional
from gridgov.workcalendar.units import Light

from .deadlines import light_expression
from .models import (
    Channel,
    HotlineOrder,
    OrderStatus,
    OrderType,
    Satisfaction,
    SourceSystem,
    UrgencyClass,
)
from .review import Reason
from .stats import Figures, Statistics

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

EXPORT_LIMIT: Final = 20_000

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
    "step_deadline",
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
    "needs_review",
    "review_reasons",
)


@transaction.atomic
def export_recorded(
    *, actor: User | AnonymousUser, kind: str, rows: int, filters: dict[str, Any], request: HttpRequest | None = None
) -> None:
    """Write the audit row of a hotline export (``kind``: ``orders`` or ``statistics``)."""
    record(action=f"hotline.export_{kind}", actor=actor, request=request, data={"rows": rows, "filters": filters})


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("yes") if value else _("no")


def _due(row: dict[str, Any]) -> dt.datetime | None:
    """The deadline that decides the light (:func:`gridgov.hotline.deadlines.due`)."""
    if row["status"] not in OPEN_STATUSES:
        return None
    found = [moment for moment in (row["step_deadline"], row["reply_deadline"]) if moment is not None]
    return min(found) if found else None


OPEN_STATUSES: Final = frozenset(
    {OrderStatus.RECEIVED, OrderStatus.ACKNOWLEDGED, OrderStatus.INSTRUCTED, OrderStatus.DRAFTED}
)


def export_orders_workbook(
    query: QuerySet[HotlineOrder],
    *,
    actor: User | AnonymousUser,
    filters: dict[str, Any],
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """The orders of ``query`` (already scoped and filtered) as an .xlsx file, written through the
    formula-safe writer. "Overdue" is the workbench's own rule (the light, computed by the
    database with :func:`gridgov.hotline.deadlines.light_expression`); a deadline in a year
    whose holiday schedule is not official yet is marked provisional."""
    now = now or timezone.now()
    rows = (
        query.order_by("-arrived_at", "-id")
        .annotate(light=light_expression(now))
        .values(*ORDER_COLUMNS, "light")[: EXPORT_LIMIT + 1]
    )
    labels = {
        "source_system": dict(SourceSystem.choices),
        "channel": dict(Channel.choices),
        "order_type": dict(OrderType.choices),
        "urgency_class": dict(UrgencyClass.choices),
        "status": dict(OrderStatus.choices),
        "satisfaction": dict(Satisfaction.choices),
    }
    reasons = dict(Reason.choices)

    def label(field: str, code: str) -> str:
        return str(labels[field].get(code, code)) if code else ""

    book = SafeWorkbook()
    sheet = book.sheet(_("Hotline orders"))
    sheet.header(
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
            _("Deadline"),
            _("Overdue"),
            _("Reply deadline"),
            _("Provisional deadline"),
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
            _("To review"),
        ]
    )
    count = 0
    for row in rows:
        if count == EXPORT_LIMIT:
            note = _("Only the newest %(n)s orders are exported; narrow the filters for the rest.")
            sheet.append([note % {"n": EXPORT_LIMIT}])
            break
        anonymous = row["anonymous"]
        due = _due(row)
        provisional = any(
            deadline_is_provisional(moment) for moment in (due, row["reply_deadline"] if due else None) if moment
        )
        review = ""
        if row["needs_review"]:
            codes = [str(note.get("code", "")) for note in row["review_reasons"] or [] if isinstance(note, dict)]
            review = "、".join(str(reasons.get(code, code)) for code in codes) or _("yes")
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
                row["received_at"],
                row["arrived_at"],
                _("Anonymous") if anonymous else row["petitioner_name_masked"],
                "" if anonymous else row["petitioner_phone_masked"],
                label("status", row["status"]),
                row["lead_department__name"] or "",
                row["acknowledged_at"],
                _yes_no(row["ack_on_time"]),
                due,
                _yes_no(row["light"] == Light.RED) if due else "",
                row["reply_deadline"],
                _("provisional") if provisional else "",
                row["replied_at"],
                _yes_no(row["reply_on_time"]),
                row["closed_at"],
                row["returned_at"],
                label("satisfaction", row["satisfaction"]),
                _yes_no(row["solved"]),
                row["case__number"] or "",
                row["extension_count"],
                row["reopen_count"],
                row["reminder_count"],
                row["supervision_count"],
                review,
            ]
        )
        count += 1
    content = book.bytes()
    export_recorded(actor=actor, kind="orders", rows=count, filters=filters, request=request)
    return content


def _figure_columns() -> list[tuple[str, str]]:
    """(attribute of :class:`Figures`, column title) of the statistics tables: each rate beside
    its numerator and denominator."""
    return [
        ("received", _("Received")),
        ("acknowledged", _("Acknowledged")),
        ("ack_on_time", _("Acknowledged on time")),
        ("ack_due", _("Due for acknowledgement")),
        ("ack_on_time_rate", _("Acknowledged on time (%)")),
        ("replied", _("Replied")),
        ("reply_on_time", _("Replied on time")),
        ("replied_late", _("Replied late")),
        ("reply_due", _("Due for a reply")),
        ("reply_on_time_rate", _("Replied on time (%)")),
        ("drafts_on_time", _("Drafts on time")),
        ("drafts", _("Drafts ended")),
        ("draft_on_time_rate", _("Drafts on time (%)")),
        ("returned", _("Returned upstream")),
        ("extended", _("Extended")),
        ("overdue", _("Overdue now")),
        ("open", _("Still open")),
        ("closed", _("Closed")),
        ("reopened", _("Reopened")),
        ("responded", _("Responded")),
        ("response_base", _("Response base")),
        ("response_rate", _("Response rate (%)")),
        ("evaluated", _("Evaluated")),
        ("resolved", _("Solved")),
        ("resolution_rate", _("Resolution rate (%)")),
        ("satisfied", _("Satisfied")),
        ("satisfaction_rate", _("Satisfaction rate (%)")),
    ]


def _figure_values(figures: Figures, columns: list[tuple[str, str]]) -> list[Any]:
    return [getattr(figures, name) for name, _title in columns]


def export_stats_workbook(
    result: Statistics, *, actor: User | AnonymousUser, request: HttpRequest | None = None
) -> bytes:
    """The statistics of one period as an .xlsx file: a summary sheet with the period, every
    figure (each rate beside its numerator and denominator) and the definitions in force, the
    departments, the days."""
    period = result.period
    book = SafeWorkbook()

    summary = book.sheet(_("Summary"))
    summary.widths([28, 100])
    summary.append([_("Hotline statistics")], size=14)
    summary.append([_("Period"), f"{period.start.isoformat()} – {period.end.isoformat()}"])
    summary.append([_("Computed at"), result.computed_at])
    summary.blank()
    columns = _figure_columns()
    for (_name, label), value in zip(columns, _figure_values(result.total, columns), strict=True):
        summary.append([label, value if value is not None else "—"])
    summary.blank()
    summary.append([_("How the figures are computed")], bold=True)
    for name, text in result.rules.descriptions():
        summary.append([name, text])

    departments = book.sheet(_("Departments"))
    departments.widths([24, *[max(10, min(24, len(str(title)) * 2 + 2)) for _n, title in columns]])
    departments.header([_("Department"), *[title for _n, title in columns]])
    for row in result.departments:
        name = row.name if row.department_id is not None else _("Not yet assigned")
        departments.append([name, *_figure_values(row.figures, columns)])

    days = book.sheet(_("Days"))
    days.widths([14, 12, 12])
    days.header([_("Day"), _("Received"), _("Replied")])
    for point in result.daily:
        days.append([point.day, point.received, point.replied])

    content = book.bytes()
    export_recorded(
        actor=actor,
        kind="statistics",
        rows=len(result.departments),
        filters={"period": period.kind, "start": period.start.isoformat(), "end": period.end.isoformat()},
        request=request,
    )
    return content
