"""What the assessor adds to a period before it is published: manual scores with their evidence,
and bonus and penalty points.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core.actors import signed_in_user
from gridgov.core.audit import record
from gridgov.core.errors import Conflict, Invalid, NotFound

from ..indicators import Target
from ..models import Entry, EntryKind, ItemKind, ManualScore, Period, PeriodStatus, SchemeItem
from .access import _locked_period
from .common import TEXT_LIMIT, _check_files, _decimal, _store_files
from .targets import target_of, targets_by_key

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def _open_for_scores(period: Period) -> None:
    if period.status not in (PeriodStatus.OPEN, PeriodStatus.COMPUTED):
        raise Conflict(
            _("Scores can change only before the results are published (compute again afterwards)."),
            code="period_locked",
        )


def _scheme_item(period: Period, target: Target, item_code: str) -> SchemeItem:
    item = SchemeItem.objects.filter(
        scheme__in=period.schemes.all(), scheme__target_type=target.type, code=item_code, kind=ItemKind.MANUAL
    ).first()
    if item is None:
        raise Invalid.field("item", _("Choose an item the assessor scores."))
    return item


def manual_score_set(
    *,
    actor: User | AnonymousUser,
    period_id: int,
    target_key: str,
    item_code: str,
    score: Any,
    evidence: str,
    files: list[Any] | None = None,
) -> ManualScore:
    """Score a manual item for one target, with the evidence (text, and files)."""
    return manual_scores_set(
        actor=actor, period_id=period_id, item_code=item_code, scores={target_key: (score, evidence)}, files=files
    )[0]


def manual_scores_set(
    *,
    actor: User | AnonymousUser,
    period_id: int,
    item_code: str,
    scores: Mapping[str, tuple[Any, str]],
    files: list[Any] | None = None,
) -> list[ManualScore]:
    """Score a manual item for several targets at once (``{target key: (score, evidence)}``,
    the assessor's table), each with its evidence; all or nothing. Files go with each score."""
    files = list(files or [])
    _check_files(files)
    found: list[ManualScore] = []
    with transaction.atomic():
        period = _locked_period(actor, period_id)
        _open_for_scores(period)
        known: dict[str, Target] = targets_by_key(period, scores)
        if any(key not in known for key in scores):
            raise Invalid.field("target", _("Choose someone this period assesses."))
        items = {t.type: _scheme_item(period, t, item_code) for t in known.values()}
        for key, (score, evidence) in scores.items():
            text = str(evidence).strip()
            if not text:
                raise Invalid.field("evidence", _("Write the evidence for the score."))
            item = items[known[key].type]
            value = _decimal(score, "score", Decimal(0), item.weight)
            manual, created = ManualScore.objects.update_or_create(
                period=period,
                target_key=key,
                item_code=item_code,
                defaults={"score": value, "evidence": text[:TEXT_LIMIT], "assessor": signed_in_user(actor)},
            )
            _store_files(files, actor, manual=manual)
            record(
                action="assessment.manual_score",
                actor=actor,
                obj=manual,
                data={"period": period.pk, "target": key, "item": item_code, "score": str(value), "new": created},
            )
            found.append(manual)
    return found


def entry_add(
    *,
    actor: User | AnonymousUser,
    period_id: int,
    target_key: str,
    kind: str,
    points: Any,
    reason: str,
    files: list[Any] | None = None,
) -> Entry:
    """Bonus or penalty points for one target (capped per scheme when scored)."""
    files = list(files or [])
    _check_files(files)
    if kind not in EntryKind.values:
        raise Invalid.field("kind", _("Choose bonus or penalty."))
    reason = str(reason).strip()
    if not reason:
        raise Invalid.field("reason", _("Write the reason."))
    value = _decimal(points, "points", Decimal("0.01"), Decimal(100))
    with transaction.atomic():
        period = _locked_period(actor, period_id)
        _open_for_scores(period)
        if target_of(period, target_key) is None:
            raise Invalid.field("target", _("Choose someone this period assesses."))
        entry = Entry.objects.create(
            period=period,
            target_key=target_key,
            kind=kind,
            points=value,
            reason=reason[:TEXT_LIMIT],
            created_by=signed_in_user(actor),
        )
        _store_files(files, actor, entry=entry)
        record(
            action="assessment.entry_add",
            actor=actor,
            obj=entry,
            data={"period": period.pk, "target": target_key, "kind": kind, "points": str(value)},
        )
    return entry


def entry_withdraw(*, actor: User | AnonymousUser, pk: int) -> Entry:
    with transaction.atomic():
        entry = Entry.objects.select_for_update().filter(pk=pk).first()
        if entry is None:
            raise NotFound(_("No such entry."))
        period = _locked_period(actor, entry.period_id)
        _open_for_scores(period)
        entry.withdrawn = True
        entry.save(update_fields=["withdrawn"])
        record(action="assessment.entry_withdraw", actor=actor, obj=entry, data={"period": period.pk})
    return entry
