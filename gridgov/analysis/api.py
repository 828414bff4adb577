"""Weekly analyses and monthly summaries under ``/api/v1/analysis``: the week's analyses the
user may see, one with its frozen figures, its steps (the same table and rules as the pages),
and the monthly summaries with their content."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from gridgov.cases import indices
from gridgov.core.errors import Forbidden, Invalid
from gridgov.core.schemas import LocalTime

from . import figures, services
from .models import MonthlySummary, WeeklyAnalysis

router = Router(tags=["analysis"])
LIMIT = 500
IDEMPOTENCY_HEADER_DOC: Final = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 64},
    "description": "A client UUID: the same key from the same user for the same step on the same analysis (same "
    "texts) is not taken again and answers 200 with the analysis as it is now.",
}


class WeeklyAnalysisOut(Schema):
    id: int
    grid: str
    grid_name: str
    week: dt.date
    status: str
    status_label: str
    due_at: LocalTime
    submitted_at: LocalTime | None
    on_time: bool | None
    analysis: str
    measures: str
    leader_comment: str
    center_comment: str
    version: int
    allowed_actions: list[str]
    figures: dict[str, Any] | None = None
    # The names of the figures' case codes, and the most characters each text takes (for the
    # phone app, which writes the analysis without signal).
    figure_labels: dict[str, str] | None = None
    text_limit: int = services.TEXT_LIMIT


class TimelinessOut(Schema):
    due: int
    on_time: int
    late: int
    missing: int
    rate: float | None


class WeeklyListOut(Schema):
    week: dt.date
    timeliness: TimelinessOut
    items: list[WeeklyAnalysisOut]


class WeeklyActionIn(Schema):
    version: int | None = None
    analysis: str | None = None
    measures: str | None = None
    comment: str | None = None


class MonthlySummaryOut(Schema):
    id: int
    area: str
    area_name: str
    month: str
    status: str
    remarks: str
    composed_at: LocalTime
    finalized_at: LocalTime | None
    version: int
    content: dict[str, Any] | None = None


def _out(item: WeeklyAnalysis, request: HttpRequest, *, full: bool = False) -> WeeklyAnalysisOut:
    return WeeklyAnalysisOut(
        id=item.pk,
        grid=item.grid.code,
        grid_name=item.grid.name,
        week=item.week,
        status=item.status,
        status_label=item.get_status_display(),
        due_at=item.due_at,
        submitted_at=item.submitted_at,
        on_time=item.on_time,
        analysis=item.analysis,
        measures=item.measures,
        leader_comment=item.leader_comment,
        center_comment=item.center_comment,
        version=item.version,
        allowed_actions=services.allowed_actions(item, request.user) if full else [],
        figures=item.figures if full else None,
        figure_labels={code: str(indices.INDICES[code].label) for code in figures.CASE_CODES} if full else None,
    )


def _reader(request: HttpRequest) -> None:
    if not services.may_read(request.user):
        raise Forbidden(_("You may not read weekly analyses."))


@router.get("/weekly", response=WeeklyListOut, summary="The weekly analyses of a week the user may see")
def weekly_list(request: HttpRequest, week: dt.date | None = None, status: str = "") -> WeeklyListOut:
    _reader(request)
    monday = figures.week_of(week) if week else services.last_complete_week(timezone.localdate())
    query = services.analyses_visible(request.user).filter(week=monday)
    counted = services.timeliness(query)
    if status:
        query = query.filter(status=status)
    return WeeklyListOut(
        week=monday,
        timeliness=TimelinessOut(
            due=counted.due, on_time=counted.on_time, late=counted.late, missing=counted.missing, rate=counted.rate
        ),
        items=[_out(item, request) for item in query.order_by("grid__code")[:LIMIT]],
    )


@router.get("/weekly/{analysis_id}", response=WeeklyAnalysisOut, summary="A weekly analysis with its frozen figures")
def weekly_detail(request: HttpRequest, analysis_id: int) -> WeeklyAnalysisOut:
    return _out(services.analysis_get(request.user, analysis_id), request, full=True)


@router.post(
    "/weekly/{analysis_id}/{action}",
    response=WeeklyAnalysisOut,
    summary="Take a step: save, submit, approve, send_back, accept or return",
    openapi_extra={"parameters": [IDEMPOTENCY_HEADER_DOC]},
)
def weekly_act(request: HttpRequest, analysis_id: int, action: str, payload: WeeklyActionIn) -> WeeklyAnalysisOut:
    inputs = {name: value for name, value in payload.dict(exclude={"version"}).items() if value is not None}
    item = services.weekly_act(
        actor=request.user,
        pk=analysis_id,
        action=action,
        inputs=inputs,
        version=payload.version,
        idempotency_key=(request.headers.get("Idempotency-Key") or "").strip() or None,
    )
    return _out(services.analysis_get(request.user, item.pk), request, full=True)


def _summary_out(item: MonthlySummary, *, full: bool = False) -> MonthlySummaryOut:
    return MonthlySummaryOut(
        id=item.pk,
        area=item.area.code,
        area_name=item.area.name,
        month=f"{item.month:%Y-%m}",
        status=item.status,
        remarks=item.remarks,
        composed_at=item.composed_at,
        finalized_at=item.finalized_at,
        version=item.version,
        content=item.figures if full else None,
    )


@router.get("/monthly", response=list[MonthlySummaryOut], summary="The monthly summaries the user may see")
def summary_list(request: HttpRequest, area: str = "", month: str = "") -> list[MonthlySummaryOut]:
    query = services.summaries_visible(request.user)
    if area:
        query = query.filter(area__code=area)
    if month:
        try:
            first = dt.datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            raise Invalid.field("month", _("Give the month as YYYY-MM.")) from None
        query = query.filter(month=first)
    return [_summary_out(item) for item in query[:LIMIT]]


@router.get("/monthly/{summary_id}", response=MonthlySummaryOut, summary="A monthly summary with its frozen content")
def summary_detail(request: HttpRequest, summary_id: int) -> MonthlySummaryOut:
    return _summary_out(services.summary_get(request.user, summary_id), full=True)
