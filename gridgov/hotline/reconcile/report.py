"""The reconciliation as a workbook (through the one formula-safe writer)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.spreadsheets import SafeWorkbook

from ..models import DifferenceKind, DifferenceState, Reconciliation, SourceSystem
from .figures import figure_rows


def reconciliation_workbook(item: Reconciliation) -> bytes:
    book = SafeWorkbook()
    sheet = book.sheet(_("Reconciliation"))
    sheet.widths([22, 18, 26, 26, 12, 40])
    finished = timezone.localtime(item.finished_at).strftime("%Y-%m-%d %H:%M") if item.finished_at else ""
    summary: list[tuple[str, Any]] = [
        (_("Town"), item.town.name),
        (_("Source system"), str(dict(SourceSystem.choices).get(item.source_system, item.source_system))),
        (_("Month"), f"{item.month:%Y-%m}"),
        (_("File"), item.original_name),
        (_("Compared at"), finished),
        (_("Orders in the list"), item.list_rows),
        (_("Orders of the town in the month"), item.town_orders),
        (_("Found on both sides"), item.matched),
        (_("Differences"), item.difference_count),
    ]
    for title, value in summary:
        sheet.append([title, value])
    sheet.blank()
    sheet.header([_("Figure"), _("In the list"), _("In the town"), _("Difference")])
    for row in figure_rows(item):
        sheet.append([row["label"], row["list"], row["town"], row["delta"]])
    sheet.blank()
    sheet.header(
        [_("Difference"), _("Upstream number"), _("In the list"), _("In the town"), _("Row"), _("Explanation")]
    )
    kinds = dict(DifferenceKind.choices)
    for difference in item.differences.all():
        explanation = difference.explanation if difference.status == DifferenceState.EXPLAINED else ""
        sheet.append(
            [
                str(kinds.get(difference.kind, difference.kind)),
                difference.upstream_number,
                difference.list_value,
                difference.town_value,
                difference.row,
                explanation,
            ]
        )
    return book.bytes()
