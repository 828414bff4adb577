"""Statistics at district scale: the 统计分析 page, the cockpit and a town-month bulletin over a
district of 20 towns and five years of cases.

    .venv/bin/python bench/stats.py [--cases 1000000] [--database-url postgres://...] [--keep]

Builds (once, with ``--keep``: kept and reused by the next run with the same size) a district of
20 towns: the demo's district, town, departments, categories and people, plus 19 more towns
with their villages and grids (5,000 grids in all) and one grid worker per two grids. Then
``--cases`` cases over the last five years are bulk-written (``COPY`` on PostgreSQL, with the
indexes built afterwards; ``executemany`` on SQLite), in chunks, with progress printed.

The cases are realistic in what the statistics read: seasonality (a summer peak, quiet
weekends and Spring Festival, a slow growth year on year), a skewed town and category mix
(Zipf), the category's default department as lead in most cases, sources (grid reports most,
then the hotline, the center, patrols, the public ...), self-handled reports, voided reports,
the village handling some cases itself, and the frozen milestone columns written as the
services would (registered, dispatched, returned, handled on time or not, verified, reworked,
the overall deadline, closed on time for about 90 %, call-backs with satisfaction), with the
cases of the last weeks still open at their stage. They have no history, stages or
notifications: the statistics do not read those.

Then it times, in server time (the Django test client through the whole middleware stack, as
a logged-in user, DEBUG off), the statistics page and the cockpit for a matrix of filters
(town-month, district-month, district-year, village, grid, department, category, major class,
source, two-year range), the figures of a reporter and of a verifier and a five-year range
through :mod:`gridgov.cases.indices` directly (the page allows two years and has no reporter
filter), and a town-month bulletin (figures and the three documents). Each line gives p50,
p95 and max of ``--repeat`` runs after one warm-up. ``--repeat`` is 5 by default.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import cProfile
import datetime as dt
import hashlib
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, setup_django

TOWNS = 20
GRIDS = 5000
YEARS = 5
CHUNK = 50_000
# A fixed field key: the bench database is throwaway, and a kept one must still decrypt.
FIELD_KEYS = base64.urlsafe_b64encode(hashlib.sha256(b"gridgov bench stats").digest()).decode()


# --- the database ---------------------------------------------------------------------------


def database_for(args: argparse.Namespace, workdir: Path) -> tuple[str, bool, Callable[[], None]]:
    """The database URL, whether it already holds the generated data, and a clean-up."""
    label = f"{args.cases // 1000}k"
    if not args.database_url:
        folder = ROOT / "var" / "bench" if args.keep else workdir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"stats-{label}.sqlite3"
        ready = args.keep and path.with_suffix(".ready").exists()
        if not ready and path.exists():
            path.unlink()
        return f"sqlite:///{path}", ready, lambda: None
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(args.database_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("--database-url must be a postgres:// URL (SQLite is the default).")
    name = args.database_name or f"gridgov_bench_stats_{label}"
    admin_url = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        ready = False
        if exists and args.keep:
            with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql", path=f"/{name}"))) as db:
                ready = bool(db.execute("SELECT 1 FROM pg_tables WHERE tablename = 'bench_stats_ready'").fetchone())
        if exists and not ready:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not ready:
            connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        if args.keep:
            return
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), ready, drop


def setup_page_django(workdir: Path, database_url: str) -> None:
    """Django on a kept bench database, for timing pages: the static files from the finders (no
    collectstatic), no second factor for the superuser the bench logs in as, the fixed field key."""
    os.environ.update({"GRIDGOV_STATIC_FINDERS": "1", "GRIDGOV_2FA_ROLES": ""})
    setup_django(workdir, database_url, field_keys=FIELD_KEYS)


def mark_ready(database_url: str) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS bench_stats_ready (at timestamptz)")
    else:
        Path(database_url.removeprefix("sqlite:///")).with_suffix(".ready").touch()


# --- the district -------------------------------------------------------------------------


def build_district(rng: random.Random) -> None:
    """19 more towns beside the demo's, with villages and grids (GRIDS in all), and one grid
    worker per two grids (no password: they only appear as reporters and verifiers)."""
    from django.contrib.auth import get_user_model

    from gridgov.areas.models import Area, AreaLevel
    from gridgov.demo.taiping import DISTRICT_CODE

    district = Area.objects.current().get(code=DISTRICT_CODE)
    demo_grids = Area.objects.current().filter(level=AreaLevel.GRID).count()
    per_town = (GRIDS - demo_grids) // (TOWNS - 1)
    rest = (GRIDS - demo_grids) - per_town * (TOWNS - 1)
    base_lat, base_lng = 39.0, 117.6
    for number in range(1, TOWNS):
        lat0 = base_lat + (number // 5) * 0.12 - 0.25
        lng0 = base_lng + (number % 5) * 0.12 - 0.25
        town = Area.objects.create(
            code=f"BT{number:02d}", name=f"基准镇{number:02d}", level=AreaLevel.TOWN, parent=district
        )
        town.path = f"{district.path}{town.pk}/"
        town.save(update_fields=["path"])
        grids_here = per_town + (1 if number <= rest else 0)
        villages = max(1, round(grids_here / 20))
        made = 0
        for v in range(villages):
            village = Area.objects.create(
                code=f"BT{number:02d}V{v:02d}",
                name=f"基准镇{number:02d}{v + 1}村",
                level=AreaLevel.VILLAGE,
                parent=town,
            )
            village.path = f"{town.path}{village.pk}/"
            village.save(update_fields=["path"])
            count = grids_here // villages + (1 if v < grids_here % villages else 0)
            grids = [
                Area(
                    code=f"BT{number:02d}V{v:02d}G{g:02d}",
                    name=f"{village.name}第{g + 1}网格",
                    level=AreaLevel.GRID,
                    parent=village,
                    center_lat=lat0 + rng.uniform(0, 0.1),
                    center_lng=lng0 + rng.uniform(0, 0.1),
                )
                for g in range(count)
            ]
            Area.objects.bulk_create(grids)
            for grid in grids:
                grid.path = f"{village.path}{grid.pk}/"
            Area.objects.bulk_update(grids, ["path"])
            made += count
    users = get_user_model()
    grid_count = Area.objects.current().filter(level=AreaLevel.GRID).count()
    unusable = "!"  # an unusable password: the grid workers never log in
    users.objects.bulk_create(
        [
            users(username=f"benchgw{n:04d}", password=unusable, first_name=f"网格员{n:04d}")
            for n in range(grid_count // 2)
        ]
    )


# --- the cases ----------------------------------------------------------------------------


class Universe:
    """What a generated case is drawn from (ids, weights, cumulative tables)."""

    def __init__(self, rng: random.Random, now: dt.datetime) -> None:
        from django.contrib.auth import get_user_model

        from gridgov.areas.models import Area, AreaLevel
        from gridgov.cases.services.milestones import handling_minutes
        from gridgov.categories.models import Category
        from gridgov.people.models import Department, DepartmentKind

        self.handling_minutes = handling_minutes  # the frozen milestone, as the services write it
        self.rng = rng
        self.now = now
        areas = Area.objects.current()
        towns = {a.pk: a for a in areas.filter(level=AreaLevel.TOWN)}
        villages = {a.pk: a for a in areas.filter(level=AreaLevel.VILLAGE)}
        self.grids: list[tuple[int, int, str, float, float]] = []  # grid id, town id, path, lat, lng
        for grid in areas.filter(level=AreaLevel.GRID).order_by("pk"):
            village = villages[grid.parent_id]  # type: ignore[index]
            self.grids.append(
                (grid.pk, village.parent_id or 0, grid.path, grid.center_lat or 39.0, grid.center_lng or 117.6)
            )
        # Towns differ in size (a few busy ones): a lognormal weight per town spread over its grids.
        town_weight = {pk: rng.lognormvariate(0, 0.6) for pk in towns}
        per_town: dict[int, int] = {}
        for row in self.grids:
            per_town[row[1]] = per_town.get(row[1], 0) + 1
        self.grid_cum = cumulative(
            [town_weight[g[1]] / per_town[g[1]] * rng.lognormvariate(0, 0.8) for g in self.grids]
        )
        minors = list(Category.objects.filter(parent__isnull=False).order_by("code"))
        rng.shuffle(minors)
        self.categories = [(c.pk, c.default_department_id) for c in minors]
        self.category_cum = cumulative([1 / (rank + 1) ** 1.1 for rank in range(len(minors))])
        self.departments: list[int | None] = [
            *Department.objects.exclude(kind=DepartmentKind.VILLAGE).values_list("pk", flat=True)
        ] or [None]
        user_ids = list(
            get_user_model().objects.filter(username__startswith="benchgw").order_by("pk").values_list("pk", flat=True)
        )
        self.workers = user_ids or list(get_user_model().objects.values_list("pk", flat=True)[:10])
        self.sources = ["grid_report", "hotline", "center", "patrol", "public", "meeting", "leader"]
        self.source_cum = cumulative([62, 18, 8, 5, 4, 2, 1])
        # Days of the five years: summer peak, quiet weekends and Spring Festival, growth.
        first = (now - dt.timedelta(days=365 * YEARS)).date()
        self.days = [first + dt.timedelta(days=n) for n in range((now.date() - first).days + 1)]
        weights = []
        for n, day in enumerate(self.days):
            season = 1 + 0.35 * math.sin((day.timetuple().tm_yday - 100) / 365 * 2 * math.pi)
            weekday = 0.55 if day.weekday() >= 5 else 1.0
            festival = 0.4 if (day.month == 1 and day.day >= 25) or (day.month == 2 and day.day <= 10) else 1.0
            weights.append(season * weekday * festival * (1 + 0.08 * n / 365))
        self.day_cum = cumulative(weights)
        self.tz = dt.timezone(dt.timedelta(hours=8))

    def pick(self, table: list[float]) -> int:
        return bisect.bisect_right(table, self.rng.random() * table[-1])


def cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    found = []
    for weight in weights:
        total += weight
        found.append(total)
    return found


COLUMNS = [
    "number", "town_id", "grid_id", "area_path", "category_id", "urgency", "source", "status", "description",
    "address", "lat", "lng", "party_kind", "party_name", "party_phone", "reporter_id", "lead_department_id",
    "handled_by_village", "self_handled", "escalated", "merged_into_id", "parked_from", "parked_at",
    "pending_extension", "supervision_pending", "rework_count", "return_count", "extension_count",
    "reminder_count", "supervision_count", "reopen_count", "stage", "stage_started_at", "stage_warn_at",
    "stage_deadline", "next_alert_at", "version", "reported_at", "occurred_at", "occurred_at_doubtful",
    "closed_at", "callback_at", "satisfaction", "callback_count", "registered_at", "dispatched_at",
    "dispatch_count", "redispatched_at", "handled_at", "handled_on_time", "reworked_at", "verified_at",
    "verified_on_time", "verified_by_id", "due_at", "closed_on_time", "voided_at", "imported", "import_review",
    "updated_at", "handling_minutes",
]  # fmt: skip
H = dt.timedelta(hours=1)


# What the generated cases say: sentences of a town's reports, one after the other (so a word
# of one sentence is in a known share of the cases; the text filter's lines of bench/district.py
# search one of them and one that no case has).
# A phrase in one case of RARE_EVERY (5,000 of ten million, spread over the years and towns):
# the text filter's middle ground, too many cases to list by key one by one, too few to find
# quickly by reading the newest rows.
RARE = "化粪池满溢"
RARE_EVERY = 1999
DESCRIPTIONS = [
    "东风路与海滨大道交口路灯不亮，夜间行人看不清路面。",
    "小区北门外占道经营摊点较多，早高峰影响车辆通行。",
    "居民楼下垃圾堆放多日无人清运，气味较大。",
    "建筑工地夜间施工噪音扰民，居民反映休息受影响。",
    "人行道地砖松动破损约五平方米，存在绊倒隐患。",
    "雨水井盖缺失，位于学校门口，需尽快补装。",
    "绿化带内有私自开垦种菜现象，破坏公共绿地。",
    "小广告张贴在楼道和电线杆上，影响市容。",
    "共享单车乱停放堵塞盲道，需清理归位。",
    "沿街商户油烟直排，周边居民投诉。",
    "河道岸边有漂浮垃圾和枯枝，需要打捞。",
    "违规停车占用消防通道，存在安全隐患。",
    "老旧小区楼顶违建阳光房，疑似私搭乱建。",
    "路口交通信号灯故障，车辆通行混乱。",
    "公交站台顶棚破损漏雨，候车群众不便。",
    "流浪犬在村口聚集，村民担心被咬伤。",
    "污水管道堵塞外溢，路面积水有异味。",
    "树木枝叶遮挡路灯和交通标志，需修剪。",
    "村道边秸秆露天焚烧，烟雾影响周边。",
    "电动自行车在楼道内充电，存在火灾隐患。",
    "农贸市场周边临时摊点占道，垃圾散落。",
    "供热管网漏水，单元门口路面结冰。",
    "空置厂房内堆放杂物，有外来人员出入。",
    "渣土车未苫盖沿路遗撒，道路扬尘严重。",
    "自来水水压偏低，高层住户用水困难。",
    "公园健身器材损坏，老人锻炼存在风险。",
    "广告牌松动倾斜，大风天气可能坠落。",
    "村内坑塘水体发黑发臭，需治理。",
    "无证照经营的小作坊，疑似食品安全隐患。",
    "邻里因漏水纠纷多次争吵，需调解。",
]


def make_case(u: Universe, serial: int, day: dt.date) -> tuple[Any, ...]:
    """One case's row (COLUMNS), its milestones as the services would write them."""
    r = u.rng.random
    grid_id, town_id, path, lat, lng = u.grids[u.pick(u.grid_cum)]
    category_id, default_department = u.categories[u.pick(u.category_cum)]
    source = u.sources[u.pick(u.source_cum)]
    hour = 7 + r() * 12 if r() < 0.92 else r() * 24
    reported = dt.datetime.combine(day, dt.time(), u.tz) + dt.timedelta(hours=hour)
    if reported > u.now:
        reported = u.now - dt.timedelta(minutes=r() * 600)
    age = (u.now - reported).total_seconds() / 3600
    reporter = u.workers[grid_id % len(u.workers)] if source == "grid_report" else None
    lead = default_department if r() < 0.85 else u.departments[int(r() * len(u.departments))]
    values: dict[str, Any] = dict.fromkeys(
        [
            "parked_at", "pending_extension", "stage_started_at", "stage_warn_at", "stage_deadline", "next_alert_at",
            "occurred_at", "closed_at", "callback_at", "registered_at", "dispatched_at", "redispatched_at",
            "handled_at", "handled_on_time", "reworked_at", "verified_at", "verified_on_time", "verified_by_id",
            "due_at", "closed_on_time", "voided_at", "merged_into_id",
        ]
    )  # fmt: skip
    counts = dict.fromkeys(["rework_count", "return_count", "dispatch_count", "callback_count"], 0)
    stage = ""
    satisfaction = ""
    village = False
    self_handled = source == "grid_report" and r() < 0.18
    if self_handled:
        status = "closed"
        values["closed_at"] = reported + dt.timedelta(minutes=5 + r() * 40)
        lead = None
    else:
        status, stage = _loop(u, values, counts, reported, age, r)
        village = values["dispatched_at"] is None and values["registered_at"] is not None
        if village:
            lead = None
        if status == "closed" and source in ("hotline", "public") and r() < 0.8:
            values["callback_at"] = values["closed_at"] + dt.timedelta(hours=4 + r() * 40)
            if values["callback_at"] > u.now:
                values["callback_at"] = None
            else:
                counts["callback_count"] = 1
                roll = r()
                satisfaction = "satisfied" if roll < 0.78 else "basically_satisfied" if roll < 0.93 else "dissatisfied"
    if values["voided_at"] is not None:
        lead = None
    description = DESCRIPTIONS[serial % len(DESCRIPTIONS)] + (RARE if serial % RARE_EVERY == 0 else "")
    return (
        f"S{reported.year}-{serial:010d}", town_id, grid_id, path, category_id, "normal", source, status,
        description, "", lat + (r() - 0.5) * 0.004, lng + (r() - 0.5) * 0.004, "", "", "",
        reporter, lead, village, self_handled, False, None, "", None, None, False, counts["rework_count"],
        counts["return_count"], 0, 0, 0, 0, stage, values["stage_started_at"], values["stage_warn_at"],
        values["stage_deadline"], values["next_alert_at"], 1, reported, None, False, values["closed_at"],
        values["callback_at"], satisfaction, counts["callback_count"], values["registered_at"],
        values["dispatched_at"], counts["dispatch_count"], values["redispatched_at"], values["handled_at"],
        values["handled_on_time"], values["reworked_at"], values["verified_at"], values["verified_on_time"],
        values["verified_by_id"] if values["verified_at"] else None, values["due_at"], values["closed_on_time"],
        values["voided_at"], False, "[]", u.now,
        u.handling_minutes(values["dispatched_at"] or values["registered_at"], values["handled_at"]),
    )  # fmt: skip


def _loop(
    u: Universe, v: dict[str, Any], counts: dict[str, int], reported: dt.datetime, age: float, r: Callable[[], float]
) -> tuple[str, str]:
    """The loop of a case that is not self-handled: the status and stage reached by now."""
    now = u.now

    def open_at(status: str, stage: str, started: dt.datetime, hours: float) -> tuple[str, str]:
        v["stage_started_at"] = started
        v["stage_deadline"] = started + hours * H
        v["stage_warn_at"] = started + hours * 0.8 * H
        v["next_alert_at"] = v["stage_warn_at"] if v["stage_warn_at"] > now else v["stage_deadline"]
        return status, stage

    registered = reported + dt.timedelta(minutes=10 + r() * 80)
    if registered > now:
        return open_at("reported", "register", reported, 2)
    if r() < 0.06:
        v["voided_at"] = registered
        return "voided", ""
    v["registered_at"] = registered
    limit = (24, 72, 120, 168)[int(r() * 4)]
    village = r() < 0.15
    start = registered
    if not village:
        dispatched = registered + dt.timedelta(minutes=5 + r() * 60)
        if dispatched > now:
            return open_at("registered", "dispatch", registered, 2)
        v["dispatched_at"] = dispatched
        counts["dispatch_count"] = 1
        if r() < 0.04:
            v["redispatched_at"] = dispatched + dt.timedelta(hours=1 + r() * 10)
            counts["dispatch_count"] = 2
            counts["return_count"] = 1
        start = v["redispatched_at"] or dispatched
    v["due_at"] = start + limit * H
    late = r() < 0.07
    handled = start + limit * (1.1 + r() * 0.8 if late else 0.1 + r() * 0.85) * H
    if handled > now:
        return open_at("in_progress", "handle", start, limit)
    v["handled_at"] = handled
    v["handled_on_time"] = not late
    verified = handled + (2 + r() * 40) * H
    if verified > now:
        return open_at("awaiting_verification", "verify", handled, 48)
    v["verified_at"] = verified
    v["verified_on_time"] = r() < 0.96
    v["verified_by_id"] = 1
    closed_on_time = (not late) and v["verified_on_time"]
    closed = verified
    if r() < 0.05:
        v["reworked_at"] = verified
        counts["rework_count"] = 1
        closed = verified + (8 + r() * 60) * H
        closed_on_time = closed_on_time and r() < 0.6
        if closed > now:
            return open_at("in_progress", "handle", verified, limit)
    v["closed_at"] = closed
    v["closed_on_time"] = closed_on_time
    if age > 24 * 90 and r() < 0.002:  # a few long-stuck cases
        v["closed_at"] = None
        v["closed_on_time"] = None
        return open_at("in_progress", "handle", start, limit)
    return "closed", ""


def rows(u: Universe, count: int) -> Iterator[tuple[Any, ...]]:
    """``count`` cases in the order of their report dates, as a live table fills (a month's
    cases lie together on disk, which the date indexes' plans rely on)."""
    total = u.day_cum[-1]
    made = 0
    for number, day in enumerate(u.days):
        wanted = count * u.day_cum[number] / total
        n = round(wanted) - made if number < len(u.days) - 1 else count - made
        for _ in range(max(0, n)):
            made += 1
            row = make_case(u, made, day)
            if row[53] is not None:  # the verifier: the grid's worker
                row = (*row[:53], u.workers[row[2] % len(u.workers)], *row[54:])
            yield row


def generate_cases(count: int, seed: int) -> float:
    """Write ``count`` cases in chunks; returns the seconds taken (indexes rebuilt included)."""
    from django.db import connection
    from django.utils import timezone

    from gridgov.cases.selectors import SEARCHED
    from gridgov.core import textsearch

    u = Universe(random.Random(seed), timezone.now())
    source = rows(u, count)
    started = time.perf_counter()
    table = "cases_case"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
                [table, "%pkey"],
            )
            indexes = [(name, sql) for name, sql in cursor.fetchall() if "UNIQUE" not in sql.upper()]
            for name, _sql in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        raw = connection.connection
        raw.execute("SET session_replication_role = replica")  # no FK triggers while loading
        made = 0
        while made < count:
            size = min(CHUNK, count - made)
            # Made before the COPY: the working calendar may read the database, which the
            # connection cannot answer while it copies.
            batch = list(islice(source, size))
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
            raw.commit()
            made += size
            progress("cases", made, count, started)
        raw.execute("SET session_replication_role = origin")
        raw.commit()
        began = time.perf_counter()
        textsearch.rebuild(connection, table, SEARCHED)  # COPY ran with the triggers off
        print(f"  the text filter's side table written in {time.perf_counter() - began:.0f} s", flush=True)
        began = time.perf_counter()
        with connection.cursor() as cursor:
            for _name, sql in indexes:
                cursor.execute(sql)
            # As autovacuum soon would after a bulk load: the statistics, and the visibility map
            # that lets an index answer alone (the open cases' index of the cockpit).
            cursor.execute("VACUUM ANALYZE")
        print(f"  indexes rebuilt, vacuumed and analysed in {time.perf_counter() - began:.0f} s", flush=True)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
            indexes = [(name, sql) for name, sql in cursor.fetchall() if "UNIQUE" not in sql.upper()]
            for name, _sql in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("PRAGMA synchronous = OFF")
        made = 0
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})"  # noqa: S608 (fixed names)
        fmt = "%Y-%m-%d %H:%M:%S.%f"
        while made < count:
            size = min(CHUNK, count - made)
            batch = [
                tuple(
                    value.astimezone(dt.UTC).strftime(fmt) if isinstance(value, dt.datetime) else value for value in row
                )
                for row in islice(source, size)
            ]
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            made += size
            progress("cases", made, count, started)
        began = time.perf_counter()
        with connection.cursor() as cursor:
            for _name, sql in indexes:
                cursor.execute(sql)
            cursor.execute("PRAGMA synchronous = FULL")
            # No ANALYZE: the application never runs it on SQLite, so its planner works without
            # statistics there. With them it scans the whole table for the open cases (the
            # status index's statistics say nothing of how rare the open statuses are; this
            # SQLite has no STAT4), which made the cockpit 0.4-0.6 s at a million cases.
        print(f"  indexes rebuilt in {time.perf_counter() - began:.0f} s", flush=True)
    return time.perf_counter() - started


def progress(what: str, made: int, total: int, started: float) -> None:
    elapsed = time.perf_counter() - started
    print(f"  {what}: {made:,}/{total:,} ({made / max(elapsed, 1e-9):,.0f}/s)", flush=True)


# --- the measurements ---------------------------------------------------------------------


# With ``--profile``: the profiler that sees the timed runs only (not the warm-up or the set-up).
PROFILER: cProfile.Profile | None = None


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    function()
    found = []
    for _ in range(repeat):
        if PROFILER is not None:
            PROFILER.enable()
        began = time.perf_counter()
        function()
        found.append((time.perf_counter() - began) * 1000)
        if PROFILER is not None:
            PROFILER.disable()
    return found


def line(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return f"  {label:<44}{statistics.median(ordered):10.0f}{p95:10.0f}{ordered[-1]:10.0f}"


def months_before(first: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months before the month of ``first``."""
    serial = first.year * 12 + first.month - 1 - count
    return dt.date(serial // 12, serial % 12 + 1, 1)


def matrix(today: dt.date) -> list[tuple[str, str, dict[str, str]]]:
    """(label, user, query) of the statistics page measured."""
    from gridgov.areas.models import Area, AreaLevel
    from gridgov.cases.models import Case
    from gridgov.categories.models import Category
    from gridgov.demo.taiping import TOWN_CODE
    from gridgov.people.models import Department

    ended = today.replace(day=1) - dt.timedelta(days=1)  # the last day of last month
    last = ended.replace(day=1)
    month = {"start": last.isoformat(), "end": ended.isoformat()}
    # The last 12 and 24 whole months (the month levels), and 30 and 365 days to today (a
    # period of days: the day levels, as a past month's trend by day or week).
    year = {"start": months_before(last, 11).isoformat(), "end": ended.isoformat()}
    two_years = {"start": months_before(last, 23).isoformat(), "end": ended.isoformat()}
    days = {"start": today.replace(year=today.year - 1).isoformat(), "end": today.isoformat()}
    thirty = {"start": (today - dt.timedelta(days=29)).isoformat(), "end": today.isoformat()}
    village = Area.objects.current().filter(level=AreaLevel.VILLAGE, path__contains="/").order_by("code").first()
    grid = Area.objects.current().filter(level=AreaLevel.GRID).order_by("code").first()
    busiest = Case.objects.values_list("lead_department__code").exclude(lead_department=None)
    department = busiest.order_by("lead_department__code").first() or ("",)
    category = Category.objects.filter(parent__isnull=False).order_by("code").first()
    major = Category.objects.filter(parent__isnull=True).order_by("code").first()
    department_code = department[0] if department else Department.objects.values_list("code", flat=True).first()
    return [
        ("town-month (center01)", "center01", {**month}),
        ("town-month (district user, town filter)", "super01", {**month, "grid": TOWN_CODE}),
        ("district-month", "super01", {**month}),
        ("district-current month (default)", "super01", {}),
        ("district-year", "super01", {**year}),
        ("district two years (the page's most)", "super01", {**two_years}),
        ("district-month by week", "super01", {**month, "step": "week"}),
        ("district, 30 days to today", "super01", {**thirty}),
        ("district, 365 days to today", "super01", {**days}),
        ("town, 365 days to today (center01)", "center01", {**days}),
        ("village-year", "super01", {**year, "grid": village.code if village else ""}),
        ("grid-year", "super01", {**year, "grid": grid.code if grid else ""}),
        ("department-year", "super01", {**year, "lead": department_code or ""}),
        ("category-year", "super01", {**year, "category": category.code if category else ""}),
        ("major class-year", "super01", {**year, "category": major.code if major else ""}),
        ("source hotline-year", "super01", {**year, "source": "hotline"}),
        ("town + dept + source, month", "super01", {**month, "grid": TOWN_CODE, "lead": department_code or ""}),
    ]


BARE_LINES = ("town-month (center01)", "district-month", "district-year", "cockpit (super01)", "five years, district")


def build_rollups() -> float:
    """Write the statistics' rollups from the bulk-written cases, town by town; the seconds."""
    from django.db import connection

    from gridgov.areas.models import Area, AreaLevel
    from gridgov.cases import rollups
    from gridgov.cases.models import CaseRollup, CaseRollupCoarse

    began = time.perf_counter()
    towns = list(Area.objects.current().filter(level=AreaLevel.TOWN).order_by("code"))
    written = 0
    for number, town in enumerate(towns, start=1):
        if CaseRollup.objects.filter(area_path__startswith=town.path).exists():
            # Built by an earlier, interrupted run (each town is one transaction); its coarse
            # rows are made again from the grid rows when a level is missing (a database kept
            # from before that level).
            kept = CaseRollupCoarse.objects.filter(area_path__startswith=town.path).values_list("level", flat=True)
            if set(kept.distinct()) < {level.name for level in rollups.levels_under(town.path, rollups.LEVELS)}:
                rollups.rebuild_coarse(town.path)
                print(f"  coarse rollups: {number}/{len(towns)} towns made again", flush=True)
            continue
        written += rollups.rebuild(town.path)
        print(f"  rollups: {number}/{len(towns)} towns, {written:,} rows", flush=True)
    # The levels that span towns (a district's), from the grid rows once every town's are built.
    districts = sorted({rollups.path_prefix(town.path, rollups.DISTRICT_DEPTH) for town in towns})
    names = [level.name for level in rollups.SPANNING_LEVELS]
    for path in districts:
        if not CaseRollupCoarse.objects.filter(area_path=path, level__in=names).exists():
            rollups.rebuild_coarse(path, rollups.SPANNING_LEVELS)
            print(f"  rollups: the district's rows ({path})", flush=True)
    if connection.vendor == "postgresql":  # as autovacuum would soon after (the migration's rows too)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_caserollup, cases_caserollupcoarse")
    return time.perf_counter() - began


def once_bare(function: Callable[[], Any]) -> str:
    """One run of ``function`` with the statistics narrowing off, in milliseconds."""
    from gridgov.cases import indices

    indices.NARROW = False
    try:
        began = time.perf_counter()
        function()
        return f"{(time.perf_counter() - began) * 1000:12.0f}"
    finally:
        indices.NARROW = True


def slowest(function: Callable[[], Any], count: int) -> None:
    """Run ``function`` once more and print its ``count`` slowest SQL statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    statements = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    total = sum(float(q["time"]) for q in statements) * 1000
    print(f"      {len(statements)} statements, {total:.0f} ms in the database", flush=True)
    for query in statements[:count]:
        print(f"      {float(query['time']) * 1000:8.0f} ms  {query['sql'][:400]}", flush=True)


def measure(
    repeat: int, bare: bool, only: list[str], live: bool = False, queries: int = 0, grid_rows: bool = False
) -> None:
    """Each line timed with the statistics narrowing on; with ``bare``, the lines of BARE_LINES
    also once with it off (``indices.NARROW``), the code as it was before, in the same run.
    With ``live``, without the rollups (``indices.ROLLUPS``): every figure counted on the cases.
    With ``queries``, each line's slowest statements of one more run are printed. With
    ``grid_rows``, the rollups are read from the grid rows only (``indices.COARSE`` off)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q
    from django.test import Client
    from django.utils import timezone

    from gridgov.cases import indices
    from gridgov.cases.indices import Dimensions, Period
    from gridgov.cases.selectors import cases_visible

    indices.ROLLUPS = not live
    indices.COARSE = not grid_rows
    today = timezone.localdate()
    users = get_user_model().objects
    clients: dict[str, Client] = {}
    for username in ("center01", "super01"):
        client = Client(HTTP_HOST="localhost")
        client.force_login(users.get(username=username))
        clients[username] = client

    def page(username: str, url: str, query: dict[str, str]) -> Callable[[], Any]:
        def run() -> Any:
            response = clients[username].get(url, query, secure=True)
            if response.status_code != 200:
                raise SystemExit(f"{url} {query}: HTTP {response.status_code}")
            return response

        return run

    def run(label: str, function: Callable[[], Any], times: int) -> None:
        if only and not any(part in label for part in only):
            return
        measured = timed(function, times)
        bare_ms = once_bare(function) if bare and label in BARE_LINES else ""
        print(line(label, measured) + bare_ms, flush=True)
        if queries:
            slowest(function, queries)

    from gridgov.cases.views_stats import PARTS, StatsForm

    for label, username, query in matrix(today):  # every filter of the matrix is taken (untimed)
        form = StatsForm(query or None, user=users.get(username=username))
        if query and not form.is_valid():
            raise SystemExit(f"{label}: the page refuses {query}: {form.errors.as_text()}")

    header = f"{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}" + (f"{'bare ms':>12}" if bare else "")
    print(f"\n  {'statistics page (统计分析)':<44}{header}")
    for label, username, query in matrix(today):
        run(label, page(username, "/cases/stats/", query), repeat)
        for part in PARTS:  # loaded by the browser after the page, each its own request
            run(f"{label} · {part}", page(username, f"/cases/stats/part/{part}/", query), repeat)
    print(f"\n  {'cockpit (领导驾驶舱)':<44}{header}")
    for username in ("center01", "super01"):
        run(f"cockpit ({username})", page(username, "/cases/cockpit/", {}), repeat)

    print(f"\n  {'figures through indices (all indices)':<44}{header}")
    everything = cases_visible(users.get(username="super01"))
    worker = users.filter(username__startswith="benchgw").order_by("pk").first()
    ended = today.replace(day=1) - dt.timedelta(days=1)
    five = Period(months_before(ended, 12 * YEARS - 1), ended)  # whole months
    year = Period(months_before(ended, 11), ended)
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("five years, district", lambda: indices.figures(everything, five, scope=Q())),
        (
            "five years, trend by month",
            lambda: indices.trend(everything, five, "month", ("reported", "closed_in"), scope=Q()),
        ),
        ("year, by village", lambda: indices.grouped(everything, year, "village", scope=Q())),
    ]
    if worker is not None:
        calls += [
            ("year, one reporter", lambda: indices.figures(everything, year, Dimensions(reporter=worker.pk))),
            ("year, one verifier", lambda: indices.figures(everything, year, Dimensions(verifier=worker.pk))),
        ]
    for label, call in calls:
        run(label, call, max(1, repeat // 2))


def measure_bulletin(repeat: int) -> None:
    from django.utils import timezone

    from gridgov.areas.models import Area
    from gridgov.bulletins import figures as bulletin_figures
    from gridgov.bulletins.services import write_documents
    from gridgov.demo.taiping import TOWN_CODE

    town = Area.objects.current().get(code=TOWN_CODE)
    today = timezone.localdate()
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    computed: dict[str, Any] = {}

    def compute() -> None:
        computed.update(bulletin_figures.compute(town, month))

    def documents() -> None:
        write_documents(computed)

    print(f"\n  {'town-month bulletin':<44}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    print(line("figures (frozen JSON)", timed(compute, max(1, repeat // 2))), flush=True)
    print(line("docx + pdf + xlsx", timed(documents, max(1, repeat // 2))), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases over five years (default 1,000,000)")
    parser.add_argument("--database-url", help="a PostgreSQL server (SQLite is the default)")
    parser.add_argument("--keep", action="store_true", help="keep the generated database and reuse it next time")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per line after a warm-up (default 5)")
    parser.add_argument("--generate-only", action="store_true", help="generate (with --keep) and stop")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-name", help="the PostgreSQL database (default gridgov_bench_stats_<size>)")
    parser.add_argument(
        "--only", action="append", default=[], help="time only the lines whose label contains this (repeatable)"
    )
    parser.add_argument("--no-bulletin", action="store_true", help="skip the bulletin")
    parser.add_argument(
        "--bare", action="store_true", help="also time a few lines once with the statistics narrowing off"
    )
    parser.add_argument("--live", action="store_true", help="time without the rollups (every figure on the cases)")
    parser.add_argument(
        "--jit", action="store_true", help="time with PostgreSQL's JIT compilation on (the application turns it off)"
    )
    parser.add_argument(
        "--grid-rows", action="store_true", help="time the rollups without their coarse levels (the grid rows only)"
    )
    parser.add_argument(
        "--queries", type=int, default=0, metavar="N", help="print each line's N slowest SQL statements"
    )
    parser.add_argument(
        "--profile", type=Path, metavar="FILE", help="write a cProfile of the timed runs (not the warm-ups) to FILE"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as tmp:
        workdir = Path(tmp)
        database_url, ready, drop = database_for(args, workdir)
        try:
            began = time.perf_counter()
            setup_page_django(workdir, database_url)
            from django.db import connection

            print(f"database:   {connection.vendor}, {args.cases:,} cases", flush=True)
            if ready:
                print("            (kept from an earlier run)")
            else:
                from bench.common import load_demo_people

                load_demo_people()
                build_district(random.Random(args.seed))
                seconds = generate_cases(args.cases, args.seed)
                print(
                    f"generated:  {args.cases:,} cases in {seconds:.0f} s ({time.perf_counter() - began:.0f} s in all)"
                )
                if args.keep:
                    mark_ready(database_url)
            from gridgov.cases.models import CaseRollup

            seconds = build_rollups()
            print(f"rollups:    built in {seconds:.0f} s ({CaseRollup.objects.count():,} rows)", flush=True)
            if args.generate_only:
                return
            if args.jit and connection.vendor == "postgresql":  # every new connection (one per request)
                connection.close()
                connection.settings_dict["OPTIONS"]["options"] = "-c jit=on"
            global PROFILER
            PROFILER = cProfile.Profile() if args.profile else None
            measure(args.repeat, args.bare, args.only, args.live, args.queries, args.grid_rows)
            if PROFILER is not None:
                PROFILER.dump_stats(args.profile)
                print(f"profile of the timed runs written to {args.profile}")
            if not args.no_bulletin:
                measure_bulletin(args.repeat)
        finally:
            drop()


if __name__ == "__main__":
    main()
