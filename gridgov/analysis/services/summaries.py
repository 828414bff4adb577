"""Weekly analyses and monthly summaries: generation, the two workflows, who sees what, the
overdue sweep and the figures the statistics and the assessment read.

- :func:`weekly_generate` makes the drafts of a week (one per grid, once; the figures frozen),
  :func:`schedule_weekly` is the beat task that does it every Monday for the week before (and
  catches up a week it missed); :func:`weekly_act` runs an action of the table; the sweep
  :func:`sweep_overdue` tells the worker and the grid leader once when a draft is overdue.
- :func:`weekly_timeliness` is the figure "weekly analyses on time" of an area and a period
  (defined once here, shown on the list page and read by the assessment).
- :func:`summary_compose` composes a month's summary of a village or the town,
  :func:`summary_act` runs an action on it; :mod:`.documents` prints it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.bulletins.figures import compute as bulletin_figures
from gridgov.core.actors import Actor, signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Forbidden, Invalid, NotFound
from gridgov.core.once import create_once
from gridgov.core.workflow import Step, Workflow
from gridgov.notify.services import notify
from gridgov.people.models import Role
from gridgov.people.selectors import role_holder_ids
from gridgov.workcalendar import calendar, clock
from gridgov.workcalendar.units import TimeUnit

from .. import figures
from ..models import (
    AnalysisEvent,
    MonthlySummary,
    SummaryStatus,
    WeeklyAnalysis,
    WeeklyStatus,
)
from ..transitions import (
    SUMMARY_LABELS,
    SUMMARY_ROWS,
    WEEKLY_LABELS,
    WEEKLY_ROWS,
    SummaryAction,
    SummaryParty,
    WeeklyAction,
    WeeklyParty,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.core.models import AuditEvent

# Who reads weekly analyses: the grid's people and the center's desk.
READER_ROLES: Final = frozenset(
    {
        Role.GRID_WORKER,
        Role.GRID_LEADER,
        Role.VILLAGE_STAFF,
        Role.CENTER_OPERATOR,
        Role.TOWN_LEADER,
        Role.SUPERVISOR,
        Role.ADMIN,
    }
)
CENTER_ROLES: Final = frozenset({Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.ADMIN})
TEXT_LIMIT: Final = 4000
COMMENT_LIMIT: Final = 1000
SUMMARY_EXCERPT: Final = 300
# How many grids' analyses a town's summary quotes (those with open problems).
TOWN_ANALYSES: Final = 30


def due_workdays() -> int:
    """Working days after the week's end by which the analysis is due (the end of that day)."""
    return int(getattr(settings, "GRIDGOV_WEEKLY_DUE_WORKDAYS", 1))


def due_of(week: dt.date) -> dt.datetime:
    """The deadline of the analysis of the week starting on ``week``: the end of the
    ``due_workdays()``-th working day after the week."""
    day = week + dt.timedelta(days=6)
    for _n in range(due_workdays()):
        day = calendar.next_workday(day)
    end = calendar.working_periods()[-1][1]
    return timezone.make_aware(dt.datetime.combine(day, end))


# --- who sees what --------------------------------------------------------------------------------


def _paths_q(user: User | AnonymousUser) -> Q:
    scope = scope_for(user)
    if not scope.has_role(*READER_ROLES):
        return Q(pk__in=[])
    if scope.everything:
        return Q()
    found = Q(pk__in=[])
    for path in scope.area_paths:
        found |= Q(area_path__startswith=path)
    return found


def analyses_visible(user: User | AnonymousUser) -> QuerySet[WeeklyAnalysis]:
    return WeeklyAnalysis.objects.filter(_paths_q(user)).select_related("grid", "submitted_by")


def analysis_get(user: User | AnonymousUser, pk: int) -> WeeklyAnalysis:
    try:
        return analyses_visible(user).get(pk=pk)
    except WeeklyAnalysis.DoesNotExist:
        raise NotFound(_("No such weekly analysis.")) from None


def may_read(user: User | AnonymousUser) -> bool:
    return scope_for(user).has_role(*READER_ROLES)


def _parties(user: User | AnonymousUser, area: Area) -> set[str]:
    held = scope_for(user).roles_for_area(area)
    parties: set[str] = set()
    if Role.GRID_WORKER in held:
        parties.add(WeeklyParty.WORKER)
    if Role.GRID_LEADER in held:
        parties.add(WeeklyParty.LEADER)
    if held & CENTER_ROLES:
        parties.add(WeeklyParty.CENTER)
    return parties


def _holders(area: Area, roles: set[str]) -> list[User]:
    """The active users holding one of ``roles`` over ``area`` or an area above it."""
    ids = role_holder_ids(Q(role__in=roles, area_id__in=area.ancestor_ids()))
    return list(get_user_model().objects.filter(pk__in=ids))


# --- the weekly workflow --------------------------------------------------------------------------

WeeklyActor: TypeAlias = Actor


class WeeklyFlow(Workflow[WeeklyAnalysis, WeeklyActor]):
    model = WeeklyAnalysis
    forbidden_message = _("This step of the weekly analysis is not yours to take.")

    def parties(self, actor: WeeklyActor, subject: WeeklyAnalysis) -> set[str]:
        return set() if actor is None else _parties(actor, subject.grid)

    def visible(self, actor: WeeklyActor) -> Q:
        return Q() if actor is None else _paths_q(actor)

    def status_label(self, status: str) -> str:
        return str(WeeklyStatus(status).label) if status in WeeklyStatus.values else status

    def clean_inputs(
        self, subject: WeeklyAnalysis, transition: Any, inputs: dict[str, Any], actor: WeeklyActor
    ) -> None:
        for name, limit in (("analysis", TEXT_LIMIT), ("measures", TEXT_LIMIT), ("comment", COMMENT_LIMIT)):
            value = inputs.get(name)
            if value is None:
                continue
            value = str(value).strip()
            if len(value) > limit:
                raise Invalid.field(name, _("At most %(limit)d characters.") % {"limit": limit})
            inputs[name] = value

    def record(self, step: Step[WeeklyAnalysis, WeeklyActor]) -> AnalysisEvent:
        event = AnalysisEvent.objects.create(
            analysis=step.subject,
            action=step.action,
            actor=signed_in(step.actor),
            at=step.now,
            from_status=step.before,
            to_status=step.target,
            comment=str(step.input("comment", "") or ""),
            data=step.data,
        )
        record(
            action=f"weekly.{step.action}",
            actor=step.actor,
            obj=step.subject,
            data={"grid": step.subject.grid.code, "week": step.subject.week.isoformat(), **step.data},
        )
        return event

    def send_notices(self, step: Step[WeeklyAnalysis, WeeklyActor]) -> None:
        analysis = step.subject
        wanted = {
            WeeklyParty.WORKER: {Role.GRID_WORKER},
            WeeklyParty.LEADER: {Role.GRID_LEADER},
            WeeklyParty.CENTER: {Role.CENTER_OPERATOR},
        }
        roles: set[str] = set()
        for party in step.notify:
            roles |= wanted[WeeklyParty(party)]
        recipients = _holders(analysis.grid, roles)
        notify(
            recipients=recipients,
            kind=f"weekly.{step.action}",
            params={"grid": analysis.grid.name, "week": analysis.week.isoformat()},
            body=str(step.input("comment", "") or ""),
            url=reverse("analysis:weekly-detail", args=[analysis.pk]),
            obj=analysis,
            actor=signed_in(step.actor),
        )


WEEKLY = WeeklyFlow("weekly_analysis", WEEKLY_ROWS, labels=WEEKLY_LABELS)


def _texts(step: Step[WeeklyAnalysis, WeeklyActor]) -> None:
    changes = {name: step.input(name) for name in ("analysis", "measures") if step.input(name) is not None}
    step.set(**changes)


@WEEKLY.effect(WeeklyAction.SAVE)
def _save(step: Step[WeeklyAnalysis, WeeklyActor]) -> None:
    _texts(step)


@WEEKLY.effect(WeeklyAction.SUBMIT)
def _submit(step: Step[WeeklyAnalysis, WeeklyActor]) -> None:
    _texts(step)
    analysis = step.subject
    if analysis.submitted_at is None:
        on_time = step.now <= analysis.due_at
        step.set(submitted_at=step.now, on_time=on_time, submitted_by=signed_in(step.actor))
        step.data["on_time"] = on_time
    if _holders(analysis.grid, {Role.GRID_LEADER}):
        step.notify.append(WeeklyParty.LEADER)
    else:
        # No grid leader over the grid: it goes to the center directly.
        step.target = WeeklyStatus.SUBMITTED
        step.notify.append(WeeklyParty.CENTER)


@WEEKLY.effect(WeeklyAction.APPROVE)
def _approve(step: Step[WeeklyAnalysis, WeeklyActor]) -> None:
    step.set(leader_comment=str(step.input("comment", "") or ""))
    step.notify.append(WeeklyParty.CENTER)


@WEEKLY.effect(WeeklyAction.SEND_BACK)
def _send_back(step: Step[WeeklyAnalysis, WeeklyActor]) -> None:
    step.set(leader_comment=step.input("comment"), return_count=step.subject.return_count + 1)
    step.notify.append(WeeklyParty.WORKER)


@WEEKLY.effect(WeeklyAction.ACCEPT)
def _accept(step: Step[WeeklyAnalysis, WeeklyActor]) -> None:
    step.set(center_comment=str(step.input("comment", "") or ""), accepted_at=step.now)
    step.notify.append(WeeklyParty.WORKER)


@WEEKLY.effect(WeeklyAction.RETURN)
def _return(step: Step[WeeklyAnalysis, WeeklyActor]) -> None:
    step.set(center_comment=step.input("comment"), return_count=step.subject.return_count + 1)
    step.notify.extend([WeeklyParty.WORKER, WeeklyParty.LEADER])


WEEKLY.check_complete()


def weekly_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
    at: dt.datetime | None = None,
    idempotency_key: str | None = None,
) -> WeeklyAnalysis:
    """Take one step of the table. With an ``idempotency_key`` the actor already used for this
    same step on this same analysis with the same texts (``version`` aside: a retry sends the
    same one), nothing is done again and the analysis comes back as it is now (a phone's retry
    after a lost answer); the key used for anything else is refused (422)."""
    inputs = inputs or {}

    def act() -> WeeklyAnalysis:
        return WEEKLY.act(pk, action, actor=actor, inputs=inputs, version=version, at=at)

    sent = {"analysis": pk, "action": action, "inputs": inputs}
    analysis, _created = create_once(
        key=idempotency_key, user=actor, kind="analysis.weekly_act", sent=sent, create=act, model=WeeklyAnalysis
    )
    return analysis


def allowed_actions(analysis: WeeklyAnalysis, user: User | AnonymousUser) -> list[str]:
    return WEEKLY.allowed_actions(analysis, user)


# --- generation and the sweep ---------------------------------------------------------------------


def current_grids() -> QuerySet[Area]:
    return Area.objects.current().filter(level=AreaLevel.GRID)


def weekly_generate(week: dt.date, *, grids: QuerySet[Area] | None = None, now: dt.datetime | None = None) -> int:
    """The drafts of the week starting on Monday ``week``, one per grid that has none yet;
    returns how many were made. Safe to run twice, or in two workers at once."""
    if week.weekday() != 0:
        raise ValueError("a week starts on a Monday")
    now = now or timezone.now()
    due = due_of(week)
    start = figures.week_period(week).end_at
    warn = clock.warn_point(start, due, TimeUnit.WORKING_HOURS)
    made = 0
    done = set(WeeklyAnalysis.objects.filter(week=week).values_list("grid_id", flat=True))
    for grid in (grids if grids is not None else current_grids()).exclude(pk__in=done).order_by("code"):
        values = figures.compute(grid, week)
        try:
            with transaction.atomic():
                analysis = WeeklyAnalysis.objects.create(
                    grid=grid, area_path=grid.path, week=week, figures=values, due_at=due, warn_at=warn
                )
                AnalysisEvent.objects.create(analysis=analysis, action="generate", at=now, to_status=WeeklyStatus.DRAFT)
        except IntegrityError:
            continue  # another worker made it meanwhile
        made += 1
    if made:
        record(action="weekly.generate", data={"week": week.isoformat(), "count": made})
    return made


def last_complete_week(today: dt.date) -> dt.date:
    return figures.week_of(today) - dt.timedelta(days=7)


def schedule_weekly(today: dt.date | None = None) -> int:
    """The beat task (daily; cheap once the week is done): the drafts of last week, and of the
    week before when the schedule missed it entirely."""
    today = today or timezone.localdate()
    last = last_complete_week(today)
    before = last - dt.timedelta(days=7)
    made = 0
    if (
        not WeeklyAnalysis.objects.filter(week=before).exists()
        and WeeklyAnalysis.objects.filter(week__lt=before).exists()
    ):
        made += weekly_generate(before)
    return made + weekly_generate(last)


OPEN: Final = (WeeklyStatus.DRAFT, WeeklyStatus.RETURNED)


def sweep_overdue(now: dt.datetime | None = None) -> int:
    """Tell the grid worker and the grid leader, once, that an analysis is overdue."""
    now = now or timezone.now()
    sent = 0
    for analysis in WeeklyAnalysis.objects.filter(status__in=OPEN, due_at__lt=now, submitted_at__isnull=True).filter(
        ~Q(events__action="overdue")
    ):
        with transaction.atomic():
            locked = WeeklyAnalysis.objects.select_for_update().filter(pk=analysis.pk).first()
            if locked is None or locked.events.filter(action="overdue").exists():
                continue
            AnalysisEvent.objects.create(analysis=locked, action="overdue", at=now, to_status=locked.status)
            notify(
                recipients=_holders(locked.grid, {Role.GRID_WORKER, Role.GRID_LEADER}),
                kind="weekly.overdue",
                params={"grid": locked.grid.name, "week": locked.week.isoformat()},
                url=reverse("analysis:weekly-detail", args=[locked.pk]),
                obj=locked,
            )
            sent += 1
    return sent


# --- the figure "weekly analyses on time" ------------------------------------------------------


@dataclass(frozen=True)
class Timeliness:
    """The weekly analyses due in a period (their deadline fell in it and has come): how many
    came in on time (submitted by the worker before the deadline), late, or not yet."""

    due: int
    on_time: int
    late: int
    missing: int

    @property
    def rate(self) -> float | None:
        return round(self.on_time * 100 / self.due, 1) if self.due else None


STATES: Final = ("due", "on_time", "late", "missing")


def state_q(state: str, now: dt.datetime) -> Q:
    """The analyses counted in one part of :class:`Timeliness` (``due``, ``on_time``, ``late``,
    ``missing``), among those of any period."""
    due = Q(due_at__lt=now)
    return {
        "due": due,
        "on_time": due & Q(on_time=True),
        "late": due & Q(on_time=False),
        "missing": due & Q(submitted_at__isnull=True),
    }[state]


def timeliness(analyses: QuerySet[WeeklyAnalysis], now: dt.datetime | None = None) -> Timeliness:
    """The figure "weekly analyses on time" of ``analyses``: those whose deadline has come,
    split into on time, late (submitted after the deadline) and not submitted."""
    now = now or timezone.now()
    row = analyses.aggregate(**{f"n_{state}": Count("pk", filter=state_q(state, now)) for state in STATES})
    return Timeliness(row["n_due"], row["n_on_time"], row["n_late"], row["n_missing"])


def weekly_timeliness(
    analyses: QuerySet[WeeklyAnalysis], start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> Timeliness:
    """:func:`timeliness` of the analyses whose deadline fell in [start, end) (a month, a
    quarter: what the assessment reads)."""
    return timeliness(analyses.filter(due_at__gte=start, due_at__lt=end), now)


def overdue_for(user: User | AnonymousUser, now: dt.datetime | None = None) -> QuerySet[WeeklyAnalysis]:
    """The analyses ``user`` sees that are past their deadline and not submitted yet."""
    now = now or timezone.now()
    return analyses_visible(user).filter(status__in=OPEN, due_at__lt=now).order_by("due_at", "area_path")


def to_do_for(user: User | AnonymousUser) -> QuerySet[WeeklyAnalysis]:
    """What waits for ``user``: drafts of their grids, checks for their villages, the center's
    acceptance."""
    return analyses_visible(user).filter(_to_do_q(user)).order_by("due_at", "area_path")


def panel_counts(user: User | AnonymousUser, now: dt.datetime | None = None) -> tuple[int, int]:
    """How many analyses wait for ``user`` and how many of those they see are overdue (one query)."""
    now = now or timezone.now()
    row = analyses_visible(user).aggregate(
        waiting=Count("pk", filter=_to_do_q(user)),
        overdue=Count("pk", filter=Q(status__in=OPEN, due_at__lt=now)),
    )
    return row["waiting"], row["overdue"]


def _to_do_q(user: User | AnonymousUser) -> Q:
    scope = scope_for(user)
    wanted = Q(pk__in=[])
    if scope.has_role(Role.GRID_WORKER):
        for path in scope.paths_for_roles(Role.GRID_WORKER):
            wanted |= Q(area_path__startswith=path, status__in=OPEN)
    if scope.has_role(Role.GRID_LEADER):
        for path in scope.paths_for_roles(Role.GRID_LEADER):
            wanted |= Q(area_path__startswith=path, status=WeeklyStatus.CHECKING)
    if scope.has_role(*CENTER_ROLES):
        wanted |= Q(status=WeeklyStatus.SUBMITTED)
    return wanted


# --- monthly summaries ----------------------------------------------------------------------------

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
    remarks = str(step.input("remarks"))
    if len(remarks) > TEXT_LIMIT:
        raise Invalid.field("remarks", _("At most %(limit)d characters.") % {"limit": TEXT_LIMIT})
    step.set(remarks=remarks)


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
