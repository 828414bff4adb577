"""Computing a period (the worker): freezing its inputs into a snapshot, scoring and ranking
them, storing the results; and a result's breakdown as its snapshot froze it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.core.claims import claim
from gridgov.core.errors import Conflict, NotFound

from .. import scoring
from ..indicators import INDICATORS, TARGETS, Window
from ..models import ItemKind, Period, Result, Snapshot, SnapshotStatus, TargetType
from ..transitions import PeriodAction
from .common import CLAIM_TTL
from .periods import PERIODS, progress_set
from .schemes import scheme_frozen
from .targets import targets_of

logger = logging.getLogger("gridgov.assessment")


def freeze_inputs(period: Period, now: dt.datetime, report: Any = None) -> dict[str, Any]:
    """Every input of the period, frozen: the schemes as they are, and for each target its
    automatic measures (with the objects behind them), manual scores and entries."""
    window = Window(period.start, period.end, now)
    schemes = {str(s.pk): scheme_frozen(s) for s in period.schemes.prefetch_related("items").order_by("target_type")}
    manual = {(m.target_key, m.item_code): m for m in period.manual_scores.all()}
    entries: dict[str, list[dict[str, Any]]] = {}
    for entry in period.entries.filter(withdrawn=False).order_by("pk"):
        entries.setdefault(entry.target_key, []).append(
            {"id": entry.pk, "kind": entry.kind, "points": str(entry.points), "reason": entry.reason}
        )
    plan = [
        (key, target) for key, scheme in schemes.items() for target in targets_of(period.town, scheme["target_type"])
    ]
    # Every target is measured with the others (the case figures read all their cases at once).
    memo: dict[Any, Any] = {TARGETS: [target for _key, target in plan]}
    targets = []
    for done, (scheme_key, target) in enumerate(plan):
        if report is not None:
            report(done, len(plan))
        items: dict[str, Any] = {}
        for item in schemes[scheme_key]["items"]:
            if item["kind"] == ItemKind.AUTO:
                measured = INDICATORS[item["indicator"]].measure(target, window, memo)
                items[item["code"]] = measured.as_json() if measured else {"value": None, "refs": {}, "link": {}}
            else:
                given = manual.get((target.key, item["code"]))
                items[item["code"]] = (
                    {"value": str(given.score), "evidence": given.evidence, "manual": given.pk, "by": given.assessor_id}
                    if given
                    else {"value": None}
                )
        targets.append(
            {"target": target.as_json(), "scheme": scheme_key, "items": items, "entries": entries.get(target.key, [])}
        )
    return {
        "window": {"start": period.start.isoformat(), "end": period.end.isoformat(), "at": now.isoformat()},
        "schemes": schemes,
        "targets": targets,
    }


def score_inputs(inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The results scored from frozen inputs alone (no other read): what a snapshot holds, and
    what scoring it again gives."""
    found = []
    for target in inputs["targets"]:
        scheme = inputs["schemes"][target["scheme"]]
        scored = scoring.score(scheme, target)
        found.append({"target": target["target"], "scheme": scheme["id"], **scored})
    by_type: dict[str, list[tuple[str, Decimal]]] = {}
    for result in found:
        by_type.setdefault(result["target"]["type"], []).append((result["target"]["key"], Decimal(result["score"])))
    ranked = {key: rank for pairs in by_type.values() for key, rank in scoring.ranks(pairs).items()}
    for result in found:
        result["rank"] = ranked[result["target"]["key"]]
    return found


def rescore(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Score a snapshot again from its frozen inputs (the reproducibility check)."""
    return score_inputs(snapshot.inputs)


def snapshot_compute(*, pk: int, now: dt.datetime | None = None) -> Snapshot:
    """Compute a queued snapshot (the Celery task): freeze the inputs, score them, store the
    results and complete the period in one transaction; any error fails it with the reason. A
    second delivery, or a snapshot already done, does nothing."""
    with translation.override(settings.LANGUAGE_CODE):
        snapshot = Snapshot.objects.select_related("period__town").get(pk=pk)
        if snapshot.status != SnapshotStatus.RUNNING:
            return snapshot
        with claim(f"gridgov:assessment-claim:{pk}", CLAIM_TTL) as mine:
            return _compute_snapshot(snapshot, now or timezone.now()) if mine else snapshot


def _compute_snapshot(snapshot: Snapshot, now: dt.datetime) -> Snapshot:
    period = snapshot.period
    try:
        inputs = freeze_inputs(period, now, report=lambda done, total: progress_set(period.pk, done, total))
        scored = score_inputs(inputs)
        with transaction.atomic():
            Snapshot.objects.filter(pk=snapshot.pk).update(inputs=inputs, status=SnapshotStatus.DONE, finished_at=now)
            Result.objects.bulk_create(_result_row(snapshot, item) for item in scored)
            PERIODS.act(period.pk, PeriodAction.COMPLETE, actor=None, inputs={"snapshot": snapshot.pk})
    except Conflict:
        Snapshot.objects.filter(pk=snapshot.pk, status=SnapshotStatus.RUNNING).update(status=SnapshotStatus.FAILED)
    except Exception as error:
        logger.exception("assessment snapshot %s could not be computed", snapshot.pk)
        reason = _(
            "The period could not be computed (%(error)s). Try again; if it fails again, tell the administrator."
        ) % {"error": type(error).__name__}
        Snapshot.objects.filter(pk=snapshot.pk).update(status=SnapshotStatus.FAILED, error=reason)
        with contextlib.suppress(Conflict):
            PERIODS.act(period.pk, PeriodAction.FAIL, actor=None, inputs={"reason": reason})
    progress_set(period.pk, 0, 0)
    return Snapshot.objects.get(pk=snapshot.pk)


def _result_row(snapshot: Snapshot, item: Mapping[str, Any]) -> Result:
    target = item["target"]
    total = Decimal(item["score"])
    return Result(
        snapshot=snapshot,
        target_type=target["type"],
        target_key=target["key"],
        label=target["label"][:120],
        user_id=target["user"] if target["type"] in (TargetType.GRID_WORKER, TargetType.GRID_LEADER) else None,
        # A person's result keeps their (first) area as computed: a grid worker's grid, which
        # places it under a grid leader's village (``led_results_q``).
        area_id=target["area"] if target["type"] != TargetType.DEPARTMENT else None,
        department_id=target["department"],
        scheme_id=item["scheme"],
        score=total,
        total=total,
        rank=item["rank"],
        breakdown={k: item[k] for k in ("items", "base", "bonus", "penalty", "score")},
    )


def rerank(snapshot: Snapshot, target_type: str) -> None:
    results = list(Result.objects.filter(snapshot=snapshot, target_type=target_type))
    ranked = scoring.ranks([(r.target_key, r.total) for r in results])
    for result in results:
        if result.rank != ranked[result.target_key]:
            result.rank = ranked[result.target_key]
            result.save(update_fields=["rank"])


# --- the breakdown --------------------------------------------------------------------------------


def breakdown(result: Result) -> list[dict[str, Any]]:
    """Each item of a result with its scheme line, its frozen inputs and its points."""
    inputs = result.snapshot.inputs
    scheme = inputs["schemes"][str(result.scheme_id)]
    lines = {line["code"]: line for line in result.breakdown["items"]}
    rows = []
    for item in scheme["items"]:
        line = lines.get(item["code"], {})
        indicator = INDICATORS.get(item["indicator"])
        rows.append(
            {
                **item,
                "value": line.get("value"),
                "num": line.get("num"),
                "den": line.get("den"),
                "points": line.get("points"),
                "evidence": line.get("evidence", ""),
                "refs": line.get("refs") or {},
                "link": line.get("link") or {},
                "indicator_label": str(indicator.label) if indicator else "",
                "ref_kind": indicator.ref_kind if indicator else "",
            }
        )
    return rows


def target_entries(result: Result) -> list[dict[str, Any]]:
    for target in result.snapshot.inputs.get("targets", []):
        if target["target"]["key"] == result.target_key:
            return list(target.get("entries", []))
    return []


def refs_of(result: Result, item_code: str, part: str) -> tuple[str, list[list[Any]]]:
    """The objects behind one part of one item of a result, as the snapshot froze them."""
    for line in breakdown(result):
        if line["code"] == item_code:
            return line["ref_kind"], list(line["refs"].get(part, []))
    raise NotFound(_("No such item."))
