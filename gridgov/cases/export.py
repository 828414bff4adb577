"""The workbench's filtered list as an Excel workbook (what the center hands on in reports).

Personal data of the involved party is never exported; every export is written to the audit
log with its filters and row count. Large lists are cut at :data:`EXPORT_LIMIT` rows, newest
first, and the sheet says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.spreadsheets import SafeWorkbook
from gridgov.workcalendar.calendar import deadline_is_provisional

from .deadlines import light_expression
from .models import Case, Light, Source, Status
from .services import export_recorded

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

EXPORT_LIMIT: Final = 20_000


def _yes_no(flag: bool | None) -> str:
    """A frozen on-time flag: yes, no, or empty while not decided."""
    if flag is None:
        return ""
    return _("yes") if flag else _("no")


def export_workbook(
    query: QuerySet[Case], *, actor: User | AnonymousUser, filters: dict[str, Any], request: HttpRequest | None = None
) -> bytes:
    """The cases of ``query`` (already scoped and filtered) as an .xlsx file."""
    now = timezone.now()
    rows = (
        query.order_by("-reported_at", "-id")
        .annotate(light=light_expression(now))
        .select_related("category", "category__parent", "grid", "lead_department")[: EXPORT_LIMIT + 1]
    )
    statuses, sources, lights = dict(Status.choices), dict(Source.choices), dict(Light.choices)
    book = SafeWorkbook()
    sheet = book.sheet(_("Cases"))
    headers = [
        _("Number"),
        _("Reported at"),
        _("Registered at"),
        _("Major class"),
        _("Category"),
        _("Source"),
        _("Grid"),
        _("Address"),
        _("Description"),
        _("Status"),
        _("Lead department"),
        _("Current stage"),
        _("Stage deadline"),
        _("Provisional deadline"),
        _("Light"),
        _("Overall deadline"),
        _("First handled at"),
        _("Handled on time"),
        _("Closed at"),
        _("Closed on time"),
        _("Self-handled"),
        _("Reworks"),
        _("Returns"),
        _("Extensions"),
        _("Reminders"),
        _("Supervision notices"),
    ]
    sheet.header(headers)
    count = 0
    for case in rows:
        if count == EXPORT_LIMIT:
            note = _("Only the newest %(n)s cases are exported; narrow the filters for the rest.")
            sheet.append([note % {"n": EXPORT_LIMIT}])
            break
        category = case.category
        sheet.append(
            [
                case.number,
                case.reported_at,
                case.registered_at,
                category.parent.name if category.parent else "",
                category.name,
                str(sources.get(case.source, case.source)),
                case.grid.name if case.grid else "",
                case.address,
                case.description,
                str(statuses.get(case.status, case.status)),
                case.lead_department.name if case.lead_department else "",
                case.get_stage_display() if case.stage else "",
                case.stage_deadline,
                _("provisional") if case.stage_deadline and deadline_is_provisional(case.stage_deadline) else "",
                str(lights.get(getattr(case, "light", ""), "")) if case.is_open else "",
                case.due_at,
                case.handled_at,
                _yes_no(case.handled_on_time),
                case.closed_at,
                _yes_no(case.closed_on_time),
                _("yes") if case.self_handled else "",
                case.rework_count,
                case.return_count,
                case.extension_count,
                case.reminder_count,
                case.supervision_count,
            ]
        )
        count += 1
    export_recorded(actor=actor, rows=count, filters=filters, request=request)
    return book.bytes()
