"""What a resident reads about their report, found by its tracking code: its progress and the
result, with anything like a phone or an id number masked."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

from django.db.models import Q

from gridgov.cases.models import Case, Status
from gridgov.cases.services import Action

from ..models import PublicReport
from .common import CODE_LENGTH


@dataclass(frozen=True)
class Tracking:
    """What a resident may read about their report: no case number, name, phone, description
    or handler. ``progress``: received, handling, closed or not_taken_up (voided)."""

    code: str
    received_at: dt.datetime
    category: str
    grid: str
    progress: str
    closed_at: dt.datetime | None
    result: str


def tracking(report: PublicReport) -> Tracking:
    case = report.case
    if case.status == Status.VOIDED:
        progress = "not_taken_up"
    elif case.status == Status.CLOSED:
        progress = "closed"
    elif case.status == Status.REPORTED:
        progress = "received"
    else:
        progress = "handling"
    closed = progress == "closed"
    return Tracking(
        code=report.code,
        received_at=case.reported_at,
        category=case.category.name if case.category_id else "",
        grid=case.grid.name if case.grid is not None else "",
        progress=progress,
        closed_at=case.closed_at if closed else None,
        result=public_result(case) if closed else "",
    )


def report_by_code(code: str) -> PublicReport | None:
    code = code.strip().upper()
    if len(code) != CODE_LENGTH:
        return None
    return PublicReport.objects.filter(code=code).select_related("case", "case__grid", "case__category").first()


# Runs of digits long enough to be a phone or an id number, masked in what a resident reads.
# Seven digits or more, whatever stands between them (spaces, hyphens full-width or not, dots,
# slashes, underscores, commas, brackets): 138.1234.8888 and 138－1234－8888 went out as written.
_LONG_DIGITS: Final = re.compile(r"\d(?:[\s\-－—.．/_,，()（）]*\d){6,}")


def public_result(case: Case) -> str:
    """The result a resident reads: the last report-back's result (``data["result"]``, where
    the department's report back keeps it; the comment of an older event) or closing comment,
    with anything like a phone or an id number masked (staff write it for the case file, not
    for the public)."""
    event = (
        case.events.filter(action__in=[Action.REPORT_BACK, Action.CLOSE])
        .filter(~Q(comment="") | Q(data__has_key="result"))
        .order_by("-at", "-pk")
        .first()
    )
    if event is None:
        return ""
    text = (event.data or {}).get("result") or event.comment
    return _LONG_DIGITS.sub("****", str(text))
