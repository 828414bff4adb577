"""The preview (a read): every row read and matched, with what the import would do."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from gridgov.cases.models import Case
from gridgov.cases.services.historical import (
    HistoricalCase,
    derived_numbers,
)
from gridgov.core import tables

from .. import parse
from ..models import LedgerImport
from .common import AGAIN, NEW, REFUSED, read_job
from .matching import Matcher


@dataclass
class PreviewRow:
    line: parse.LedgerRow
    outcome: str
    data: HistoricalCase | None = None

    @property
    def row(self) -> int:
        return self.line.row

    @property
    def number(self) -> str:
        return self.line.number

    @property
    def notes(self) -> list[str]:
        return [parse.note_text(note) for note in self.line.review]

    @property
    def reasons(self) -> list[str]:
        return [error["message"] for error in self.line.errors]


@dataclass
class Preview:
    rows: list[PreviewRow]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def flagged(self) -> int:
        return sum(1 for row in self.rows if row.outcome != REFUSED and row.line.review)

    @property
    def counts(self) -> dict[str, int]:
        return {NEW: self.count(NEW), AGAIN: self.count(AGAIN), "flagged": self.flagged, REFUSED: self.count(REFUSED)}


def _parsed(job: LedgerImport) -> list[parse.LedgerRow]:
    body = tables.split_body(read_job(job), job.header_row)
    columns = tables.columns_of(body.header, (cells for _number, cells in body.rows))
    now = timezone.now()
    lines = [parse.parse_row(number, cells, job.mapping, columns, now=now) for number, cells in body.rows]
    parse.number_repeats(lines)
    return lines


def build_preview(job: LedgerImport) -> Preview:
    """Every row read and matched, with what the import would do (nothing is written)."""
    lines = _parsed(job)
    matcher = Matcher.for_town(job.town)
    rows: list[PreviewRow] = []
    valid = [line for line in lines if line.valid]
    numbers = {n for line in valid for n in [line.number, *derived_numbers(line.number)[:1]]}
    imported = set(
        Case.objects.filter(number__in=numbers, imported=True, town=job.town).values_list("number", flat=True)
    )
    for line in lines:
        if not line.valid:
            rows.append(PreviewRow(line, REFUSED))
            continue
        data = matcher.case(line)
        again = line.number in imported or derived_numbers(line.number)[0] in imported
        rows.append(PreviewRow(line, AGAIN if again else NEW, data))
    return Preview(rows)
