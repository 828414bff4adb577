"""The mapping (field to column): the file's columns with masked samples, and :func:`ledger_map`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from gridgov.cases.access import mask_name, mask_phone
from gridgov.core import tables
from gridgov.core.errors import Invalid

from .. import parse
from ..models import LedgerImport, LedgerMapping
from ..transitions import LedgerAction
from .common import LEDGER_IMPORTS, JobStep, read_job

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class Columns:
    columns: list[str]
    samples: dict[str, list[str]]


def job_columns(job: LedgerImport, *, sample_rows: int = 3) -> Columns:
    """The file's columns and the first values under each (the mapping page's samples)."""
    body = tables.split_body(read_job(job), job.header_row)
    columns = tables.columns_of(body.header, (cells for _number, cells in body.rows))
    samples: dict[str, list[str]] = {name: [] for name in columns}
    for _number, cells in body.rows[:sample_rows]:
        for position, name in enumerate(columns):
            value = tables.text_value(cells[position] if position < len(cells) else None)
            if value:
                samples[name].append(_masked_sample(value, name)[:40])
    return Columns(columns, samples)


def _masked_sample(value: str, column: str) -> str:
    """A sample cell for the mapping page. A ledger holds no personal field GridGov imports, but
    an old one may carry its reporters' names and phones in other columns: those columns, and
    anything like a phone or an identity card number, are shown masked."""
    if tables.looks_like_number_of_a_person(value):
        return mask_phone(tables.compact(value))
    if tables.header_looks_personal(column):
        return mask_phone(value) if any(ch.isdigit() for ch in value) else mask_name(value)
    return value


@LEDGER_IMPORTS.effect(LedgerAction.MAP)
def _map(step: JobStep) -> None:
    job = step.subject
    columns = job_columns(job).columns
    cleaned, details = tables.mapping_problems(step.input("mapping"), columns, parse.SPECS, parse.REQUIRED_FIELDS)
    if not any(name in cleaned for name in parse.TIME_FIELDS):
        details.setdefault("reported_at", []).append(_("Choose the column of at least one time."))
    if details:
        raise Invalid(_("The mapping is incomplete."), details=details)
    mapping = {name: cleaned[name] for name in parse.FIELD_NAMES if name in cleaned}
    step.set(mapping=mapping, error="")
    LedgerMapping.objects.update_or_create(town=job.town, defaults={"mapping": mapping, "updated_by": step.actor})
    step.data["mapping"] = mapping


def ledger_map(*, actor: User | AnonymousUser, job_id: int, mapping: Mapping[str, str]) -> LedgerImport:
    """Set the mapping (field → column), remembered for the job's town."""
    return LEDGER_IMPORTS.act(job_id, LedgerAction.MAP, actor=actor, inputs={"mapping": mapping})
