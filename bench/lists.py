"""List-read benchmark: the first page of cases and a page far down, keyset against OFFSET.

    .venv/bin/python bench/lists.py [--rows 200000] [--full] [--depth N] [--database-url postgres://...]

Sets up Django (DEBUG off) on a fresh database (a SQLite file in a temporary folder, or a new
PostgreSQL database on the server of ``--database-url``, dropped afterwards), loads the demo's
areas, people and categories, creates ``--services`` cases through the case services
(``generate_cases``), then bulk-inserts ``--rows`` plain ``Case`` rows with ``bulk_create``.

The bulk rows exist for this list-read benchmark only: they have realistic columns (town,
grid, area path, category, status, stage deadlines, report times over two years) but no
history, stages or notifications, which a list page does not read. Filling a database
through the services instead runs at tens of cases per second (see ``generate_cases``).

Then, as the center operator ``center01`` (the whole town) and as ``super01`` (everything),
it times ``gridgov.cases.selectors.page`` (newest first, keyset cursor) for the first page and
for the page starting ``--depth`` rows down (default: 1,000,000 or the table size less a
page), and, for contrast, the same page read with OFFSET. Each figure is the median of
``--repeat`` runs after one warm-up. ``--full`` means one million bulk rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, load_demo_people, setup_django

PAGE = 50


def bulk_cases(rows: int, seed: int, batch: int = 5000) -> float:
    """Insert ``rows`` Case rows directly (list-read bench only). Returns the seconds taken."""
    from django.db import transaction
    from django.utils import timezone

    from gridgov.areas.models import Area, AreaLevel
    from gridgov.cases.models import OPEN_STATUSES, STATUS_STAGE, Case, Source, Status
    from gridgov.categories.models import Category
    from gridgov.demo.taiping import TOWN_CODE

    rng = random.Random(seed)
    town = Area.objects.current().get(code=TOWN_CODE)
    grids = list(Area.objects.current().filter(level=AreaLevel.GRID, path__startswith=town.path))
    categories = list(Category.objects.filter(parent__isnull=False).exclude(default_department=None))
    statuses = list(Status.values)
    weights = [40 if s == Status.CLOSED else 5 if s == Status.VOIDED else 55 / len(OPEN_STATUSES) for s in statuses]
    now = timezone.now()
    span = dt.timedelta(days=730).total_seconds()
    started = time.perf_counter()
    made = 0
    while made < rows:
        size = min(batch, rows - made)
        items = []
        for offset in range(size):
            index = made + offset + 1
            grid = rng.choice(grids)
            category = rng.choice(categories)
            status = rng.choices(statuses, weights=weights)[0]
            reported = now - dt.timedelta(seconds=rng.random() * span)
            stage = STATUS_STAGE.get(status, "")
            deadline = reported + dt.timedelta(hours=rng.uniform(1, 200)) if stage else None
            items.append(
                Case(
                    number=f"B{reported.year}-{index:09d}",
                    town=town,
                    grid=grid,
                    area_path=grid.path,
                    category=category,
                    source=Source.GRID_REPORT,
                    status=status,
                    description="批量生成的列表测试事件",
                    address=grid.name,
                    lat=grid.center_lat,
                    lng=grid.center_lng,
                    stage=stage,
                    stage_started_at=reported if stage else None,
                    stage_deadline=deadline,
                    stage_warn_at=(reported + (deadline - reported) * 0.8) if deadline else None,
                    reported_at=reported,
                    closed_at=reported + dt.timedelta(days=2) if status == Status.CLOSED else None,
                )
            )
        with transaction.atomic():
            Case.objects.bulk_create(items, batch_size=1000)
        made += size
        if made % 100_000 == 0 or made == rows:
            elapsed = time.perf_counter() - started
            print(f"  bulk rows: {made:,}/{rows:,} ({made / elapsed:,.0f} rows/s)", flush=True)
    return time.perf_counter() - started


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median milliseconds of ``repeat`` runs after a warm-up, and the last result."""
    result = function()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


def measure(username: str, depth: int, repeat: int, open_only: bool) -> None:
    from django.contrib.auth import get_user_model

    from gridgov.cases import selectors
    from gridgov.cases.deadlines import light_expression
    from gridgov.cases.models import OPEN_STATUSES
    from gridgov.cases.selectors import ORDER, CaseFilters, apply_filters, cases_visible, page
    from gridgov.core.pagination import cursor_after

    user = get_user_model().objects.get(username=username)
    query = cases_visible(user)
    label = f"{username} (all visible)"
    if open_only:
        query = apply_filters(user, query, CaseFilters(status=sorted(OPEN_STATUSES)))
        label = f"{username} (open cases)"
    total = query.count()
    depth = min(depth, max(total - PAGE, 0))
    ordered = query.order_by(*ORDER)
    # The cursor a client would hold after paging down to ``depth`` (found once, untimed).
    anchor = ordered.only("id", "reported_at")[depth - 1] if depth > 0 else None
    cursor = cursor_after(anchor, ORDER) if anchor is not None else None

    first_ms, first = timed(lambda: page(query, limit=PAGE), repeat)
    deep_ms, deep = timed(lambda: page(query, cursor=cursor, limit=PAGE), repeat)

    def offset_page() -> list[Any]:
        rows = ordered.select_related("category", "grid", "lead_department").annotate(
            light=light_expression(selectors.timezone.now())
        )
        return list(rows[depth : depth + PAGE])

    offset_ms, by_offset = timed(offset_page, max(1, min(repeat, 3)))
    same = [c.pk for c in deep.items] == [c.pk for c in by_offset]
    print(f"{label}: {total:,} rows")
    deep_label = f"page at {depth:,}"
    print(f"  {'first page (keyset):':<32}{first_ms:9.2f} ms  ({len(first.items)} rows)")
    print(f"  {deep_label + ' (keyset):':<32}{deep_ms:9.2f} ms  ({len(deep.items)} rows)")
    print(f"  {deep_label + ' (OFFSET):':<32}{offset_ms:9.2f} ms  (same rows as keyset: {'yes' if same else 'NO'})")


def measure_sweep(due: int) -> None:
    """The deadline sweep over the same table: once with nothing due (the common minute), once
    with ``due`` cases whose alert time has just passed."""
    from django.db.models import F
    from django.utils import timezone

    from gridgov.cases.models import OPEN_STATUSES, Case
    from gridgov.cases.services import sweep_due

    now = timezone.now()
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES, stage_deadline__isnull=False)
    # A steady state: every open case's next alert lies ahead (its 80 % point or deadline).
    open_cases.update(next_alert_at=now + dt.timedelta(days=1))
    total = open_cases.count()
    quiet, counts = timed(lambda: sweep_due(now), 5)
    print(f"sweep over {total:,} open cases with a pending alert:")
    print(f"  nothing due:                   {quiet:8.2f} ms  {counts}")
    ids = list(open_cases.order_by("?").values_list("id", flat=True)[:due])
    Case.objects.filter(id__in=ids).update(next_alert_at=F("stage_warn_at"))
    started = time.perf_counter()
    counts = sweep_due(now)
    busy = time.perf_counter() - started
    print(f"  {len(ids):,} due:                     {busy * 1000:8.2f} ms  {counts} (bulk rows have no stage row,")
    print("  so each due case is read, locked and cleared without a notice)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="bulk rows (default 200,000)")
    parser.add_argument("--full", action="store_true", help="one million bulk rows")
    parser.add_argument("--services", type=int, default=200, help="cases made through the services (default 200)")
    parser.add_argument("--depth", type=int, default=1_000_000, help="rows down for the deep page (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median; default 5)")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a fresh database on")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--due", type=int, default=500, help="cases made due for the sweep measurement (default 500)")
    args = parser.parse_args()
    rows = 1_000_000 if args.full else args.rows

    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as tmp:
        workdir = Path(tmp)
        database_url, drop = fresh_database(workdir, args.database_url, "lists")
        try:
            setup_django(workdir, database_url)
            from django.core.management import call_command
            from django.db import connection

            load_demo_people()
            began = time.perf_counter()
            call_command(
                "generate_cases",
                str(args.services),
                "--seed",
                str(args.seed),
                "--allow-production-db",
                verbosity=0,
                stdout=sys.stderr,
            )
            services_seconds = time.perf_counter() - began
            bulk_seconds = bulk_cases(rows, args.seed)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh planner statistics, as a live database has
            print(f"database:   {connection.vendor}")
            print(f"fill:       {args.services:,} cases through the services in {services_seconds:.1f} s;")
            print(f"            {rows:,} bulk rows (list-read bench only) in {bulk_seconds:.1f} s")
            for username, open_only in (("center01", False), ("super01", False), ("center01", True)):
                measure(username, args.depth, args.repeat, open_only)
            measure_sweep(args.due)
        finally:
            drop()


if __name__ == "__main__":
    main()
