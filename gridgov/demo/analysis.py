"""The demo's weekly analyses and monthly summaries: the last six weeks of every grid, written,
checked and accepted as a town's grid workers, grid leaders and center would (most on time, some
late, a few returned, a few never submitted), and last month's summary of the town (final, with
the leader's remarks) and of one village (a draft)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.analysis import services
from gridgov.analysis.models import MonthlySummary, WeeklyAnalysis
from gridgov.areas.models import Area, AreaLevel
from gridgov.people.models import Role, RoleAssignment

from .loader import check_allowed

WEEKS: Final = 6
SEED: Final = 20261205
# Measures, chosen by what the week showed (so that they answer the analysis).
MEASURE_CATEGORY: Final = (
    "对{top}问题加密巡查频次，早晚高峰各巡查一次，发现即劝导、即上报。",
    "联合社区物业和执法中队对{top}问题开展集中整治，整治后一周内回访复查。",
    "在{top}多发点位张贴提示，发动楼门长和志愿者协助劝导、及时报告。",
)
MEASURE_OVERDUE: Final = "对逾期的{overdue}件事件逐件电话跟进，督促责任部门按期办结并反馈结果。"
MEASURE_PLACE: Final = "对{place}一带落实每日巡查，联系责任单位建立长效管护机制。"
MEASURE_QUIET: Final = (
    "保持日常巡查走访，重点关注独居老人和困难家庭的冬季取暖和用电安全。",
    "结合冬季防火，逐户提示楼道堆物清理，发现隐患即拍照上报。",
)
TOWN_REMARKS: Final = (
    "本月网格工作总体平稳，事件按期办结率保持在较高水平。下月重点：一是冬季消防安全隐患排查，"
    "二是市场周边占道经营整治，三是逾期事件由中心每日通报、包联领导督办。各村周分析要写实写细，按时报送。"
)


def _text(content: dict[str, Any], rng: random.Random) -> tuple[str, str]:
    cases = content["cases"]
    reported, self_handled = cases["reported"]["num"], cases["self_handled"]["num"]
    top = content["categories"][:2]
    found = reported + self_handled
    if found:
        parts = [f"本周{content['grid']['name']}共发现问题{found}件（上报中心{reported}件、自行处置{self_handled}件）"]
        if top:
            parts[0] += "，主要是" + "、".join(f"{row['name']}{row['count']}件" for row in top)
        parts[0] += "。"
    else:
        parts = [f"本周{content['grid']['name']}未发现需上报的问题。"]
    overdue = content["overdue_count"]
    parts.append(f"周末时逾期未办结{overdue}件，已提请中心催办。" if overdue else "本周无逾期未办结事件。")
    places = content["repeated_places"][:1]
    for place in places:
        parts.append(f"{place['address']}一带30天内反复出现问题{place['count']}次，需重点关注。")
    patrols = content["patrols"]
    if patrols["count"]:
        parts.append(f"本周巡查{patrols['count']}次、{patrols['days']}天，共{patrols['minutes']}分钟。")
    else:
        parts.append("本周巡查轨迹未上传（手机定位未开启），已提醒开启定位，下周按标准补足巡查。")
    measures = []
    if top:
        measures.append(rng.choice(MEASURE_CATEGORY).format(top=top[0]["name"]))
    if overdue:
        measures.append(MEASURE_OVERDUE.format(overdue=overdue))
    if places:
        measures.append(MEASURE_PLACE.format(place=places[0]["address"]))
    if not measures:
        measures.append(rng.choice(MEASURE_QUIET))
    return "".join(parts), "".join(measures)


def _holder(grid: Area, role: str) -> Any:
    found = (
        RoleAssignment.objects.filter(role=role, area_id__in=grid.ancestor_ids(), user__is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return found.user if found else None


def _walk(analysis: WeeklyAnalysis, rng: random.Random, now: dt.datetime, center: Any) -> None:
    worker = _holder(analysis.grid, Role.GRID_WORKER)
    leader = _holder(analysis.grid, Role.GRID_LEADER)
    if worker is None:
        return
    roll = rng.random()
    if roll < 0.04:
        return  # never submitted
    # On the due day during office hours, or (late) a morning or two after it.
    if roll < 0.14:
        submitted = analysis.due_at + dt.timedelta(hours=rng.choice((16, 40)), minutes=rng.randint(0, 150))
    else:
        submitted = analysis.due_at - dt.timedelta(minutes=rng.randint(30, 480))
    if submitted >= now:
        return
    analysis_text, measures = _text(analysis.figures, rng)
    inputs = {"analysis": analysis_text, "measures": measures}
    services.weekly_act(actor=worker, pk=analysis.pk, action="submit", inputs=inputs, at=submitted)
    moment = submitted + dt.timedelta(minutes=rng.randint(20, 180))
    if leader is not None:
        if moment >= now:
            return
        comment = "已审核" if analysis.figures["patrols"]["count"] else "已审核。巡查轨迹缺失，下周须按标准补足。"
        services.weekly_act(actor=leader, pk=analysis.pk, action="approve", inputs={"comment": comment}, at=moment)
        moment += dt.timedelta(minutes=rng.randint(30, 240))
    if moment >= now:
        return
    if rng.random() < 0.08:
        comment = "措施不够具体，请写明时间、责任人和整治点位后重新报送。"
        services.weekly_act(actor=center, pk=analysis.pk, action="return", inputs={"comment": comment}, at=moment)
        moment += dt.timedelta(hours=rng.choice((1, 2, 20)))
        if moment >= now:
            return
        inputs["measures"] += "由网格员负责，周三、周五下午在重点点位各劝导一次。"
        services.weekly_act(actor=worker, pk=analysis.pk, action="submit", inputs=inputs, at=moment)
        if leader is not None:
            moment += dt.timedelta(hours=2)
            if moment >= now:
                return
            services.weekly_act(actor=leader, pk=analysis.pk, action="approve", at=moment)
        moment += dt.timedelta(minutes=rng.randint(30, 120))
        if moment >= now:
            return
    services.weekly_act(actor=center, pk=analysis.pk, action="accept", at=moment)


def load_demo_analysis(*, weeks: int = WEEKS, allow_production_db: bool = False) -> int:
    """The last ``weeks`` weeks' analyses of every grid and last month's summaries; returns how
    many analyses (0 when any exists already)."""
    check_allowed(allow_production_db=allow_production_db)
    if WeeklyAnalysis.objects.exists():
        return 0
    center = get_user_model().objects.filter(username="center01").first()
    if center is None:
        return 0
    rng = random.Random(SEED)
    now = timezone.now()
    last = services.last_complete_week(timezone.localdate())
    made = 0
    for number in range(weeks - 1, -1, -1):
        week = last - dt.timedelta(days=7 * number)
        # As the Monday morning schedule made them (the figures are as of the week's end anyway).
        generated = timezone.make_aware(dt.datetime.combine(week + dt.timedelta(days=7), dt.time(6, 10)))
        made += services.weekly_generate(week, now=min(generated, now))
        for analysis in WeeklyAnalysis.objects.filter(week=week).select_related("grid").order_by("area_path"):
            _walk(analysis, rng, now, center)
    _summaries(center)
    return made


def _summaries(center: Any) -> None:
    if MonthlySummary.objects.exists():
        return
    month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    town = Area.objects.current().filter(level=AreaLevel.TOWN).first()
    if town is None:
        return
    summary = services.summary_compose(actor=center, area_code=town.code, month=month)
    leader = get_user_model().objects.filter(username="leader01").first() or center
    services.summary_act(actor=leader, pk=summary.pk, action="remark", inputs={"remarks": TOWN_REMARKS})
    services.summary_act(actor=center, pk=summary.pk, action="finalize")
    gridlead = get_user_model().objects.filter(username="gridlead01").first()
    village = Area.objects.current().filter(level=AreaLevel.VILLAGE).order_by("code").first()
    if gridlead is not None and village is not None:
        services.summary_compose(actor=gridlead, area_code=village.code, month=month)
