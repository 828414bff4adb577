"""The row-level report of an import as an Excel workbook (no petitioner data in it), written
through the one formula-safe writer (:class:`gridgov.core.spreadsheets.SafeWorkbook`): a
number or a content from an upstream export never becomes a live formula."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.spreadsheets import SafeWorkbook
from gridgov.hotline.models import ImportJob, ImportStatus, SourceSystem
from gridgov.hotline.review import descriptions


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
    """The job's report entries with their labels, reasons and review notes, for pages and the
    workbook."""
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
                "review": descriptions(entry.get("review")),
                "changed": entry.get("changed") or [],
                "order_id": entry.get("order_id"),
            }
        )
    return rows


def totals_note(declared: int | None, row: int | None, rows_read: int) -> str:
    """What the export's totals row says beside the rows read ("" without a totals row)."""
    if row is None:
        return ""
    if declared is None:
        return _("Row %(row)s is a totals row without a count.") % {"row": row}
    if declared == rows_read:
        return _("Totals row %(row)s states %(declared)s orders; %(read)s rows were read: they agree.") % {
            "row": row,
            "declared": declared,
            "read": rows_read,
        }
    return _(
        "Totals row %(row)s states %(declared)s orders but %(read)s rows were read: check that the export is complete."
    ) % {"row": row, "declared": declared, "read": rows_read}


def report_workbook(job: ImportJob) -> bytes:
    book = SafeWorkbook()
    sheet = book.sheet(_("Import report"))
    sheet.widths([14, 24, 14, 60, 60])
    finished = timezone.localtime(job.finished_at).strftime("%Y-%m-%d %H:%M") if job.finished_at else ""
    summary: list[tuple[str, Any]] = [
        (_("File"), job.original_name),
        (_("Source system"), str(dict(SourceSystem.choices).get(job.source_system, job.source_system))),
        (_("Town"), job.town.name),
        (_("Status"), str(dict(ImportStatus.choices).get(job.status, job.status))),
        (_("Finished at"), finished),
        (_("Rows read"), job.total_rows),
        (_("Created"), job.created_count),
        (_("Updated"), job.updated_count),
        (_("Unchanged"), job.unchanged_count),
        (_("Skipped"), job.skipped_count),
        (_("To review"), job.review_count),
    ]
    totals = totals_note(job.totals_declared, job.totals_row, job.total_rows)
    if totals:
        summary.append((_("Totals row"), totals))
    if job.error:
        summary.append((_("Reason"), job.error))
    for title, value in summary:
        sheet.append([title, value])
    sheet.blank()
    sheet.header([_("Row"), _("Upstream number"), _("Outcome"), _("Reason"), _("To review")])
    for row in report_rows(job):
        sheet.append([row["row"], row["number"], row["label"], "；".join(row["reasons"]), "；".join(row["review"])])
    return book.bytes()
