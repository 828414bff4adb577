"""The preview of an import: every data row of the file validated and compared with the
database, without writing anything (the import itself runs the same comparison again)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.utils.translation import gettext as _

from gridgov.hotline import intake
from gridgov.hotline.access import mask_name, mask_phone
from gridgov.hotline.review import Reason, ReviewNote, describe

from ...models import HotlineOrder, ImportJob, OrderType, UrgencyClass
from .. import parse
from .flow import read_job

LOOKUP_CHUNK: Final = 500

# Preview outcomes of a row, and the outcomes of the import report.
CREATE, UPDATE, UNCHANGED, SKIP = "create", "update", "unchanged", "skip"
CREATED, UPDATED, SKIPPED = "created", "updated", "skipped"


@dataclass
class PreviewRow:
    row: int
    number: str
    outcome: str
    errors: list[dict[str, str]] = field(default_factory=list)
    data: intake.OrderData | None = None
    order_id: int | None = None
    duplicate_of: int | None = None
    changed: list[str] = field(default_factory=list)
    # Doubtful values the order is imported with (its review flag), none for a skipped or
    # unchanged row (nothing is written then).
    review: list[ReviewNote] = field(default_factory=list)
    anonymous: bool = False
    # What the table shows (the petitioner masked).
    received_at: dt.datetime | None = None
    order_type: str = ""
    urgency_class: str = ""
    summary: str = ""
    name_masked: str = ""
    phone_masked: str = ""

    @property
    def messages(self) -> list[str]:
        return [item["message"] for item in self.errors]

    @property
    def review_messages(self) -> list[str]:
        return [describe(note) for note in self.review]

    @property
    def flagged(self) -> bool:
        return bool(self.review) and self.outcome in (CREATE, UPDATE)


@dataclass
class Preview:
    rows: list[PreviewRow]
    columns: list[str]
    # A totals row of the export (合计/总计), checked against the rows read.
    totals: parse.Totals | None = None

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        counts = {name: self.count(name) for name in (CREATE, UPDATE, UNCHANGED, SKIP)}
        return counts | {"total": len(self.rows), "review": sum(1 for row in self.rows if row.flagged)}

    @property
    def totals_mismatch(self) -> int | None:
        """How many rows the totals row states beyond the rows read (negative: fewer), ``None``
        when there is no totals row with a count, or it agrees."""
        if self.totals is None or self.totals.declared is None:
            return None
        difference = self.totals.declared - len(self.rows)
        return difference or None

    @property
    def writable(self) -> int:
        return len(self.rows) - self.count(SKIP)


def _order_data(job: ImportJob, values: dict[str, Any], review: list[ReviewNote]) -> intake.OrderData:
    return intake.OrderData(
        source_system=job.source_system,
        upstream_number=values["upstream_number"],
        received_at=values["received_at"],
        order_type=values["order_type"],
        urgency_class=values["urgency_class"],
        content=values["content"],
        title=values["title"],
        upstream_category=values["upstream_category"],
        address=values["address"],
        upstream_ack_deadline=values.get("upstream_ack_deadline"),
        upstream_deadline=values.get("upstream_deadline"),
        petitioner_name=values["petitioner_name"],
        petitioner_phone=values["petitioner_phone"],
        petitioner_address=values["petitioner_address"],
        anonymous=values["anonymous"],
        complex=values["complex"],
        town_code=job.town.code,
        review=tuple(review),
    )


def _existing(job: ImportJob, numbers: list[str]) -> dict[str, HotlineOrder]:
    found: dict[str, HotlineOrder] = {}
    unique = sorted(set(numbers))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        chunk = unique[start : start + LOOKUP_CHUNK]
        for order in HotlineOrder.objects.filter(source_system=job.source_system, upstream_number__in=chunk):
            found[order.upstream_number] = order
    return found


# Review reasons whose value the file gave but that was not taken: the order keeps its own.
NOT_TAKEN: Final = frozenset({Reason.DEADLINE_BEFORE_RECEIVED, Reason.DEADLINE_UNREADABLE})


def _with_existing(data: intake.OrderData, order: HotlineOrder, mapped: Mapping[str, str]) -> intake.OrderData:
    """Fields the file does not carry (or carries unreadable) keep the order's current values."""
    dropped = {note.field for note in data.review if note.code in NOT_TAKEN}
    kept = {name: getattr(order, name) for name in intake.COPY_FIELDS if name not in mapped or name in dropped}
    return dataclasses.replace(data, **kept) if kept else data


def _changed(order: HotlineOrder, data: intake.OrderData) -> list[str]:
    return [name for name in intake.COPY_FIELDS if getattr(order, name) != getattr(data, name)]


def _type_label(code: str) -> str:
    return str(dict(OrderType.choices).get(code, code))


def _urgency_label(code: str) -> str:
    return str(dict(UrgencyClass.choices).get(code, code))


def build_preview(job: ImportJob) -> Preview:
    """Every data row of the job's rows file, read and compared with the database (no writes)."""
    body = parse.split_body(read_job(job), job.header_row)
    columns = parse.columns_of(body.header, (cells for _number, cells in body.rows))
    parsed = [parse.parse_row(number, cells, job.mapping, columns) for number, cells in body.rows]
    existing = _existing(job, [row.number for row in parsed if row.number])
    first_row: dict[str, int] = {}
    first_data: dict[str, intake.OrderData] = {}
    rows: list[PreviewRow] = []
    for item in parsed:
        values = item.values
        line = PreviewRow(
            row=item.row,
            number=item.number,
            outcome=SKIP,
            errors=list(item.errors),
            received_at=values.get("received_at"),
            order_type=_type_label(values.get("order_type", "")),
            urgency_class=_urgency_label(values.get("urgency_class", "")),
            summary=(values.get("title") or values.get("content") or "")[:60],
            name_masked=mask_name(values.get("petitioner_name", "")),
            phone_masked=mask_phone(values.get("petitioner_phone", "")),
            anonymous=bool(values.get("anonymous")),
        )
        rows.append(line)
        if item.errors:
            continue
        data = intake.normalise(_order_data(job, values, item.review))
        order = existing.get(data.upstream_number)
        if order is not None:
            data = _with_existing(data, order, job.mapping)
        problems = intake.validate(data)
        for name, messages in problems.items():
            label = parse.SPECS[name].label if name in parse.SPECS else name
            for message in messages:
                line.errors.append({"field": name, "message": f"{label}: {message}"})
        if line.errors:
            continue
        if data.upstream_number in first_row:
            line.duplicate_of = first_row[data.upstream_number]
            same = intake.snapshot(first_data[data.upstream_number]) == intake.snapshot(data)
            message = (
                _("Duplicate of row %(row)s in this file; skipped.")
                if same
                else _("Same number as row %(row)s in this file, with different values; skipped.")
            )
            line.errors.append({"field": "upstream_number", "message": message % {"row": line.duplicate_of}})
            continue
        first_row[data.upstream_number] = item.row
        first_data[data.upstream_number] = data
        line.data = data
        if order is None:
            line.outcome = CREATE
        elif order.town_id != job.town_id:
            line.data = None
            line.errors.append(
                {"field": "upstream_number", "message": _("This order belongs to another town; skipped.")}
            )
        else:
            line.order_id = order.pk
            line.changed = _changed(order, data)
            line.outcome = UPDATE if line.changed else UNCHANGED
        if line.outcome in (CREATE, UPDATE):
            line.review = list(item.review)
    return Preview(rows=rows, columns=columns, totals=body.totals)
