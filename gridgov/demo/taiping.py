"""The Taiping demo data, generated: places, departments and people. Pure and deterministic.

Everything here is fictional except the district's division code (120116, Binhai New Area)
and the town's rough location (the former Dagang area in the south of Binhai New Area). The
town's code, the villages, their boundaries, households and all people are invented.

Boundaries are built as coverages: villages are the Voronoi cells of seed points clipped to
the town, grids the Voronoi cells of seed points clipped to their village. Each level's
linework is snapped to a 1e-6 degree grid and polygonized, so that the rounded polygons
share their edges exactly and tile their parent without overlap.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

import shapely
from shapely import affinity
from shapely.geometry import MultiPoint, Point, Polygon, mapping
from shapely.geometry.polygon import orient
from shapely.ops import voronoi_diagram

from gridgov.categories.seed import SEED_DEPARTMENTS
from gridgov.people.models import DepartmentKind, Role

SEED: Final = 20260101
DIGITS: Final = 6  # decimals of a degree: about 0.1 m

DISTRICT_CODE: Final = "120116000000"  # 滨海新区 (real)
DISTRICT_NAME: Final = "滨海新区"
# Plausible, not the official code of Taiping Town (town codes are 100-199, DOMAIN.md §3).
TOWN_CODE: Final = "120116104000"
TOWN_NAME: Final = "太平镇"
# The town's rough centre and extent in degrees (about 15 km east-west, 9 km north-south).
TOWN_CENTER: Final = (117.30, 38.60)
TOWN_RADII: Final = (0.088, 0.044)
# Everything must stay inside this (lng_min, lat_min, lng_max, lat_max) box.
LOCATION_BOX: Final = (117.20, 38.55, 117.40, 38.65)

# Village names: plausible and generic, not a list of Taiping's real villages.
VILLAGE_NAMES: Final = (
    "太平村",
    "东兴村",
    "西兴村",
    "南河村",
    "北苑村",
    "永安村",
    "前进村",
    "新立村",
    "红星村",
    "丰收村",
    "和平村",
    "长青村",
    "郭庄村",
)
GRIDS_PER_VILLAGE: Final = (3, 5)
HOUSEHOLDS_PER_GRID: Final = (240, 380)

SURNAMES: Final = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛闫段雷侯史"
    "陶贺顾毛郝龚邵万钱严武戴孔汤"
)
GIVEN_CHARS: Final = (
    "建国志明海燕红梅玉兰春华文静立新爱民俊杰秀英丽娟德福宝林淑芬永庆振宇晓东雪琴子涵"
    "浩然欣怡思远宏伟军强磊洋勇艳涛超霞平刚斌鹏辉佳慧颖婷悦瑞"
)
MOBILE_PREFIXES: Final = (
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "155",
    "158",
    "186",
    "187",
)


# --- Data shapes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoArea:
    code: str
    name: str
    level: str
    parent_code: str | None
    households: int
    boundary: dict[str, Any] | None


@dataclass(frozen=True)
class DemoDepartment:
    code: str
    name: str
    kind: str
    phone: str
    sort_order: int
    # Area codes the department serves.
    areas: tuple[str, ...]


@dataclass(frozen=True)
class DemoRole:
    role: str
    area_code: str | None = None
    department_code: str | None = None


@dataclass(frozen=True)
class DemoPerson:
    username: str
    full_name: str
    phone: str
    title: str
    roles: tuple[DemoRole, ...]
    # Named accounts (listed in the README) get the demo password; generated staff none.
    named: bool = False
    is_staff: bool = False
    is_superuser: bool = False
    duties: str = ""


@dataclass(frozen=True)
class DemoData:
    areas: tuple[DemoArea, ...]
    departments: tuple[DemoDepartment, ...]
    people: tuple[DemoPerson, ...]
    collection: dict[str, Any] = field(repr=False)

    def area(self, code: str) -> DemoArea:
        return next(area for area in self.areas if area.code == code)

    def person(self, username: str) -> DemoPerson:
        return next(person for person in self.people if person.username == username)

    @property
    def villages(self) -> list[DemoArea]:
        return [area for area in self.areas if area.level == "village"]

    @property
    def grids(self) -> list[DemoArea]:
        return [area for area in self.areas if area.level == "grid"]


# --- Geometry ------------------------------------------------------------------------------

# Voronoi cells are computed in a plane where a degree of longitude is as long as one of
# latitude at the town's latitude, so that cells are not stretched east-west.
_LNG_SCALE: Final = math.cos(math.radians(TOWN_CENTER[1]))


def _round_polygon(polygon: Polygon) -> Polygon:
    """Counter-clockwise exterior (RFC 7946), coordinates rounded to :data:`DIGITS`."""
    polygon = orient(polygon, sign=1.0)

    def ring(coords: Any) -> list[tuple[float, float]]:
        points: list[tuple[float, float]] = []
        for x, y in coords:
            point = (round(x, DIGITS), round(y, DIGITS))
            if not points or points[-1] != point:
                points.append(point)
        return points

    return Polygon(ring(polygon.exterior.coords), [ring(interior.coords) for interior in polygon.interiors])


def town_polygon(rng: random.Random) -> Polygon:
    """A smooth irregular outline around :data:`TOWN_CENTER`."""
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
    points = []
    steps = 72
    for i in range(steps):
        angle = 2 * math.pi * i / steps
        radius = (
            1
            + 0.06 * math.sin(2 * angle + phases[0])
            + 0.04 * math.sin(3 * angle + phases[1])
            + 0.015 * math.sin(7 * angle + phases[2])
        )
        points.append(
            (
                round(TOWN_CENTER[0] + TOWN_RADII[0] * radius * math.cos(angle), DIGITS),
                round(TOWN_CENTER[1] + TOWN_RADII[1] * radius * math.sin(angle), DIGITS),
            )
        )
    return _round_polygon(Polygon(points))


def _seeds(rng: random.Random, region: Polygon, count: int, first: tuple[float, float] | None = None) -> list[Point]:
    """``count`` points inside ``region``, spread out (dart throwing with a shrinking gap)."""
    min_lng, min_lat, max_lng, max_lat = region.bounds
    gap = math.sqrt(region.area / count) * 0.8
    points: list[Point] = [Point(first)] if first else []
    attempts = 0
    while len(points) < count:
        attempts += 1
        if attempts % 200 == 0:
            gap *= 0.9
        candidate = Point(rng.uniform(min_lng, max_lng), rng.uniform(min_lat, max_lat))
        if not region.contains(candidate):
            continue
        if all(_planar(candidate).distance(_planar(point)) >= gap * _LNG_SCALE for point in points):
            points.append(candidate)
    return points


def _planar(point: Point) -> Point:
    return Point(point.x * _LNG_SCALE, point.y)


def _voronoi(region: Polygon, seeds: list[Point]) -> list[Polygon]:
    """The Voronoi cell of each seed, unclipped (they reach beyond ``region``)."""
    planar = MultiPoint([_planar(seed) for seed in seeds])
    box = affinity.scale(region.envelope.buffer(0.05), xfact=_LNG_SCALE, yfact=1.0, origin=(0, 0))
    diagram = voronoi_diagram(planar, envelope=box)
    cells: list[Polygon | None] = [None] * len(seeds)
    for cell in diagram.geoms:
        back = affinity.scale(cell, xfact=1 / _LNG_SCALE, yfact=1.0, origin=(0, 0))
        for index, seed in enumerate(seeds):
            if cells[index] is None and back.contains(seed):
                cells[index] = back
                break
    if any(cell is None for cell in cells):
        raise RuntimeError("a seed has no Voronoi cell")
    return [cell for cell in cells if cell is not None]


def _relax(region: Polygon, seeds: list[Point], rounds: int, keep_first: bool) -> list[Point]:
    """Lloyd relaxation: move each seed to the centroid of its cell inside ``region``."""
    for _ in range(rounds):
        moved = [cell.intersection(region).centroid for cell in _voronoi(region, seeds)]
        moved = [point if region.contains(point) else seed for point, seed in zip(moved, seeds, strict=True)]
        seeds = [seeds[0], *moved[1:]] if keep_first else moved
    return seeds


def tessellate(region: Polygon, seeds: list[Point]) -> list[Polygon]:
    """Split ``region`` (already on the 1e-6 grid) into one polygon per seed.

    The Voronoi edges and the region's outline are noded together and polygonized, so that
    neighbouring pieces share the very same vertices; rounding each piece then keeps their
    common edges identical. Only the points where cell edges cross the outline move (by
    less than 1e-6 degrees) when rounded.
    """
    cells = _voronoi(region, seeds)
    linework = shapely.union_all([region.boundary, *[cell.boundary for cell in cells]])
    faces = shapely.get_parts(shapely.polygonize(list(shapely.get_parts(linework))))
    pieces: list[list[Polygon]] = [[] for _ in seeds]
    for face in faces:
        inside = face.representative_point()
        if not region.contains(inside):
            continue
        index = next(i for i, cell in enumerate(cells) if cell.contains(inside))
        pieces[index].append(face)
    result: list[Polygon] = []
    for group in pieces:
        if not group:
            raise RuntimeError("a seed's cell does not reach into the region")
        merged = group[0] if len(group) == 1 else shapely.union_all(group)
        if not isinstance(merged, Polygon):
            raise RuntimeError("a cell falls apart into several pieces; choose other seeds")
        rounded = _round_polygon(merged)
        if not rounded.is_valid:
            raise RuntimeError("a cell is not valid once rounded")
        result.append(rounded)
    return result


def _geojson(polygon: Polygon) -> dict[str, Any]:
    data = mapping(polygon)
    return {
        "type": "Polygon",
        "coordinates": [[[x, y] for x, y in ring] for ring in data["coordinates"]],
    }


# --- People --------------------------------------------------------------------------------


class _Names:
    """Unique fictional Chinese names and mobile numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used_names: set[str] = set()
        self.used_phones: set[str] = set()

    def name(self) -> str:
        while True:
            given_length = 2 if self.rng.random() < 0.65 else 1
            name = self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN_CHARS) for _ in range(given_length))
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone


def _landline(rng: random.Random) -> str:
    return f"022-6{rng.randrange(10**6, 10**7):07d}"


# --- Generation ----------------------------------------------------------------------------


@cache
def generate(seed: int = SEED) -> DemoData:
    """The whole demo data set. The same seed gives the same data."""
    rng = random.Random(seed)
    town = town_polygon(rng)

    village_seeds = _seeds(rng, town, len(VILLAGE_NAMES), first=TOWN_CENTER)
    village_seeds = _relax(town, village_seeds, rounds=2, keep_first=True)
    village_shapes = tessellate(town, village_seeds)

    areas: list[DemoArea] = [
        DemoArea(DISTRICT_CODE, DISTRICT_NAME, "district", None, 0, None),
    ]
    villages: list[DemoArea] = []
    grids: list[DemoArea] = []
    for index, (name, shape) in enumerate(zip(VILLAGE_NAMES, village_shapes, strict=True), start=1):
        village_code = f"{TOWN_CODE[:9]}{200 + index:03d}"
        count = rng.randint(*GRIDS_PER_VILLAGE)
        grid_seeds = _relax(shape, _seeds(rng, shape, count), rounds=2, keep_first=False)
        grid_shapes = tessellate(shape, grid_seeds)
        # Number grids from north-west to south-east.
        grid_shapes.sort(key=lambda polygon: (-round(polygon.centroid.y, 3), polygon.centroid.x))
        village_grids = [
            DemoArea(
                code=f"{village_code}{number:02d}",
                name=f"{name}第{number}网格",
                level="grid",
                parent_code=village_code,
                households=rng.randint(*HOUSEHOLDS_PER_GRID),
                boundary=_geojson(grid_shape),
            )
            for number, grid_shape in enumerate(grid_shapes, start=1)
        ]
        villages.append(
            DemoArea(
                code=village_code,
                name=name,
                level="village",
                parent_code=TOWN_CODE,
                households=sum(grid.households for grid in village_grids),
                boundary=_geojson(shape),
            )
        )
        grids += village_grids
    areas.append(
        DemoArea(TOWN_CODE, TOWN_NAME, "town", DISTRICT_CODE, sum(v.households for v in villages), _geojson(town))
    )
    areas += villages + grids

    departments = _departments(rng, villages)
    people = _people(rng, villages, grids)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "code": area.code,
                    "name": area.name,
                    "level": area.level,
                    "parent_code": area.parent_code,
                    "households": area.households,
                },
                "geometry": area.boundary,
            }
            for area in areas
        ],
    }
    return DemoData(tuple(areas), tuple(departments), tuple(people), collection)


def _departments(rng: random.Random, villages: list[DemoArea]) -> list[DemoDepartment]:
    departments = [
        DemoDepartment(item.code, item.name, item.kind, _landline(rng), index * 10, (TOWN_CODE,))
        for index, item in enumerate(SEED_DEPARTMENTS, start=1)
    ]
    start = len(departments) + 1
    departments += [
        DemoDepartment(
            code=f"village_{village.code}",
            name=f"{village.name}村民委员会",
            kind=DepartmentKind.VILLAGE,
            phone=_landline(rng),
            sort_order=(start + index) * 10,
            areas=(village.code,),
        )
        for index, village in enumerate(villages)
    ]
    return departments


# Named accounts: (username, title, role, where). "where" is resolved in _people.
NAMED_DEPARTMENTS: Final = {"dept01": "traffic_police", "dept02": "urban_mgmt"}


def _people(rng: random.Random, villages: list[DemoArea], grids: list[DemoArea]) -> list[DemoPerson]:
    names = _Names(rng)
    first_village, second_village = villages[0], villages[1]
    grids_of = {village.code: [grid for grid in grids if grid.parent_code == village.code] for village in villages}
    grid01_area = grids_of[first_village.code][0]
    grid02_area = grids_of[second_village.code][0]

    def person(
        username: str, title: str, *roles: DemoRole, named: bool = False, duties: str = "", **flags: bool
    ) -> DemoPerson:
        return DemoPerson(
            username=username,
            full_name=names.name(),
            phone=names.phone(),
            title=title,
            roles=tuple(roles),
            named=named,
            duties=duties,
            **flags,
        )

    people = [
        DemoPerson(
            username="admin",
            full_name="系统管理员",
            phone="",
            title="系统管理员",
            roles=(DemoRole(Role.ADMIN),),
            named=True,
            is_staff=True,
            is_superuser=True,
        ),
        person("center01", "综治中心受理员", DemoRole(Role.CENTER_OPERATOR, TOWN_CODE), named=True),
        person("leader01", "副镇长", DemoRole(Role.TOWN_LEADER, TOWN_CODE), named=True),
        person("dept01", "交警中队民警", DemoRole(Role.DEPARTMENT_HANDLER, None, "traffic_police"), named=True),
        person("dept02", "综合执法队员", DemoRole(Role.DEPARTMENT_HANDLER, None, "urban_mgmt"), named=True),
        person(
            "gridlead01",
            "村党委书记、网格长",
            DemoRole(Role.GRID_LEADER, first_village.code),
            named=True,
            duties=f"负责{first_village.name}网格工作",
        ),
        person(
            "grid01",
            "专职网格员",
            DemoRole(Role.GRID_WORKER, grid01_area.code),
            named=True,
            duties=f"负责{grid01_area.name}巡查走访、事件上报和核查",
        ),
        person(
            "grid02",
            "专职网格员",
            DemoRole(Role.GRID_WORKER, grid02_area.code),
            named=True,
            duties=f"负责{grid02_area.name}巡查走访、事件上报和核查",
        ),
        person("super01", "镇纪委干部", DemoRole(Role.SUPERVISOR), named=True),
        # The three administrators of MLPS level 3 (docs/permissions.md); fixed names so that
        # the generated people after them stay the same.
        DemoPerson(
            username="sysadmin01",
            full_name="系统管理员（演示）",
            phone="",
            title="系统管理员",
            roles=(DemoRole(Role.SYSTEM_ADMIN),),
            named=True,
            is_staff=True,
        ),
        DemoPerson(
            username="security01",
            full_name="安全管理员（演示）",
            phone="",
            title="安全管理员",
            roles=(DemoRole(Role.SECURITY_ADMIN),),
            named=True,
            is_staff=True,
        ),
        DemoPerson(
            username="audit01",
            full_name="审计管理员（演示）",
            phone="",
            title="审计管理员",
            roles=(DemoRole(Role.AUDIT_ADMIN),),
            named=True,
            is_staff=True,
        ),
        DemoPerson(
            username="upstream01",
            full_name="区12345便民专线系统",
            phone="",
            title="接口账号",
            roles=(DemoRole(Role.UPSTREAM),),
            named=True,
        ),
    ]
    # Generated staff: more center operators and leaders, a handler per department.
    people += [
        person("center02", "综治中心派遣员", DemoRole(Role.CENTER_OPERATOR, TOWN_CODE)),
        person("center03", "综治中心值班长", DemoRole(Role.CENTER_OPERATOR, TOWN_CODE)),
        person("leader02", "镇党委副书记", DemoRole(Role.TOWN_LEADER, TOWN_CODE)),
    ]
    handled = set(NAMED_DEPARTMENTS.values())
    number = len(NAMED_DEPARTMENTS)
    for department in SEED_DEPARTMENTS:
        if department.code in handled:
            continue
        number += 1
        people.append(
            person(
                f"dept{number:02d}",
                f"{department.name}工作人员",
                DemoRole(Role.DEPARTMENT_HANDLER, None, department.code),
            )
        )
    # Per village: a grid leader (village 1's is gridlead01) and a member of village staff;
    # per grid: a grid worker (grid01 and grid02 hold two of them).
    taken = {grid01_area.code: "grid01", grid02_area.code: "grid02"}
    for index, village in enumerate(villages, start=1):
        if village.code != first_village.code:
            people.append(
                person(
                    f"gl{index:02d}",
                    "村党组织书记、网格长",
                    DemoRole(Role.GRID_LEADER, village.code),
                    duties=f"负责{village.name}网格工作",
                )
            )
        people.append(person(f"vs{index:02d}", "村委会委员", DemoRole(Role.VILLAGE_STAFF, village.code)))
        for grid in grids_of[village.code]:
            if grid.code in taken:
                continue
            people.append(
                person(
                    f"gw{index:02d}{grid.code[-2:]}",
                    "专职网格员",
                    DemoRole(Role.GRID_WORKER, grid.code),
                    duties=f"负责{grid.name}巡查走访、事件上报和核查",
                )
            )
    return people
