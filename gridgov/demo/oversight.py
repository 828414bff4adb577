"""The demo's discipline oversight of 太平镇: the town's thresholds (changed once, with a reason),
two supervision notices (one on an overdue case, answered by the center; one on an overdue
hotline order, past its answer deadline), two accountability decisions on real overdue and
reworked demo cases, the center operator's reveals of the last hours (flagged as bulk), and
three conduct complaints in different states (received, under investigation, concluded)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from itertools import cycle, islice
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseStage, Status
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
from gridgov.workcalendar import calendar

from .loader import check_allowed
from .taiping import TOWN_CODE
from .timing import between, working_before

REVEALS: Final = 18
DEMO_OVERSIGHT_SEED: Final = 20261203
PER_DAY: Final = 480  # working minutes in a day, near enough for spacing the demo's steps


def load_demo_oversight(*, allow_production_db: bool = False, now: dt.datetime | None = None) -> int:
    """The demo's oversight rows; returns how many were made (0 when the town has its settings
    already or has no cases). Every step has a time of its own before ``now`` (a notice issued
    and answered hours later, a complaint received days before it is investigated)."""
    check_allowed(allow_production_db=allow_production_db)
    town = Area.objects.current().filter(code=TOWN_CODE).first()
    if town is None or RuleSetting.objects.filter(town=town).exists() or not Case.objects.exists():
        return 0
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["super01", "center01", "dept01"])}
    if len(users) < 3:
        return 0
    office, center = users["super01"], users["center01"]
    rng = random.Random(DEMO_OVERSIGHT_SEED)
    made = 0
    values = {**selectors.values_of(town), "extension_repeat": 2, "notice_close_hours": 48, "reveals_per_hour": 15}
    services.rule_settings_save(actor=office, town=town, values=values, reason="按镇纪委2026年第3次会议要求调整")
    made += 1
    now = now or timezone.now()
    overdue = (
        Case.objects.filter(town=town, status__in=sorted(OPEN_STATUSES - {Status.PARKED}), stage_deadline__lt=now)
        .exclude(supervision_pending=True)
        .order_by("stage_deadline")
    )
    first = overdue.filter(Q(status=Status.IN_PROGRESS) | Q(status=Status.DISPATCHED)).first() or overdue.first()
    if first is not None:
        made += _supervise_case(first, office, center, rng, now)
    # An order overdue for more than a week: the notice's answer is three days past due.
    order = (
        HotlineOrder.objects.filter(overdue_q(now), town=town, arrived_at__lt=now - dt.timedelta(days=8))
        .order_by("arrived_at")
        .first()
    )
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
    made += _accountability(town, office, rng, now)
    made += _reveals(center)
    made += _complaints(town, office, rng, now)
    return made


def _supervise_case(case: Case, office: Any, center: Any, rng: random.Random, now: dt.datetime) -> int:
    """A notice on an overdue case, issued after its deadline passed and after its last step,
    and the center's answer some working hours later (both before ``now``)."""
    last = CaseEvent.objects.filter(case=case).order_by("-at").values_list("at", flat=True).first()
    base = max(filter(None, (case.stage_deadline, last)))
    issued = between(rng, base, now, 0.2, 0.5)
    answered = between(rng, issued, min(now, calendar.add_working_minutes(issued, 1.5 * PER_DAY)), 0.3, 0.8)
    if answered - issued < dt.timedelta(minutes=10):
        return 0  # no room for a believable answer
    notice = services.supervision_issue(
        actor=office,
        text="该事件已超期，请说明原因并于三个工作日内办结。",
        case_id=case.pk,
        rule="overdue_cases",
        now=issued,
    )
    services.supervision_act(
        actor=center,
        pk=notice.pk,
        action="answer",
        inputs={"comment": "已约谈承办单位，明确两日内完成整改并报核查。"},
        at=answered,
    )
    return 1


@dataclass(frozen=True)
class LateRecord:
    """What a department's cases show at a moment: the cases with a stage of the department
    that ended late or was past its deadline, and those of them supervised during that stage."""

    department_id: int
    late: list[str]
    supervised: list[str]


def late_record(department_id: int, at: dt.datetime, town: Area) -> LateRecord:
    """The department's late cases at ``at`` (numbers, the most recent first): a stage of the
    department ended after its deadline before ``at``, or was still running past it then; a
    case counts as supervised when a supervision notice reached it while that stage ran."""
    stages = (
        CaseStage.objects.filter(department_id=department_id, case__town=town, deadline__lt=at, started_at__lt=at)
        # Ended late before ``at``, or still running (past its deadline) at ``at``.
        .filter(Q(ended_at__lte=at, ended_at__gt=F("deadline")) | Q(ended_at__isnull=True) | Q(ended_at__gt=at))
        .select_related("case")
        .order_by("-started_at")
    )
    late: list[str] = []
    supervised: list[str] = []
    for stage in stages:
        number = stage.case.number
        if number in late:
            continue
        late.append(number)
        until = min(stage.ended_at or at, at)
        if CaseEvent.objects.filter(
            case_id=stage.case_id, action="supervise", at__gte=stage.started_at, at__lte=until
        ).exists():
            supervised.append(number)
    return LateRecord(department_id, late, supervised)


def _handlers(town: Area) -> list[RoleAssignment]:
    """One handler of each department serving the town, ``dept01`` first."""
    rows = (
        RoleAssignment.objects.filter(
            role=Role.DEPARTMENT_HANDLER, department__isnull=False, department__areas__path__startswith=town.path
        )
        .select_related("user")
        .order_by("user_id")
        .distinct()
    )
    handlers: dict[int, RoleAssignment] = {}
    for row in sorted(rows, key=lambda row: (row.user.username != "dept01", row.user_id)):
        if row.department_id is not None:
            handlers.setdefault(row.department_id, row)
    return list(handlers.values())


def reminder_talk_reason(record: LateRecord) -> tuple[str, list[str]]:
    """The reason and the evidence (at most three cases) a reminder talk can truthfully give."""
    if record.supervised:
        cited = record.supervised[:3]
        if len(record.supervised) > 1:
            return "承办事件多次超期未办结，经督办仍未按期反馈，予以提醒谈话。", cited
        return "承办事件超期未办结，经督办仍未按期反馈，予以提醒谈话。", cited
    cited = record.late[:3]
    if len(record.late) > 1:
        return "承办事件多次超出办理时限，予以提醒谈话，督促按时办结。", cited
    return "承办事件超出办理时限，予以提醒谈话，督促按时办结。", cited


def _accountability(town: Area, office: Any, rng: random.Random, now: dt.datetime) -> int:
    made = 0
    decided = working_before(now, rng.uniform(0.5, 1.5) * PER_DAY)
    # The handler whose department's record supports it: dept01's when its cases were late
    # under supervision; else the first department with such cases; else dept01's (or the
    # first) with late cases, and a reason that does not speak of supervision.
    records = [(row, late_record(row.department_id or 0, decided, town)) for row in _handlers(town)]
    chosen = next(((row, rec) for row, rec in records if rec.supervised), None) or next(
        ((row, rec) for row, rec in records if rec.late), None
    )
    if chosen is not None:
        handler, record = chosen
        reason, cited = reminder_talk_reason(record)
        services.accountability_record(
            actor=office,
            town=town,
            target_kind="user",
            target=str(handler.user_id),
            kind="reminder_talk",
            reason=reason,
            evidence=cited,
            decided_at=decided,
        )
        made += 1
    criticised = working_before(now, rng.uniform(2, 4) * PER_DAY)
    reworked = (
        Case.objects.filter(town=town, rework_count__gt=0, grid__isnull=False, reworked_at__lt=criticised)
        .order_by("-rework_count", "-reported_at")
        .select_related("grid")
    )
    # Whoever handled the reworked cases answers for them: a village for the cases it handled
    # itself, else the lead department (a village was criticised for cases 城管 and 交警 led).
    by_village = reworked.filter(handled_by_village=True)
    first = by_village.first()
    target: tuple[str, str, list[str]] | None = None
    if first is not None and first.grid is not None and first.grid.parent_id is not None:
        village = Area.objects.get(pk=first.grid.parent_id)
        numbers = list(by_village.filter(grid__parent_id=village.pk).values_list("number", flat=True)[:3])
        target = ("village", village.code, numbers)
    elif (led := reworked.filter(lead_department__isnull=False).select_related("lead_department").first()) is not None:
        department = led.lead_department
        assert department is not None
        numbers = list(reworked.filter(lead_department=department).values_list("number", flat=True)[:3])
        target = ("department", department.code, numbers)
    if target is not None:
        kind, code, numbers = target
        services.accountability_record(
            actor=office,
            town=town,
            target_kind=kind,
            target=code,
            kind="criticism",
            reason="承办事件处置质量不高，核查未通过需返工，予以批评教育并限期整改。",
            evidence=numbers,
            decided_at=criticised,
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


def _complaints(town: Area, office: Any, rng: random.Random, now: dt.datetime) -> int:
    """Two complaints of the last weeks: one under investigation, one concluded. Each is
    received, taken up a working day or so later, noted and (the older one) concluded days after."""
    grids = list(
        Publication.objects.filter(published=True, user__role_assignments__role=Role.GRID_WORKER).values_list(
            "user_id", "user__role_assignments__area_id"
        )[:3]
    )
    if not grids:
        return 0
    made = 0
    texts = [
        (
            "网格员上门走访时态度生硬，反映的问题一直没人回复。",
            complaint_flow.ComplaintAction.INVESTIGATE,
            "",
            6,
        ),
        (
            "反映楼道堆物问题，网格员说已处理但实际没有处理。",
            complaint_flow.ComplaintAction.CONCLUDE,
            "经调查，该网格员未到现场即上报办结，情况属实；已对其批评教育，并责令重新处置。",
            15,
        ),
    ]
    for index, (text, until, conclusion, days_ago) in enumerate(texts):
        user_id, grid_id = grids[index % len(grids)]
        grid = Area.objects.get(pk=grid_id)
        # Sent in the evening from the public page; the office works in office hours.
        evening = timezone.localtime(now - dt.timedelta(days=days_ago))
        received = evening.replace(hour=20, minute=rng.randrange(60), second=0, microsecond=0)
        investigated = calendar.add_working_minutes(received, rng.uniform(0.3, 1.2) * PER_DAY)
        noted = calendar.add_working_minutes(investigated, rng.uniform(0.8, 2) * PER_DAY)
        complaint = notice_services.complaint_submit(
            client=f"demo-oversight-{index}", area=grid, text=text, concerning_id=user_id, at=received
        )
        complaint_flow.complaint_act(actor=office, pk=complaint.pk, action="investigate", at=investigated)
        complaint_flow.complaint_act(
            actor=office,
            pk=complaint.pk,
            action="note",
            inputs={"comment": "已调阅该网格近三个月事件记录，约谈网格长了解情况。"},
            at=min(noted, now - dt.timedelta(minutes=30)),
        )
        if until == complaint_flow.ComplaintAction.CONCLUDE:
            concluded = calendar.add_working_minutes(noted, rng.uniform(2, 4) * PER_DAY)
            complaint_flow.complaint_act(
                actor=office,
                pk=complaint.pk,
                action="conclude",
                inputs={"conclusion": conclusion},
                at=min(concluded, now - dt.timedelta(minutes=10)),
            )
        made += 1
    return made
