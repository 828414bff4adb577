"""District scale: the desk's lists, a case's and an order's page and the sweeps over a district
of 20 towns, 5,000 grids, ten million cases and two million hotline orders (issue 17, part 5).

    .venv/bin/python bench/district.py --database-url postgres://postgres@127.0.0.1:5432/postgres
                                       [--cases 10000000] [--orders 2000000] [--keep] [--repeat 5]
                                       [--generate-only] [--explain] [--only LABEL ...]

Builds (once, with ``--keep``: kept as ``gridgov_bench_district_<size>`` and reused) the demo
town with its case and hotline history made through the services (so a case's and an order's
page have their timelines), 19 more towns up to 5,000 grids (``bench/stats.py``'s district),
``--cases`` cases over five years with the statistics bench's generator (``COPY``, indexes
rebuilt after) and ``--orders`` hotline orders over the same years the same way.

Then it times, in server time (the Django test client through the whole middleware stack,
DEBUG off, the page rendered), as the town's center operator (``center01``), the district-wide
supervisor (``super01``) and a department handler (``dept02``): the case workbench's first
page unfiltered, with each filter and on each queue tab; the department inbox; the hotline
workbench the same way; a case's page and an order's page; and the two deadline sweeps with
nothing due. Each line: p50 / p95 / max of ``--repeat`` runs after a warm-up, the number of
SQL statements and the slowest one's time. ``--explain`` prints ``EXPLAIN (ANALYZE, BUFFERS)``
of each line's slowest statement. It ends with the database's size and the largest tables and
indexes. Targets (the issue): lists < 150 ms, a case's page < 100 ms, a quiet sweep < 5 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stats import RARE, build_district, database_for, generate_cases, mark_ready, progress, setup_page_django

CHUNK = 50_000
ORDER_TEXTS = [
    "小区楼道灯不亮，晚上出行不便，请尽快维修。",
    "路边有占道经营，影响车辆通行。",
    "居民楼下垃圾堆放多日无人清运。",
    "施工夜间噪音扰民，希望管一管。",
    "供热温度不达标，家中室温偏低。",
]


# --- the hotline orders -----------------------------------------------------------------------


def order_rows(count: int, seed: int) -> Iterator[list[Any]]:
    """``count`` orders in arrival order over five years, as the field values of HotlineOrder
    (most closed on time; the last days' orders open at their step)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from gridgov.areas.models import Area, AreaLevel
    from gridgov.categories.models import Category
    from gridgov.hotline.models import HotlineOrder, OrderStatus, OrderStep
    from gridgov.people.models import Department, DepartmentKind

    rng = random.Random(seed)
    now = timezone.now()
    areas = Area.objects.current()
    villages = dict(areas.filter(level=AreaLevel.VILLAGE).values_list("pk", "parent_id"))
    grids = [
        (pk, villages[parent], path)
        for pk, parent, path in areas.filter(level=AreaLevel.GRID).values_list("pk", "parent_id", "path")
    ]
    categories = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    departments = list(Department.objects.exclude(kind=DepartmentKind.VILLAGE).values_list("pk", flat=True))
    creator = get_user_model().objects.filter(username="center01").values_list("pk", flat=True).first()
    fields = [f for f in HotlineOrder._meta.concrete_fields if not f.primary_key]
    # Each column's default prepared once (the model's own defaults, auto_now as now); a row
    # prepares only the values it sets (a model instance per row made two million rows slow).
    blank = HotlineOrder()
    from django.db import connection

    template = [
        (
            f.attname,
            f.column,
            f.get_db_prep_save(
                now
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                else getattr(blank, f.attname),
                connection,
            ),
        )
        for f in fields
    ]
    span = dt.timedelta(days=365 * 5)
    first = now - span
    step_for = {
        OrderStatus.RECEIVED: OrderStep.ACKNOWLEDGE,
        OrderStatus.ACKNOWLEDGED: OrderStep.INSTRUCT,
        OrderStatus.INSTRUCTED: OrderStep.DRAFT,
        OrderStatus.DRAFTED: OrderStep.APPROVE,
    }
    for serial in range(count):
        arrived = first + dt.timedelta(seconds=span.total_seconds() * (serial + rng.random()) / count)
        grid_id, town_id, path = grids[int(rng.random() ** 1.6 * len(grids))]
        age = now - arrived
        reply_deadline = arrived + dt.timedelta(days=5)
        values: dict[str, Any] = {
            "source_system": "district" if rng.random() < 0.7 else "city",
            "upstream_number": f"BENCH{serial:09d}",
            "town_id": town_id,
            "grid_id": grid_id,
            "area_path": path,
            "order_type": rng.choice(["enquiry", "help", "complaint", "suggestion", "report"]),
            "content": rng.choice(ORDER_TEXTS),
            "category_id": rng.choice(categories),
            "received_at": arrived - dt.timedelta(minutes=20),
            "arrived_at": arrived,
            "anonymous": True,
            "lead_department_id": rng.choice(departments),
            "reply_deadline": reply_deadline,
            "created_by_id": creator,
            "version": 1,
        }
        if age > dt.timedelta(days=6):
            late = rng.random() < 0.04
            replied = arrived + dt.timedelta(days=6 if late else rng.uniform(0.5, 4.5))
            values.update(
                status=OrderStatus.CLOSED,
                acknowledged_at=arrived + dt.timedelta(minutes=rng.uniform(5, 50)),
                replied_at=replied,
                closed_at=replied + dt.timedelta(hours=rng.uniform(2, 48)),
                ack_on_time=True,
                reply_on_time=not late,
                reply_text="已处理，情况属实，已督促整改到位。",
            )
        else:
            status = rng.choice(list(step_for))
            started = arrived + age * rng.random() * 0.5
            deadline = started + dt.timedelta(hours=24)
            values.update(
                status=status,
                step=step_for[status],
                step_started_at=started,
                step_warn_at=started + dt.timedelta(hours=19),
                step_deadline=deadline,
                next_alert_at=now + dt.timedelta(days=1),
            )
        # The values set here are plain strings, numbers, booleans and times: COPY adapts them.
        yield [values.get(name, default) for name, _column, default in template]


def generate_orders(count: int, seed: int) -> float:
    """Write ``count`` orders with ``COPY`` (indexes dropped first, rebuilt after)."""
    from django.db import connection

    from gridgov.core import textsearch
    from gridgov.hotline.models import HotlineOrder
    from gridgov.hotline.selectors import SEARCHED

    if connection.vendor != "postgresql":
        raise SystemExit("the district bench runs on PostgreSQL (--database-url)")
    table = HotlineOrder._meta.db_table
    columns = [f.column for f in HotlineOrder._meta.concrete_fields if not f.primary_key]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
            [table, "%pkey"],
        )
        indexes = [(name, sql) for name, sql in cursor.fetchall() if "UNIQUE" not in sql.upper()]
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    source = order_rows(count, seed)
    raw = connection.connection
    made = 0
    while made < count:
        batch = list(islice(source, min(CHUNK, count - made)))
        raw.execute("SET session_replication_role = replica")
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row(row)
        raw.execute("SET session_replication_role = origin")
        raw.commit()
        made += len(batch)
        progress("orders", made, count, started)
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)
    ensure_indexes(HotlineOrder)
    began = time.perf_counter()
    textsearch.rebuild(connection, table, SEARCHED)  # COPY ran with the triggers off
    print(f"  the text filter's side table written in {time.perf_counter() - began:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def ensure_indexes(model: Any) -> None:
    """Create the model's indexes that are missing (a run stopped between dropping and
    rebuilding them leaves the table bare)."""
    from django.db import connection

    with connection.schema_editor() as schema:
        editor: Any = schema  # the backend's private index builders, as its own migrations use them
        statements = [str(s) for field in model._meta.local_fields for s in editor._field_indexes_sql(model, field)]
        statements += [str(index.create_sql(model, editor)) for index in model._meta.indexes]
        statements += [str(s) for s in editor._model_indexes_sql(model)]
    with connection.cursor() as cursor:
        for sql in dict.fromkeys(statements):
            cursor.execute(sql.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))


# --- the measurements -------------------------------------------------------------------------


def lines(center_town: Any) -> list[tuple[str, str, str, dict[str, str]]]:
    """(label, username, url, query) of every timed page."""
    from gridgov.areas.models import Area, AreaLevel
    from gridgov.cases.models import Case
    from gridgov.cases.views import QUEUES
    from gridgov.categories.models import Category
    from gridgov.hotline.models import HotlineOrder
    from gridgov.hotline.selectors import QUEUES as ORDER_QUEUES
    from gridgov.people.models import Department

    village = (
        Area.objects.current()
        .filter(level=AreaLevel.VILLAGE, path__startswith=center_town.path)
        .order_by("code")
        .first()
    )
    grid = (
        Area.objects.current().filter(level=AreaLevel.GRID, path__startswith=center_town.path).order_by("code").first()
    )
    busy = Category.objects.filter(parent__isnull=False).order_by("code").first()
    department = Department.objects.filter(code="urban_mgmt").first()
    assert village and grid and busy and department
    today = dt.date.today()
    month = {"date_from": (today - dt.timedelta(days=30)).isoformat(), "date_to": today.isoformat()}
    demo_case = Case.objects.filter(town=center_town, events__isnull=False).order_by("-pk").first()
    demo_order = HotlineOrder.objects.filter(town=center_town, events__isnull=False).order_by("-pk").first()
    found: list[tuple[str, str, str, dict[str, str]]] = []
    for user in ("center01", "super01"):
        case_lines = [
            (f"cases, {user}, no filter", user, "/cases/", {}),
            (f"cases, {user}, status in progress", user, "/cases/", {"status": "in_progress"}),
            (f"cases, {user}, status closed", user, "/cases/", {"status": "closed"}),
            (f"cases, {user}, category", user, "/cases/", {"category": busy.code}),
            (f"cases, {user}, village", user, "/cases/", {"grid": village.code}),
            (f"cases, {user}, grid", user, "/cases/", {"grid": grid.code}),
            (f"cases, {user}, department", user, "/cases/", {"department": department.code}),
            (f"cases, {user}, source hotline", user, "/cases/", {"source": "hotline"}),
            (f"cases, {user}, light red", user, "/cases/", {"light": "red"}),
            (f"cases, {user}, last 30 days", user, "/cases/", month),
            (f"cases, {user}, text in 1 of 15 cases", user, "/cases/", {"text": "路灯"}),
            (f"cases, {user}, text in 1 of 2,000 cases", user, "/cases/", {"text": RARE}),
            (f"cases, {user}, text in no case", user, "/cases/", {"text": "地震"}),
            (f"cases, {user}, text of one character", user, "/cases/", {"text": "震"}),
            (
                f"cases, {user}, grid + category + 30 days",
                user,
                "/cases/",
                {"grid": grid.code, "category": busy.code, **month},
            ),
        ]
        # A filtered list's count is loaded after it (/cases/count/): timed as a line of its own.
        found += case_lines
        found += [(f"{label} · count", user, "/cases/count/", query) for label, _u, _p, query in case_lines if query]
        found += [
            (f"cases, {user}, tab {queue}", user, "/cases/", {"queue": str(queue)})
            for queue in QUEUES
            if queue != "all"
        ]
        found += [
            (f"orders, {user}, no filter", user, "/hotline/", {}),
            (f"orders, {user}, last 30 days", user, "/hotline/", month),
            (f"orders, {user}, text in 1 of 5 orders", user, "/hotline/", {"text": "噪音"}),
            (f"orders, {user}, text in no order", user, "/hotline/", {"text": "地震"}),
        ]
        found += [(f"orders, {user}, tab {queue}", user, "/hotline/", {"queue": str(queue)}) for queue in ORDER_QUEUES]
    found += [
        ("department inbox (cases), dept02", "dept02", "/cases/department/", {}),
        ("department inbox (orders), dept02", "dept02", "/hotline/department/", {}),
    ]
    if demo_case is not None:
        found.append(("case page (with its history), center01", "center01", f"/cases/{demo_case.pk}/", {}))
    bulk_case = Case.objects.filter(town=center_town).order_by("-reported_at").values_list("pk", flat=True).first()
    found.append(("case page (bulk row), center01", "center01", f"/cases/{bulk_case}/", {}))
    if demo_order is not None:
        found.append(("order page (with its history), center01", "center01", f"/hotline/orders/{demo_order.pk}/", {}))
    return found


def measure(repeat: int, only: list[str], explain: bool) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gridgov.areas.models import Area
    from gridgov.demo.taiping import TOWN_CODE

    users = get_user_model().objects
    clients: dict[str, Client] = {}
    town = Area.objects.current().get(code=TOWN_CODE)
    print(f"\n  {'line':<52}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'SQL':>6}{'slowest':>10}")
    for label, username, url, query in lines(town):
        if only and not any(part in label for part in only):
            continue
        if username not in clients:
            client = Client(HTTP_HOST="localhost")
            client.force_login(users.get(username=username))
            clients[username] = client
        client = clients[username]

        def run(client: Client = client, url: str = url, query: dict[str, str] = query) -> Any:
            response = client.get(url, query, secure=True)
            if response.status_code != 200:
                raise SystemExit(f"{url} {query}: HTTP {response.status_code}")
            return response

        run()
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            run()
            times.append((time.perf_counter() - began) * 1000)
        with CaptureQueriesContext(connection) as captured:
            run()
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]), default={"time": "0", "sql": ""})
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"  {label:<52}{statistics.median(times):9.1f}{p95:9.1f}{times[-1]:9.1f}"
            f"{len(captured.captured_queries):6d}{float(slowest['time']) * 1000:10.1f}",
            flush=True,
        )
        if explain and slowest["sql"]:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
                for (row,) in cursor.fetchall():
                    print(f"      {row}")


def measure_sweeps(repeat: int) -> None:
    from django.utils import timezone

    from gridgov.cases.services import sweep_due as case_sweep
    from gridgov.hotline.services import sweep_due as order_sweep

    print(f"\n  {'sweep, nothing due':<52}{'p50 ms':>9}{'max ms':>9}")
    for label, sweep in (("cases", case_sweep), ("hotline orders", order_sweep)):
        now = timezone.now()
        sweep(now)  # clears what the generator left due, then the steady state
        times = []
        for _ in range(max(repeat, 5)):
            began = time.perf_counter()
            sweep(now)
            times.append((time.perf_counter() - began) * 1000)
        print(f"  {label:<52}{statistics.median(times):9.2f}{max(times):9.2f}")


def sizes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"\ndatabase size: {cursor.fetchone()[0]}")
        cursor.execute(
            "SELECT relname, relkind, pg_size_pretty(pg_total_relation_size(c.oid)), pg_total_relation_size(c.oid)"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND relkind IN ('r', 'i') ORDER BY 4 DESC LIMIT 25"
        )
        for name, kind, size, _bytes in cursor.fetchall():
            print(f"  {'table' if kind == 'r' else 'index':<6}{name:<48}{size:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server")
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--orders", type=int, default=2_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated database and reuse it next time")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) each line's slowest query")
    parser.add_argument("--only", action="append", default=[], help="time only lines whose label contains this")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--orders-only", action="store_true", help="resume a kept database whose cases are written: the orders only"
    )
    args = parser.parse_args()
    args.database_name = f"gridgov_bench_district_{args.cases // 1000}k"
    if args.orders_only:
        from urllib.parse import urlsplit, urlunsplit

        url = urlunsplit(urlsplit(args.database_url)._replace(path=f"/{args.database_name}"))
        with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as tmp:
            setup_page_django(Path(tmp), url)
            from gridgov.hotline.models import HotlineOrder

            HotlineOrder.objects.filter(upstream_number__startswith="BENCH").delete()
            seconds = generate_orders(args.orders, args.seed)
            print(f"orders:   {args.orders:,} in {seconds:.0f} s", flush=True)
            mark_ready(url)
        return

    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as tmp:
        workdir = Path(tmp)
        database_url, ready, drop = database_for(args, workdir)
        try:
            began = time.perf_counter()
            setup_page_django(workdir, database_url)
            from django.core.management import call_command
            from django.db import connection

            print(f"database: {connection.vendor}, {args.cases:,} cases, {args.orders:,} orders", flush=True)
            if ready:
                print("          (kept from an earlier run)")
            else:
                call_command(
                    "load_demo", "--allow-production-db", "--no-patrols", "--no-visits", verbosity=0
                )  # the demo town's history through the services
                build_district(random.Random(args.seed))
                seconds = generate_cases(args.cases, args.seed)
                print(f"cases:    {args.cases:,} in {seconds:.0f} s", flush=True)
                seconds = generate_orders(args.orders, args.seed)
                print(f"orders:   {args.orders:,} in {seconds:.0f} s ({time.perf_counter() - began:.0f} s in all)")
                if args.keep:
                    mark_ready(database_url)
            if args.generate_only:
                return
            measure(args.repeat, args.only, args.explain)
            measure_sweeps(args.repeat)
            sizes()
        finally:
            drop()


if __name__ == "__main__":
    main()
