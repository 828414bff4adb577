"""The row-level report of an import as an Excel workbook (no petitioner data in it)."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from gridgov.hotline.models import ImportJob, ImportStatus, SourceSystem


def outcome_label(code: str) -> str:
    labels = {
        "created": _("Created"),
        "updated": _("Updated"),
        "unchanged": _("Unchanged"),
        "skipped": _("Skipped"),
        "failed": _("Failed"),
        "not_imported": _("Not imported"),
        "create": _("New"),
        "update": _("Will update"),
        "skip": _("Skipped"),
    }
    return str(labels.get(code, code))


def report_rows(job: ImportJob) -> list[dict[str, Any]]:
    """The job's report entries with their labels and reasons, for pages and the workbook."""
    rows = []
    for entry in job.report or []:
        errors = entry.get("errors") or []
        rows.append(
            {
                "row": entry.get("row"),
                "number": entry.get("number", ""),
                "outcome": entry.get("outcome", ""),
                "label": outcome_label(str(entry.get("outcome", ""))),
                "reasons": [str(item.get("message", "")) for item in errors],
                "changed": entry.get("changed") or [],
                "order_id": entry.get("order_id"),
            }
        )
    return rows


def report_workbook(job: ImportJob) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Import report")
    bold = Font(bold=True)
    finished = timezone.localtime(job.finished_at).strftime("%Y-%m-%d %H:%M") if job.finished_at else ""
    summary = [
        (_("File"), job.original_name),
        (_("Source system"), str(dict(SourceSystem.choices).get(job.source_system, job.source_system))),
        (_("Town"), job.town.name),
        (_("Status"), str(dict(ImportStatus.choices).get(job.status, job.status))),
        (_("Finished at"), finished),
        (_("Created"), job.created_count),
        (_("Updated"), job.updated_count),
        (_("Unchanged"), job.unchanged_count),
        (_("Skipped"), job.skipped_count),
    ]
    if job.error:
        summary.append((_("Reason"), job.error))
    for title, value in summary:
        sheet.append([title, value])
        sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append([])
    sheet.append([_("Row"), _("Upstream number"), _("Outcome"), _("Reason")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for row in report_rows(job):
        sheet.append([row["row"], row["number"], row["label"], "；".join(row["reasons"])])
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 24
    sheet.column_dimensions["C"].width = 14
    sheet.column_dimensions["D"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
