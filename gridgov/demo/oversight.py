"""The demo's discipline oversight of 太平镇: the town's thresholds (changed once, with a reason),
two supervision notices (one on an overdue case, answered by the center; one on an overdue
hotline order, past its answer deadline), two accountability decisions on real overdue and
reworked demo cases, the center operator's reveals of the last hours (flagged as bulk), and
three conduct complaints in different states (received, under investigation, concluded)."""

from __future__ import annotations

import datetime as dt
from itertools import cycle, islice
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent, Status
from gridgov.cases.services import reveal_party
from gridgov.core.errors import Throttled
from gridgov.hotline.deadlines import overdue_q
from gridgov.hotline.models import HotlineOrder
from gridgov.notice import complaints as complaint_flow
from gridgov.notice import services as notice_services
from gridgov.notice.models import Publication
from gridgov.oversight import selectors, services
from gridgov.oversight.models import RuleSetting
from gridgov.people.models import Role, RoleAssignment

from .loader import check_allowed
from .taiping import TOWN_CODE

REVEALS: Final = 18


def load_demo_oversight(*, allow_production_db: bool = False) -> int:
    """The demo's oversight rows; returns how many were made (0 when the town has its settings
    already or has no cases)."""
    check_allowed(allow_production_db=allow_production_db)
    town = Area.objects.current().filter(code=TOWN_CODE).first()
    if town is None or RuleSetting.objects.filter(town=town).exists() or not Case.objects.exists():
        return 0
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["super01", "center01", "dept01"])}
    if len(users) < 3:
        return 0
    office, center = users["super01"], users["center01"]
    made = 0
    values = {**selectors.values_of(town), "extension_repeat": 2, "notice_close_hours": 48, "reveals_per_hour": 15}
    services.rule_settings_save(actor=office, town=town, values=values, reason="按镇纪委2026年第3次会议要求调整")
    made += 1
    now = timezone.now()
    overdue = (
        Case.objects.filter(town=town, status__in=sorted(OPEN_STATUSES - {Status.PARKED}), stage_deadline__lt=now)
        .exclude(supervision_pending=True)
        .order_by("stage_deadline")
    )
    first = overdue.filter(Q(status=Status.IN_PROGRESS) | Q(status=Status.DISPATCHED)).first() or overdue.first()
    if first is not None:
        notice = services.supervision_issue(
            actor=office, text="该事件已超期，请说明原因并于三个工作日内办结。", case_id=first.pk, rule="overdue_cases"
        )
        services.supervision_act(
            actor=center,
            pk=notice.pk,
            action="answer",
            inputs={"comment": "已约谈承办单位，明确两日内完成整改并报核查。"},
        )
        made += 1
    order = HotlineOrder.objects.filter(overdue_q(now), town=town).order_by("arrived_at").first()
    if order is not None:
        issued = now - dt.timedelta(days=6)
        services.supervision_issue(
            actor=office,
            text="工单超期未答复，请承办单位书面说明。",
            order_id=order.pk,
            now=issued,
            deadline=issued + dt.timedelta(days=3),
            rule="overdue_orders",
        )
        made += 1
    made += _accountability(town, office, overdue)
    made += _reveals(center)
    made += _complaints(town, office)
    return made


def _accountability(town: Area, office: Any, overdue: Any) -> int:
    made = 0
    handler = RoleAssignment.objects.filter(role=Role.DEPARTMENT_HANDLER, user__username="dept01").first()
    late = list(
        Case.objects.filter(town=town, status__in=sorted(OPEN_STATUSES), stage_deadline__isnull=False)
        .filter(lead_department_id=getattr(handler, "department_id", None))
        .order_by("stage_deadline")
        .values_list("number", flat=True)[:3]
    )
    if handler is not None and late:
        services.accountability_record(
            actor=office,
            town=town,
            target_kind="user",
            target=str(handler.user_id),
            kind="reminder_talk",
            reason="承办事件多次超期未办结，经督办仍未按期反馈，予以提醒谈话。",
            evidence=late,
        )
        made += 1
    reworked = (
        Case.objects.filter(town=town, rework_count__gt=0, grid__isnull=False)
        .order_by("-rework_count", "-reported_at")
        .select_related("grid")
    )
    first = reworked.first()
    if first is not None and first.grid is not None and first.grid.parent_id is not None:
        village = Area.objects.get(pk=first.grid.parent_id)
        numbers = list(reworked.filter(grid__parent_id=village.pk).values_list("number", flat=True)[:3])
        services.accountability_record(
            actor=office,
            town=town,
            target_kind="village",
            target=village.code,
            kind="criticism",
            reason="辖区事件处置质量不高，核查未通过需返工，予以批评教育并限期整改。",
            evidence=numbers,
        )
        made += 1
    return made


def _reveals(center: Any) -> int:
    """The center operator looks at many parties' details within the hour: the console flags it.
    Fewer registered cases with a party than reveals (a small demo): some are opened again, each
    opening a reveal of its own."""
    revealed = 0
    cases = list(
        Case.objects.exclude(party_phone="").filter(
            pk__in=CaseEvent.objects.filter(action="register").values("case_id")
        )[:REVEALS]
    )
    for case in islice(cycle(cases), REVEALS):
        try:
            reveal_party(case, actor=center)
        except Throttled:
            break
        revealed += 1
    return 1 if revealed else 0


def _complaints(town: Area, office: Any) -> int:
    grids = list(
        Publication.objects.filter(published=True, user__role_assignments__role=Role.GRID_WORKER).values_list(
            "user_id", "user__role_assignments__area_id"
        )[:3]
    )
    if not grids:
        return 0
    made = 0
    texts = [
        ("网格员上门走访时态度生硬，反映的问题一直没人回复。", complaint_flow.ComplaintAction.INVESTIGATE, ""),
        (
            "反映楼道堆物问题，网格员说已处理但实际没有处理。",
            complaint_flow.ComplaintAction.CONCLUDE,
            "经调查，该网格员未到现场即上报办结，情况属实；已对其批评教育，并责令重新处置。",
        ),
    ]
    for index, (text, until, conclusion) in enumerate(texts):
        user_id, grid_id = grids[index % len(grids)]
        grid = Area.objects.get(pk=grid_id)
        complaint = notice_services.complaint_submit(
            client=f"demo-oversight-{index}", area=grid, text=text, concerning_id=user_id
        )
        complaint_flow.complaint_act(actor=office, pk=complaint.pk, action="investigate")
        complaint_flow.complaint_act(
            actor=office,
            pk=complaint.pk,
            action="note",
            inputs={"comment": "已调阅该网格近三个月事件记录，约谈网格长了解情况。"},
        )
        if until == complaint_flow.ComplaintAction.CONCLUDE:
            complaint_flow.complaint_act(
                actor=office,
                pk=complaint.pk,
                action="conclude",
                inputs={"conclusion": conclusion},
            )
        made += 1
    return made
