"""Load with faults: a district's busiest morning at ten times its peak, with four faults.

    make load                   # about 8 minutes
    make load ARGS=--quick      # about 4 minutes (2 minutes of load, then the outbox drain)
    .venv/bin/python bench/load/run.py [--seconds 240] [--users 30] [--quick] [--keep]

Starts everything the production layout has (docs/deployment.md), on the loopback and on
ports of its own, owned by this script and stopped at the end:

- a PostgreSQL cluster of its own (``initdb`` in a temporary folder, run as the ``postgres``
  user when this runs as root) and a redis-server of its own with the production settings
  (``deploy/redis/gridgov.conf``: append-only file, fsync every second): the faults restart
  THESE, never a server anyone else uses;
- a fresh database with the demo's areas, people and categories (bench/common.py);
- two gunicorn instances (``deploy/gunicorn.conf.py``, 2 workers of 4 threads each) behind
  nginx (round robin, as ``deploy/nginx`` with two servers in the upstream block);
- two Celery workers on different queues (``celery,notifications`` and
  ``upstream,imports,reports``, as ``deploy/systemd/gridgov-worker@.service``) and beat;
- a stand-in for the district hotline's webhook, which takes 0.3 s to answer each upstream
  message (so that a worker is caught mid-task) and records every message id it received.

Then Locust (in its own virtualenv, ``var/load-venv``) runs ``bench/load/locustfile.py``
headless, and the faults come on a timeline: ``kill -9`` of one gunicorn worker, ``kill -9``
of the upstream Celery worker while it sends a message (restarted a second later, as systemd's
``Restart=on-failure`` would), a restart of PostgreSQL (``pg_ctl restart -m fast``) and a
restart of Redis (SIGTERM, then started again on its append-only file).

After the load it waits for the upstream outbox to drain and checks:

- every write a client got a 2xx for is in the database (cases by the client's key, case
  actions by their key row and timeline entry, orders by upstream number, events by
  ``event_id``);
- no duplicate: one case per client key (counted in the descriptions, which carry the key),
  one order per upstream number, one event per ``event_id``;
- no stuck outbox message: every upstream message delivered (and received by the webhook);
- per fault: the requests that failed in the 30 s after it, and the time until service was
  back (the first success after the fault's last failed request; 0 when none failed).

Prints a table, writes ``var/load/<run>/timeline.csv`` (requests and failures per second) and
``timeline.svg``, and exits non-zero when a check fails. Figures: docs/benchmarks.md, "Load
with faults".
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import contextlib

from bench.common import ROOT, fresh_database, load_demo_people, setup_django

VENV_BIN = Path(sys.executable).parent
LOAD_VENV = ROOT / "var" / "load-venv"
RECOVERY_LIMIT_SECONDS = 5.0
FAULT_WINDOW_SECONDS = 30.0
WEBHOOK_DELAY_SECONDS = 0.3
UPSTREAM_SECRET = "load-test-secret"  # noqa: S105  (a throwaway key for the stand-in webhook)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"Nothing answered on port {port} within {seconds:.0f} s.")


# --- the servers this script owns ---------------------------------------------------------


class Postgres:
    """A PostgreSQL cluster in a temporary folder, on its own port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.folder = Path(tempfile.mkdtemp(prefix="gridgov-load-pg-"))
        self.data = self.folder / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")

    def run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        subprocess.run([*prefix, *command], check=True, stdout=subprocess.DEVNULL, cwd=self.folder)

    def start(self) -> None:
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "gridgov", "-E", "UTF8", "--locale=C")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-o", options, "-w", "start")

    def restart(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        try:
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql://gridgov@127.0.0.1:{self.port}/postgres"


class Redis:
    """A redis-server with the production settings, on its own port."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder / "redis"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        command += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
        command += ["--maxmemory", "512mb", "--maxmemory-policy", "noeviction"]
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"


@dataclass
class Webhook:
    """The district hotline's stand-in: takes every upstream message after a short delay."""

    port: int
    received: list[tuple[float, int]] = field(default_factory=list)
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                with webhook.lock:
                    webhook.in_flight += 1
                try:
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    time.sleep(WEBHOOK_DELAY_SECONDS)
                    message_id = int(json.loads(body).get("message_id") or 0)
                    with webhook.lock:
                        webhook.received.append((time.time(), message_id))
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": true}')
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sending worker was killed mid-send: the message is sent again
                finally:
                    with webhook.lock:
                        webhook.in_flight -= 1

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()


class Processes:
    """The application's processes (gunicorn, Celery, nginx), each in its own process group,
    supervised as systemd does with ``Restart=on-failure``: one that exits is started again
    after ``RESTART_SECONDS`` (deploy/systemd waits 5 s; here 1 s, so that a restart inside
    the run shows). Every such exit is recorded in ``exits``."""

    RESTART_SECONDS = 1.0

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        self.exits: list[tuple[float, str, int | None]] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.supervisor = threading.Thread(target=self.supervise, daemon=True)

    def start(self, name: str, command: list[str], **extra_env: str) -> subprocess.Popen[bytes]:
        env = {**self.env, **extra_env}
        log = (self.workdir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        with self.lock:
            self.running[name] = process
            self.commands[name] = (command, extra_env)
        if not self.supervisor.is_alive():
            self.supervisor.start()
        return process

    def supervise(self) -> None:
        while not self.stopping.wait(0.2):
            with self.lock:
                ended = [(name, p) for name, p in self.running.items() if p.poll() is not None]
            for name, process in ended:
                self.exits.append((time.time(), name, process.returncode))
                if self.stopping.wait(self.RESTART_SECONDS):
                    return
                command, extra_env = self.commands[name]
                self.start(name, command, **extra_env)

    def kill_group(self, name: str) -> None:
        """``kill -9`` of the process and its children; the supervisor starts it again."""
        process = self.running[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        self.stopping.set()
        with self.lock:
            processes = list(self.running.values())
        for process in processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream gridgov_app {{
        server 127.0.0.1:{port_a} max_fails=1 fail_timeout=2s;
        server 127.0.0.1:{port_b} max_fails=1 fail_timeout=2s;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 25m;
        client_body_buffer_size 25m;
        location / {{
            proxy_pass http://gridgov_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-ID $request_id;
            proxy_read_timeout 120s;
            proxy_buffering on;
            proxy_buffers 16 64k;
            proxy_max_temp_file_size 0;
        }}
    }}
}}
"""


# --- the scenario --------------------------------------------------------------------------


def photo_bytes() -> bytes:
    """A 640×480 JPEG of noise (about what a phone sends after its own downscale, ~100 KB)."""
    from PIL import Image

    rng = random.Random(3)
    image = Image.frombytes("RGB", (640, 480), bytes(rng.getrandbits(8) for _ in range(640 * 480 * 3)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=60)
    return buffer.getvalue()


def scenario(workdir: Path) -> Path:
    """Tokens for the demo's people by role, points inside each grid worker's grid."""
    from django.contrib.auth import get_user_model

    from bench.intake import prepare_clients
    from gridgov.areas.models import Area
    from gridgov.people.models import Role, RoleAssignment
    from gridgov.people.services import token_issue

    User = get_user_model()

    def people(role: str) -> list[RoleAssignment]:
        return list(RoleAssignment.objects.filter(role=role).select_related("user", "area").order_by("user__username"))

    def token(user: Any) -> str:
        return token_issue(actor=None, user=user, name="load test", ttl_seconds=86_400)[1]

    # In the order of bench.intake.prepare_clients, which issues the grid workers' tokens.
    grid_users = list(
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, area__isnull=False)
        .select_related("user", "area")
        .order_by("area__code")
    )
    grid = []
    for assignment, client in zip(grid_users, prepare_clients(len(grid_users)), strict=True):
        grid.append({"username": assignment.user.username, "token": client.token, "points": client.points})
        grid[-1]["categories"] = client.categories
    center = people(Role.CENTER_OPERATOR)
    towns = sorted({a.area.code for a in center if a.area is not None})
    upstream = []
    for assignment in people(Role.UPSTREAM):
        area: Area | None = assignment.area
        upstream.append(
            {
                "username": assignment.user.username,
                "token": token(assignment.user),
                "towns": [area.code] if area is not None and area.code in towns else towns,
            }
        )

    def tokens(role: str) -> list[dict[str, Any]]:
        users = {a.user_id for a in people(role)}
        return [{"username": u.username, "token": token(u)} for u in User.objects.filter(pk__in=users)]

    photo = workdir / "photo.jpg"
    photo.write_bytes(photo_bytes())
    data = {
        "grid": grid,
        "center": tokens(Role.CENTER_OPERATOR),
        "department": tokens(Role.DEPARTMENT_HANDLER),
        "leader": tokens(Role.TOWN_LEADER),
        "upstream": upstream,
        "photo": str(photo),
        "password": (ROOT / "gridgov" / "demo" / "password.txt").read_text().strip(),
        "acks": str(workdir / "acks.jsonl"),
        "requests": str(workdir / "requests.jsonl"),
    }
    path = workdir / "scenario.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    return path


@dataclass
class Fault:
    name: str
    at: float  # seconds after the load started
    began: float = 0.0  # wall-clock time of the injection
    ended: float = 0.0  # when the injecting command returned
    note: str = ""


def wait_for_worker(name: str, seconds: float = 60.0) -> float:
    """When the Celery worker ``name`` answers a ping (through the broker), or 0 if never."""
    from config.celery import app

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if app.control.ping(destination=[name], timeout=0.2):
            return time.time()
    return 0.0


def inject(fault: Fault, pg: Postgres, redis: Redis, procs: Processes, webhook: Webhook) -> None:
    if fault.name == "web worker kill -9":
        pid = children(procs.running["web-a"].pid)[0]
        fault.began = time.time()
        os.kill(pid, signal.SIGKILL)
        fault.note = f"gunicorn worker {pid} of instance A"
    elif fault.name == "Celery worker kill -9":
        # Mid-task: while the upstream worker is sending a message to the webhook.
        deadline = time.monotonic() + 15
        while webhook.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        mid_task = webhook.in_flight > 0
        fault.began = time.time()
        procs.kill_group("worker-upstream")
        answered = wait_for_worker("upstream@" + socket.gethostname())
        fault.note = "upstream worker, " + ("mid-send" if mid_task else "idle (no message in flight)")
        fault.note += f"; restarted, answers after {answered - fault.began:.1f} s" if answered else "; never answered"
    elif fault.name == "PostgreSQL restart":
        fault.began = time.time()
        pg.restart()
        fault.note = f"pg_ctl restart -m fast ({time.time() - fault.began:.1f} s)"
    elif fault.name == "Redis restart":
        fault.began = time.time()
        redis.restart()
        fault.note = f"SIGTERM, start on the AOF ({time.time() - fault.began:.1f} s)"
    fault.ended = time.time()


# --- the checks ----------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def check_writes(acks: list[dict[str, Any]]) -> tuple[list[tuple[str, int, int, int]], list[str]]:
    """(kind, acknowledged, missing, duplicated) per kind of write, and the problems found."""
    import re

    from gridgov.cases.models import Case, CaseEvent, IdempotencyKey
    from gridgov.hotline.models import HotlineOrder, OrderEvent

    problems: list[str] = []
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ack in acks:
        by_kind[ack["kind"]].append(ack)
    rows = []

    keys_in_text: Counter[str] = Counter()
    for description in Case.objects.filter(description__contains="[load:").values_list("description", flat=True):
        keys_in_text.update(re.findall(r"\[load:([0-9a-f-]{36})\]", description))
    case_keys = {
        (u, k): c for u, k, c in IdempotencyKey.objects.filter(action="").values_list("user__username", "key", "case")
    }
    lost = [a for a in by_kind["case"] if case_keys.get((a["user"], a["key"])) != a["id"] or not keys_in_text[a["key"]]]
    for ack in lost:
        case = Case.objects.filter(pk=ack["id"]).values("pk", "description", "reported_at").first()
        problems.append(f"case acknowledged but not found as sent: {ack} -> {case}")
    missing = len(lost)
    duplicated = sum(1 for count in keys_in_text.values() if count > 1)
    rows.append(("case reported (photo)", len(by_kind["case"]), missing, duplicated))

    action_keys = {
        (u, k): (c, act, e)
        for u, k, c, act, e in IdempotencyKey.objects.exclude(action="").values_list(
            "user__username", "key", "case", "action", "event"
        )
    }
    events = set(CaseEvent.objects.values_list("pk", flat=True))
    missing = 0
    for ack in by_kind["case_action"]:
        found = action_keys.get((ack["user"], ack["key"]))
        if found is None or found[0] != ack["case"] or found[1] != ack["action"] or found[2] not in events:
            missing += 1
    rows.append(("case action (key)", len(by_kind["case_action"]), missing, 0))

    numbers = Counter(HotlineOrder.objects.filter(source_system="district").values_list("upstream_number", flat=True))
    ids = dict(HotlineOrder.objects.values_list("upstream_number", "pk"))
    missing = sum(1 for a in by_kind["order"] if ids.get(a["number"]) != a["id"])
    duplicated = sum(1 for count in numbers.values() if count > 1)
    rows.append(("hotline order pushed", len(by_kind["order"]), missing, duplicated))

    acked_orders = {a["order"] for a in by_kind["order_action"]}
    acknowledged = set(
        HotlineOrder.objects.filter(pk__in=acked_orders, events__action="acknowledge").values_list("pk", flat=True)
    )
    rows.append(("order acknowledged", len(by_kind["order_action"]), len(acked_orders - acknowledged), 0))

    event_rows = Counter(OrderEvent.objects.exclude(event_id="").values_list("order", "event_id"))
    missing = sum(1 for a in by_kind["event"] if event_rows[(a["order"], a["event_id"])] == 0)
    duplicated = sum(1 for count in event_rows.values() if count > 1)
    rows.append(("hotline event (event_id)", len(by_kind["event"]), missing, duplicated))

    for kind, acked, not_found, dup in rows:
        if not_found:
            problems.append(f"{kind}: {not_found} of {acked} acknowledged writes not found")
        if dup:
            problems.append(f"{kind}: {dup} duplicated")
    return rows, problems


def outbox_state() -> tuple[int, int, int]:
    """(open messages, delivered, failed) of the upstream outbox, plus pending notification
    deliveries counted as open."""
    from gridgov.notify.models import Delivery, DeliveryStatus
    from gridgov.upstream.models import OPEN_MESSAGE_STATES, MessageState, UpstreamMessage

    open_count = UpstreamMessage.objects.filter(state__in=OPEN_MESSAGE_STATES).count()
    open_count += Delivery.objects.filter(status=DeliveryStatus.PENDING).count()
    delivered = UpstreamMessage.objects.filter(state=MessageState.DELIVERED).count()
    failed = UpstreamMessage.objects.filter(state=MessageState.FAILED).count()
    return open_count, delivered, failed


def fault_figures(faults: list[Fault], requests: list[dict[str, Any]]) -> list[tuple[str, str, int, int, float, float]]:
    """Per fault: (fault, note, requests, failed, error rate %, seconds until back). The window
    of a fault ends 30 s after it or at the next fault."""
    rows = []
    for index, fault in enumerate(faults):
        end = fault.began + FAULT_WINDOW_SECONDS
        if index + 1 < len(faults):
            end = min(end, faults[index + 1].began)
        window = [r for r in requests if fault.began <= r["t"] < end]
        failed = [r for r in window if not r["ok"]]
        if failed:
            last_failure = max(r["t"] for r in failed)
            later = [r["t"] for r in requests if r["ok"] and r["t"] > last_failure]
            back = (later[0] - fault.began) if later else float("inf")
        else:
            back = 0.0
        rate = 100.0 * len(failed) / len(window) if window else 0.0
        rows.append((fault.name, fault.note, len(window), len(failed), rate, back))
    return rows


def timeline(requests: list[dict[str, Any]], started: float, workdir: Path, faults: list[Fault]) -> None:
    """Requests and failures per second: a CSV and a small hand-written SVG."""
    per_second: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for r in requests:
        second = int(r["t"] - started)
        per_second[second][0] += 1
        if not r["ok"]:
            per_second[second][1] += 1
    last = max(per_second) if per_second else 0
    with (workdir / "timeline.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["second", "requests", "failed"])
        for second in range(0, last + 1):
            writer.writerow([second, *per_second[second]])
    width, height, top = 900, 240, max([v[0] for v in per_second.values()] + [1])
    x_scale = (width - 60) / max(last, 1)

    def point(second: int, value: int) -> str:
        return f"{40 + second * x_scale:.1f},{height - 30 - value * (height - 60) / top:.1f}"

    ok_line = " ".join(point(s, per_second[s][0]) for s in range(last + 1))
    fail_line = " ".join(point(s, per_second[s][1]) for s in range(last + 1))
    marks = "".join(
        f'<line x1="{40 + (f.began - started) * x_scale:.1f}" y1="20" x2="{40 + (f.began - started) * x_scale:.1f}" '
        f'y2="{height - 30}" stroke="#999" stroke-dasharray="4"/>'
        f'<text x="{42 + (f.began - started) * x_scale:.1f}" y="{16 + 12 * i}" font-size="10">{f.name}</text>'
        for i, f in enumerate(faults)
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">'
        f'<rect width="100%" height="100%" fill="white"/>{marks}'
        f'<polyline fill="none" stroke="#1f77b4" points="{ok_line}"/>'
        f'<polyline fill="none" stroke="#d62728" points="{fail_line}"/>'
        f'<text x="40" y="{height - 8}" font-size="11">seconds 0–{last}; blue: requests/s (max {top}); '
        f"red: failed requests/s</text></svg>"
    )
    (workdir / "timeline.svg").write_text(svg)


def print_table(title: str, header: list[str], rows: list[tuple[Any, ...]]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(x)) for x in [h, *[row[i] for row in rows]]) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


def verify_and_report(
    workdir: Path,
    faults: list[Fault],
    webhook: Webhook,
    started: float,
    load_seconds: float,
    outbox_wait: int,
    exits: list[tuple[float, str, int | None]],
) -> int:
    """Wait for the outbox, check the writes and the faults, print the figures; 1 on a problem."""
    print("Load over; waiting for the outbox to drain…", flush=True)
    drain_started = time.time()
    open_count, delivered, failed = outbox_state()
    while open_count and time.time() - drain_started < outbox_wait:
        time.sleep(2)
        open_count, delivered, failed = outbox_state()
    drain_seconds = time.time() - drain_started

    requests = read_jsonl(workdir / "requests.jsonl")
    acks = read_jsonl(workdir / "acks.jsonl")
    write_rows, problems = check_writes(acks)
    received = Counter(message_id for _, message_id in webhook.received)
    from gridgov.upstream.models import MessageState, UpstreamMessage

    delivered_ids = set(UpstreamMessage.objects.filter(state=MessageState.DELIVERED).values_list("pk", flat=True))
    not_received = len(delivered_ids - set(received))
    resent = sum(count - 1 for count in received.values() if count > 1)
    if open_count:
        problems.append(f"outbox: {open_count} messages still open {drain_seconds:.0f} s after the load")
    if failed:
        problems.append(f"outbox: {failed} messages failed")
    if not_received:
        problems.append(f"outbox: {not_received} messages marked delivered but never received")
    fault_rows = fault_figures(faults, requests)
    for name, _note, _n, _f, _rate, back in fault_rows:
        if back > RECOVERY_LIMIT_SECONDS:
            problems.append(f"{name}: service back after {back:.1f} s (limit {RECOVERY_LIMIT_SECONDS:.0f} s)")
    timeline(requests, started, workdir, faults)

    total = len(requests)
    failures = sum(1 for r in requests if not r["ok"])
    by_status = Counter(r["status"] for r in requests)
    print(
        f"\n{total} requests in {load_seconds:.0f} s ({total / load_seconds:.1f}/s), {failures} failed "
        f"({100.0 * failures / max(total, 1):.2f} %); statuses {dict(sorted(by_status.items()))}"
    )
    print_table(
        "Acknowledged writes (a 2xx to the client)",
        ["write", "acknowledged", "missing", "duplicated"],
        write_rows,
    )
    print_table(
        f"Faults (requests in the {FAULT_WINDOW_SECONDS:.0f} s after each)",
        ["fault", "how", "requests", "failed", "error rate", "back after"],
        [(n, note, c, f, f"{r:.2f} %", f"{b:.1f} s") for n, note, c, f, r, b in fault_rows],
    )
    print(
        f"\nUpstream outbox: {delivered} delivered, {failed} failed, {open_count} open after "
        f"{drain_seconds:.0f} s of drain; webhook received {len(received)} distinct messages "
        f"({resent} sent again: at-least-once)"
    )
    print_table(
        "Processes that exited and were started again (as systemd's Restart=on-failure)",
        ["at", "process", "exit code"],
        [(f"{t - started:.1f} s", name, code) for t, name, code in exits] or [("-", "none", "-")],
    )
    names = Counter((r["name"], r["status"]) for r in requests)
    print_table(
        "Requests by endpoint and status",
        ["endpoint", "status", "count"],
        [(n, s, c) for (n, s), c in sorted(names.items())],
    )
    print(f"\nRun folder: {workdir.relative_to(ROOT)} (timeline.csv, timeline.svg, locust_stats.csv, logs)")
    if problems:
        print("\nPROBLEMS:\n- " + "\n- ".join(problems))
        return 1
    else:
        print("\nAll checks passed.")
        return 0


# --- main ----------------------------------------------------------------------------------


def ensure_locust() -> Path:
    locust = LOAD_VENV / "bin" / "locust"
    if not locust.exists():
        raise SystemExit("Locust is not installed: run `make load` (it installs it into var/load-venv).")
    return locust


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=240, help="length of the load (default 240)")
    parser.add_argument("--users", type=int, default=30, help="simulated clients (default 30)")
    parser.add_argument("--outbox-wait", type=int, default=200, help="longest wait for the outbox to drain (s)")
    parser.add_argument("--quick", action="store_true", help="120 s of load, 20 clients")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder under var/load")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.users = 120, min(args.users, 20)
    locust = ensure_locust()
    if not shutil.which("nginx"):
        raise SystemExit("nginx is needed as the proxy (apt-get install nginx); see docs/benchmarks.md.")

    workdir = ROOT / "var" / "load" / time.strftime("%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True)
    (workdir / "nginx").mkdir(mode=0o777)
    os.chmod(workdir / "nginx", 0o777)  # noqa: S103  (nginx's workers run as another user)
    ports = {name: free_port() for name in ("pg", "redis", "web_a", "web_b", "proxy", "webhook")}
    pg = Postgres(ports["pg"])
    redis = Redis(ports["redis"], workdir)
    webhook = Webhook(ports["webhook"])
    procs: Processes | None = None
    drop = None
    exit_code = 0
    try:
        pg.start()
        redis.start()
        webhook.start()
        database_url, drop = fresh_database(workdir, pg.url, "load")
        extra = {
            "CELERY_BROKER_URL": f"{redis.url}/0",
            "DB_CONN_MAX_AGE": "60",
            "GRIDGOV_STATIC_FINDERS": "1",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "4",
            # nginx listens on plain HTTP on the loopback: cookies without the Secure flag.
            "SECURE_COOKIES": "0",
        }
        for source in ("DISTRICT", "CITY"):
            extra[f"GRIDGOV_UPSTREAM_{source}_URL"] = f"http://127.0.0.1:{ports['webhook']}/"
            extra[f"GRIDGOV_UPSTREAM_{source}_SECRET"] = UPSTREAM_SECRET
        os.environ.update(extra)
        print(f"PostgreSQL :{pg.port}, Redis :{redis.port}, nginx :{ports['proxy']}; migrating…", flush=True)
        env = setup_django(workdir, database_url)
        env.update(extra)
        env["CACHE_URL"] = f"{redis.url}/1"
        load_demo_people()
        scenario_path = scenario(workdir)
        from django.db import connections

        connections.close_all()

        procs = Processes(workdir, env)
        gunicorn = [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.wsgi"]
        procs.start("web-a", gunicorn, GUNICORN_BIND=f"127.0.0.1:{ports['web_a']}")
        procs.start("web-b", gunicorn, GUNICORN_BIND=f"127.0.0.1:{ports['web_b']}")
        celery = [str(VENV_BIN / "celery"), "-A", "config"]
        worker = [*celery, "worker", "--concurrency", "2", "--without-mingle", "--loglevel", "WARNING"]
        procs.start("worker-default", [*worker, "-Q", "celery,notifications", "--hostname", "default@%h"])
        procs.start("worker-upstream", [*worker, "-Q", "upstream,imports,reports", "--hostname", "upstream@%h"])
        procs.start("beat", [*celery, "beat", "-s", str(workdir / "beat-schedule"), "--loglevel", "WARNING"])
        conf = workdir / "nginx" / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                folder=workdir / "nginx", port=ports["proxy"], port_a=ports["web_a"], port_b=ports["web_b"]
            )
        )
        procs.start("nginx", ["nginx", "-c", str(conf), "-p", str(workdir / "nginx")])
        for port in (ports["web_a"], ports["web_b"], ports["proxy"]):
            wait_for_port(port)

        faults = [
            Fault("web worker kill -9", 0.15 * args.seconds),
            Fault("Celery worker kill -9", 0.35 * args.seconds),
            Fault("PostgreSQL restart", 0.55 * args.seconds),
            Fault("Redis restart", 0.75 * args.seconds),
        ]
        print(
            f"Locust: {args.users} clients for {args.seconds} s; faults at "
            + ", ".join(f"{f.at:.0f} s ({f.name})" for f in faults),
            flush=True,
        )
        locust_env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108
            "LOAD_SCENARIO": str(scenario_path),
        }
        started = time.time()
        load = subprocess.Popen(
            [
                str(locust),
                "-f",
                str(ROOT / "bench" / "load" / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(max(1, args.users // 5)),
                "--run-time",
                f"{args.seconds}s",
                "--stop-timeout",
                "70",
                "--host",
                f"http://127.0.0.1:{ports['proxy']}",
                "--csv",
                str(workdir / "locust"),
                "--only-summary",
                "--exit-code-on-error",
                "0",
            ],
            env=locust_env,
            stdout=(workdir / "locust.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for fault in faults:
            time.sleep(max(0.0, started + fault.at - time.time()))
            inject(fault, pg, redis, procs, webhook)
            print(f"  {fault.began - started:6.1f} s  {fault.name}: {fault.note}", flush=True)
        load.wait()
        load_seconds = time.time() - started

        exit_code = verify_and_report(workdir, faults, webhook, started, load_seconds, args.outbox_wait, procs.exits)
    finally:
        if procs is not None:
            procs.stop_all()
        webhook.stop()
        if drop is not None:
            try:
                drop()
            except Exception as error:
                print(f"Could not drop the database: {error}")
        redis.stop()
        pg.stop()
        if not args.keep and exit_code == 0:
            for name in ("requests.jsonl", "acks.jsonl", "redis"):
                target = workdir / name
                if target.is_dir():
                    shutil.rmtree(target, ignore_errors=True)
                else:
                    target.unlink(missing_ok=True)
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
