"""The assessment under ``/api/v1/assessment``: schemes, periods with their ranking (the
assessed: their own result once published), one result's breakdown down to the objects behind
each automatic score, the period's steps (compute, recompute, publish, finalize), appeals and
their steps, rewards and penalties (the same services and rules as the pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from gridgov.core.schemas import LocalTime

from . import services
from .models import Appeal, Period, Result, Sanction

router = Router(tags=["assessment"])
LIMIT = 200


class SchemeItemOut(Schema):
    code: str
    label: str
    kind: str
    indicator: str
    weight: str
    rule: dict[str, Any]
    no_data: str


class SchemeOut(Schema):
    id: int
    town: str
    family: str
    version: int
    name: str
    target_type: str
    bonus_cap: str
    penalty_cap: str
    frozen: bool
    replaced: bool
    items: list[SchemeItemOut]


class PeriodOut(Schema):
    id: int
    town: str
    kind: str
    start: dt.date
    end: dt.date
    title: str
    status: str
    appeal_until: LocalTime | None
    version: int


class ResultRankOut(Schema):
    id: int
    target_type: str
    target_key: str
    label: str
    rank: int
    score: str
    adjustment: str
    total: str


class AssessmentProgressOut(Schema):
    done: int
    total: int
    percent: int
    label: str


class PeriodDetailOut(PeriodOut):
    snapshot: int | None
    progress: AssessmentProgressOut
    allowed_actions: list[str]
    results: list[ResultRankOut]


class ResultLineOut(Schema):
    code: str
    label: str
    kind: str
    indicator: str
    weight: str
    value: float | str | None
    num: float | None
    den: float | None
    points: str | None
    evidence: str
    objects: dict[str, list[list[Any]]]
    workbench: dict[str, dict[str, str]]


class ResultOut(ResultRankOut):
    period: int
    snapshot: int
    bonus: str
    penalty: str
    lines: list[ResultLineOut]


class PeriodActionIn(Schema):
    version: int | None = None
    reason: str | None = None


class AppealIn(Schema):
    reason: str
    item: str = ""


class AppealOut(Schema):
    id: int
    period: int
    result: int
    item: str
    reason: str
    status: str
    decision: str
    delta: str
    opinion: str
    review_comment: str
    version: int
    allowed_actions: list[str]


class AppealActionIn(Schema):
    version: int | None = None
    decision: str | None = None
    opinion: str | None = None
    delta: str | None = None
    comment: str | None = None


class SanctionOut(Schema):
    id: int
    period: int
    result: int
    label: str
    kind: str
    measure: str
    amount: str | None
    reason: str
    evidence: list[dict[str, Any]]
    status: str
    version: int


class SanctionActionIn(Schema):
    version: int | None = None
    comment: str | None = None


def _period_fields(period: Period) -> dict[str, Any]:
    return {
        "id": period.pk,
        "town": period.town.code,
        "kind": period.kind,
        "start": period.start,
        "end": period.end,
        "title": period.title,
        "status": period.status,
        "appeal_until": period.appeal_until,
        "version": period.version,
    }


def _rank(result: Result) -> dict[str, Any]:
    return {
        "id": result.pk,
        "target_type": result.target_type,
        "target_key": result.target_key,
        "label": result.label,
        "rank": result.rank,
        "score": str(result.score),
        "adjustment": str(result.adjustment),
        "total": str(result.total),
    }


def _appeal_out(appeal: Appeal, request: HttpRequest) -> AppealOut:
    return AppealOut(
        id=appeal.pk,
        period=appeal.period_id,
        result=appeal.result_id,
        item=appeal.item_code,
        reason=appeal.reason,
        status=appeal.status,
        decision=appeal.decision,
        delta=str(appeal.delta),
        opinion=appeal.opinion,
        review_comment=appeal.review_comment,
        version=appeal.version,
        allowed_actions=services.APPEALS.allowed_actions(appeal, request.user),
    )


def _sanction_out(sanction: Sanction) -> SanctionOut:
    return SanctionOut(
        id=sanction.pk,
        period=sanction.period_id,
        result=sanction.result_id,
        label=sanction.result.label,
        kind=sanction.kind,
        measure=sanction.measure,
        amount=None if sanction.amount is None else str(sanction.amount),
        reason=sanction.reason,
        evidence=sanction.evidence,
        status=sanction.status,
        version=sanction.version,
    )


@router.get("/schemes", response=list[SchemeOut], summary="The schemes of the user's towns, every version")
def scheme_list(request: HttpRequest) -> list[SchemeOut]:
    found = []
    for scheme in services.schemes_visible(request.user).prefetch_related("items")[:LIMIT]:
        frozen = services.scheme_frozen(scheme)
        found.append(
            SchemeOut(
                id=scheme.pk,
                town=scheme.town.code,
                family=scheme.family,
                version=scheme.version,
                name=scheme.name,
                target_type=scheme.target_type,
                bonus_cap=str(scheme.bonus_cap),
                penalty_cap=str(scheme.penalty_cap),
                frozen=scheme.frozen_at is not None,
                replaced=scheme.replaced,
                items=[SchemeItemOut(**item) for item in frozen["items"]],
            )
        )
    return found


@router.get("/periods", response=list[PeriodOut], summary="The periods the user sees (the assessed: once published)")
def period_list(request: HttpRequest) -> list[PeriodOut]:
    return [PeriodOut(**_period_fields(p)) for p in services.periods_visible(request.user)[:LIMIT]]


def _period_detail(request: HttpRequest, period: Period) -> PeriodDetailOut:
    results = services.results_visible(request.user).filter(snapshot_id=period.current_id) if period.current_id else []
    return PeriodDetailOut(
        **_period_fields(period),
        snapshot=period.current_id,
        progress=AssessmentProgressOut(**services.progress(period)),
        allowed_actions=services.PERIODS.allowed_actions(period, request.user),
        results=[ResultRankOut(**_rank(r)) for r in results],
    )


@router.get("/periods/{period_id}", response=PeriodDetailOut, summary="A period, its progress and its ranking")
def period_detail(request: HttpRequest, period_id: int) -> PeriodDetailOut:
    return _period_detail(request, services.period_get(request.user, period_id))


@router.post(
    "/periods/{period_id}/{action}",
    response=PeriodDetailOut,
    summary="A step of a period: compute, recompute (with a reason), retry, publish, finalize",
)
def period_act(request: HttpRequest, period_id: int, action: str, payload: PeriodActionIn) -> PeriodDetailOut:
    inputs = {"reason": payload.reason} if payload.reason is not None else {}
    services.period_act(actor=request.user, pk=period_id, action=action, inputs=inputs, version=payload.version)
    return _period_detail(request, services.period_get(request.user, period_id))


@router.get("/results/{result_id}", response=ResultOut, summary="One result with the breakdown of every score")
def result_detail(request: HttpRequest, result_id: int) -> ResultOut:
    result = services.result_get(request.user, result_id)
    lines = [
        ResultLineOut(
            code=line["code"],
            label=line["label"],
            kind=line["kind"],
            indicator=line["indicator"],
            weight=line["weight"],
            value=line["value"],
            num=line["num"],
            den=line["den"],
            points=line["points"],
            evidence=line["evidence"],
            objects=line["refs"],
            workbench=line["link"],
        )
        for line in services.breakdown(result)
    ]
    return ResultOut(
        **_rank(result),
        period=result.snapshot.period_id,
        snapshot=result.snapshot_id,
        bonus=result.breakdown["bonus"],
        penalty=result.breakdown["penalty"],
        lines=lines,
    )


@router.post("/results/{result_id}/appeal", response={201: AppealOut}, summary="Appeal one's own published result")
def appeal_submit(request: HttpRequest, result_id: int, payload: AppealIn) -> Status[AppealOut]:
    appeal = services.appeal_submit(
        actor=request.user, result_id=result_id, reason=payload.reason, item_code=payload.item
    )
    return Status(201, _appeal_out(appeal, request))


@router.get("/appeals", response=list[AppealOut], summary="The appeals the user sees (their own, or the town's)")
def appeal_list(request: HttpRequest) -> list[AppealOut]:
    return [_appeal_out(a, request) for a in services.appeals_visible(request.user)[:LIMIT]]


@router.get("/appeals/{appeal_id}", response=AppealOut, summary="One appeal")
def appeal_detail(request: HttpRequest, appeal_id: int) -> AppealOut:
    return _appeal_out(services.appeal_get(request.user, appeal_id), request)


@router.post(
    "/appeals/{appeal_id}/{action}",
    response=AppealOut,
    summary="A step of an appeal: propose (the center), agree or send_back (the discipline office), withdraw",
)
def appeal_act(request: HttpRequest, appeal_id: int, action: str, payload: AppealActionIn) -> AppealOut:
    inputs = {k: v for k, v in payload.dict(exclude={"version"}).items() if v is not None}
    services.appeal_act(actor=request.user, pk=appeal_id, action=action, inputs=inputs, version=payload.version)
    return _appeal_out(services.appeal_get(request.user, appeal_id), request)


@router.get("/sanctions", response=list[SanctionOut], summary="Rewards and penalties the user sees")
def sanction_list(request: HttpRequest) -> list[SanctionOut]:
    return [_sanction_out(s) for s in services.sanctions_visible(request.user)[:LIMIT]]


@router.post("/sanctions/{sanction_id}/{action}", response=SanctionOut, summary="Confirm or drop a reward or penalty")
def sanction_act(request: HttpRequest, sanction_id: int, action: str, payload: SanctionActionIn) -> SanctionOut:
    inputs = {"comment": payload.comment} if payload.comment is not None else {}
    services.sanction_act(actor=request.user, pk=sanction_id, action=action, inputs=inputs, version=payload.version)
    return _sanction_out(services.sanction_get(request.user, sanction_id))
