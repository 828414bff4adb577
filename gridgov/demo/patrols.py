"""Patrol tracks for the demo: grid workers walking their grids over the last weeks.

:func:`load_demo_patrols` records, through :func:`gridgov.patrols.services.patrol_record`
(the service the phone's uploads go through), a morning round on most working days of the
last weeks for the worker of every grid (a day missed now and then, more often by a few). A
case found on a patrol (source ``patrol``, reported with the phone's client key) is named as a
finding of its reporter's round that day, recorded around the moment of the report. A round is
a walk that wanders through the grid at a walking pace, a point every minute or so with a GPS
accuracy of a few metres, and stays inside the grid's boundary.
Like the rest of the demo it runs only while the patrol table is empty.

Each chosen grid first gets a patrol standard (through
:func:`gridgov.patrols.services.standard_set`, by a center operator): a minimum of minutes per
working day and three checkpoints inside the grid, the first (where the rounds start, the
grid's office) a key place to visit every working day. The walks keep to a street-like
lattice: straight stretches of 60–180 m along the grid's own two street directions, turning at
the corners, so the tracks look like streets walked rather than a random scribble.

The first few grids (:data:`ROAD_GRIDS`) also get their road lines, loaded by the center
through the road import (:func:`gridgov.patrols.roads.roads_import`) before the patrols are
recorded: the two streets crossing at the grid's office along the grid's street directions and
a parallel street on each side, 150 m away, cut at the grid's boundary. The walks follow the
same lattice, so their coverage is measured on streets they really walk along, in part.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import uuid
from typing import TYPE_CHECKING, Any, Final

import shapely
from django.db import transaction
from django.utils import timezone
from shapely.geometry import mapping, shape

from gridgov.areas.models import Area
from gridgov.cases.models import IdempotencyKey, Source
from gridgov.patrols.coverage import Checkpoint
from gridgov.patrols.models import Patrol
from gridgov.patrols.roads import roads_import
from gridgov.patrols.services import TrackPoint, patrol_record, standard_set
from gridgov.workcalendar import calendar

from .cases import PATROL_WINDOW_DAYS
from .cast import Cast
from .loader import check_allowed
from .taiping import TOWN_CODE

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEMO_PATROLS_SEED: Final = 20261130
DEFAULT_DAYS: Final = PATROL_WINDOW_DAYS
# Every grid with a worker (``grids=`` takes fewer, the first ones of :func:`_chosen_grids`).
DEFAULT_GRIDS: Final = 0
# A worker misses about one working day in eight (meetings, leave, training); a few workers
# (one in eight) miss about one in three (a second job in the village committee, sick leave).
SKIP_SHARE: Final = 0.12
BUSY_SKIP_SHARE: Final = 0.35
BUSY_SHARE: Final = 0.125
# A walk: a point every 45–90 s, 0.8–1.4 m/s, turning a little at each point.
STEP_SECONDS: Final = (45, 90)
SPEED_M_S: Final = (0.8, 1.4)
METRES_PER_DEGREE_LAT: Final = 111_320.0
# How many of the chosen grids get road lines (their coverage is measured on them).
ROAD_GRIDS: Final = 4
ROAD_NAMES: Final = (("太平大街", "兴业路"), ("文化路", "建设路"), ("和平路", "民生路"))
ROAD_SPACING_M: Final = 150.0


def load_demo_patrols(
    *,
    days: int = DEFAULT_DAYS,
    grids: int = DEFAULT_GRIDS,
    seed: int = DEMO_PATROLS_SEED,
    now: dt.datetime | None = None,
    allow_production_db: bool = False,
) -> int:
    """Record the demo's patrols of the last ``days`` days in ``grids`` grids; returns how
    many were recorded (0 when any patrol exists already)."""
    check_allowed(allow_production_db=allow_production_db)
    if Patrol.objects.exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(seed)
    made = 0
    with transaction.atomic():
        cast = Cast.load(TOWN_CODE if Area.objects.current().filter(code=TOWN_CODE).exists() else None)
        finds = _finds(cast)
        chosen = _chosen_grids(cast, grids or len(cast.grids))
        days_of_window = _working_days(now, days)
        for index, grid in enumerate(chosen):
            worker = cast.grid_workers[grid.pk][0]
            walker = Walker(grid, rng)
            _standard(cast, grid, walker, rng)
            if index < ROAD_GRIDS:
                _roads(cast, grid, walker)
            skip = BUSY_SKIP_SHARE if rng.random() < BUSY_SHARE else SKIP_SHARE
            found = finds.get(worker.pk, {})
            for day in sorted(set(days_of_window) | set(found)):
                reports = found.get(day, [])
                if not reports and rng.random() < skip:
                    continue  # a day of meetings, leave or training
                started, ended = _round(day, reports, rng, now)
                if ended <= started:
                    continue
                made += _record(worker, walker, rng, started, ended, now, [key for _at, key in reports])
    return made


def _finds(cast: Cast) -> dict[int, dict[dt.date, list[tuple[dt.datetime, str]]]]:
    """The cases grid workers reported from a patrol (source ``patrol``, with the phone's client
    key), by worker and day: the rounds of those days name them as their findings."""
    rows = IdempotencyKey.objects.filter(action="", case__source=Source.PATROL).values_list(
        "user_id", "key", "case__reported_at", "case__area_path"
    )
    grid_paths = tuple(grid.path for grid in cast.grids)
    finds: dict[int, dict[dt.date, list[tuple[dt.datetime, str]]]] = {}
    for user_id, key, reported_at, path in rows:
        if not path.startswith(grid_paths):
            continue
        day = timezone.localtime(reported_at).date()
        finds.setdefault(user_id, {}).setdefault(day, []).append((reported_at, key))
    for by_day in finds.values():
        for reports in by_day.values():
            reports.sort()
    return finds


def _round(
    day: dt.date, reports: list[tuple[dt.datetime, str]], rng: random.Random, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The day's round: a morning round, or, on a day with finds, one around the first find
    (reported 10–40 minutes into the round), 30–90 minutes long and over before ``now``."""
    if reports:
        started = reports[0][0] - dt.timedelta(minutes=round(rng.uniform(10, 40)))
        started = started.replace(second=0, microsecond=0)
        length = max(rng.uniform(30, 90), (reports[-1][0] - started) / dt.timedelta(minutes=1) + 5)
        ended = started + dt.timedelta(minutes=min(length, 90))
        if ended > now:
            ended = now - dt.timedelta(seconds=30)
            started = min(started, ended - dt.timedelta(minutes=30))
        return started, ended
    started = _morning(day, rng)
    ended = started + dt.timedelta(minutes=rng.uniform(30, 90))
    return (started, ended) if ended <= now else (started, started)


def _record(
    worker: User,
    walker: Walker,
    rng: random.Random,
    started: dt.datetime,
    ended: dt.datetime,
    now: dt.datetime,
    findings: list[str],
) -> int:
    _patrol, created = patrol_record(
        actor=worker,
        client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        started_at=started,
        ended_at=ended,
        track=walker.walk(started, ended),
        consent=True,
        consent_at=started,
        findings=findings,
        now=now,
    )
    return int(created)


def _standard(cast: Cast, grid: Area, walker: Walker, rng: random.Random) -> None:
    """The grid's patrol standard: 45 or 60 minutes a working day, the office (where the rounds
    start) as a key place to pass every working day, and two more checkpoints."""
    office = walker.home
    others = [walker.random_point() for _n in range(2)]
    standard_set(
        actor=cast.center[0],
        grid=grid,
        min_minutes_per_day=rng.choice([45, 60]),
        checkpoints=[
            Checkpoint(name="网格工作站", lat=office[0], lng=office[1], radius_m=40, visits_per_week=5),
            Checkpoint(name="小区出入口", lat=others[0][0], lng=others[0][1], radius_m=50, visits_per_week=2),
            Checkpoint(name="沿街商铺", lat=others[1][0], lng=others[1][1], radius_m=50),
        ],
    )


def _roads(cast: Cast, grid: Area, walker: Walker) -> None:
    """The grid's road lines along its street lattice, through the road import."""
    boundary: Any = grid.boundary
    outline = shape(boundary)
    features = []
    for turn, names in zip((0, 1), zip(*ROAD_NAMES, strict=True), strict=True):
        heading = walker.street_angle + turn * math.pi / 2
        across = heading + math.pi / 2
        for offset, name in zip((0.0, ROAD_SPACING_M, -ROAD_SPACING_M), names, strict=True):
            lat, lng = walker.step(*walker.home, across, offset)
            ends = [walker.step(lat, lng, heading, sign * 3000) for sign in (-1, 1)]
            inside = outline.intersection(shapely.LineString([(e[1], e[0]) for e in ends]))
            if inside.is_empty or inside.length == 0:
                continue
            geometry = mapping(inside)
            if geometry["type"] not in ("LineString", "MultiLineString"):
                continue
            features.append(
                {
                    "type": "Feature",
                    "properties": {"grid": grid.code, "name": name},
                    "geometry": {"type": geometry["type"], "coordinates": _lists(geometry["coordinates"])},
                }
            )
    content = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    roads_import(actor=cast.center[0], content=content, name=f"{grid.code}-roads.geojson")


def _lists(value: Any) -> Any:
    return [_lists(item) for item in value] if isinstance(value, list | tuple) else value


def _chosen_grids(cast: Cast, count: int) -> list[Area]:
    """The named accounts' grids first, then the other grids of their villages (so their grid
    leader's day view is full), then grids spread over the town."""
    named = [grid for grid, weight in zip(cast.grids, cast.grid_weights, strict=True) if weight > 1]
    villages = {cast.village_of_grid[grid.pk] for grid in named}
    neighbours = [g for g in cast.grids if g not in named and cast.village_of_grid[g.pk] in villages]
    others = [grid for grid in cast.grids if grid not in named and grid not in neighbours]
    stride = max(len(others) // max(count - len(named) - len(neighbours), 1), 1)
    return (named + neighbours + others[::stride])[:count]


def _working_days(now: dt.datetime, days: int) -> list[dt.date]:
    today = timezone.localtime(now).date()
    return [
        day for day in (today - dt.timedelta(days=back) for back in range(days, -1, -1)) if calendar.is_workday(day)
    ]


def _morning(day: dt.date, rng: random.Random) -> dt.datetime:
    """A start in the first working period of the day (mostly a round after the morning's
    office work), to the minute."""
    first_start, _first_end = calendar.working_periods()[0]
    start = timezone.make_aware(dt.datetime.combine(day, first_start))
    return start + dt.timedelta(minutes=round(rng.uniform(20, 90)))


class Walker:
    """Walks inside one grid along a street-like lattice: straight stretches along one of the
    grid's two street directions, a turn at each corner, turning back into the grid when the
    next step would leave it. Every round starts at the grid's office (``home``)."""

    def __init__(self, grid: Area, rng: random.Random) -> None:
        self.rng = rng
        boundary: Any = grid.boundary
        # A few metres inside the boundary, so every point is unambiguously in this grid.
        self.inside = shape(boundary).buffer(-0.00005)
        shapely.prepare(self.inside)
        centre = self.inside.representative_point()
        self.centre = (centre.y, centre.x)
        self.lng_scale = METRES_PER_DEGREE_LAT * math.cos(math.radians(self.centre[0]))
        # The grid's streets run at this angle and at right angles to it.
        self.street_angle = rng.uniform(0, math.pi / 2)
        self.home = self.random_point()

    def _contains(self, lat: float, lng: float) -> bool:
        return bool(shapely.contains_xy(self.inside, lng, lat))

    def step(self, lat: float, lng: float, heading: float, distance: float) -> tuple[float, float]:
        return (
            lat + distance * math.cos(heading) / METRES_PER_DEGREE_LAT,
            lng + distance * math.sin(heading) / self.lng_scale,
        )

    def walk(self, started: dt.datetime, ended: dt.datetime) -> list[TrackPoint]:
        rng = self.rng
        lat, lng = self.home
        heading = self.street_angle + rng.randrange(4) * math.pi / 2
        stretch = rng.uniform(60, 180)  # metres left before the next corner
        moment = started
        points = [TrackPoint(t=moment, lat=round(lat, 6), lng=round(lng, 6), accuracy=round(rng.uniform(4, 15), 1))]
        while True:
            seconds = rng.uniform(*STEP_SECONDS)
            moment += dt.timedelta(seconds=seconds)
            if moment > ended:
                break
            distance = seconds * rng.uniform(*SPEED_M_S)
            if stretch <= 0:
                heading += rng.choice([-1, 0, 1, 1, -1]) * math.pi / 2
                stretch = rng.uniform(60, 180)
            side = rng.choice([1, -1])
            # Straight on; at the boundary a turn to one side, the other, or back.
            for turn in (0, side, -side, 2):
                candidate = heading + turn * math.pi / 2
                next_lat, next_lng = self.step(lat, lng, candidate, distance)
                if self._contains(next_lat, next_lng):
                    if turn:
                        heading, stretch = candidate, rng.uniform(60, 180)
                    break
            else:
                next_lat, next_lng = lat, lng  # stood still for a moment
            stretch -= distance
            # A little GPS wobble around the street line.
            jitter_lat = rng.gauss(0, 3) / METRES_PER_DEGREE_LAT
            jitter_lng = rng.gauss(0, 3) / self.lng_scale
            lat, lng = next_lat, next_lng
            shown = (lat + jitter_lat, lng + jitter_lng)
            if not self._contains(*shown):
                shown = (lat, lng)
            accuracy = round(rng.uniform(4, 15) if rng.random() < 0.95 else rng.uniform(30, 60), 1)
            points.append(TrackPoint(t=moment, lat=round(shown[0], 6), lng=round(shown[1], 6), accuracy=accuracy))
        return points

    def random_point(self) -> tuple[float, float]:
        minx, miny, maxx, maxy = self.inside.bounds
        for _attempt in range(100):
            lat, lng = self.rng.uniform(miny, maxy), self.rng.uniform(minx, maxx)
            if self._contains(lat, lng):
                return lat, lng
        return self.centre
