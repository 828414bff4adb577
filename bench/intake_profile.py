"""Where one report's time goes: ``POST /api/v1/cases`` through Django's test client in one
process (no HTTP, no other threads), timed and profiled with cProfile.

    .venv/bin/python bench/intake_profile.py [--reports 300] [--database-url postgres://...]
                                             [--top 40] [--output var/bench/intake.prof]

On a fresh database (like ``bench/intake.py``: the demo's areas, people and categories, a
bearer token per grid worker), sends ``--reports`` reports three times without the profiler
and once with it, and prints: the statements of one report, each statement's time as the
client sees it (sending it, the server's work, the answer: a further round of ``--reports``),
the time of a report (median of the three unprofiled rounds), and the project's functions by
cumulative profiled time. The profile is written to ``--output`` for a closer look
(``python -m pstats``, snakeviz). The profiler slows the ORM more than the rest, so read its
shares as an upper bound of the ORM's.
See docs/benchmarks.md, "Intake".
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, fresh_database, load_demo_people, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "bench" / "intake.prof")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gridgov-intake-profile-") as folder:
        workdir = Path(folder)
        url, drop = fresh_database(workdir, args.database_url, "profile")
        try:
            setup_django(workdir, url, "bench.bench_settings")
            load_demo_people()
            run(args)
        finally:
            drop()


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.intake import prepare_clients, request_body

    clients = prepare_clients(4)
    browser = Client(SERVER_NAME="127.0.0.1")
    rng = random.Random(1)

    def report(index: int) -> None:
        path, body, headers = request_body("cases", clients[index % len(clients)], rng)
        response = browser.post(
            path,
            body,
            content_type="application/json",
            headers={"Authorization": headers["Authorization"], "Idempotency-Key": headers["Idempotency-Key"]},
        )
        if response.status_code != 201:
            raise SystemExit(f"report refused: {response.status_code} {response.content[:300]!r}")

    for index in range(30):  # warm-up: caches, the locate index, the first rollup rows
        report(index)
    with CaptureQueriesContext(connection) as queries:
        report(0)
    print(f"database:           {connection.vendor}")
    print(f"statements:         {len(queries.captured_queries)} in one report")
    for query in queries.captured_queries:
        print(f"    {query['sql'][:110]}")
    timed: dict[str, list[float]] = {}

    def timer(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            head = " ".join(sql.split()[:3])[:60]
            timed.setdefault(head, []).append((time.perf_counter() - started) * 1000)

    with connection.execute_wrapper(timer):
        for index in range(args.reports):
            report(index)
    print("statement times:    median / mean a report, ms, as the client sees them (send, run, answer)")
    for head, times in sorted(timed.items(), key=lambda item: -sum(item[1])):
        print(f"    {statistics.median(times):6.3f} / {sum(times) / args.reports:6.3f}  {head}")
    rounds = []
    for _ in range(3):
        started = time.perf_counter()
        for index in range(args.reports):
            report(index)
        rounds.append((time.perf_counter() - started) / args.reports * 1000)
    print(
        f"one report:         {statistics.median(rounds):.2f} ms (median of 3 rounds of {args.reports}; "
        f"{', '.join(f'{value:.2f}' for value in rounds)})"
    )
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for index in range(args.reports):
        report(index)
    profile.disable()
    print(f"profiled:           {(time.perf_counter() - started) / args.reports * 1000:.2f} ms a report")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    profile.dump_stats(args.output)
    print(f"profile written to: {args.output}")
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(r"gridgov/", args.top)


if __name__ == "__main__":
    main()
