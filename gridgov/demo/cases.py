"""Historical cases for the demo, made through the case services so that history is real.

:func:`load_demo_cases` fills an empty case table with a few hundred cases reported over the
last six months by the demo's people: every path of the case loop (closed on time and late,
self-handled, handled by the village, escalated, voided, merged, returned and re-dispatched,
rework, extensions approved and rejected, parked and resumed, reminders, supervision notices
with replies, reopened) and a good share still open in every status, some fresh and some
overdue, so that the workbench queues are not empty.

Every case is created with :func:`gridgov.cases.services.case_create` and moved with
:func:`gridgov.cases.services.case_act`, each with ``at=`` set to a moment in the past, so the
timeline, the stages, their deadlines and the on-time flags are what the services compute.
Step times advance within working hours on the working calendar and never pass ``now``.

:class:`CaseGenerator` does the work; ``manage.py generate_cases`` uses it to fill a database
for the benchmarks. It reads the people and places from the database (roles over areas and
departments), so it works on any town with grids, grid workers, a center and departments.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from PIL import Image

from gridgov.areas.locate import locate
from gridgov.areas.models import Area, AreaLevel
from gridgov.cases import services
from gridgov.cases.models import AttachmentKind, Case, PartyKind, Source, Status
from gridgov.categories.models import Category, Urgency
from gridgov.notify.services import mark_read
from gridgov.people.models import Department, Role, RoleAssignment
from gridgov.workcalendar import calendar

from .loader import check_allowed
from .taiping import GIVEN_CHARS, MOBILE_PREFIXES, SURNAMES, TOWN_CODE

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEMO_CASES_SEED: Final = 20260602
DEFAULT_COUNT: Final = 300
WINDOW_DAYS: Final = 182

# --- Scenarios --------------------------------------------------------------------------
#
# A scenario is a list of steps. ``finish`` closes the case the way its category asks
# (verification by the grid worker, or closing by the center); ``late`` makes the next stage
# step come after its deadline. Scenarios marked open end in an open status.


@dataclass(frozen=True)
class Scenario:
    name: str
    weight: float
    steps: tuple[str, ...]
    open: bool = False
    self_handle: bool = False
    needs: str = ""  # "no_verification": a category closed by the center


HANDLE: Final = ("register", "dispatch", "acknowledge", "report_back")
SCENARIOS: Final[tuple[Scenario, ...]] = (
    # Closed.
    Scenario("closed", 30, (*HANDLE, "finish")),
    Scenario("closed_late", 8, ("register", "dispatch", "acknowledge", "late", "report_back", "finish")),
    Scenario("closed_by_center", 3, (*HANDLE, "finish"), needs="no_verification"),
    Scenario("self_handled", 10, (), self_handle=True),
    Scenario("village", 6, ("accept", "report_back", "finish")),
    Scenario("escalated", 4, ("escalate", *HANDLE, "finish")),
    Scenario("voided", 4, ("void",)),
    Scenario("merged", 3, ("merge",)),
    Scenario(
        "returned", 5, ("register", "dispatch", "return", "dispatch_other", "acknowledge", "report_back", "finish")
    ),
    Scenario("rework", 5, (*HANDLE, "verify_fail", "report_back", "verify_pass")),
    Scenario(
        "extension_approved",
        4,
        ("register", "dispatch", "acknowledge", "request_extension", "approve_extension", "report_back", "finish"),
    ),
    Scenario(
        "extension_rejected",
        2,
        ("register", "dispatch", "acknowledge", "request_extension", "reject_extension", "report_back", "finish"),
    ),
    Scenario("parked_resumed", 3, ("register", "dispatch", "acknowledge", "park", "resume", "report_back", "finish")),
    Scenario("reminded", 4, ("register", "dispatch", "acknowledge", "remind", "report_back", "finish")),
    Scenario(
        "supervised",
        3,
        ("register", "dispatch", "acknowledge", "supervise", "reply_supervision", "report_back", "finish"),
    ),
    Scenario("reopened", 3, (*HANDLE, "finish", "reopen", "dispatch", "acknowledge", "report_back", "finish")),
    # Still open.
    Scenario("open_reported", 6, (), open=True),
    Scenario("open_escalated", 2, ("escalate",), open=True),
    Scenario("open_registered", 4, ("register",), open=True),
    Scenario("open_dispatched", 4, ("register", "dispatch"), open=True),
    Scenario("open_in_progress", 5, ("register", "dispatch", "acknowledge"), open=True),
    Scenario("open_village", 2, ("accept",), open=True),
    Scenario("open_extension", 2, ("register", "dispatch", "acknowledge", "request_extension"), open=True),
    Scenario("open_supervised", 2, ("register", "dispatch", "acknowledge", "supervise"), open=True),
    Scenario("open_reminded", 2, ("register", "dispatch", "remind"), open=True),
    Scenario("open_to_verify", 4, (*HANDLE,), open=True),
    Scenario("open_returned", 3, ("register", "dispatch", "acknowledge", "return"), open=True),
    Scenario("open_parked", 3, ("register", "dispatch", "park"), open=True),
    Scenario("open_rework", 2, (*HANDLE, "verify_fail"), open=True),
)
SCENARIO_BY_NAME: Final = {scenario.name: scenario for scenario in SCENARIOS}

# Steps whose time follows the current stage's deadline (the case moves on to a new stage).
STAGE_STEPS: Final = frozenset(
    {"register", "dispatch", "dispatch_other", "acknowledge", "report_back", "finish", "verify_pass", "verify_fail"}
)

# --- Texts --------------------------------------------------------------------------------

DETAILS: Final[dict[str, tuple[str, ...]]] = {
    "parking": (
        "一辆白色小型轿车停放在人行道上，行人只能绕行机动车道",
        "路口转角处停放多辆机动车，遮挡视线，存在安全隐患",
        "一辆无牌三轮车在路边停放多日，车身积灰，疑似废弃",
    ),
    "safety": (
        "居民楼一层有人私拉电线给电动车充电，线路裸露",
        "沿街商铺门前堆放大量纸箱等易燃杂物，堵塞消防通道",
        "施工围挡倾斜，大风天气有倒塌危险",
    ),
    "facilities": (
        "路灯夜间不亮，周边居民反映出行不便",
        "人行道井盖破损松动，行人经过时晃动",
        "公交站台座椅损坏，钢架外露",
    ),
    "greenery": (
        "绿化带内树木枯死，枝干有折断风险",
        "有居民在公共绿地内私自开荒种菜",
        "行道树树枝遮挡路灯和交通标志",
    ),
    "appearance": (
        "道路两侧有占道经营的流动摊点，影响通行",
        "小区门口垃圾桶满溢，周边散落生活垃圾",
        "墙面有大量乱贴乱画的小广告",
    ),
    "civility": (
        "有人在广场遛狗不牵绳，居民反映有安全隐患",
        "商铺在门前高音喇叭促销，噪声扰民",
        "有居民向绿化带内倾倒装修垃圾",
    ),
    "visits": (
        "走访中独居老人反映家中取暖设施存在问题，希望协调解决",
        "居民反映邻里之间因漏水问题产生纠纷，需要协调",
        "困难家庭反映申请救助的进度，希望得到答复",
    ),
    "environment": (
        "河道沟渠内漂浮垃圾，有异味",
        "企业厂区夜间排放烟气，周边居民反映有刺激性气味",
        "农田边焚烧秸秆，烟雾较大",
    ),
}
DETAIL_FALLBACK: Final = ("现场情况需要相关部门处理", "居民反映问题，需要核实处置")
PLACES: Final = ("村委会东侧", "主街路口", "文化广场", "小学门口", "农贸市场旁", "卫生室对面", "村北路", "健身广场")
REMARKS: Final = ("请尽快处理。", "已拍照留存。", "现场已做初步劝导。", "周边居民意见较大。", "")

RESULTS: Final = (
    "已到现场处置完毕，现场已恢复正常。",
    "已联系责任人整改，整改完成，附处置后照片。",
    "已安排人员清理，后续纳入日常巡查。",
    "已维修完成，经测试使用正常。",
)
COMMENTS: Final[dict[str, tuple[str, ...]]] = {
    "void": ("经核实不属于事件范围，作废。", "重复上报且信息不全，作废。", "现场核实问题不存在。"),
    "return": ("经核实该事项不属于本单位职责，申请退回重新派遣。", "事发地不在本单位管辖范围。"),
    "verify_fail": ("现场核查问题仍然存在，请继续处置。", "处置不彻底，仍有残留，返工。"),
    "verify_pass": ("现场核查已处置完毕。", "经核查情况属实，同意结案。"),
    "request_extension": ("需协调多个单位共同处置，申请延期。", "涉及维修材料采购，申请延期。"),
    "approve_extension": ("同意延期，请按期办结。",),
    "reject_extension": ("时限内可以办结，不同意延期。", "理由不充分，请按原时限办理。"),
    "park": ("涉及历史遗留问题，需待规划调整后处理，暂时挂账。", "需上级部门统筹解决，先行挂账。"),
    "resume": ("条件已具备，恢复办理。",),
    "remind": ("请抓紧办理，注意时限。", "群众再次反映，请尽快处置。"),
    "supervise": ("群众反映强烈，请限期办结并报告办理情况。", "请高度重视，按时办结。"),
    "reply_supervision": ("已按要求加快办理，预计本周内办结。", "已落实专人负责，正在处置。"),
    "reopen": ("群众反映问题反弹，重新办理。", "核查发现问题复发，重新立案。"),
    "escalate": ("超出村级处置能力，提请中心协调。",),
    "accept": ("村里可以处理，由村委会负责。",),
    "register": ("",),
    "dispatch": ("",),
    "acknowledge": ("",),
    "close": ("处置结果已确认，结案。",),
    "merge": ("与已有事件重复，合并办理。",),
}


def _comment(rng: random.Random, action: str) -> str:
    return rng.choice(COMMENTS.get(action, ("",)))


# --- The cast ------------------------------------------------------------------------------


@dataclass
class Cast:
    """The people and places of one town that cases are drawn from."""

    town: Area
    grids: list[Area]
    grid_weights: list[float]
    grid_workers: dict[int, list[User]]
    village_of_grid: dict[int, int]
    grid_leaders: dict[int, list[User]]
    village_people: dict[int, list[User]]
    center: list[User]
    leaders: list[User]  # town leaders and discipline supervisors (reminders, supervision notices)
    town_leaders: list[User]
    handlers: dict[int, list[User]]
    departments: list[Department]
    categories: list[Category]
    category_weights: list[float]
    self_handle_categories: list[Category]
    no_verification_categories: list[Category]

    @classmethod
    def load(cls, town_code: str | None = None) -> Cast:
        towns = Area.objects.current().filter(level=AreaLevel.TOWN)
        town = towns.filter(code=town_code).first() if town_code else towns.order_by("code").first()
        if town is None:
            raise ValueError(f"no current town {town_code or ''}".strip())
        grids = list(Area.objects.current().filter(level=AreaLevel.GRID, path__startswith=town.path).order_by("code"))
        assignments = list(
            RoleAssignment.objects.filter(user__is_active=True).select_related("user", "area").order_by("user_id")
        )
        by_role: dict[str, list[RoleAssignment]] = {}
        for assignment in assignments:
            by_role.setdefault(assignment.role, []).append(assignment)
        grid_ids = {grid.pk for grid in grids}
        grid_workers = _users_by(
            by_role.get(Role.GRID_WORKER, []), lambda a: a.area_id if a.area_id in grid_ids else None
        )
        grids = [grid for grid in grids if grid.pk in grid_workers and grid.center_lat is not None]
        if not grids:
            raise ValueError(f"the town {town.code} has no grid with a grid worker")
        village_of_grid = {grid.pk: grid.parent_id or town.pk for grid in grids}
        grid_leaders = _users_by(by_role.get(Role.GRID_LEADER, []), lambda a: a.area_id)
        village_people = _users_by(
            [*by_role.get(Role.GRID_LEADER, []), *by_role.get(Role.VILLAGE_STAFF, [])], lambda a: a.area_id
        )

        def of_town(role: str) -> list[User]:
            return [a.user for a in by_role.get(role, []) if a.area is not None and a.area.path == town.path]

        center = of_town(Role.CENTER_OPERATOR)
        if not center:
            raise ValueError(f"the town {town.code} has no center operator")
        town_leaders = of_town(Role.TOWN_LEADER)
        leaders = town_leaders + [a.user for a in by_role.get(Role.SUPERVISOR, []) if a.area_id is None]
        handlers = _users_by(by_role.get(Role.DEPARTMENT_HANDLER, []), lambda a: a.department_id)
        departments = list(Department.objects.filter(pk__in=list(handlers), is_active=True).order_by("code"))
        categories = list(
            Category.objects.filter(
                parent__isnull=False, is_active=True, default_department_id__in=[d.pk for d in departments]
            )
            .select_related("parent")
            .order_by("code")
        )
        if not categories:
            raise ValueError("no active minor category has a department with a handler")

        # Named accounts (those with a usable password) get more of the cases, so that the
        # people one logs in as have full inboxes.
        def named(users: list[User]) -> bool:
            return any(user.has_usable_password() for user in users)

        named_grids = {grid_id for grid_id, users in grid_workers.items() if named(users)}
        named_departments = {department for department, users in handlers.items() if named(users)}
        return cls(
            town=town,
            grids=grids,
            grid_weights=[8.0 if grid.pk in named_grids else 1.0 for grid in grids],
            grid_workers=grid_workers,
            village_of_grid=village_of_grid,
            grid_leaders=grid_leaders,
            village_people=village_people,
            center=center,
            leaders=leaders or center,
            town_leaders=town_leaders,
            handlers=handlers,
            departments=departments,
            categories=categories,
            category_weights=[4.0 if c.default_department_id in named_departments else 1.0 for c in categories],
            self_handle_categories=[c for c in categories if c.self_handle_allowed],
            no_verification_categories=[c for c in categories if not c.verification_required],
        )


def _users_by(
    assignments: Iterable[RoleAssignment], key: Callable[[RoleAssignment], int | None]
) -> dict[int, list[User]]:
    """The users of ``assignments`` grouped by ``key`` (an assignment whose key is None is left
    out), in the assignments' order."""
    grouped: dict[int, list[User]] = {}
    for assignment in assignments:
        value = key(assignment)
        if value is not None:
            grouped.setdefault(value, []).append(assignment.user)
    return grouped


# --- The generator -------------------------------------------------------------------------


@dataclass
class Stats:
    created: int = 0
    actions: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


class CaseGenerator:
    """Creates cases through the services, following scenarios, at times in the past.

    ``open_share`` is the share of open scenarios (``None``: the scenario weights decide,
    about a third open). Cases are made in the order they were reported, so case numbers
    follow the dates.
    """

    def __init__(
        self,
        cast: Cast,
        *,
        seed: int = DEMO_CASES_SEED,
        now: dt.datetime | None = None,
        window_days: int = WINDOW_DAYS,
        open_share: float | None = None,
    ) -> None:
        self.cast = cast
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.start = self.now - dt.timedelta(days=window_days)
        self.open_share = open_share
        self.stats = Stats()
        self._points: dict[int, list[tuple[float, float]]] = {}
        # Earlier cases that may take in a duplicate: category id → [number], plus any.
        self._mergeable: dict[int, list[str]] = {}
        self._any_mergeable: list[str] = []
        self._dept_codes = {d.pk: d.code for d in cast.departments}

    # -- plans ---------------------------------------------------------------------------

    def plans(self, count: int) -> list[tuple[dt.datetime, Scenario]]:
        """``count`` (reported_at, scenario) pairs in date order: every scenario at least once
        when ``count`` allows, then drawn by weight."""
        closed = [s for s in SCENARIOS if not s.open]
        opened = [s for s in SCENARIOS if s.open]
        chosen: list[Scenario] = []
        if count >= len(SCENARIOS):
            chosen = list(SCENARIOS)
        while len(chosen) < count:
            if self.open_share is None:
                chosen.append(self.rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS])[0])
            else:
                pool = opened if self.rng.random() < self.open_share else closed
                chosen.append(self.rng.choices(pool, weights=[s.weight for s in pool])[0])
        plans = [(self._reported_at(scenario), scenario) for scenario in chosen]
        plans.sort(key=lambda plan: plan[0])
        return plans

    def _reported_at(self, scenario: Scenario) -> dt.datetime:
        if scenario.open:
            # Open cases: mostly from the last few weeks, a few from today (fresh).
            # (a center that keeps up: most open work is days old, a few cases linger).
            share = self.rng.random()
            if len(scenario.steps) <= 2:
                # Waiting for the center or the department to move: short stage limits, so
                # mostly from today, some left over from the last days (overdue).
                share = share * 0.6
            if share < 0.45:
                back = dt.timedelta(hours=self.rng.uniform(0.2, 30))
            elif share < 0.85:
                back = dt.timedelta(days=self.rng.uniform(1, 7))
            else:
                back = dt.timedelta(days=self.rng.uniform(7, 45))
            moment = self.now - back
        else:
            moment = self.start + (self.now - self.start) * self.rng.random()
        # Reports come in working hours: a random working moment of that day, or of an
        # earlier working day when that would be in the future or the day is a holiday.
        per_day = calendar.working_minutes_per_day()
        day = timezone.localtime(moment).date()
        for _attempt in range(15):
            if calendar.is_workday(day):
                midnight = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
                snapped = calendar.add_working_minutes(midnight, self.rng.uniform(1, per_day - 1))
                if snapped < self.now:
                    return snapped
            day -= dt.timedelta(days=1)
        return moment

    # -- running ---------------------------------------------------------------------------

    def run(self, count: int, *, batch: int = 0, progress: Callable[[int], None] | None = None) -> Stats:
        """Create ``count`` cases; with ``batch``, in transactions of that many cases."""
        plans = self.plans(count)
        if batch <= 0:
            batch = max(count, 1)
        for chunk in _chunks(plans, batch):
            with transaction.atomic():
                for reported_at, scenario in chunk:
                    self.make(reported_at, scenario)
            if progress is not None:
                progress(self.stats.created)
        return self.stats

    def make(self, reported_at: dt.datetime, scenario: Scenario) -> Case:
        rng, cast = self.rng, self.cast
        category = self._category(scenario)
        if scenario.self_handle or scenario.name.startswith("village") or scenario.name == "open_village":
            source = rng.choice([Source.GRID_REPORT] * 4 + [Source.PATROL])
        else:
            source = rng.choices(
                [Source.GRID_REPORT, Source.PATROL, Source.CENTER, Source.PUBLIC, Source.MEETING, Source.LEADER],
                weights=[60, 10, 10, 8, 6, 6],
            )[0]
        grid = rng.choices(cast.grids, weights=cast.grid_weights)[0]
        named_grids = [g for g, weight in zip(cast.grids, cast.grid_weights, strict=True) if weight > 1]
        if scenario.open and named_grids and rng.random() < 0.3:
            # The named accounts' inboxes should hold open work of every kind when one logs in.
            grid = rng.choice(named_grids)
        if source in (Source.GRID_REPORT, Source.PATROL):
            reporter = rng.choice(cast.grid_workers[grid.pk])
        elif source == Source.LEADER and cast.town_leaders:
            reporter = rng.choice(cast.town_leaders)
        else:
            reporter = self._center()
        lat, lng = self._point(grid)
        party_kind = party_name = party_phone = ""
        roll = rng.random()
        if roll < 0.3:
            party_kind, party_name, party_phone = PartyKind.RESIDENT, self._name(), self._phone()
        elif roll < 0.4:
            party_kind = PartyKind.UNIT
            party_name = f"{rng.choice(SURNAMES)}记{rng.choice(['商店', '餐馆', '五金店', '物流公司'])}"
            party_phone = self._phone()
        major = category.parent.code if category.parent else ""
        place = f"{grid.name}{rng.choice(PLACES)}"
        description = f"{place}：{rng.choice(DETAILS.get(major, DETAIL_FALLBACK))}。{rng.choice(REMARKS)}"
        case, _created = services.case_create(
            actor=reporter,
            category=category,
            description=description,
            lat=lat,
            lng=lng,
            address=place,
            source=source,
            urgency=Urgency.URGENT if rng.random() < 0.1 else Urgency.NORMAL,
            self_handle=scenario.self_handle,
            photos_in=_self_handle_photos(rng) if scenario.self_handle else (),
            comment="现场已处置完毕，有处置前后照片。" if scenario.self_handle else "",
            party_kind=party_kind,
            party_name=party_name,
            party_phone=party_phone,
            at=reported_at,
        )
        self.stats.created += 1
        self._play(case, scenario, reported_at)
        case.refresh_from_db(fields=["status", "number", "category"])
        self.stats.by_status[case.status] = self.stats.by_status.get(case.status, 0) + 1
        if case.status != Status.VOIDED:
            self._mergeable.setdefault(case.category_id, []).append(case.number)
            self._any_mergeable.append(case.number)
        return case

    def _category(self, scenario: Scenario) -> Category:
        cast = self.cast
        if scenario.self_handle and cast.self_handle_categories:
            # Mostly the parking category, the everyday self-handled case.
            parking = [c for c in cast.self_handle_categories if c.code == "parking.minor"]
            if parking and self.rng.random() < 0.7:
                return parking[0]
            return self.rng.choice(cast.self_handle_categories)
        if scenario.needs == "no_verification" and cast.no_verification_categories:
            return self.rng.choice(cast.no_verification_categories)
        return self.rng.choices(cast.categories, weights=cast.category_weights)[0]

    def _play(self, case: Case, scenario: Scenario, reported_at: dt.datetime) -> None:
        if scenario.self_handle:
            return
        last = reported_at
        late = False
        skip_decision = False
        for step in scenario.steps:
            if step == "late":
                late = True
                continue
            if skip_decision and step in ("approve_extension", "reject_extension"):
                continue
            when = self._when(case, step, last, late=late or self.rng.random() < 0.04)
            if step == "request_extension" and (case.stage_deadline is None or when >= case.stage_deadline):
                skip_decision = True  # too close to the deadline to ask: the handler carries on
                continue
            if step in STAGE_STEPS:
                late = False
            if when >= self.now:
                if not scenario.open:
                    return  # the story has not got that far yet: the case stays open
                when = self._between(last)
                if when <= last:
                    return
            result = self._act(case, step, when)
            if result is None:
                return
            case = result
            last = when

    def _between(self, last: dt.datetime) -> dt.datetime:
        """A moment between ``last`` and now, in working time if there is any."""
        room = calendar.working_minutes_between(last, self.now)
        if room >= 2:
            return calendar.add_working_minutes(last, room * self.rng.uniform(0.2, 0.6))
        return last + (self.now - last) * self.rng.uniform(0.2, 0.6)

    def _when(self, case: Case, step: str, last: dt.datetime, *, late: bool) -> dt.datetime:
        rng = self.rng
        if step in STAGE_STEPS:
            start = case.stage_started_at or last
            if case.stage_deadline is not None:
                total = max(calendar.working_minutes_between(start, case.stage_deadline), 10)
            else:
                total = 240
            fraction = rng.uniform(1.2, 2.5) if late else rng.uniform(0.1, 0.75)
            when = calendar.add_working_minutes(start, total * fraction)
            if last > start:
                # After a side step (reminder, resumption, …) the next move takes a little while.
                when = max(when, calendar.add_working_minutes(last, rng.uniform(5, 30)))
        elif step == "request_extension":
            deadline = case.stage_deadline
            room = calendar.working_minutes_between(last, deadline) if deadline else 0
            when = calendar.add_working_minutes(last, max(room, 0) * rng.uniform(0.1, 0.5))
        elif step in ("remind", "supervise", "park", "return"):
            deadline = case.stage_deadline
            room = calendar.working_minutes_between(last, deadline) if deadline else 240
            when = calendar.add_working_minutes(last, max(room, 20) * rng.uniform(0.1, 0.5))
        elif step == "resume":
            when = calendar.add_working_minutes(last, calendar.working_minutes_per_day() * rng.uniform(1, 8))
        elif step == "reopen":
            when = calendar.add_working_minutes(last, calendar.working_minutes_per_day() * rng.uniform(1, 5))
        else:
            when = calendar.add_working_minutes(last, rng.uniform(15, 240))
        return max(when, last + dt.timedelta(minutes=1))

    def _act(self, case: Case, step: str, when: dt.datetime) -> Case | None:
        rng = self.rng
        action = step
        kwargs: dict[str, Any] = {}
        if step == "finish":
            action = "verify_pass" if case.category.verification_required else "close"
        if step == "dispatch_other":
            action = "dispatch"
            others = [code for pk, code in self._dept_codes.items() if pk != case.lead_department_id]
            kwargs["departments"] = [rng.choice(others)] if others else []
        elif step == "dispatch" and rng.random() < 0.1 and len(self._dept_codes) > 1:
            lead = case.category.default_department_id
            others = [code for pk, code in self._dept_codes.items() if pk != lead]
            if lead in self._dept_codes:
                kwargs["departments"] = [self._dept_codes[lead], rng.choice(others)]
        elif step == "report_back":
            kwargs["result"] = rng.choice(RESULTS)
        elif step == "request_extension":
            kwargs["days"] = rng.randint(2, 10)
        elif step == "merge":
            candidates = self._mergeable.get(case.category_id) or self._any_mergeable
            if not candidates:
                action = "void"
            else:
                kwargs["into"] = rng.choice(candidates[-20:])
        actor = self._actor(case, action)
        comment = _comment(rng, action)
        result = services.case_act(case.pk, action, actor=actor, comment=comment, at=when, **kwargs)
        self.stats.actions += 1
        return result

    # -- people -------------------------------------------------------------------------------

    def _center(self) -> User:
        # The first center operator (the named one in the demo) does half the work.
        center = self.cast.center
        return center[0] if self.rng.random() < 0.5 else self.rng.choice(center)

    def _actor(self, case: Case, action: str) -> User:
        rng, cast = self.rng, self.cast
        grid_id = case.grid_id or 0
        village = cast.village_of_grid.get(grid_id, 0)
        if action in ("accept", "escalate"):
            return rng.choice(cast.grid_leaders[village])
        if action in ("verify_pass", "verify_fail"):
            return rng.choice(cast.grid_workers[grid_id])
        if action in ("supervise",):
            return rng.choice(cast.leaders)
        if action == "remind" and rng.random() < 0.3:
            return rng.choice(cast.leaders)
        handler_actions = ("acknowledge", "report_back", "return", "request_extension", "reply_supervision")
        if action in handler_actions and not (action == "reply_supervision" and rng.random() < 0.2):
            if case.handled_by_village:
                return rng.choice(cast.village_people[village])
            assert case.lead_department_id is not None
            return rng.choice(cast.handlers[case.lead_department_id])
        return self._center()

    # -- places and names -------------------------------------------------------------------

    def _point(self, grid: Area) -> tuple[float, float]:
        """A point inside the grid near its centre (checked with the locate index)."""
        assert grid.center_lat is not None and grid.center_lng is not None
        assert grid.min_lat is not None and grid.max_lat is not None
        assert grid.min_lng is not None and grid.max_lng is not None
        for _attempt in range(12):
            lat = grid.center_lat + (grid.max_lat - grid.min_lat) * self.rng.uniform(-0.2, 0.2)
            lng = grid.center_lng + (grid.max_lng - grid.min_lng) * self.rng.uniform(-0.2, 0.2)
            lat, lng = round(lat, 6), round(lng, 6)
            found = locate(lat, lng)
            if found is not None and found.id == grid.pk:
                return lat, lng
        for _attempt in range(200):
            lat = round(self.rng.uniform(grid.min_lat, grid.max_lat), 6)
            lng = round(self.rng.uniform(grid.min_lng, grid.max_lng), 6)
            found = locate(lat, lng)
            if found is not None and found.id == grid.pk:
                return lat, lng
        raise ValueError(f"no point found inside the grid {grid.code}")

    def _name(self) -> str:
        given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def _phone(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- The demo ------------------------------------------------------------------------------


def load_demo_cases(
    *,
    count: int = DEFAULT_COUNT,
    seed: int = DEMO_CASES_SEED,
    now: dt.datetime | None = None,
    allow_production_db: bool = False,
) -> int:
    """Create ``count`` historical demo cases in the demo town; returns how many were made.

    Does nothing (returns 0) when any case exists already, so it is safe to run again. Needs
    the demo's areas, people and categories (:func:`gridgov.demo.loader.load_demo`). The
    in-app notifications the history sends are marked read: they are old news.
    """
    check_allowed(allow_production_db=allow_production_db)
    if Case.objects.exists():
        return 0
    with transaction.atomic():
        cast = Cast.load(TOWN_CODE if Area.objects.current().filter(code=TOWN_CODE).exists() else None)
        generator = CaseGenerator(cast, seed=seed, now=now)
        stats = generator.run(count)
        for user in get_user_model().objects.filter(is_active=True, role_assignments__isnull=False).distinct():
            mark_read(actor=user)
    return stats.created


def _photo(rng: random.Random, kind: str) -> services.Photo:
    """A small plain picture standing in for a phone photo (a shade of grey-green per case)."""
    shade = (rng.randint(90, 160), rng.randint(110, 170), rng.randint(90, 150))
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), shade).save(buffer, "JPEG", quality=70)
    buffer.seek(0)
    return services.Photo(file=buffer, kind=kind, name=f"{kind}.jpg")


def _self_handle_photos(rng: random.Random) -> list[services.Photo]:
    return [_photo(rng, AttachmentKind.BEFORE), _photo(rng, AttachmentKind.AFTER)]
