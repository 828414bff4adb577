"""The demo's assessment (考核奖惩): the town's schemes for grid workers, villages and
departments, and the last three months computed and published.

The story the data tells: in September and October the grid workers were assessed on the case
loop and the assessor's score (version 1 of 网格员月度考核); from November, with the patrols and
visits recorded on the phone app and the weekly analyses in the system, the center added patrol
coverage, visit completion and weekly analyses on time (version 2, the weights of common town
practice). September and October are final; October had an appeal upheld by the discipline
office and its rewards and penalties confirmed; November is published with its appeal window
open, an appeal waiting for the discipline office and rewards and penalties proposed.

The grid leaders (网格长) are assessed as common town practice does: on how their village's grid
workers do (cases closed on time, reports verified on time, valid reports: the village's figures
of the workers' own items), from November on visits and weekly analyses too, and on organising
the grid (组织管理, the center's score). Their scheme changes with the workers' in November.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gridgov.areas.models import Area, AreaLevel
from gridgov.assessment import services
from gridgov.assessment.models import Period, Scheme
from gridgov.workcalendar.calendar import add_working_days

from .loader import check_allowed

DEMO_ASSESSMENT_SEED: Final = 20261201


def _auto(code: str, label: str, indicator: str, weight: int, rule: dict[str, Any], no_data: str = "full") -> dict:
    return {
        "code": code,
        "label": label,
        "kind": "auto",
        "indicator": indicator,
        "weight": weight,
        "rule": rule,
        "no_data": no_data,
    }


def _manual(code: str, label: str, weight: int) -> dict:
    return {"code": code, "label": label, "kind": "manual", "weight": weight, "no_data": "zero"}


CLOSURE: Final = {"type": "linear", "low": 60, "high": 100}
REPORTS: Final = {
    "type": "thresholds",
    "direction": "at_least",
    "steps": [[95, 100], [85, 80], [70, 60]],
    "otherwise": 30,
}
VERIFY: Final = {"type": "linear", "low": 70, "high": 100}
PATROL: Final = {"type": "linear", "low": 10, "high": 50}
VISITS: Final = {"type": "linear", "low": 50, "high": 100}
WEEKLY: Final = {"type": "thresholds", "direction": "at_least", "steps": [[100, 100], [75, 60]], "otherwise": 0}
REWORK: Final = {"type": "linear", "low": 20, "high": 0}
SATISFIED: Final = {"type": "linear", "low": 80, "high": 100}

WORKER_V1: Final = [
    _auto("closure", "事件按期办结率", "on_time_closure_rate", 35, CLOSURE),
    _auto("reports", "有效上报率", "valid_report_rate", 25, REPORTS),
    _auto("verify", "按时核查率", "on_time_verification_rate", 25, VERIFY),
    _manual("conduct", "工作表现", 15),
]
WORKER_V2: Final = [
    _auto("closure", "事件按期办结率", "on_time_closure_rate", 25, CLOSURE),
    _auto("reports", "有效上报率", "valid_report_rate", 15, REPORTS),
    _auto("verify", "按时核查率", "on_time_verification_rate", 15, VERIFY),
    _auto("patrol", "巡查覆盖率", "patrol_coverage", 15, PATROL, "exclude"),
    _auto("visits", "走访完成率", "visit_coverage", 15, VISITS, "exclude"),
    _auto("weekly", "周分析按时率", "weekly_timeliness", 5, WEEKLY, "exclude"),
    _manual("conduct", "工作表现", 10),
]
VILLAGE: Final = [
    _auto("closure", "事件按期办结率", "on_time_closure_rate", 30, CLOSURE),
    _auto("rework", "返工率", "rework_rate", 15, REWORK),
    _auto("satisfied", "群众满意率", "satisfaction_rate", 20, SATISFIED),
    _auto("reports", "有效上报率", "valid_report_rate", 15, REPORTS),
    _auto("verify", "按时核查率", "on_time_verification_rate", 10, VERIFY),
    _manual("work", "综治工作落实", 10),
]
LEADER_V1: Final = [
    _auto("closure", "辖区事件按期办结率", "on_time_closure_rate", 35, CLOSURE),
    _auto("verify", "辖区按时核查率", "on_time_verification_rate", 25, VERIFY),
    _auto("reports", "辖区有效上报率", "valid_report_rate", 20, REPORTS),
    _manual("organise", "网格组织管理", 20),
]
LEADER_V2: Final = [
    _auto("closure", "辖区事件按期办结率", "on_time_closure_rate", 25, CLOSURE),
    _auto("verify", "辖区按时核查率", "on_time_verification_rate", 20, VERIFY),
    _auto("visits", "辖区走访完成率", "visit_coverage", 20, VISITS, "exclude"),
    _auto("weekly", "周分析按时率", "weekly_timeliness", 15, WEEKLY, "exclude"),
    _auto("reports", "辖区有效上报率", "valid_report_rate", 10, REPORTS),
    _manual("organise", "网格组织管理", 10),
]
DEPARTMENT: Final = [
    _auto("closure", "按期办结率", "on_time_closure_rate", 45, CLOSURE),
    _auto("rework", "返工率", "rework_rate", 20, REWORK),
    _auto("satisfied", "群众满意率", "satisfaction_rate", 25, SATISFIED),
    _manual("service", "配合与服务", 10),
]
CONDUCT: Final = [
    "按时参加网格例会，台账记录完整。",
    "网格员工作日志填写规范，信息采集及时。",
    "积极配合中心开展专项排查。",
    "例会缺席一次，台账有缺项。",
]
ORGANISE: Final = [
    "每周召集网格员例会，分析研判台账齐全。",
    "组织网格员开展专项排查，分工明确、反馈及时。",
    "督促网格员按时核查上报事件，跟踪到位。",
    "例会记录不全，对网格员走访督促不够。",
]


def _month_start(today: dt.date, back: int) -> dt.date:
    first = today.replace(day=1)
    for _n in range(back):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _restore_conduct(result: Any) -> dict[str, str]:
    """The center's proposal on grid01's October appeal: the conduct score back up by 2 points,
    or by what the item still allows (an appeal never lifts an item above its weight)."""
    scheme = result.snapshot.inputs["schemes"][str(result.scheme_id)]
    weight = next(Decimal(str(i["weight"])) for i in scheme["items"] if i["code"] == "conduct")
    points = next(Decimal(str(i["points"] or 0)) for i in result.breakdown["items"] if i["code"] == "conduct")
    delta = min(Decimal(2), weight - points)
    if delta <= 0:
        return {"decision": "rejected", "opinion": "经核实工作表现已得满分，无需调整。"}
    return {
        "decision": "upheld",
        "opinion": f"经核实请假手续齐全，缺席系处置突发事件，工作表现补回{delta.normalize()}分。",
        "delta": str(delta),
    }


def _scores(period: Period, center: Any, rng: random.Random) -> None:
    """The assessor's scores of every target's manual items, and a few bonus and penalty points."""
    for scheme in period.schemes.prefetch_related("items"):
        manual = [item for item in scheme.items.all() if item.kind == "manual"]
        targets = services.targets_of(period.town, scheme.target_type)
        for item in manual:
            scores = {}
            texts = ORGANISE if scheme.target_type == "grid_leader" else CONDUCT
            for target in targets:
                share = rng.choice([1.0, 0.9, 0.9, 0.8, 0.8, 0.7])
                evidence = rng.choice(texts) if share < 0.8 else texts[rng.randrange(3)]
                scores[target.key] = ((item.weight * Decimal(str(share))).quantize(Decimal("0.1")), evidence)
            services.manual_scores_set(actor=center, period_id=period.pk, item_code=item.code, scores=scores)
        if scheme.target_type == "grid_worker" and targets:
            services.entry_add(
                actor=center,
                period_id=period.pk,
                target_key=targets[rng.randrange(len(targets))].key,
                kind="bonus",
                points="2",
                reason="及时发现并上报燃气泄漏隐患，避免了事故，镇安委会通报表扬。",
            )
            services.entry_add(
                actor=center,
                period_id=period.pk,
                target_key=targets[rng.randrange(len(targets))].key,
                kind="penalty",
                points="3",
                reason="县级暗访发现网格内占道经营问题未上报。",
            )


def _compute(period: Period, center: Any, at: dt.datetime) -> Period:
    """Compute as of ``at`` here and now (the worker the step queues after the commit then
    finds the snapshot done and does nothing)."""
    with transaction.atomic():
        services.PERIODS.act(period.pk, "compute", actor=center, at=at)
        snapshot = period.snapshots.order_by("-number").first()
        assert snapshot is not None
        services.snapshot_compute(pk=snapshot.pk, now=at)
    return Period.objects.get(pk=period.pk)


def load_demo_assessment(*, allow_production_db: bool = False) -> int:
    """The schemes and three computed, published months; returns how many periods (0 when any
    scheme exists already)."""
    check_allowed(allow_production_db=allow_production_db)
    if Scheme.objects.exists():
        return 0
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["center01", "super01", "grid01"])}
    town = Area.objects.current().filter(level=AreaLevel.TOWN).order_by("code").first()
    if town is None or len(users) < 3:
        return 0
    center, supervisor, worker = users["center01"], users["super01"], users["grid01"]
    rng = random.Random(DEMO_ASSESSMENT_SEED)
    worker_scheme = services.scheme_save(
        actor=center,
        town_code=town.code,
        family="worker-monthly",
        name="网格员月度考核",
        target_type="grid_worker",
        items=WORKER_V1,
        bonus_cap=5,
        penalty_cap=10,
        note="事件办理类指标取自系统统计口径；工作表现由综治中心评定。",
    )
    village_scheme = services.scheme_save(
        actor=center,
        town_code=town.code,
        family="village-monthly",
        name="村（社区）综治工作月度考核",
        target_type="village",
        items=VILLAGE,
        bonus_cap=5,
        penalty_cap=10,
    )
    leader_scheme = services.scheme_save(
        actor=center,
        town_code=town.code,
        family="leader-monthly",
        name="网格长月度考核",
        target_type="grid_leader",
        items=LEADER_V1,
        bonus_cap=5,
        penalty_cap=10,
        note="事件类指标取所在村（社区）网格员的统计口径；网格组织管理由综治中心评定。",
    )
    department_scheme = services.scheme_save(
        actor=center,
        town_code=town.code,
        family="department-monthly",
        name="职能部门事件办理月度考核",
        target_type="department",
        items=DEPARTMENT,
        bonus_cap=3,
        penalty_cap=10,
    )
    today = timezone.localdate()
    months = [_month_start(today, back) for back in (3, 2, 1)]
    periods = []
    for number, first in enumerate(months):
        if number == 2:
            # From the third month on, patrols, visits and weekly analyses are assessed: version 2.
            worker_scheme = services.scheme_save(
                actor=center,
                town_code=town.code,
                family="worker-monthly",
                name="网格员月度考核",
                target_type="grid_worker",
                items=WORKER_V2,
                bonus_cap=5,
                penalty_cap=10,
                note="自本月起增加巡查覆盖率、走访完成率、周分析按时率（手机端巡查、走访已全面使用）。",
            )
            leader_scheme = services.scheme_save(
                actor=center,
                town_code=town.code,
                family="leader-monthly",
                name="网格长月度考核",
                target_type="grid_leader",
                items=LEADER_V2,
                bonus_cap=5,
                penalty_cap=10,
                note="自本月起增加辖区走访完成率、周分析按时率。",
            )
        period = services.period_create(
            actor=center,
            town_code=town.code,
            kind="month",
            start=first,
            scheme_ids=[worker_scheme.pk, leader_scheme.pk, village_scheme.pk, department_scheme.pk],
            today=today,
        )
        _scores(period, center, rng)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        computed_at = _at(following + dt.timedelta(days=2), 9)
        if computed_at > timezone.now():
            computed_at = timezone.now() - dt.timedelta(hours=1)
        period = _compute(period, center, computed_at)
        published_at = computed_at + dt.timedelta(hours=2)
        services.PERIODS.act(period.pk, "publish", actor=center, at=published_at)
        period.refresh_from_db()
        periods.append(period)
    september, october, november = periods
    # October: grid01 appealed the assessor's score; the center proposed to uphold it, the
    # discipline office agreed, the score went up by 2.
    result = october.current.results.get(target_key=f"user:{worker.pk}")  # type: ignore[union-attr]
    assert october.published_at is not None and november.appeal_until is not None
    submitted = october.published_at + dt.timedelta(days=1)
    appeal = services.appeal_submit(
        actor=worker,
        result_id=result.pk,
        item_code="conduct",
        now=submitted,
        reason="10月12日例会因处置幸福路积水事件缺席，已提前向网格长请假，附请假记录。",
    )
    services.APPEALS.act(
        appeal.pk,
        "propose",
        actor=center,
        at=submitted + dt.timedelta(hours=20),
        inputs=_restore_conduct(result),
    )
    services.APPEALS.act(
        appeal.pk, "agree", actor=supervisor, at=submitted + dt.timedelta(days=2), inputs={"comment": "同意。"}
    )
    for period in (september, october):
        _sanctions(period, center)
        services.PERIODS.act(period.pk, "finalize", actor=center, at=add_working_days(period.appeal_until, 1))  # type: ignore[arg-type]
    # November: rewards and penalties proposed, an appeal waiting for the discipline office.
    services.sanctions_propose(
        actor=center,
        period_id=november.pk,
        target_type="grid_worker",
        top=3,
        bottom=2,
        reward="通报表扬",
        penalty="约谈提醒",
    )
    last = november.current.results.filter(target_type="grid_worker").order_by("-rank").first()  # type: ignore[union-attr]
    if last is not None and last.user is not None:
        waiting = services.appeal_submit(
            actor=last.user,
            result_id=last.pk,
            item_code="patrol",
            reason="11月上旬手机定位故障，巡查轨迹未能上传，已报技术人员处理。",
            now=min(timezone.now(), november.appeal_until) - dt.timedelta(minutes=5),
        )
        services.APPEALS.act(
            waiting.pk,
            "propose",
            actor=center,
            inputs={"decision": "rejected", "opinion": "未提供故障报修记录，维持原评分。"},
        )
    return len(periods)


def _sanctions(period: Period, center: Any) -> None:
    made = services.sanctions_propose(
        actor=center,
        period_id=period.pk,
        target_type="grid_worker",
        top=3,
        bottom=1,
        reward="通报表扬",
        penalty="约谈提醒",
    )
    made += services.sanctions_propose(
        actor=center,
        period_id=period.pk,
        target_type="department",
        top=1,
        bottom=1,
        reward="通报表扬",
        penalty="通报批评",
    )
    for sanction in made:
        services.sanction_act(actor=center, pk=sanction.pk, action="confirm")
