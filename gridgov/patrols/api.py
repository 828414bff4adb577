"""API of patrols under ``/api/v1/patrols``, and the phone's home summary at ``/api/v1/work``.

Patrols come whole from the phone once they have ended; the patrol's client UUID (the
``Idempotency-Key`` header, or ``client_id`` in the body) makes a retry return the patrol
already stored. See ``docs/patrols.md`` and ``docs/api.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from gridgov.access.scope import scope_for
from gridgov.areas.selectors import visible_grid
from gridgov.cases import selectors as case_selectors
from gridgov.cases.deadlines import light_expression
from gridgov.cases.models import OPEN_STATUSES, Case
from gridgov.cases.models import Status as CaseStatus
from gridgov.core.errors import Invalid, NotFound
from gridgov.core.schemas import code_name
from gridgov.notify import selectors as notify_selectors
from gridgov.people.models import Role
from gridgov.people.schemas import person_out

from . import selectors, services
from .models import Patrol, PatrolStandard
from .schemas import (
    CheckpointOut,
    FindingCaseOut,
    FindingOut,
    GridDayOut,
    GridMonthOut,
    GridMonthQuery,
    PatrolDaysQuery,
    PatrolDetailOut,
    PatrolIn,
    PatrolListQuery,
    PatrolPageOut,
    PatrolStandardListOut,
    PatrolStandardOut,
    PatrolSummaryOut,
    PointOut,
    WorkCaseOut,
    WorkerDayListOut,
    WorkerDayOut,
    WorkListOut,
    WorkOut,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

router = Router(tags=["patrols"])
# The phone app's "today's work" summary, mounted at /api/v1/work.
work_router = Router(tags=["work"])

IDEMPOTENCY_HEADER_DOC: Final = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "format": "uuid"},
    "description": "The patrol's client UUID (or `client_id` in the body): the same UUID from the same worker "
    "returns the patrol already stored (200).",
}


# The day view over the API spans at most this many days.
DAYS_MAX: Final = 31

# --- output builders --------------------------------------------------------------------


def _summary_fields(patrol: Patrol, finding_count: int) -> dict[str, Any]:
    return {
        "id": patrol.pk,
        "client_id": str(patrol.client_id),
        "worker": person_out(patrol.worker),
        "grid": code_name(patrol.grid),
        "status": patrol.status,
        "started_at": patrol.started_at,
        "ended_at": patrol.ended_at,
        "duration_s": patrol.duration_s,
        "distance_m": patrol.distance_m,
        "point_count": patrol.point_count,
        "finding_count": finding_count,
        "url": reverse("patrols:detail", args=[patrol.pk]),
        "coverage": patrol.coverage,
        "coverage_measure": patrol.coverage_measure,
        "checkpoints_passed": patrol.checkpoints_passed,
        "checkpoint_total": patrol.checkpoint_total,
    }


def patrol_summary_out(patrol: Patrol) -> PatrolSummaryOut:
    count = getattr(patrol, "finding_total", None)
    return PatrolSummaryOut(**_summary_fields(patrol, count if count is not None else patrol.findings.count()))


def patrol_detail_out(request: HttpRequest, patrol: Patrol) -> PatrolDetailOut:
    findings = selectors.findings_of(request.user, patrol)
    return PatrolDetailOut(
        **_summary_fields(patrol, len(findings)),
        consent=patrol.consent,
        consent_at=patrol.consent_at,
        created_at=patrol.created_at,
        track=[PointOut(**point) for point in patrol.points()],
        findings=[
            FindingOut(
                client_id=finding.client_id,
                case=None
                if case is None
                else FindingCaseOut(
                    id=case.pk,
                    number=case.number,
                    status=case.status,
                    category=code_name(case.category),
                    url=reverse("cases:detail", args=[case.pk]),
                ),
            )
            for finding, case in findings
        ],
    )


# --- patrols ----------------------------------------------------------------------------


@router.post(
    "",
    response={200: PatrolDetailOut, 201: PatrolDetailOut},
    summary="Store a finished patrol with its route (idempotent by the patrol's client UUID)",
    openapi_extra={"parameters": [IDEMPOTENCY_HEADER_DOC]},
)
def patrol_create(request: HttpRequest, payload: PatrolIn) -> Status[PatrolDetailOut]:
    header = (request.headers.get("Idempotency-Key") or "").strip()
    body = (payload.client_id or "").strip()
    if header and body and header.lower() != body.lower():
        raise Invalid(
            _("The request is not valid."),
            details={"client_id": [_("The Idempotency-Key header and client_id differ.")]},
        )
    client_id = header or body
    if not client_id:
        raise Invalid(
            _("The request is not valid."),
            details={"client_id": [_("Send the patrol's client UUID as the Idempotency-Key header.")]},
        )
    patrol, created = services.patrol_record(
        actor=request.user,
        client_id=client_id,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        consent=payload.consent,
        consent_at=payload.consent_at,
        track=[services.TrackPoint(t=p.t, lat=p.lat, lng=p.lng, accuracy=p.accuracy) for p in payload.track],
        findings=payload.findings,
        request=request,
    )
    return Status(201 if created else 200, patrol_detail_out(request, selectors.patrol_get(request.user, patrol.pk)))


@router.get("", response=PatrolPageOut, summary="Patrols the caller may see, latest first (keyset pages)")
def patrol_list(request: HttpRequest, query: Query[PatrolListQuery]) -> PatrolPageOut:
    filters = selectors.PatrolFilters(
        mine=query.mine, grid=query.grid, worker=query.worker, date_from=query.date_from, date_to=query.date_to
    )
    patrols = selectors.apply_filters(request.user, selectors.patrols_visible(request.user), filters)
    result = selectors.page(patrols, cursor=query.cursor or None, limit=query.limit)
    return PatrolPageOut(items=[patrol_summary_out(p) for p in result.items], next_cursor=result.next_cursor)


# --- standards and coverage ------------------------------------------------------------------


def standard_out(standard: PatrolStandard) -> PatrolStandardOut:
    return PatrolStandardOut(
        grid=code_name(standard.grid),
        min_minutes_per_day=standard.min_minutes_per_day,
        checkpoints=[CheckpointOut(**item) for item in standard.checkpoints],
        updated_at=standard.updated_at,
    )


@router.get("/standards", response=PatrolStandardListOut, summary="Patrol standards of the grids the caller sees")
def standard_list(request: HttpRequest) -> PatrolStandardListOut:
    standards = selectors.standards_visible(request.user).select_related("grid")
    return PatrolStandardListOut(items=[standard_out(s) for s in standards])


@router.get(
    "/days",
    response=WorkerDayListOut,
    summary="Each grid worker the caller sees x each working day (and rest day patrolled on): patrolled or not, "
    "minutes, coverage",
)
def worker_day_list(request: HttpRequest, query: Query[PatrolDaysQuery]) -> WorkerDayListOut:
    date_to = query.date_to or timezone.localdate()
    date_from = query.date_from or date_to - dt.timedelta(days=6)
    if date_from > date_to or (date_to - date_from).days >= DAYS_MAX:
        raise Invalid(
            _("The request is not valid."),
            details={"date_from": [_("Ask for 1 to %(n)s days.") % {"n": DAYS_MAX}]},
        )
    rows = selectors.worker_days(request.user, date_from, date_to, grid_code=query.grid)
    return WorkerDayListOut(
        date_from=date_from,
        date_to=date_to,
        items=[
            WorkerDayOut(
                worker=person_out(row.worker),
                grid=code_name(row.grid) if row.grid else None,
                day=row.day,
                patrolled=row.patrolled,
                workday=row.workday,
                missed=row.missed,
                patrols=len(row.patrols),
                minutes=row.minutes,
                coverage=row.coverage,
                coverage_measure=row.measure,
                checkpoints_passed=row.checkpoints_passed,
                checkpoint_total=row.checkpoint_total,
                min_minutes=row.min_minutes,
                meets_minimum=row.meets_minimum,
            )
            for row in rows
        ],
    )


@router.get(
    "/grids/{code}", response=GridMonthOut, summary="A grid's month of patrols: daily and monthly coverage, standard"
)
def grid_month(request: HttpRequest, code: str, query: Query[GridMonthQuery]) -> GridMonthOut:
    grid = visible_grid(request.user, code)
    if grid is None:
        raise NotFound(_("No such grid."))
    try:
        month = dt.date(int(query.month[:4]), int(query.month[5:7]), 1) if query.month else timezone.localdate()
    except ValueError:
        raise Invalid(_("The request is not valid."), details={"month": [_("Write the month as YYYY-MM.")]}) from None
    view = selectors.grid_month(request.user, grid, month)
    standard = selectors.standard_of(grid)
    return GridMonthOut(
        grid=code_name(grid),
        month=view.month.strftime("%Y-%m"),
        coverage=view.coverage,
        coverage_measure=view.measure,
        patrol_count=view.patrol_count,
        minutes=view.minutes,
        standard=standard_out(standard) if standard else None,
        days=[
            GridDayOut(
                day=d["day"], workday=d["workday"], patrols=d["patrols"], minutes=d["minutes"], coverage=d["coverage"]
            )
            for d in view.days
        ],
    )


@router.get("/{int:patrol_id}", response=PatrolDetailOut, summary="One patrol with its track and findings")
def patrol_detail(request: HttpRequest, patrol_id: int) -> PatrolDetailOut:
    try:
        patrol = selectors.patrol_get(request.user, patrol_id)
    except Patrol.DoesNotExist:
        raise NotFound(_("No such patrol.")) from None
    return patrol_detail_out(request, patrol)


# --- the phone's home -------------------------------------------------------------------

WORK_LIST_LIMIT: Final = 5
# My reports the center voided (sent back as not a valid case) stay on the home this long.
RETURNED_DAYS: Final = 7
# Notifications that ask the user to act on time.
REMINDER_KINDS: Final = ("case.remind", "case.supervise", "case.warning", "case.overdue", "case.digest")


def _work_list(query: QuerySet[Case], now: dt.datetime, *order: Any) -> WorkListOut:
    rows = list(
        query.select_related("category").annotate(light=light_expression(now)).order_by(*order)[:WORK_LIST_LIMIT]
    )
    return WorkListOut(
        count=query.count() if len(rows) == WORK_LIST_LIMIT else len(rows),
        items=[
            WorkCaseOut(
                id=case.pk,
                number=case.number,
                category=code_name(case.category),
                status=case.status,
                status_label=str(CaseStatus(case.status).label),
                deadline=case.stage_deadline,
                light=case.light,  # type: ignore[attr-defined]
                url=reverse("cases:detail", args=[case.pk]),
            )
            for case in rows
        ],
    )


def _rework(user: User | AnonymousUser, visible: QuerySet[Case]) -> QuerySet[Case]:
    """Cases the caller handles that failed verification and are being handled again."""
    scope = scope_for(user)
    queues = []
    if scope.has_role(Role.DEPARTMENT_HANDLER):
        queues.append(case_selectors.Queue.DEPARTMENT)
    if scope.has_role(Role.GRID_LEADER, Role.VILLAGE_STAFF):
        queues.append(case_selectors.Queue.VILLAGE)
    if not queues:
        return visible.none()
    combined = None
    for queue in queues:
        filters = case_selectors.CaseFilters(queue=queue, status=[CaseStatus.IN_PROGRESS])
        found = case_selectors.apply_filters(user, visible, filters)
        combined = found if combined is None else combined | found
    assert combined is not None
    return combined.filter(rework_count__gt=0)


# Roles that work in the field; a leader or the supervisor without one of them gets the
# oversight view of the phone's home screen.
FIELD_ROLES: Final = (Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_STAFF)


def _oversees(user: User | AnonymousUser) -> bool:
    scope = scope_for(user)
    return scope.has_role(Role.TOWN_LEADER, Role.SUPERVISOR) and not scope.has_role(*FIELD_ROLES)


def _queue(
    user: User | AnonymousUser, visible: QuerySet[Case], now: dt.datetime, order: tuple[Any, ...], name: str
) -> WorkListOut:
    filtered = case_selectors.apply_filters(user, visible, case_selectors.CaseFilters(queue=name))
    return _work_list(filtered, now, *order)


@work_router.get("", response=WorkOut, summary="The caller's work today, for the phone's home screen")
def work_summary(request: HttpRequest) -> WorkOut:
    user = request.user
    now = timezone.now()
    visible = case_selectors.cases_visible(user)
    mine = case_selectors.apply_filters(user, visible, case_selectors.CaseFilters(queue=case_selectors.Queue.MINE))
    returned = mine.filter(
        status=CaseStatus.VOIDED, merged_into__isnull=True, updated_at__gte=now - dt.timedelta(days=RETURNED_DAYS)
    )
    deadline_first = (F("stage_deadline").asc(nulls_last=True), "id")
    oversight: dict[str, WorkListOut] = {}
    if _oversees(user):
        for name in (case_selectors.Queue.OVERDUE, case_selectors.Queue.WARNING, case_selectors.Queue.SUPERVISION):
            oversight[name] = _queue(user, visible, now, deadline_first, name)
    return WorkOut(
        view="oversight" if oversight else "field",
        overdue=oversight.get(case_selectors.Queue.OVERDUE),
        warning=oversight.get(case_selectors.Queue.WARNING),
        supervision=oversight.get(case_selectors.Queue.SUPERVISION),
        to_verify=_work_list(case_selectors.verify_queue(user), now, *deadline_first),
        returned=_work_list(returned, now, "-updated_at", "-id"),
        rework=_work_list(_rework(user, visible), now, *deadline_first),
        unread_notifications=notify_selectors.unread_count(user),
        reminders=notify_selectors.notifications_for(user, unread=True).filter(kind__in=REMINDER_KINDS).count(),
        my_open_reports=mine.filter(status__in=OPEN_STATUSES).count(),
        patrols=[patrol_summary_out(p) for p in selectors.latest_of(user)],
        generated_at=now,
    )
