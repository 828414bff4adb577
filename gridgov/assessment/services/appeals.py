"""Appeals of a published result: submitting one, its workflow (a proposal, agreed or sent
back), and the adjustment of the score an upheld appeal makes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.core.actors import signed_in_user
from gridgov.core.audit import record
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.core.workflow import Step, Workflow
from gridgov.people.models import Role

from ..models import Adjustment, Appeal, AppealStatus, Decision, PeriodStatus, Result
from ..transitions import APPEAL_LABELS, APPEAL_ROWS, AppealAction, Party
from .access import appeals_visible, is_manager, own_results_q, results_visible
from .common import TEXT_LIMIT, FlowActor, _check_files, _decimal, _store_files
from .snapshots import rerank

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.core.models import AuditEvent


def may_appeal(user: User | AnonymousUser, result: Result) -> bool:
    return Result.objects.filter(pk=result.pk).filter(own_results_q(user)).exists()


def appeal_submit(
    *,
    actor: User | AnonymousUser,
    result_id: int,
    reason: str,
    item_code: str = "",
    files: list[Any] | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """An appeal of one's own published result, within the window."""
    files = list(files or [])
    _check_files(files)
    now = now or timezone.now()
    reason = str(reason).strip()
    if not reason:
        raise Invalid.field("reason", _("Write why you appeal."))
    with transaction.atomic():
        result = (
            Result.objects.select_for_update().filter(pk__in=results_visible(actor).values("pk"), pk=result_id).first()
        )
        if result is None:
            raise NotFound(_("No such result."))
        if not may_appeal(actor, result):
            raise Forbidden(_("Only the assessed may appeal their result."))
        period = result.snapshot.period
        if period.status != PeriodStatus.PUBLISHED or period.current_id != result.snapshot_id:
            raise Conflict(_("The results are not open to appeal."), code="appeal_closed")
        if period.appeal_until is None or now >= period.appeal_until:
            raise Conflict(_("The appeal window has closed."), code="appeal_window_closed")
        if item_code and item_code not in {line["code"] for line in result.breakdown["items"]}:
            raise Invalid.field("item", _("Choose an item of your result."))
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    period=period,
                    result=result,
                    appellant=signed_in_user(actor),
                    item_code=item_code,
                    reason=reason[:TEXT_LIMIT],
                    submitted_at=now,
                )
        except IntegrityError:
            raise Conflict(_("An appeal of this result is already open."), code="appeal_open") from None
        _store_files(files, actor, appeal=appeal)
        record(
            action="assessment.appeal_submit", actor=actor, obj=appeal, data={"result": result.pk, "item": item_code}
        )
    return appeal


def _discipline(user: User | AnonymousUser, town_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    town = Area.objects.filter(pk=town_id).first()
    return town is not None and Role.SUPERVISOR in scope_for(user).roles_for_area(town)


class AppealFlow(Workflow[Appeal, FlowActor]):
    model = Appeal
    forbidden_message = _("This step of the appeal is not yours to take.")

    def parties(self, actor: FlowActor, subject: Appeal) -> set[str]:
        if actor is None:
            return set()
        found: set[str] = set()
        if is_manager(actor, subject.period.town_id):
            found.add(Party.CENTER)
        if _discipline(actor, subject.period.town_id):
            found.add(Party.DISCIPLINE)
        if subject.appellant_id == actor.pk:
            found.add(Party.APPELLANT)
        return found

    def visible(self, actor: FlowActor) -> Q:
        return Q() if actor is None else Q(pk__in=appeals_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(AppealStatus(status).label) if status in AppealStatus.values else status

    def record(self, step: Step[Appeal, FlowActor]) -> AuditEvent:
        data = {"result": step.subject.result_id, **step.data}
        return record(action=f"assessment.appeal_{step.action}", actor=step.actor, obj=step.subject, data=data)


APPEALS = AppealFlow("assessment_appeal", APPEAL_ROWS, labels=APPEAL_LABELS)


def check_delta(result: Result, item_code: str, delta: Decimal) -> None:
    """Refuse a change that would put the appealed item outside 0 to its weight, or the total
    outside the scale (its penalty cap below 0 to 100 plus its bonus cap)."""
    scheme = result.snapshot.inputs.get("schemes", {}).get(str(result.scheme_id), {})
    if item_code:
        weights = {i["code"]: Decimal(str(i["weight"])) for i in scheme.get("items", [])}
        points = {line["code"]: line.get("points") for line in result.breakdown.get("items", [])}
        if points.get(item_code) is not None and item_code in weights:
            now = Decimal(str(points[item_code]))
            if not 0 <= now + delta <= weights[item_code]:
                raise Invalid.field(
                    "delta",
                    _("The item would get %(points)s points; it allows 0 to %(max)s.")
                    % {"points": now + delta, "max": weights[item_code]},
                )
    top = Decimal(100) + Decimal(str(scheme.get("bonus_cap", 0)))
    low = -Decimal(str(scheme.get("penalty_cap", 0)))
    if not low <= result.total + delta <= top:
        raise Invalid.field(
            "delta",
            _("The total would be %(total)s; the scale allows %(low)s to %(high)s.")
            % {"total": result.total + delta, "low": low, "high": top},
        )


@APPEALS.effect(AppealAction.PROPOSE)
def _propose(step: Step[Appeal, FlowActor]) -> None:
    decision = step.input("decision")
    if decision not in Decision.values:
        raise Invalid.field("decision", _("Propose to uphold or to reject the appeal."))
    delta = _decimal(step.input("delta") or 0, "delta", Decimal(-100), Decimal(100))
    if decision == Decision.UPHELD and delta == 0:
        raise Invalid.field("delta", _("An upheld appeal changes the score: give the change."))
    if decision == Decision.REJECTED:
        delta = Decimal(0)
    check_delta(step.subject.result, step.subject.item_code, delta)
    opinion = str(step.input("opinion")).strip()[:TEXT_LIMIT]
    step.set(decision=decision, delta=delta, opinion=opinion, review_comment="")
    step.data.update({"decision": decision, "delta": str(delta)})
    if step.subject.period.status != PeriodStatus.PUBLISHED:
        raise Conflict(_("The period's results are final."), code="period_locked")


@APPEALS.effect(AppealAction.AGREE)
def _agree(step: Step[Appeal, FlowActor]) -> None:
    appeal = step.subject
    step.set(decided_at=step.now, review_comment=str(step.input("comment") or "")[:TEXT_LIMIT])
    step.data.update({"decision": appeal.decision, "delta": str(appeal.delta)})
    if appeal.decision == Decision.UPHELD and appeal.delta:
        check_delta(Result.objects.get(pk=appeal.result_id), appeal.item_code, appeal.delta)
        adjust(
            result_id=appeal.result_id,
            delta=appeal.delta,
            reason=appeal.opinion,
            actor=signed_in_user(step.actor),
            appeal=appeal,
            now=step.now,
        )


@APPEALS.effect(AppealAction.SEND_BACK)
def _send_back(step: Step[Appeal, FlowActor]) -> None:
    step.set(review_comment=str(step.input("comment"))[:TEXT_LIMIT])


@APPEALS.effect(AppealAction.WITHDRAW)
def _withdraw(step: Step[Appeal, FlowActor]) -> None:
    step.set(decided_at=step.now)


APPEALS.check_complete()


def adjust(
    *, result_id: int, delta: Decimal, reason: str, actor: User, appeal: Appeal | None, now: dt.datetime
) -> Adjustment:
    """Change a published score (kept apart from the computed one) and rank again; audited."""
    result = Result.objects.select_for_update().get(pk=result_id)
    adjustment = Adjustment.objects.create(
        result=result, appeal=appeal, delta=delta, reason=reason, actor=actor, at=now
    )
    result.adjustment += delta
    result.total = result.score + result.adjustment
    result.save(update_fields=["adjustment", "total"])
    rerank(result.snapshot, result.target_type)
    record(
        action="assessment.adjust",
        actor=actor,
        obj=result,
        data={"delta": str(delta), "appeal": appeal.pk if appeal else None, "total": str(result.total)},
    )
    return adjustment


def appeal_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
) -> Appeal:
    return APPEALS.act(pk, action, actor=actor, inputs=inputs or {}, version=version)
