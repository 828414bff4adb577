"""The weekly workflow (:data:`WEEKLY`, table in :mod:`..transitions`) and :func:`weekly_act`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypeAlias

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.core.actors import Actor, signed_in
from gridgov.core.audit import record
from gridgov.core.errors import clean_text
from gridgov.core.once import create_once
from gridgov.core.workflow import Step, Workflow
from gridgov.notify.services import notify
from gridgov.people.models import Role

from ..models import AnalysisEvent, WeeklyAnalysis, WeeklyStatus
from ..transitions import WEEKLY_LABELS, WEEKLY_ROWS, WeeklyAction, WeeklyParty
from .common import COMMENT_LIMIT, TEXT_LIMIT, _holders, _parties, _paths_q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


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
            inputs[name] = clean_text(value, name, limit)

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
