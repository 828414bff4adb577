"""Benchmark of case intake over HTTP: case creations per second beside a bare insert.

    .venv/bin/python bench/intake.py [--clients 8] [--seconds 10] [--rounds 2] [--workers 2]
                                     [--threads 4] [--database-url postgres://...] [--quick]
                                     [--peer] [--no-bare]

Starts a real server (gunicorn, ``config.wsgi`` with ``bench.bench_settings``: the product's
URLs plus ``/bench/bare-insert/``) with DEBUG off on a fresh database (a SQLite file in a
temporary folder, or a new PostgreSQL database on the server of ``--database-url``, dropped
afterwards), loads the demo's areas, people and categories (no cases), issues a bearer token
to every grid worker, then lets ``--clients`` threads (each with one keep-alive
``http.client`` connection) send requests as fast as they can:

- full stack: ``POST /api/v1/cases`` with an ``Idempotency-Key`` and a point inside the
  client's grid (token check, validation, grid lookup, number, deadlines, history, outbox);
- bare: ``POST /bench/bare-insert/``, a plain Django view that inserts one row.

The two alternate for ``--rounds`` rounds of ``--seconds`` each after a short warm-up, in the
same run on the same server. Prints both rates, latencies and their ratio (target: the full
stack at least 50 % of the bare rate). With ``--peer``, django-helpdesk 2.6.1 runs beside it
(``bench/intake_peer.py``: same database kind, same gunicorn settings, tickets created over its
token-authenticated REST API) and a third phase per round measures it; the GridGov/peer ratio
is printed (goal: at least 2× the rate, p95 no higher). See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, fresh_database, load_demo_people, setup_django
from bench.intake_peer import PEER_TICKETS_PATH

BARE_PATH = "/bench/bare-insert/"
CASES_PATH = "/api/v1/cases"


@dataclass
class Client:
    token: str
    points: list[tuple[float, float]]
    categories: list[str]
    peer_token: str = ""
    peer_queue: int = 0


@dataclass
class Result:
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""
    seconds: float = 0.0

    def add(self, other: Result) -> None:
        self.ok += other.ok
        self.errors += other.errors
        self.latencies += other.latencies
        self.first_error = self.first_error or other.first_error

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_clients(count: int) -> list[Client]:
    """Tokens for the grid workers and a few points inside each one's grid."""
    from django.contrib.auth import get_user_model

    from gridgov.areas.locate import locate
    from gridgov.areas.models import Area
    from gridgov.categories.models import Category
    from gridgov.people.models import Role, RoleAssignment
    from gridgov.people.services import token_issue

    rng = random.Random(7)
    categories = list(
        Category.objects.filter(parent__isnull=False, is_active=True, default_department__isnull=False)
        .order_by("code")
        .values_list("code", flat=True)
    )
    workers = list(
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, area__isnull=False)
        .select_related("user", "area")
        .order_by("area__code")
    )
    User = get_user_model()
    clients = []
    for index in range(count):
        assignment = workers[index % len(workers)]
        grid: Area = assignment.area  # type: ignore[assignment]
        assert grid.min_lat is not None and grid.max_lat is not None
        assert grid.min_lng is not None and grid.max_lng is not None
        points: list[tuple[float, float]] = []
        while len(points) < 20:
            lat = round(rng.uniform(grid.min_lat, grid.max_lat), 6)
            lng = round(rng.uniform(grid.min_lng, grid.max_lng), 6)
            found = locate(lat, lng)
            if found is not None and found.id == grid.pk:
                points.append((lat, lng))
        user = User.objects.get(pk=assignment.user_id)
        _token, raw = token_issue(actor=None, user=user, name=f"bench client {index}", ttl_seconds=86_400)
        clients.append(Client(raw, points, categories))
    return clients


def start_server(
    env: dict[str, str],
    port: int,
    workers: int,
    threads: int,
    log: Path,
    *,
    gunicorn: str | None = None,
    app: str = "config.wsgi",
    cwd: Path = ROOT,
    probe: str = BARE_PATH,
) -> subprocess.Popen[bytes]:
    command = [
        gunicorn or str(Path(sys.executable).with_name("gunicorn")),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    handle = log.open("wb")
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The server stopped at start:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", probe)
            if connection.getresponse().status in (401, 403, 405):
                connection.close()
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("The server did not answer within 60 s.")


def request_body(kind: str, client: Client, rng: random.Random) -> tuple[str, bytes, dict[str, str]]:
    if kind == "bare":
        return BARE_PATH, b"{}", {"Content-Type": "application/json"}
    if kind == "peer":
        ticket = {
            "queue": client.peer_queue,
            "title": "路边有车辆长期占道",
            "description": "压力测试上报：路边有车辆长期占道，影响通行。",
            "priority": 3,
        }
        headers = {"Content-Type": "application/json", "Authorization": f"Token {client.peer_token}"}
        return PEER_TICKETS_PATH, json.dumps(ticket).encode(), headers
    lat, lng = rng.choice(client.points)
    body = {
        "category": rng.choice(client.categories),
        "description": "压力测试上报：路边有车辆长期占道，影响通行。",
        "lat": lat,
        "lng": lng,
        "address": "测试地址",
    }
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {client.token}",
        "Idempotency-Key": str(uuid.uuid4()),
    }
    return CASES_PATH, json.dumps(body).encode(), headers


def run_phase(kind: str, port: int, clients: list[Client], seconds: float) -> Result:
    """Every client thread sends requests back to back for ``seconds``."""
    results = [Result() for _ in clients]
    start = threading.Barrier(len(clients) + 1)
    stop_at = [0.0]

    def work(index: int) -> None:
        client, result = clients[index], results[index]
        rng = random.Random(index)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        while time.perf_counter() < stop_at[0]:
            path, body, headers = request_body(kind, client, rng)
            began = time.perf_counter()
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as error:
                result.errors += 1
                result.first_error = result.first_error or f"{type(error).__name__}: {error}"
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            if response.status == 201:
                result.ok += 1
                result.latencies.append(time.perf_counter() - began)
            else:
                result.errors += 1
                result.first_error = (
                    result.first_error or f"{response.status}: {payload[:300].decode(errors='replace')}"
                )
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.close()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    total = Result(seconds=time.perf_counter() - began)
    for result in results:
        total.add(result)
    return total


def print_results(totals: dict[str, Result]) -> None:
    """Rates and latencies of every kind side by side, with the ratios."""
    full = totals["full"]
    labels = {"bare": "bare insert", "full": "POST /api/v1/cases", "peer": "peer ticket"}
    for kind in totals:
        result = totals[kind]
        print(
            f"{labels[kind] + ':':<21}{result.rate:8.1f} per second  ({result.ok} ok, {result.errors} errors; "
            f"p50 {result.percentile(0.5):.0f} ms, p95 {result.percentile(0.95):.0f} ms)"
        )
        if result.first_error:
            print(f"{'':<21}first error: {result.first_error}")
    if "bare" in totals:
        bare = totals["bare"]
        ratio = full.rate / bare.rate if bare.rate else 0.0
        print(f"full / bare:         {ratio:.0%}  (target ≥ 50 %)")
    if "peer" in totals:
        peer = totals["peer"]
        ratio = full.rate / peer.rate if peer.rate else 0.0
        p95 = full.percentile(0.95) / peer.percentile(0.95) if peer.latencies else 0.0
        print(f"GridGov / peer:      rate {ratio:.2f}×  (goal ≥ 2), p95 {p95:.2f}×  (goal ≤ 1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured phase (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="bare/full rounds (default 2)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per endpoint (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument(
        "--conn-max-age", type=int, default=60, help="DB_CONN_MAX_AGE of the server (default 60, as in production)"
    )
    parser.add_argument("--database-url", help="a PostgreSQL server to create a fresh database on")
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also run django-helpdesk 2.6.1 (ticket creation over its REST API) in the same run, same settings",
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare-insert phases")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (4 clients, 2 s, 1 round)")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.seconds, args.rounds, args.warmup = min(args.clients, 4), 2.0, 1, 0.5

    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as tmp:
        workdir = Path(tmp)
        database_url, drop = fresh_database(workdir, args.database_url, "intake")
        processes: list[subprocess.Popen[bytes]] = []
        drops = [drop]
        try:
            started = time.perf_counter()
            env = setup_django(workdir, database_url, "bench.bench_settings")
            load_demo_people()
            clients = prepare_clients(args.clients)
            from django.db import connection

            vendor = connection.vendor
            connection.close()
            setup_seconds = time.perf_counter() - started
            env["DB_CONN_MAX_AGE"] = str(args.conn_max_age)
            port = free_port()
            ports = {"bare": port, "full": port}
            kinds = ["full"] if args.no_bare else ["bare", "full"]
            if args.peer:
                from bench.intake_peer import peer_gunicorn, peer_seed, peer_ticket_count, peer_version, prepare_peer

                project, peer_env, peer_drop = prepare_peer(workdir, database_url, args.clients)
                drops.insert(0, peer_drop)
                queue, tokens = peer_seed(project)
                for client, token in zip(clients, tokens, strict=True):
                    client.peer_token, client.peer_queue = token, queue
                peer_env["DB_CONN_MAX_AGE"] = str(args.conn_max_age)
                ports["peer"] = free_port()
                kinds.append("peer")
            processes.append(start_server(env, port, args.workers, args.threads, workdir / "server.log"))
            if args.peer:
                processes.append(
                    start_server(
                        peer_env,
                        ports["peer"],
                        args.workers,
                        args.threads,
                        workdir / "peer.log",
                        gunicorn=peer_gunicorn(project),
                        app="peerproject.wsgi",
                        cwd=project,
                        probe=PEER_TICKETS_PATH,
                    )
                )

            for kind in kinds:
                run_phase(kind, ports[kind], clients, args.warmup)
            totals = {kind: Result() for kind in kinds}
            for _round in range(args.rounds):
                for kind in kinds:
                    result = run_phase(kind, ports[kind], clients, args.seconds)
                    totals[kind].add(result)
                    totals[kind].seconds += result.seconds

            from gridgov.cases.models import Case, CaseEvent

            cases = Case.objects.count()
            events = CaseEvent.objects.filter(action="report").count()
            full = totals["full"]
            print(f"database:            {vendor}; set-up (migrate, demo, tokens) {setup_seconds:.1f} s")
            print(
                f"server:              gunicorn, {args.workers} workers × {args.threads} threads, "
                f"keep-alive 30, DEBUG off, DB_CONN_MAX_AGE={args.conn_max_age} (GridGov and peer alike)"
            )
            print(f"clients:             {args.clients} threads, keep-alive, {args.rounds} × {args.seconds:g} s each")
            if args.peer:
                print(f"peer:                {peer_version(Path(peer_gunicorn(project)).with_name('python'))}")
            print_results(totals)
            if args.peer:
                print(f"peer tickets:        {peer_ticket_count(project, peer_env)} in its database")
            print(f"cases in database:   {cases} ({events} with their report event)")
            if full.latencies:
                print(f"mean case latency:   {statistics.mean(full.latencies) * 1000:.0f} ms")
        finally:
            for process in processes:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
            for remove in drops:
                remove()


if __name__ == "__main__":
    main()
