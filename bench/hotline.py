"""Benchmark of the hotline services: the demo's order history, then ``order_act`` one by one.

    .venv/bin/python bench/hotline.py [--orders 300] [--acts 100] [--database-url postgres://...] [--quick]

Runs in one process with DEBUG off on a fresh database (a SQLite file in a temporary folder,
or a new PostgreSQL database on the server of ``--database-url``, dropped afterwards), after
loading the demo's areas, people and categories (no cases, no orders):

1. ``gridgov.demo.hotline.generate_demo_orders(count=--orders)``: receive the orders and play
   their stories through ``order_receive``, ``order_act`` and ``order_event`` (what
   ``load_demo`` does), in one transaction. Prints the time, orders and service calls per
   second, and SQL statements per order.
2. ``--acts`` new orders received through ``order_receive`` (channel ``api``), then moved
   through acknowledge → instruct → draft_reply → approve_reply, each call in its own
   transaction as in a request. Prints, per action, calls per second, mean latency and SQL
   statements per call.

Statements are counted with a connection execute wrapper (savepoints included, the
transaction's BEGIN and COMMIT not). See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, load_demo_people, setup_django


class Counter:
    """Counts the SQL statements run on the default connection (no query log needed)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting() -> Iterator[Counter]:
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        yield counter


def demo_history(count: int) -> tuple[float, int, int, int]:
    """Seconds, orders created, service calls and SQL statements of the demo's history."""
    from gridgov.demo.hotline import generate_demo_orders

    with counting() as counter:
        began = time.perf_counter()
        stats = generate_demo_orders(count=count)
        seconds = time.perf_counter() - began
    return seconds, stats.created, stats.created + stats.actions, counter.count


def act_throughput(count: int) -> list[tuple[str, int, float, int]]:
    """(step, calls, seconds, statements) for each step of the main path, ``count`` orders."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from gridgov.demo.hotline import TOWN_CODE
    from gridgov.hotline import services
    from gridgov.hotline.intake import OrderData
    from gridgov.people.models import Department, Role, RoleAssignment

    User = get_user_model()
    upstream = User.objects.get(username="upstream01")
    center = User.objects.get(username="center01")
    leader = User.objects.get(username="leader01")
    lead = (
        RoleAssignment.objects.filter(role=Role.DEPARTMENT_HANDLER, department__isnull=False, user__is_active=True)
        .select_related("user", "department")
        .order_by("department__code", "user_id")
        .first()
    )
    assert lead is not None and lead.department is not None
    handler, department = lead.user, lead.department
    other = Department.objects.filter(is_active=True).exclude(pk=department.pk).order_by("code").first()
    codes = [department.code, *([other.code] if other is not None else [])]
    now = timezone.now() - dt.timedelta(hours=2)

    def receive(index: int) -> int:
        data = OrderData(
            source_system="district",
            upstream_number=f"BENCH{index:06d}",
            received_at=now - dt.timedelta(minutes=5),
            order_type="complaint",
            urgency_class="general",
            content="压力测试工单：小区门口路灯不亮，晚上出行不便。",
            title="路灯不亮",
            upstream_category="市政设施",
            address="太平镇测试地址",
            petitioner_name="张三",
            petitioner_phone="13800000000",
            petitioner_address="天津市滨海新区太平镇测试地址1号",
            town_code=TOWN_CODE,
        )
        return services.order_receive(actor=upstream, data=data, channel="api", at=now).order.pk

    steps: list[tuple[str, Callable[[int], Any]]] = [
        ("order_receive", receive),
        ("acknowledge", lambda pk: services.order_act(order_id=pk, action="acknowledge", actor=center)),
        (
            "instruct",
            lambda pk: services.order_act(
                order_id=pk, action="instruct", actor=leader, instruction="请尽快处理。", departments=codes
            ),
        ),
        (
            "draft_reply",
            lambda pk: services.order_act(order_id=pk, action="draft_reply", actor=handler, text="已修复。"),
        ),
        ("approve_reply", lambda pk: services.order_act(order_id=pk, action="approve_reply", actor=center)),
    ]
    results = []
    ids: list[int] = list(range(count))
    for name, call in steps:
        with counting() as counter:
            began = time.perf_counter()
            outcome = [call(pk) for pk in ids]
            seconds = time.perf_counter() - began
        if name == "order_receive":
            ids = outcome
        results.append((name, len(ids), seconds, counter.count))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300, help="demo orders to generate (default 300)")
    parser.add_argument("--acts", type=int, default=100, help="orders for the order_act throughput (default 100)")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a fresh database on")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (60 orders, 20 acts)")
    args = parser.parse_args()
    if args.quick:
        args.orders, args.acts = 60, 20

    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as tmp:
        workdir = Path(tmp)
        database_url, drop = fresh_database(workdir, args.database_url, "hotline")
        try:
            started = time.perf_counter()
            setup_django(workdir, database_url)
            load_demo_people()
            setup_seconds = time.perf_counter() - started
            from django.db import connection

            vendor = connection.vendor
            best = demo_history(args.orders)
            acts = act_throughput(args.acts) if args.acts else []
        finally:
            drop()
    seconds, created, calls, statements = best
    print(f"database:                {vendor}, DEBUG off, one process; set-up (migrate, demo) {setup_seconds:.1f} s")
    print(
        f"generate_demo_orders:    {created} orders, {calls} service calls in {seconds:.1f} s "
        f"({created / seconds:.1f} orders/s, {calls / seconds:.0f} calls/s; "
        f"{statements / max(created, 1):.0f} SQL statements per order, {statements / max(calls, 1):.1f} per call)"
    )
    for name, count, secs, queries in acts:
        print(
            f"{name + ':':<25}{count / secs:7.0f} per second, {secs / count * 1000:5.1f} ms each, "
            f"{queries / count:4.1f} SQL statements each (savepoints included)"
        )


if __name__ == "__main__":
    main()
