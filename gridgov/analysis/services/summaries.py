"""Monthly summaries: who composes and reads them, their frozen content, and their workflow
(:data:`SUMMARIES`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.bulletins.figures import compute as bulletin_figures
from gridgov.core.actors import Actor, signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Forbidden, Invalid, NotFound, clean_text
from gridgov.core.workflow import Step, Workflow
from gridgov.people.models import Role

from .. import figures
from ..models import MonthlySummary, SummaryStatus, WeeklyAnalysis, WeeklyStatus
from ..transitions import SUMMARY_LABELS, SUMMARY_ROWS, SummaryAction, SummaryParty
from .common import CENTER_ROLES, COMMENT_LIMIT, SUMMARY_EXCERPT, TEXT_LIMIT, TOWN_ANALYSES

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.core.models import AuditEvent


SummaryActor: TypeAlias = Actor
SUMMARY_LEVELS: Final = (AreaLevel.TOWN, AreaLevel.VILLAGE)


def summary_areas(user: User | AnonymousUser) -> QuerySet[Area]:
    """The villages and towns whose summary ``user`` may compose and read."""
    if not scope_for(user).has_role(*CENTER_ROLES, Role.GRID_LEADER, Role.VILLAGE_STAFF, Role.SUPERVISOR):
        return Area.objects.none()
    return areas_visible(user).filter(level__in=SUMMARY_LEVELS)


def summaries_visible(user: User | AnonymousUser) -> QuerySet[MonthlySummary]:
    return MonthlySummary.objects.filter(area__in=summary_areas(user).values("pk")).select_related("area")


def summary_get(user: User | AnonymousUser, pk: int) -> MonthlySummary:
    try:
        return summaries_visible(user).get(pk=pk)
    except MonthlySummary.DoesNotExist:
        raise NotFound(_("No such monthly summary.")) from None


def _summary_parties(user: User | AnonymousUser, area: Area) -> set[str]:
    held = scope_for(user).roles_for_area(area)
    parties: set[str] = set()
    if held & CENTER_ROLES:
        parties.add(SummaryParty.CENTER)
    if held & {Role.GRID_LEADER, Role.VILLAGE_STAFF} and area.level == AreaLevel.VILLAGE:
        parties.add(SummaryParty.LEADER)
    return parties


def month_weeks(month: dt.date) -> list[dt.date]:
    """The Mondays of the weeks that end in the month (a week belongs to the month of its Sunday)."""
    first = month.replace(day=1)
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    sunday = first + dt.timedelta(days=(6 - first.weekday()) % 7)
    weeks = []
    while sunday < next_month:
        weeks.append(sunday - dt.timedelta(days=6))
        sunday += dt.timedelta(days=7)
    return weeks


def compose(area: Area, month: dt.date, now: dt.datetime | None = None) -> dict[str, Any]:
    """The frozen content of a summary: the bulletin's figures, the weeks' timeliness and
    roll-ups, and the grids' analyses and measures of the month."""
    now = now or timezone.now()
    weeks = month_weeks(month)
    analyses = WeeklyAnalysis.objects.filter(area_path__startswith=area.path, week__in=weeks).select_related("grid")
    rows = []
    for week in weeks:
        mine = [a for a in analyses if a.week == week]
        total = figures.rollup(a.figures for a in mine)
        rows.append(
            {
                "week": week.isoformat(),
                "grids": len(mine),
                "on_time": sum(1 for a in mine if a.on_time),
                "late": sum(1 for a in mine if a.on_time is False),
                "missing": sum(1 for a in mine if a.submitted_at is None),
                "reported": total["counts"].get("reported", 0),
                "overdue": total["counts"].get("overdue_count", 0),
                "patrols": total["patrols"].get("count", 0),
            }
        )
    sent = [
        a
        for a in sorted(analyses, key=lambda a: (a.week, a.grid.code))
        if a.status in (WeeklyStatus.SUBMITTED, WeeklyStatus.ACCEPTED) and (a.analysis or a.measures)
    ]
    chosen = sent
    if area.level == AreaLevel.TOWN:
        # A town has hundreds a month: the ones with an open problem (overdue cases, repeated
        # problems or places), the most overdue first.
        chosen = sorted(
            (a for a in sent if _has_issues(a.figures)), key=lambda a: -int(a.figures.get("overdue_count", 0))
        )[:TOWN_ANALYSES]
    written = [
        {
            "grid": a.grid.name,
            "week": a.week.isoformat(),
            "analysis": a.analysis[:SUMMARY_EXCERPT],
            "measures": a.measures[:SUMMARY_EXCERPT],
        }
        for a in chosen
    ]
    return {
        "format": 1,
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "month": month.strftime("%Y-%m"),
        "bulletin": bulletin_figures(area, month, now=now),
        "weeks": rows,
        "analyses": written,
        "analyses_sent": len(sent),
    }


def _has_issues(content: dict[str, Any]) -> bool:
    return bool(content.get("overdue_count") or content.get("repeated_places") or content.get("repeated_categories"))


def summary_compose(*, actor: User | AnonymousUser, area_code: str, month: dt.date) -> MonthlySummary:
    """The summary of the area and month: made when there is none, else the existing one
    (recompose it with :func:`summary_act`)."""
    area = summary_areas(actor).filter(code=area_code).first()
    if area is None:
        raise Forbidden(_("You may not compose the summary of this area."))
    if not _summary_parties(actor, area):
        raise Forbidden(_("You may not compose the summary of this area."))
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise Invalid.field("month", _("The month has not begun."))
    existing = MonthlySummary.objects.filter(area=area, month=month).first()
    if existing is not None:
        return existing
    content = compose(area, month)
    try:
        with transaction.atomic():
            summary = MonthlySummary.objects.create(
                area=area, month=month, figures=content, composed_at=timezone.now(), created_by=signed_in(actor)
            )
            record(
                action="summary.compose", actor=actor, obj=summary, data={"area": area.code, "month": content["month"]}
            )
    except IntegrityError:
        return MonthlySummary.objects.get(area=area, month=month)
    return summary


class SummaryFlow(Workflow[MonthlySummary, SummaryActor]):
    model = MonthlySummary
    forbidden_message = _("This step of the monthly summary is not yours to take.")

    def parties(self, actor: SummaryActor, subject: MonthlySummary) -> set[str]:
        return set() if actor is None else _summary_parties(actor, subject.area)

    def visible(self, actor: SummaryActor) -> Q:
        return Q() if actor is None else Q(pk__in=summaries_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(SummaryStatus(status).label) if status in SummaryStatus.values else status

    def record(self, step: Step[MonthlySummary, SummaryActor]) -> AuditEvent:
        summary = step.subject
        data = {"area": summary.area.code, "month": f"{summary.month:%Y-%m}", **step.data}
        return record(action=f"summary.{step.action}", actor=step.actor, obj=summary, data=data)


SUMMARIES = SummaryFlow("monthly_summary", SUMMARY_ROWS, labels=SUMMARY_LABELS)


@SUMMARIES.effect(SummaryAction.REMARK)
def _remark(step: Step[MonthlySummary, SummaryActor]) -> None:
    step.set(remarks=clean_text(step.input("remarks"), "remarks", TEXT_LIMIT))


@SUMMARIES.effect(SummaryAction.RECOMPOSE)
def _recompose(step: Step[MonthlySummary, SummaryActor]) -> None:
    step.set(figures=compose(step.subject.area, step.subject.month, step.now), composed_at=step.now)


@SUMMARIES.effect(SummaryAction.FINALIZE)
def _finalize(step: Step[MonthlySummary, SummaryActor]) -> None:
    step.set(finalized_at=step.now, finalized_by=signed_in(step.actor))


@SUMMARIES.effect(SummaryAction.REOPEN)
def _reopen(step: Step[MonthlySummary, SummaryActor]) -> None:
    step.set(finalized_at=None, finalized_by=None)
    step.data["reason"] = str(step.input("comment"))[:COMMENT_LIMIT]


SUMMARIES.check_complete()


def summary_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
) -> MonthlySummary:
    return SUMMARIES.act(pk, action, actor=actor, inputs=inputs or {}, version=version)
