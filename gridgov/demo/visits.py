"""Basic data and daily visits for the demo: in each of Taiping's grids with a grid worker, a
few households (some care-tagged: elderly living alone, a person with a disability, a
left-behind child, a low-income household), a shop or two, an enterprise or a school, and now
and then a key place (a petrol station, a pumping station, a building site); then the last four
weeks of visits, through the services the pages and the phone use.

Care-tagged households, key places and units with a planned hazard tag are visited about as
often as their plan asks, a day early or late; about one in eight has been let slip and is
overdue today. Other households and units get a
visit or two a month, so the coverage of the month differs from grid to grid. Most visits found
nothing; a few found a need, a dispute or a hazard. Like the rest of the demo it runs only
while there is no household yet.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import TYPE_CHECKING, Final

from django.db import transaction
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.visits import selectors, services
from gridgov.visits.models import CareTag, Finding, Household, Unit, UnitKind

from .cast import Cast
from .loader import check_allowed
from .taiping import TOWN_CODE

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEMO_VISITS_SEED: Final = 20261205
DAYS: Final = 28
SURNAMES: Final = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN: Final = (
    "秀兰",
    "桂英",
    "建国",
    "志强",
    "淑珍",
    "玉兰",
    "德福",
    "文华",
    "海燕",
    "春生",
    "凤英",
    "长林",
    "小雨",
    "子涵",
)
NOTES: Final[dict[str, tuple[str, ...]]] = {
    Finding.NOTHING: ("身体状况良好，生活正常。", "家中整洁，无特殊情况。", "已告知近期防诈骗注意事项。", ""),
    Finding.NEED: ("老人反映降压药快吃完，需协助代购。", "家中燃气灶打火困难，需联系维修。", "孩子需要课后辅导。"),
    Finding.DISPUTE: ("与邻居因楼道堆物发生口角，已初步劝解。", "因宅基地边界与邻户有争执。"),
    Finding.HAZARD: ("电动车在楼道内充电，已劝离。", "门前排水沟堵塞，雨天易积水。", "燃气软管老化。"),
}


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _tags(rng: random.Random) -> list[str]:
    roll = rng.random()
    if roll < 0.25:
        return [CareTag.ELDERLY_ALONE]
    if roll < 0.35:
        return [CareTag.ELDERLY_ALONE, CareTag.DISABLED]
    if roll < 0.42:
        return [CareTag.DISABLED]
    if roll < 0.50:
        return [CareTag.LEFT_BEHIND_CHILD]
    if roll < 0.56:
        return [CareTag.LOW_INCOME]
    return []


def _village(grid: Area) -> str:
    return grid.name.split("第")[0] if "第" in grid.name else grid.name


def _units(grid: Area, rng: random.Random) -> list[tuple[str, str, list[str]]]:
    village = _village(grid)
    number = grid.code[-2:]
    units: list[tuple[str, str, list[str]]] = [(UnitKind.SHOP, f"{village}{number}号便民超市", ["fire"])]
    if rng.random() < 0.5:
        units.append((UnitKind.SHOP, f"{village}{rng.choice(['老王', '春华', '福来'])}小吃店", ["gas", "fire"]))
    if rng.random() < 0.35:
        units.append(
            (UnitKind.ENTERPRISE, f"天津{village[:2]}{rng.choice(['五金', '包装', '食品'])}有限公司", ["fire"])
        )
    if number == "01":
        units.append((UnitKind.SCHOOL, f"{village}小学", ["crowd"]))
    roll = rng.random()
    if roll < 0.2:
        units.append((UnitKind.HAZARD_POINT, f"{village}加油站", ["fire", "chemicals"]))
    elif roll < 0.35:
        units.append((UnitKind.HAZARD_POINT, f"{village}{number}排水泵站低洼处", ["flood"]))
    elif roll < 0.45:
        units.append((UnitKind.CONSTRUCTION_SITE, f"{village}安置房{number}号工地", ["structure"]))
    return units


def _when(day: dt.date, rng: random.Random) -> dt.datetime:
    moment = dt.datetime.combine(day, dt.time(rng.choice([9, 10, 14, 15, 16]), rng.randrange(60)))
    return timezone.make_aware(moment)


def _finding(rng: random.Random) -> str:
    roll = rng.random()
    return (
        Finding.HAZARD
        if roll < 0.04
        else Finding.DISPUTE
        if roll < 0.07
        else Finding.NEED
        if roll < 0.15
        else Finding.NOTHING
    )


class _Visits:
    def __init__(self, worker: User, rng: random.Random, now: dt.datetime) -> None:
        self.worker, self.rng, self.now, self.made = worker, rng, now, 0

    def visit(self, target: Household | Unit, day: dt.date) -> None:
        when = _when(day, self.rng)
        if when >= self.now:
            return
        finding = _finding(self.rng)
        services.visit_record(
            actor=self.worker,
            client_id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            visited_at=when,
            household_id=target.pk if isinstance(target, Household) else None,
            unit_id=target.pk if isinstance(target, Unit) else None,
            finding=finding,
            notes=self.rng.choice(NOTES[finding]),
            lat=(target.lat if isinstance(target, Unit) else None) or target.grid.center_lat,
            lng=(target.lng if isinstance(target, Unit) else None) or target.grid.center_lng,
            accuracy=round(self.rng.uniform(4, 20), 1),
            now=self.now,
        )
        self.made += 1

    def planned(self, target: Household | Unit, interval: int | None, today: dt.date) -> None:
        """Visits as the plan asks, a day early or late; about one in eight let slip (overdue
        today). Without a plan: a visit or two in the last weeks."""
        rng = self.rng
        if interval is None:
            for _n in range(rng.choice([0, 1, 1, 2])):
                self.visit(target, today - dt.timedelta(days=rng.randrange(DAYS)))
            return
        slipped = rng.random() < 0.125
        day = today - dt.timedelta(days=DAYS - rng.randrange(interval))
        if day > today:  # a plan longer than the weeks recorded: one visit in them
            day = today - dt.timedelta(days=rng.randrange(DAYS))
        last = today - dt.timedelta(days=interval + rng.randint(2, 6)) if slipped else today
        while day <= last:
            self.visit(target, day)
            day += dt.timedelta(days=max(1, interval + rng.randint(-1, 1)))


def load_demo_visits(
    *, seed: int = DEMO_VISITS_SEED, now: dt.datetime | None = None, allow_production_db: bool = False
) -> int:
    """Register the demo's basic data and record its visits; returns how many visits were
    recorded (0 when any household exists already)."""
    check_allowed(allow_production_db=allow_production_db)
    if Household.objects.exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(seed)
    today = timezone.localtime(now).date()
    registered = now - dt.timedelta(days=90)
    made = 0
    with transaction.atomic():
        services.plans_seed()
        intervals = selectors.plan_intervals()
        unit_intervals = selectors.unit_plan_intervals()
        cast = Cast.load(TOWN_CODE if Area.objects.current().filter(code=TOWN_CODE).exists() else None)
        for grid in cast.grids:
            worker = cast.grid_workers[grid.pk][0]
            visits = _Visits(worker, rng, now)
            village = _village(grid)
            for number in range(rng.randint(4, 7)):
                tags = _tags(rng)
                household = services.household_save(
                    actor=worker,
                    grid=grid,
                    address=f"{village}{grid.code[-2:]}区{rng.randint(1, 12)}排{number + 1}号",
                    head_name=_name(rng),
                    head_phone=_phone(rng),
                    member_count=1 if CareTag.ELDERLY_ALONE in tags else rng.randint(2, 6),
                    care_tags=tags,
                    at=registered,
                )[0]
                visits.planned(household, selectors.interval_of(tags, intervals), today)
            for kind, name, hazards in _units(grid, rng):
                lat = (grid.center_lat or 0) + rng.uniform(-0.0008, 0.0008)
                lng = (grid.center_lng or 0) + rng.uniform(-0.0008, 0.0008)
                unit = services.unit_save(
                    actor=worker,
                    grid=grid,
                    kind=kind,
                    name=name,
                    address=f"{village}{grid.code[-2:]}区",
                    contact_name=_name(rng),
                    contact_phone=_phone(rng),
                    hazard_tags=hazards,
                    lat=lat if grid.center_lat is not None else None,
                    lng=lng if grid.center_lat is not None else None,
                    at=registered,
                )[0]
                # Key places and units with a planned hazard tag: visited as their plan asks.
                visits.planned(unit, selectors.interval_of(unit.plan_tags, unit_intervals), today)
            made += visits.made
    return made
