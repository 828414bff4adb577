"""The row report kept on the job, as rows and as Excel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.services.historical import (
    CREATED,
    UNCHANGED,
    UPDATED,
)
from gridgov.core.spreadsheets import SafeWorkbook

from .. import parse
from ..models import LedgerImport, LedgerStatus
from .common import AGAIN, NEW, REFUSED


def outcome_label(code: str) -> str:
    labels = {
        CREATED: _("Created"),
        UPDATED: _("Updated"),
        UNCHANGED: _("Unchanged"),
        REFUSED: _("Refused"),
        NEW: _("New"),
        AGAIN: _("Imported before"),
    }
    return str(labels.get(code, code))


def report_rows(job: LedgerImport) -> list[dict[str, Any]]:
    return [
        {
            "row": entry.get("row"),
            "number": entry.get("number", ""),
            "case": entry.get("case", ""),
            "case_id": entry.get("case_id"),
            "outcome": entry.get("outcome", ""),
            "label": outcome_label(str(entry.get("outcome", ""))),
            "reasons": [str(error.get("message", "")) for error in entry.get("errors") or []],
            "review": [parse.note_text(note) for note in entry.get("review") or []],
        }
        for entry in job.report or []
    ]


def report_names(job: LedgerImport) -> tuple[str, str]:
    """The row report's file name, and its ASCII stand-in for old clients."""
    return f"{job.town.name}历史台账导入报告-{job.pk}.xlsx", f"ledger-import-{job.pk}.xlsx"


def report_workbook(job: LedgerImport) -> bytes:
    """The row report as Excel, through the formula-safe writer."""
    book = SafeWorkbook()
    sheet = book.sheet(_("Import report"))
    sheet.widths([10, 24, 22, 14, 50, 70])
    finished = timezone.localtime(job.finished_at).strftime("%Y-%m-%d %H:%M") if job.finished_at else ""
    summary: list[tuple[str, Any]] = [
        (_("File"), job.original_name),
        (_("Town"), job.town.name),
        (_("Status"), str(dict(LedgerStatus.choices).get(job.status, job.status))),
        (_("Finished at"), finished),
        (_("Rows read"), job.total_rows),
        (_("Created"), job.created_count),
        (_("Updated"), job.updated_count),
        (_("Unchanged"), job.unchanged_count),
        (_("Refused"), job.refused_count),
        (_("To review"), job.review_count),
    ]
    if job.error:
        summary.append((_("Reason"), job.error))
    for title, value in summary:
        sheet.append([title, value])
    sheet.blank()
    sheet.header([_("Row"), _("Ledger number"), _("Case number"), _("Outcome"), _("Reason"), _("To review")])
    for row in report_rows(job):
        sheet.append(
            [row["row"], row["number"], row["case"], row["label"], "；".join(row["reasons"]), "；".join(row["review"])]
        )
    return book.bytes()


def at_local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
