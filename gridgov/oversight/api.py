"""The discipline office under ``/api/v1/oversight``: the rules with their counts, a rule's list,
supervision notices (issue, read, answer, withdraw), accountability records, and conduct
complaints for the office (masked; the same services and rules as the pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from gridgov.cases.access import mask_name, mask_phone
from gridgov.core.errors import NotFound
from gridgov.core.schemas import LIST_MAX, LocalTime
from gridgov.notice import complaints as complaint_flow
from gridgov.notice.selectors import complaints_visible

from . import selectors, services
from .models import Accountability, SupervisionNotice

router = Router(tags=["oversight"])
LIMIT = 500


class RuleOut(Schema):
    code: str
    label: str
    group: str
    definition: str
    count: int
    target: str


class RuleRowsOut(Schema):
    rule: str
    town: str
    count: int
    columns: list[str]
    rows: list[list[Any]]
    ids: list[int]


class SupervisionOut(Schema):
    id: int
    town: str
    case_number: str
    order_number: str
    text: str
    deadline: LocalTime
    status: str
    overdue: bool
    issued_at: LocalTime
    answer: str
    answered_at: LocalTime | None
    version: int
    allowed_actions: list[str]


class SupervisionIn(Schema):
    text: str
    case_id: int | None = None
    order_id: int | None = None
    deadline: dt.datetime | None = None
    rule: str = ""


class OversightStepIn(Schema):
    version: int | None = None
    comment: str | None = None
    conclusion: str | None = None


class AccountabilityOut(Schema):
    id: int
    town: str
    target_kind: str
    target: str
    kind: str
    reason: str
    cases: list[str]
    orders: list[str]
    decided_at: LocalTime
    attachments: list[str]


class AccountabilityIn(Schema):
    town: str = ""
    target_kind: str
    target: str
    kind: str
    reason: str
    evidence: list[str] = Field(default_factory=list, max_length=LIST_MAX)


class ComplaintOut(Schema):
    id: int
    town: str
    grid: str
    received_at: LocalTime
    status: str
    length: int
    contact_name: str
    contact_phone: str
    version: int
    allowed_actions: list[str]


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value if isinstance(value, int | float | bool) or value is None else str(value)


@router.get("/rules", response=list[RuleOut], summary="The console's rules with their counts for a town")
def rule_counts(request: HttpRequest, town: str = "") -> list[RuleOut]:
    place = selectors.office_town(request.user, town)
    context = selectors.context_for(request.user, place)
    return [
        RuleOut(
            code=figure.rule.code,
            label=str(figure.rule.label),
            group=str(figure.rule.group),
            definition=figure.definition,
            count=figure.count,
            target=figure.rule.target,
        )
        for figure in selectors.figures(context)
    ]


@router.get("/rules/rows", response=RuleRowsOut, summary="The list a rule counts (its first 500 rows)")
def rule_rows(request: HttpRequest, rule: str, town: str = "") -> RuleRowsOut:
    place = selectors.office_town(request.user, town)
    found = selectors.rule_get(rule)
    if found.code in selectors.disabled_of(place):
        raise NotFound("Not found.")
    rows = found.queryset(selectors.context_for(request.user, place))
    listed = list(rows[:LIMIT])
    return RuleRowsOut(
        rule=found.code,
        town=place.code,
        count=rows.count(),
        columns=[str(column.label) for column in found.columns],
        rows=[[_value(column.value(row)) for column in found.columns] for row in listed],
        ids=[row.pk for row in listed],
    )


def _supervision_out(notice: SupervisionNotice, request: HttpRequest) -> SupervisionOut:
    return SupervisionOut(
        id=notice.pk,
        town=notice.town.code,
        case_number=notice.case.number if notice.case else "",
        order_number=notice.order.upstream_number if notice.order else "",
        text=notice.text,
        deadline=notice.deadline,
        status=notice.status,
        overdue=notice.status == "issued" and notice.deadline < timezone.now(),
        issued_at=notice.issued_at,
        answer=notice.answer,
        answered_at=notice.answered_at,
        version=notice.version,
        allowed_actions=services.SUPERVISIONS.allowed_actions(notice, request.user),
    )


@router.get("/supervisions", response=list[SupervisionOut], summary="The supervision notices the user sees")
def supervision_list(request: HttpRequest) -> list[SupervisionOut]:
    return [_supervision_out(n, request) for n in selectors.supervisions_visible(request.user)[:LIMIT]]


@router.post(
    "/supervisions", response={201: SupervisionOut}, summary="Issue a supervision notice on a case or an order"
)
def supervision_issue(request: HttpRequest, payload: SupervisionIn) -> Status:
    notice = services.supervision_issue(
        actor=request.user,
        text=payload.text,
        case_id=payload.case_id,
        order_id=payload.order_id,
        deadline=payload.deadline,
        rule=payload.rule,
    )
    return Status(201, _supervision_out(selectors.supervision_get(request.user, notice.pk), request))


@router.get("/supervisions/{supervision_id}", response=SupervisionOut, summary="A supervision notice")
def supervision_detail(request: HttpRequest, supervision_id: int) -> SupervisionOut:
    return _supervision_out(selectors.supervision_get(request.user, supervision_id), request)


@router.post(
    "/supervisions/{supervision_id}/{action}",
    response=SupervisionOut,
    summary="Answer (the owner) or withdraw (the office) a supervision notice",
)
def supervision_act(request: HttpRequest, supervision_id: int, action: str, payload: OversightStepIn) -> SupervisionOut:
    services.supervision_act(
        actor=request.user,
        pk=supervision_id,
        action=action,
        inputs={"comment": payload.comment or ""},
        version=payload.version,
    )
    return _supervision_out(selectors.supervision_get(request.user, supervision_id), request)


def _accountability_out(record: Accountability) -> AccountabilityOut:
    return AccountabilityOut(
        id=record.pk,
        town=record.town.code,
        target_kind=record.target_kind,
        target=selectors.target_name(record),
        kind=record.kind,
        reason=record.reason,
        cases=[case.number for case in record.cases.all()],
        orders=[order.upstream_number for order in record.orders.all()],
        decided_at=record.decided_at,
        attachments=[attachment.name for attachment in record.attachments.all()],
    )


@router.get("/accountability", response=list[AccountabilityOut], summary="The office's accountability records")
def accountability_list(request: HttpRequest) -> list[AccountabilityOut]:
    records = selectors.accountability_visible(request.user).prefetch_related("cases", "orders", "attachments")
    return [_accountability_out(record) for record in records[:LIMIT]]


@router.post("/accountability", response={201: AccountabilityOut}, summary="Record an accountability decision")
def accountability_record(request: HttpRequest, payload: AccountabilityIn) -> Status:
    town = selectors.office_town(request.user, payload.town)
    record = services.accountability_record(
        actor=request.user,
        town=town,
        target_kind=payload.target_kind,
        target=payload.target,
        kind=payload.kind,
        reason=payload.reason,
        evidence=payload.evidence,
    )
    return Status(201, _accountability_out(selectors.accountability_get(request.user, record.pk)))


@router.get("/accountability/{accountability_id}", response=AccountabilityOut, summary="An accountability record")
def accountability_detail(request: HttpRequest, accountability_id: int) -> AccountabilityOut:
    return _accountability_out(selectors.accountability_get(request.user, accountability_id))


def _complaint_out(complaint: Any, request: HttpRequest) -> ComplaintOut:
    return ComplaintOut(
        id=complaint.pk,
        town=complaint.town.code,
        grid=complaint.grid.code if complaint.grid else "",
        received_at=complaint.received_at,
        status=complaint.status,
        length=len(complaint.text),
        contact_name=mask_name(complaint.contact_name),
        contact_phone=mask_phone(complaint.contact_phone),
        version=complaint.version,
        allowed_actions=complaint_flow.COMPLAINTS.allowed_actions(complaint, request.user),
    )


def _complaint(request: HttpRequest, complaint_id: int) -> Any:
    found = complaints_visible(request.user).filter(pk=complaint_id).first()
    if found is None:
        raise NotFound("Not found.")
    return found


@router.get("/complaints", response=list[ComplaintOut], summary="Conduct complaints for the discipline office (masked)")
def complaint_list(request: HttpRequest) -> list[ComplaintOut]:
    return [_complaint_out(c, request) for c in complaints_visible(request.user)[:LIMIT]]


@router.get("/complaints/{complaint_id}", response=ComplaintOut, summary="A conduct complaint (masked)")
def complaint_detail(request: HttpRequest, complaint_id: int) -> ComplaintOut:
    return _complaint_out(_complaint(request, complaint_id), request)


@router.post(
    "/complaints/{complaint_id}/{action}",
    response=ComplaintOut,
    summary="A step of a complaint: investigate, note, conclude, transfer or dismiss",
)
def complaint_act(request: HttpRequest, complaint_id: int, action: str, payload: OversightStepIn) -> ComplaintOut:
    inputs = {k: v for k, v in payload.dict(exclude={"version"}).items() if v is not None}
    complaint_flow.complaint_act(
        actor=request.user, pk=complaint_id, action=action, inputs=inputs, version=payload.version
    )
    return _complaint_out(_complaint(request, complaint_id), request)
