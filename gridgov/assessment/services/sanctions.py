"""Rewards and penalties of a computed period: proposing them (one, or for the top and bottom of
a ranking, with the evidence from the snapshot) and their workflow.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.core.actors import signed_in_user
from gridgov.core.audit import record
from gridgov.core.errors import Conflict, Invalid, NotFound
from gridgov.core.workflow import Step, Workflow

from ..indicators import misses
from ..models import PeriodStatus, Result, Sanction, SanctionKind, SanctionStatus
from ..transitions import SANCTION_LABELS, SANCTION_ROWS, Party
from .access import _locked_period, is_manager, period_get, results_visible, sanctions_visible
from .common import TEXT_LIMIT, FlowActor, _decimal
from .snapshots import breakdown

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.core.models import AuditEvent


class SanctionFlow(Workflow[Sanction, FlowActor]):
    model = Sanction
    forbidden_message = _("Only the center decides rewards and penalties.")

    def parties(self, actor: FlowActor, subject: Sanction) -> set[str]:
        return {Party.CENTER} if actor is not None and is_manager(actor, subject.period.town_id) else set()

    def visible(self, actor: FlowActor) -> Q:
        return Q() if actor is None else Q(pk__in=sanctions_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(SanctionStatus(status).label) if status in SanctionStatus.values else status

    def record(self, step: Step[Sanction, FlowActor]) -> AuditEvent:
        return record(action=f"assessment.sanction_{step.action}", actor=step.actor, obj=step.subject, data=step.data)


SANCTIONS = SanctionFlow("assessment_sanction", SANCTION_ROWS, labels=SANCTION_LABELS)


@SANCTIONS.effect("confirm")
def _confirm(step: Step[Sanction, FlowActor]) -> None:
    step.set(confirmed_at=step.now)


@SANCTIONS.effect("drop")
def _drop(step: Step[Sanction, FlowActor]) -> None:
    step.set(comment=str(step.input("comment"))[:TEXT_LIMIT])


SANCTIONS.check_complete()


def sanction_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
) -> Sanction:
    return SANCTIONS.act(pk, action, actor=actor, inputs=inputs or {}, version=version)


EVIDENCE_ITEMS: Final = ("on_time_closure_rate", "rework_rate", "on_time_verification_rate")


def evidence_of(result: Result, limit: int = 20) -> list[dict[str, Any]]:
    """The cases behind a result that count against it (not closed on time, reworked, not
    verified on time), from its snapshot."""
    found: list[dict[str, Any]] = []
    for line in breakdown(result):
        if line["indicator"] in EVIDENCE_ITEMS:
            for pk, label in misses(line["indicator"], line)[:limit]:
                found.append({"kind": "case", "id": pk, "label": label, "why": line["indicator"]})
    return found


def sanction_add(
    *,
    actor: User | AnonymousUser,
    result_id: int,
    kind: str,
    measure: str,
    reason: str,
    amount: Any = None,
) -> Sanction:
    """A reward or penalty proposed for one result of a computed period (evidence attached from
    the snapshot for a penalty)."""
    if kind not in SanctionKind.values:
        raise Invalid.field("kind", _("Choose reward or penalty."))
    measure = str(measure).strip()[:120]
    if not measure:
        raise Invalid.field("measure", _("Write the measure (e.g. a commendation)."))
    reason = str(reason).strip()
    if not reason:
        raise Invalid.field("reason", _("Write the reason."))
    money = None if amount in (None, "") else _decimal(amount, "amount", Decimal(0), Decimal(100000))
    with transaction.atomic():
        result = (
            Result.objects.filter(pk__in=results_visible(actor).values("pk"), pk=result_id)
            .select_related("snapshot__period")
            .first()
        )
        if result is None:
            raise NotFound(_("No such result."))
        period = _locked_period(actor, result.snapshot.period_id)
        if period.status not in (PeriodStatus.COMPUTED, PeriodStatus.PUBLISHED, PeriodStatus.FINAL):
            raise Conflict(_("Compute the period first."), code="period_not_computed")
        sanction = Sanction.objects.create(
            period=period,
            result=result,
            kind=kind,
            measure=measure,
            amount=money,
            reason=reason[:TEXT_LIMIT],
            evidence=evidence_of(result) if kind == SanctionKind.PENALTY else [],
            proposed_by=signed_in_user(actor),
        )
        record(
            action="assessment.sanction_propose",
            actor=actor,
            obj=sanction,
            data={"result": result.pk, "kind": kind, "evidence": len(sanction.evidence)},
        )
    return sanction


def sanctions_propose(
    *,
    actor: User | AnonymousUser,
    period_id: int,
    target_type: str,
    top: int = 3,
    bottom: int = 3,
    reward: str = "",
    penalty: str = "",
) -> list[Sanction]:
    """Rewards for the top ``top`` and penalties for the bottom ``bottom`` of one ranking (those
    already proposed are left as they are)."""
    period = period_get(actor, period_id)
    if period.current is None:
        raise Conflict(_("Compute the period first."), code="period_not_computed")
    results = list(period.current.results.filter(target_type=target_type).order_by("rank", "target_key"))
    taken = set(period.sanctions.exclude(status=SanctionStatus.DROPPED).values_list("result_id", "kind"))
    made = []
    best = results[: max(0, int(top))]
    worst = [r for r in results[::-1][: max(0, int(bottom))] if r not in best]
    # What is stored is written in the installation's language, whoever proposes it.
    with translation.override(settings.LANGUAGE_CODE):
        planned = [
            *[(r, SanctionKind.REWARD, reward or _("Commendation")) for r in best],
            *[(r, SanctionKind.PENALTY, penalty or _("Talk with the center")) for r in worst],
        ]
        reasons = {
            r.pk: _("Rank %(rank)s of %(count)s, %(total)s points.")
            % {"rank": r.rank, "count": len(results), "total": r.total}
            for r in results
        }
    for result, kind, measure in planned:
        if (result.pk, kind) in taken:
            continue
        reason = reasons[result.pk]
        made.append(sanction_add(actor=actor, result_id=result.pk, kind=kind, measure=measure, reason=reason))
    return made
