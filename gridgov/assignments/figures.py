"""The figure "tasks completed on time" (按时办结率) of owners over a period, defined once here:
the board shows it, the assessment and the lead read it.

Counted per owner's part, on the part's deadline in force (after any extension granted):

- **due**: parts whose deadline fell in the period and which are done or whose deadline has
  passed;
- **completed**: of those, approved done by the assigning leader;
- **on time**: of the completed, the ones whose approved submission came by the deadline;
- **late**: completed after the deadline;
- **open**: due and not done yet (overdue);
- **on-time rate** = on time / due.

A cancelled part (its task cancelled, or its owner taken off the task before any progress) is
never counted: it is neither due nor open, whatever its deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gridgov.cases.indices import Period

from .models import AssignmentPart, OwnerKind, PartStatus

FIGURES: Final = ("due", "completed", "on_time", "late", "open")


@dataclass(frozen=True)
class Completion:
    due: int = 0
    completed: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0

    @property
    def rate(self) -> float | None:
        """On time / due, in per cent (None when nothing was due)."""
        return round(self.on_time * 100 / self.due, 1) if self.due else None


def figure_q(figure: str, period: Period, now: dt.datetime | None = None) -> Q:
    """The parts one figure counts (``due``, ``completed``, ``on_time``, ``late``, ``open``)."""
    now = now or timezone.now()
    # A cancelled part (the task withdrawn, or the owner taken off it) is never due.
    due = Q(deadline__gte=period.start_at, deadline__lt=period.end_at) & (
        Q(status=PartStatus.DONE) | (Q(deadline__lt=now) & ~Q(status=PartStatus.CANCELLED))
    )
    return {
        "due": due,
        "completed": due & Q(status=PartStatus.DONE),
        "on_time": due & Q(status=PartStatus.DONE, on_time=True),
        "late": due & Q(status=PartStatus.DONE, on_time=False),
        "open": due & ~Q(status=PartStatus.DONE),
    }[figure]


def owner_q(keys: Iterable[str], prefix: str = "") -> Q:
    """The parts of the owners ``keys`` (``center:<town>``, ``department:<code>``,
    ``village:<code>``)."""
    found = Q(**{f"{prefix}pk__in": []})
    for key in keys:
        kind, _sep, code = key.partition(":")
        if kind == OwnerKind.DEPARTMENT:
            found |= Q(**{f"{prefix}department__code": code})
        elif kind in (OwnerKind.VILLAGE, OwnerKind.CENTER):
            found |= Q(**{f"{prefix}owner_kind": kind, f"{prefix}area__code": code})
    return found


def owner_key(kind: str, department_code: str | None, area_code: str | None) -> str:
    return f"department:{department_code}" if kind == OwnerKind.DEPARTMENT else f"{kind}:{area_code}"


def assignment_completion(
    owners: Iterable[str] | None,
    period: Period,
    *,
    parts: QuerySet[AssignmentPart] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Completion]:
    """The figure for each owner (by owner key) over ``period``: of ``owners`` (every owner
    with a part when None), among ``parts`` (every part unless a scoped set is given)."""
    now = now or timezone.now()
    query = parts if parts is not None else AssignmentPart.objects.all()
    if owners is not None:
        query = query.filter(owner_q(list(owners)))
    rows = (
        query.filter(figure_q("due", period, now))
        .values("owner_kind", "department__code", "area__code")
        .annotate(**{f"n_{name}": Count("pk", filter=figure_q(name, period, now)) for name in FIGURES})
        .order_by()
    )
    result: dict[str, Completion] = {}
    for row in rows:
        key = owner_key(row["owner_kind"], row["department__code"], row["area__code"])
        result[key] = Completion(**{name: row[f"n_{name}"] for name in FIGURES})
    if owners is not None:
        for key in owners:
            result.setdefault(key, Completion())
    return result


def completion_total(figures: Iterable[Completion]) -> Completion:
    items = list(figures)
    return Completion(**{name: sum(getattr(item, name) for item in items) for name in FIGURES})
