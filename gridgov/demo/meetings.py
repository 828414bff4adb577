"""The demo's opinion meetings: last month's town meeting (held, minuted, final, with a case and
two tasks: the department's confirmed done, the village's reported and waiting for the center)
and next week's meeting of village 1, planned with the agenda the system proposes; its
follow-up opens with the village's task."""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.areas.models import Area, AreaLevel
from gridgov.meetings import services
from gridgov.meetings.models import Meeting, ResolutionKind
from gridgov.people.models import Role, RoleAssignment

from .loader import check_allowed

OPENING: Final = "会议由副镇长主持，综治中心通报了上月网格事件办理情况和12345热线工单情况。"
DISCUSSION: Final = (
    "群众代表和网格员反映：市场周边占道经营反复出现，老旧小区夜间照明不足，冬季独居老人取暖用电存在隐患。"
)
DECISIONS: Final = (
    "会议议定：一、对幸福路菜市场东门占道经营开展集中整治；二、由规划建设办公室协调增设老旧小区夜间照明；"
    "三、各村对独居老人开展一次入户走访，排查取暖用电隐患。"
)


def _minutes(agenda: list[dict[str, str]]) -> str:
    items = "；".join(item["title"] for item in agenda[:5])
    analysed = f"与会人员逐项分析了本次议题：{items}。" if items else ""
    return "\n".join(part for part in (OPENING, analysed, DISCUSSION, DECISIONS) if part)


def load_demo_meetings(*, allow_production_db: bool = False) -> int:
    """The two demo meetings; returns how many (0 when any meeting exists already)."""
    check_allowed(allow_production_db=allow_production_db)
    if Meeting.objects.exists():
        return 0
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=["center01", "leader01", "gridlead01", "grid01", "dept01"]
        )
    }
    town = Area.objects.current().filter(level=AreaLevel.TOWN).first()
    village = Area.objects.current().filter(level=AreaLevel.VILLAGE).order_by("code").first()
    if town is None or village is None or len(users) < 5:
        return 0
    center, leader = users["center01"], users["leader01"]
    held_at = timezone.make_aware(
        dt.datetime.combine(timezone.localdate().replace(day=1) - dt.timedelta(days=20), dt.time(15))
    )
    village_staff = RoleAssignment.objects.filter(area=village, role__in=(Role.GRID_LEADER, Role.VILLAGE_STAFF))
    invitees = [users["gridlead01"].pk, users["dept01"].pk, *village_staff.values_list("user_id", flat=True)]
    meeting = services.meeting_plan(
        actor=center,
        area_code=town.code,
        title="太平镇民情分析会",
        starts_at=held_at,
        place="镇政府三楼会议室",
        chair_id=leader.pk,
        invitee_ids=invitees,
    )
    for minutes, username in enumerate(("leader01", "gridlead01", "dept01")):
        services.meeting_sign_in(
            actor=users[username],
            pk=meeting.pk,
            key=meeting.sign_in_key,
            at=held_at - dt.timedelta(minutes=12 - 4 * minutes),
        )
    services.meeting_act(actor=center, pk=meeting.pk, action="hold")
    services.meeting_act(actor=center, pk=meeting.pk, action="minutes", inputs={"minutes": _minutes(meeting.agenda)})
    grid = Area.objects.current().filter(level=AreaLevel.GRID, parent=village).order_by("code").first()
    services.resolution_add(
        actor=center,
        meeting_id=meeting.pk,
        text="对幸福路菜市场东门占道经营开展集中整治",
        kind=ResolutionKind.CASE,
        category="appearance.street_vendor",
        grid_code=grid.code if grid else "",
    )
    # Street lighting is the planning and construction office's (规划建设办公室).
    assignment = (
        RoleAssignment.objects.filter(role=Role.DEPARTMENT_HANDLER, department__code="planning", user__is_active=True)
        .select_related("user", "department")
        .order_by("user__username")
        .first()
        or RoleAssignment.objects.filter(user=users["dept01"], department__isnull=False)
        .select_related("user", "department")
        .first()
    )
    if assignment is None or assignment.department is None:
        return 0
    handler, department = assignment.user, assignment.department
    lights = services.resolution_add(
        actor=center,
        meeting_id=meeting.pk,
        text="协调增设老旧小区夜间照明",
        kind=ResolutionKind.TASK,
        department_code=department.code,
        deadline=timezone.localdate() + dt.timedelta(days=5),
    )
    visits = services.resolution_add(
        actor=center,
        meeting_id=meeting.pk,
        text="对独居老人开展一次入户走访，排查取暖用电隐患",
        kind=ResolutionKind.TASK,
        village_code=village.code,
        deadline=timezone.localdate() + dt.timedelta(days=3),
    )
    # Two more tasks for the department: the leaders' tasks demo takes the first over as a
    # leader's task; the second is left for "make it a leader's task" to be tried.
    for text, days in (("排查老旧小区楼道堆物及消防通道占用情况", 7), ("制定老旧小区冬季供暖排查工作方案", 10)):
        services.resolution_add(
            actor=center,
            meeting_id=meeting.pk,
            text=text,
            kind=ResolutionKind.TASK,
            department_code=department.code,
            deadline=timezone.localdate() + dt.timedelta(days=days),
        )
    services.meeting_act(actor=center, pk=meeting.pk, action="close")
    services.resolution_act(
        actor=users["gridlead01"],
        pk=visits.pk,
        action="report",
        inputs={"report": "已走访独居老人 12 户，发现并整改私拉电线 2 处"},
    )
    # The department's lights are done and confirmed; the village's visits are reported done and
    # wait for the center: the village's meeting below opens with them.
    services.resolution_act(
        actor=handler, pk=lights.pk, action="report", inputs={"report": "已协调供电服务站在 3 个老旧小区安装路灯 6 盏"}
    )
    services.resolution_act(actor=center, pk=lights.pk, action="confirm")
    services.meeting_plan(
        actor=users["gridlead01"],
        area_code=village.code,
        title=f"{village.name}民情分析会",
        starts_at=timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=5), dt.time(15))),
        place=f"{village.name}村委会会议室",
        chair_id=users["gridlead01"].pk,
        invitee_ids=[users["grid01"].pk],
    )
    return 2
