"""The demo's leaders' tasks (领导交办事项): a dozen tasks Taiping's leaders gave over the last
two months, walked through the same services a user goes through, with past times: done on
time and late, in progress with progress reports, one extended, one returned and submitted
again, one overdue under a supervision notice, one waiting for approval, one fresh one waiting
for the village's acceptance, one cancelled, and one taken over from the last town meeting's
resolution (another of its tasks is left to take over). The
deadline sweep runs at the end, so the reminders and overdue notices are in the histories."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.areas.models import Area, AreaLevel
from gridgov.assignments import services
from gridgov.assignments.models import Assignment
from gridgov.meetings.models import Resolution, ResolutionKind, ResolutionStatus
from gridgov.people.models import Role, RoleAssignment

from .loader import check_allowed

# A step: (days after the task was given, hour, who: "leader", "super", or an owner's index,
# action, inputs). Owner 0 is the lead.
Step = tuple[float, int, str, str, dict[str, Any]]


@dataclass(frozen=True)
class Plan:
    title: str
    requirement: str
    owners: tuple[str, ...]  # owner keys; "village" is the first village
    days_ago: int
    working_days: int  # the deadline, counted in calendar days from the day given
    priority: str = "normal"
    document: str = ""
    steps: tuple[Step, ...] = field(default_factory=tuple)


ACCEPT: Final = "accept"
DONE_ON_TIME: Final[tuple[Step, ...]] = (
    (0.1, 10, "0", ACCEPT, {}),
    (0.2, 11, "1", ACCEPT, {}),
    (5, 16, "0", "progress", {"comment": "已完成主要点位排查，建立问题清单。", "percent": 50}),
)

PLANS: Final[tuple[Plan, ...]] = (
    Plan(
        "迎检环境整治",
        "迎接区级人居环境检查，对主干道两侧、集贸市场周边的垃圾堆放、乱贴乱画、占道经营开展集中整治，检查前完成自查。",
        ("department:environment", "department:sanitation", "department:urban_mgmt"),
        58,
        18,
        "high",
        "太政办〔2026〕31号",
        (
            *DONE_ON_TIME,
            (0.3, 9, "2", ACCEPT, {}),
            (12, 15, "0", "submit", {"comment": "清理垃圾堆放点27处，清除小广告300余处，规范占道经营摊点15个。"}),
            (12.2, 17, "1", "submit", {"comment": "主干道保洁频次增加为每日两次。"}),
            (13, 9, "2", "submit", {"comment": "劝导占道经营摊点15个，暂扣物品3批。"}),
            (13.1, 10, "leader", "approve", {"part": 0}),
            (13.1, 10, "leader", "approve", {"part": 1}),
            (13.2, 11, "leader", "approve", {"part": 2}),
        ),
    ),
    Plan(
        "防汛物资排查",
        "汛前对镇、村两级防汛物资储备进行清点，对缺失、过期物资登记造册并补充到位。",
        ("department:emergency", "village"),
        52,
        10,
        "urgent",
        steps=(
            (0.1, 10, "0", ACCEPT, {}),
            (0.3, 14, "1", ACCEPT, {}),
            (4, 16, "1", "submit", {"comment": "村级仓库编织袋800条、铁锹40把，救生衣缺10件已补齐。"}),
            (4.2, 9, "leader", "approve", {"part": 1}),
            (6, 11, "0", "progress", {"comment": "镇级仓库清点完毕，冲锋舟1艘需维修。", "percent": 70}),
            (13, 16, "0", "submit", {"comment": "冲锋舟维修完毕，物资台账已更新。"}),
            (14, 9, "leader", "approve", {"part": 0}),
        ),
    ),
    Plan(
        "燃气安全隐患排查整治",
        "对辖区餐饮场所、老旧小区燃气管道和瓶装液化气使用开展拉网式排查，隐患限期整改，建立台账。",
        ("department:market", "department:gas", "department:urban_mgmt"),
        40,
        32,
        "high",
        "太安委〔2026〕8号",
        (
            (0.1, 10, "0", ACCEPT, {}),
            (0.2, 11, "1", ACCEPT, {}),
            (1, 9, "2", ACCEPT, {}),
            (9, 16, "0", "progress", {"comment": "已排查餐饮场所86家，发现隐患23处，整改完成11处。", "percent": 45}),
            (20, 10, "1", "request_extension", {"comment": "老旧小区管道改造需协调施工队，申请延期。", "until": 45}),
            (20.3, 15, "leader", "grant_extension", {"part": 1, "until": 45}),
            (24, 16, "0", "progress", {"comment": "餐饮场所隐患整改完成20处。", "percent": 80}),
            (26, 10, "2", "progress", {"comment": "清理违规存放液化气钢瓶12处。", "percent": 60}),
        ),
    ),
    Plan(
        "信访积案化解",
        "对三年以上的信访积案逐案包案化解，落实“一案一策”，化解情况每周报送。",
        ("department:petitions", "department:police_station", "village"),
        36,
        21,
        "high",
        steps=(
            (0.1, 10, "0", ACCEPT, {}),
            (1, 9, "1", ACCEPT, {}),
            (1, 10, "2", ACCEPT, {}),
            (7, 16, "0", "progress", {"comment": "梳理积案9件，已化解2件。", "percent": 25}),
            (16, 16, "0", "progress", {"comment": "化解4件，剩余5件涉及土地补偿，推进困难。", "percent": 45}),
            (28, 9, "super", "supervise", {"comment": "积案化解已超期，请说明原因并报送化解计划。"}),
        ),
    ),
    Plan(
        "秸秆禁烧巡查",
        "秋收期间落实秸秆禁烧网格化巡查，每日报送巡查情况，发现火点立即处置。",
        ("department:agriculture", "village", "village2"),
        30,
        45,
        steps=(
            (0.1, 10, "0", ACCEPT, {}),
            (0.2, 11, "1", ACCEPT, {}),
            (0.3, 15, "2", ACCEPT, {}),
            (10, 17, "0", "progress", {"comment": "累计巡查120人次，未发现火点。", "percent": 40}),
            (20, 17, "1", "progress", {"comment": "村内秸秆已全部离田。", "percent": 70}),
            # Waiting for the leader's decision (an extension request not decided yet).
            (25, 10, "2", "request_extension", {"comment": "村内离田机械不足，申请延期完成巡查收尾。", "until": 55}),
        ),
    ),
    Plan(
        "老旧小区冬季供暖排查",
        "入冬前对老旧小区供暖管网和困难群众取暖情况进行排查，确保温暖过冬。",
        ("department:social_affairs", "department:power"),
        24,
        26,
        steps=(
            (0.1, 10, "0", ACCEPT, {}),
            (0.2, 14, "1", ACCEPT, {}),
            (8, 16, "1", "submit", {"comment": "排查配电设施14处，更换老化线路2处。"}),
            (9, 9, "leader", "approve", {"part": 1}),
            (21, 16, "0", "submit", {"comment": "走访困难群众63户，发放取暖补贴，供暖管网无异常。"}),
        ),
    ),
    Plan(
        "校园周边交通秩序整治",
        "上下学时段加强校园周边交通疏导，整治违停和占道，设置警示标志。",
        ("department:traffic_police", "department:police_station"),
        22,
        30,
        steps=(
            (0.1, 10, "0", ACCEPT, {}),
            (0.2, 11, "1", ACCEPT, {}),
            (6, 16, "0", "submit", {"comment": "已在两所小学门前增派警力。"}),
            (7, 9, "leader", "return", {"part": 0, "comment": "请补充违停整治数据和警示标志设置情况。"}),
            (9, 16, "0", "progress", {"comment": "查处违停42起，新设警示标志6块。", "percent": 80}),
        ),
    ),
    Plan(
        "违法建设专项排查",
        "对辖区新增违法建设开展专项排查，做到早发现、早制止、早拆除。",
        ("department:urban_mgmt", "department:planning"),
        20,
        12,
        steps=(
            (0.2, 10, "0", ACCEPT, {}),
            (1, 10, "1", ACCEPT, {}),
            (5, 16, "0", "progress", {"comment": "排查发现新增违建4处，已下达整改通知。", "percent": 30}),
        ),
    ),
    Plan(
        "消防安全隐患排查",
        "对“三小场所”和出租房屋开展消防安全检查，隐患当场整改或限期整改。",
        ("department:safety", "department:emergency", "department:market"),
        48,
        14,
        steps=(
            (0.1, 10, "0", ACCEPT, {}),
            (0.1, 11, "1", ACCEPT, {}),
            (0.2, 9, "2", ACCEPT, {}),
            (8, 16, "1", "submit", {"comment": "检查出租房屋110户，整改隐患18处。"}),
            (8, 17, "2", "submit", {"comment": "检查小餐饮、小作坊45家。"}),
            (10, 16, "0", "submit", {"comment": "检查“三小场所”76家，全部建立台账。"}),
            (11, 9, "leader", "approve", {"part": 0}),
            (11, 9, "leader", "approve", {"part": 1}),
            (11, 10, "leader", "approve", {"part": 2}),
        ),
    ),
    Plan(
        "电动自行车违规充电整治",
        "整治楼道停放和飞线充电，推动小区增设集中充电设施。",
        ("center", "department:police_station"),
        14,
        25,
        steps=(
            (0.1, 10, "0", ACCEPT, {}),
            (0.3, 15, "1", ACCEPT, {}),
            (5, 16, "0", "progress", {"comment": "组织网格员入户宣传，清理楼道停放车辆58辆。", "percent": 50}),
            (8, 9, "leader", "supervise", {"comment": "请加快推进集中充电设施建设。"}),
            (8, 15, "0", "reply_supervision", {"comment": "已与两个小区物业确定选址，下周开工。"}),
        ),
    ),
    Plan(
        "废旧厂房安全隐患排查",
        "对辖区闲置厂房开展安全隐患排查，防止违规住人和堆放易燃物品。",
        ("department:safety", "village2"),
        10,
        20,
        steps=(
            (0.1, 10, "0", ACCEPT, {}),
            # The county ran the same inspection itself: the leader withdrew the task.
            (3, 9, "leader", "cancel", {"comment": "县安委会已统一组织专项检查，本任务撤销。"}),
        ),
    ),
    Plan(
        "农村人居环境整治",
        "开展村庄清洁行动，清理房前屋后和村内沟渠垃圾，月底前完成。",
        ("village", "department:sanitation"),
        1,
        20,
        steps=((0.1, 10, "1", ACCEPT, {}),),
    ),
)


class _Cast:
    def __init__(self, town: Area, villages: list[Area], leader: Any) -> None:
        self.town = town
        self.villages = villages
        self.leader = leader
        users = get_user_model().objects
        self.center = users.filter(username="center01").first()
        self.supervisor = users.filter(username="super01").first()

    def owner_key(self, key: str) -> str:
        if key == "village":
            return f"village:{self.villages[0].code}"
        if key == "village2":
            return f"village:{self.villages[1].code}"
        return key

    def actor_for(self, key: str) -> Any:
        """Someone who acts for an owner (None when nobody does in the demo)."""
        kind, _sep, code = key.partition(":")
        query = RoleAssignment.objects.filter(user__is_active=True).select_related("user").order_by("user__username")
        if kind == "department":
            found = query.filter(role=Role.DEPARTMENT_HANDLER, department__code=code).first()
        elif kind == "village":
            found = (
                query.filter(role=Role.GRID_LEADER, area__code=code).first()
                or query.filter(role=Role.VILLAGE_STAFF, area__code=code).first()
            )
        else:
            found = query.filter(role=Role.CENTER_OPERATOR, area=self.town).first()
        return found.user if found is not None else None


def _moment(start: dt.date, days: float, hour: int) -> dt.datetime:
    day = start + dt.timedelta(days=int(days))
    minute = int((days - int(days)) * 60) % 60
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _run(plan: Plan, cast: _Cast, today: dt.date) -> Assignment | None:
    owners = [cast.owner_key(key) for key in plan.owners]
    actors = [cast.actor_for(key) for key in owners]
    if any(actor is None for actor in actors):
        return None
    start = today - dt.timedelta(days=plan.days_ago)
    given = _moment(start, 0, 9)
    files = [services.Upload(f"{plan.document}.pdf", _pdf(plan))] if plan.document else []
    assignment = services.assignment_create(
        actor=cast.leader,
        title=plan.title,
        requirement=plan.requirement,
        lead=owners[0],
        cooperating=owners[1:],
        deadline=start + dt.timedelta(days=plan.working_days),
        priority=plan.priority,
        document_number=plan.document,
        files=files,
        at=given,
    )
    parts = list(assignment.parts.order_by("-lead", "id"))
    now = timezone.now()
    for days, hour, who, action, raw in plan.steps:
        at = min(_moment(start, days, hour), now - dt.timedelta(minutes=5))
        inputs = {key: value for key, value in raw.items() if key != "part"}
        if "until" in inputs:
            inputs["until"] = start + dt.timedelta(days=int(inputs["until"]))
        if action in ("supervise", "reply_supervision", "cancel"):
            actor = {"leader": cast.leader, "super": cast.supervisor}.get(who) or actors[int(who)]
            version = Assignment.objects.get(pk=assignment.pk).version if action == "cancel" else None
            services.task_act(actor=actor, pk=assignment.pk, action=action, inputs=inputs, version=version, at=at)
            continue
        index = int(raw.get("part", 0)) if who in ("leader", "super") else int(who)
        actor = cast.leader if who == "leader" else actors[index]
        assert actor is not None
        services.part_act(actor=actor, pk=parts[index].pk, action=action, inputs=inputs, at=at)
    return assignment


def _pdf(plan: Plan) -> bytes:
    """A stand-in for the scanned document (a one-page PDF naming it)."""
    text = f"{plan.document} {plan.title}".encode("ascii", "ignore").decode() or "document"
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>endobj\n"
        + f"4 0 obj<</Length {len(stream)}>>stream\n".encode()
        + stream
        + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def _from_resolution(cast: _Cast) -> int:
    """The last town meeting's first task not reported yet, taken over as a leader's task by the
    center on the leader's behalf and accepted by its owner (the meeting's other open task is
    left for "make it a leader's task"; a task already reported is not taken over)."""
    resolution = (
        Resolution.objects.filter(kind=ResolutionKind.TASK, status=ResolutionStatus.OPEN)
        .order_by("-meeting__starts_at", "number")
        .first()
    )
    if resolution is None or cast.center is None:
        return 0
    deadline = resolution.deadline or timezone.localdate() + dt.timedelta(days=5)
    assignment = services.assignment_from_resolution(
        actor=cast.center,
        resolution_id=resolution.pk,
        leader_id=cast.leader.pk,
        deadline=max(deadline, timezone.localdate() + dt.timedelta(days=3)),
        at=timezone.now() - dt.timedelta(hours=3),
    )
    owner = cast.actor_for(assignment.parts.get().owner_key)
    if owner is not None:
        part = assignment.parts.get()
        services.part_act(actor=owner, pk=part.pk, action=ACCEPT, at=timezone.now() - dt.timedelta(hours=1))
    return 1


def load_demo_assignments(*, allow_production_db: bool = False) -> int:
    """The demo's leaders' tasks; returns how many (0 when any task exists already)."""
    check_allowed(allow_production_db=allow_production_db)
    if Assignment.objects.exists():
        return 0
    town = Area.objects.current().filter(level=AreaLevel.TOWN).order_by("code").first()
    if town is None:
        return 0
    villages = list(
        Area.objects.current().filter(level=AreaLevel.VILLAGE, path__startswith=town.path).order_by("code")[:2]
    )
    leader = get_user_model().objects.filter(username="leader01").first()
    if leader is None or len(villages) < 2:
        return 0
    cast = _Cast(town, villages, leader)
    today = timezone.localdate()
    made = sum(1 for plan in PLANS if _run(plan, cast, today) is not None)
    made += _from_resolution(cast)
    services.sweep_deadlines()
    return made
