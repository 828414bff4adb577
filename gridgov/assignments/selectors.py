"""Reads of the leaders' tasks, always scoped (:mod:`.access`): the filtered list, the board's
counts by state and light, one task with its parts, files and history, an owner's inbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.indices import Period
from gridgov.core.errors import Invalid, NotFound
from gridgov.workcalendar import clock
from gridgov.workcalendar.units import Light

from . import access, figures
from .models import (
    OPEN_STATUSES,
    PART_OPEN,
    Assignment,
    AssignmentEvent,
    AssignmentFile,
    AssignmentPart,
    AssignmentStatus,
    PartStatus,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

LIGHTS: Final = (Light.GREEN, Light.YELLOW, Light.RED)


def light_of(deadline: dt.datetime | None, warn_at: dt.datetime | None, now: dt.datetime | None = None) -> str:
    return clock.light(deadline, warn_at, now or timezone.now())


def task_light_q(value: str, now: dt.datetime) -> Q:
    """Open tasks whose light (their earliest open part's) is ``value``."""
    return Q(status__in=OPEN_STATUSES) & clock.light_q(value, now, deadline="due_at", warn_at="warn_at")


def part_light_q(value: str, now: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status__in": PART_OPEN}) & clock.light_q(
        value, now, deadline=f"{prefix}deadline", warn_at=f"{prefix}warn_at"
    )


@dataclass(frozen=True)
class Filters:
    status: str = ""
    light: str = ""
    owner: str = ""
    priority: str = ""
    leader: int | None = None
    text: str = ""
    mine: bool = False
    supervision: bool = False
    # A figure of the statistics: the tasks whose owner's part it counts.
    figure: str = ""
    # Waiting for the assigning leader: ``any``, ``extension`` (a request) or ``submitted``.
    waiting: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def period(self) -> Period | None:
        if self.start is None or self.end is None:
            return None
        return Period(self.start, self.end)


WAITING: Final = ("any", "extension", "submitted")


def waiting_q(kind: str, prefix: str = "") -> Q:
    """Parts waiting for the assigning leader's decision: an extension request, a completion
    submitted, or either (``any``)."""
    extension = Q(**{f"{prefix}extension_until__isnull": False, f"{prefix}status__in": PART_OPEN})
    submitted = Q(**{f"{prefix}status": PartStatus.SUBMITTED})
    return extension if kind == "extension" else submitted if kind == "submitted" else extension | submitted


def waiting_for(user: User | AnonymousUser, query: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """The open tasks of ``query`` that wait for a decision of ``user``: a leader who gives
    tasks sees theirs, whoever else (the center, a supervisor, an administrator) all in scope."""
    query = query.filter(status__in=OPEN_STATUSES)
    if user.pk is not None and Assignment.objects.filter(leader_id=user.pk).exists():
        query = query.filter(leader_id=user.pk)
    return query


def waiting_counts(user: User | AnonymousUser) -> dict[str, int]:
    """The tasks waiting for ``user``'s decision, by kind (``any``, ``extension``,
    ``submitted``), in one query."""
    query = waiting_for(user, access.assignments_visible(user))
    parts = AssignmentPart.objects.filter(assignment__in=query.values("pk"))
    return parts.aggregate(**{kind: Count("assignment_id", filter=waiting_q(kind), distinct=True) for kind in WAITING})


STATISTICS_MONTHS: Final = 3


def period_of(start: str | None, end: str | None, today: dt.date | None = None) -> Period:
    """The statistics' period from ``YYYY-MM-DD`` texts: the last three months (this one and the
    two before) when missing or wrong."""
    today = today or timezone.localdate()
    try:
        first = dt.date.fromisoformat(start or "")
        last = dt.date.fromisoformat(end or "")
        if last < first:
            raise ValueError
    except ValueError:
        first = today.replace(day=1)
        for _n in range(STATISTICS_MONTHS - 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        return Period(first, Period.of_month(today).end)
    return Period(first, last)


def _parts_of_filters(
    user: User | AnonymousUser, filters: Filters, now: dt.datetime
) -> QuerySet[AssignmentPart] | None:
    """The parts the owner, my-unit, figure and waiting filters ask for (``None``: no such
    filter)."""
    parts = AssignmentPart.objects.all()
    narrowed = False
    if filters.owner:
        parts = parts.filter(figures.owner_q([filters.owner]))
        narrowed = True
    if filters.mine:
        parts = parts.filter(access.owned_parts_q(user))
        narrowed = True
    if filters.figure:
        period = filters.period
        if filters.figure not in figures.FIGURES or period is None:
            raise Invalid.field("figure", _("Unknown figure."))
        parts = parts.filter(figures.figure_q(filters.figure, period, now))
        narrowed = True
    if filters.waiting:
        if filters.waiting not in WAITING:
            raise Invalid.field("waiting", _("Unknown choice."))
        parts = parts.filter(waiting_q(filters.waiting))
        narrowed = True
    return parts if narrowed else None


def filtered(user: User | AnonymousUser, filters: Filters, now: dt.datetime | None = None) -> QuerySet[Assignment]:
    now = now or timezone.now()
    query = access.assignments_visible(user)
    if filters.status:
        if filters.status not in AssignmentStatus.values:
            raise Invalid.field("status", _("Unknown status."))
        query = query.filter(status=filters.status)
    if filters.light:
        if filters.light not in LIGHTS:
            raise Invalid.field("light", _("Unknown light."))
        query = query.filter(task_light_q(filters.light, now))
    parts = _parts_of_filters(user, filters, now)
    if parts is not None:
        query = query.filter(pk__in=parts.values("assignment_id"))
    if filters.waiting:
        query = waiting_for(user, query)
    if filters.priority:
        query = query.filter(priority=filters.priority)
    if filters.leader:
        query = query.filter(leader_id=filters.leader)
    if filters.supervision:
        query = query.filter(supervision_pending=True)
    if filters.text:
        query = query.filter(Q(title__icontains=filters.text) | Q(requirement__icontains=filters.text))
    return query.annotate(light=clock.light_expression(now, deadline="due_at", warn_at="warn_at"))


def assignment_get(user: User | AnonymousUser, pk: int) -> Assignment:
    found = access.assignments_visible(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such task."))
    return found


def parts_of(assignment: Assignment) -> list[AssignmentPart]:
    return list(assignment.parts.select_related("department", "area").order_by("-lead", "id"))


def history(assignment: Assignment) -> QuerySet[AssignmentEvent]:
    return (
        assignment.events.select_related("actor", "actor__profile", "part", "part__department", "part__area")
        .prefetch_related("files")
        .order_by("at", "id")
    )


def file_get(user: User | AnonymousUser, pk: int) -> AssignmentFile:
    found = (
        AssignmentFile.objects.filter(pk=pk, assignment__in=access.assignments_visible(user).values("pk"))
        .select_related("assignment")
        .first()
    )
    if found is None:
        raise NotFound(_("No such file."))
    return found


def board(user: User | AnonymousUser, now: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """The visible tasks counted by status and, for open ones, by light (one query)."""
    now = now or timezone.now()
    counts: dict[str, dict[str, int]] = {status: {} for status in AssignmentStatus.values}
    rows = (
        access.assignments_visible(user)
        .annotate(light=clock.light_expression(now, deadline="due_at", warn_at="warn_at"))
        .values("status", "light")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        cell = counts.setdefault(row["status"], {})
        cell[row["light"]] = cell.get(row["light"], 0) + row["n"]
    for cell in counts.values():
        cell["total"] = sum(cell.values())
    return counts


def overdue_by_owner(user: User | AnonymousUser, now: dt.datetime | None = None) -> list[tuple[str, str, int]]:
    """(owner key, owner name, overdue parts) of the visible tasks, most overdue first."""
    now = now or timezone.now()
    rows = (
        access.parts_visible(user)
        .filter(part_light_q(Light.RED, now))
        .values("owner_kind", "department__code", "department__name", "area__code", "area__name")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    found = []
    for row in rows:
        key = figures.owner_key(row["owner_kind"], row["department__code"], row["area__code"])
        name = row["department__name"] or (
            _("The center") if row["owner_kind"] == "center" else row["area__name"] or ""
        )
        found.append((key, str(name), row["n"]))
    return found


def inbox_parts(user: User | AnonymousUser) -> QuerySet[AssignmentPart]:
    """The open parts the user's unit owns, soonest deadline first."""
    return (
        access.parts_owned(user)
        .filter(status__in=PART_OPEN)
        .select_related("assignment", "department", "area")
        .order_by("deadline", "id")
    )


def owned_counts(user: User | AnonymousUser, now: dt.datetime | None = None) -> dict[str, int]:
    """The open parts the user's unit owns and how many are overdue (one query)."""
    now = now or timezone.now()
    return access.parts_owned(user).aggregate(
        open=Count("pk", filter=Q(status__in=PART_OPEN)),
        overdue=Count("pk", filter=part_light_q(Light.RED, now)),
    )
