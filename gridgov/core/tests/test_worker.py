"""Celery end to end: a real worker and beat in subprocesses, through each broker.

The filesystem broker is the embedded default and always runs; the Redis broker runs when
a Redis server answers on 127.0.0.1:6379 (CI sets ``GRIDGOV_REQUIRE_REDIS=1`` so that a
missing server fails instead of skipping).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.slow, pytest.mark.django_db]  # the test database is copied for the worker

REDIS_URL = "redis://127.0.0.1:6379/14"


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def broker_settings(kind: str, var_dir: Path) -> dict[str, str]:
    if kind == "redis":
        return {"CELERY_BROKER_URL": REDIS_URL, "CELERY_RESULT_BACKEND": REDIS_URL}
    results = var_dir / "results"
    results.mkdir(parents=True, exist_ok=True)
    return {"CELERY_BROKER_URL": "filesystem://", "CELERY_RESULT_BACKEND": f"file://{results}"}


def client_app(kind: str, var_dir: Path) -> Celery:
    """A Celery client with the worker's broker settings, independent of the test settings (and
    not the process's current app: the tests run after this one must still run tasks eagerly)."""
    env = broker_settings(kind, var_dir)
    app = Celery(
        "gridgov-test-client",
        broker=env["CELERY_BROKER_URL"],
        backend=env["CELERY_RESULT_BACKEND"],
        set_as_current=False,
    )
    if kind == "filesystem":
        # The project's transport, as the server's (config/settings.py): kombu's own makes the
        # message file visible before it is written, and the worker polling the folder can take
        # it empty (seen here: the worker stopped on a JSONDecodeError and the ping timed out).
        app.conf.broker_transport = "gridgov.core.broker:Transport"
        queue = str(var_dir / "celery" / "queue")
        app.conf.broker_transport_options = {
            "data_folder_in": queue,
            "data_folder_out": queue,
            "control_folder": str(var_dir / "celery" / "control"),
        }
    return app


def worker_env(database: Path, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{database}",
        GRIDGOV_VAR_DIR=str(var_dir),
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory, django_db_setup, django_db_blocker) -> Path:
    """A SQLite file with the project's tables (once for both brokers; each copies it): a copy
    of the test database when that is SQLite (its tables are the models'), else what the
    migrations build in a subprocess (24 s of a suite's run, where the copy takes a moment)."""
    folder = tmp_path_factory.mktemp("migrated")
    database = folder / "worker.sqlite3"
    if connection.vendor == "sqlite":
        with django_db_blocker.unblock(), closing(sqlite3.connect(database)) as copy:
            connection.ensure_connection()
            connection.connection.backup(copy)
        return database
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=Path(settings.BASE_DIR),
        env=worker_env(database, folder / "var"),
        check=True,
        timeout=300,
    )
    return database


@pytest.fixture(params=["filesystem", pytest.param("redis", marks=pytest.mark.redis)])
def running_worker(request, tmp_path, migrated_database) -> Iterator[tuple[str, Path, Path]]:
    kind: str = request.param
    if kind == "redis" and not redis_available():
        if os.environ.get("GRIDGOV_REQUIRE_REDIS"):
            pytest.fail("Redis is required (GRIDGOV_REQUIRE_REDIS=1) but 127.0.0.1:6379 does not answer")
        pytest.skip("no Redis server on 127.0.0.1:6379")
    var_dir = tmp_path / "var"
    database = tmp_path / "worker.sqlite3"
    with closing(sqlite3.connect(migrated_database)) as source, closing(sqlite3.connect(database)) as copy:
        source.backup(copy)  # WAL-safe
    env = worker_env(database, var_dir, HEARTBEAT_SECONDS="1", **broker_settings(kind, var_dir))
    base = Path(settings.BASE_DIR)
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat", "--concurrency=1", "--loglevel=INFO",
         "--schedule", str(tmp_path / "beat-schedule")],
        cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield kind, var_dir, database
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def heartbeats(database: Path) -> dict[str, str]:
    try:
        with sqlite3.connect(database, timeout=5) as connection:
            return dict(connection.execute("SELECT component, seen_at FROM core_heartbeat").fetchall())
    except sqlite3.OperationalError:
        return {}


def test_beat_and_the_worker_leave_heartbeats_and_answer_a_ping(running_worker, tmp_path):
    kind, var_dir, database = running_worker
    deadline = time.monotonic() + 90
    seen: dict[str, str] = {}
    while time.monotonic() < deadline and set(seen) != {"beat", "worker"}:
        time.sleep(0.5)
        seen = heartbeats(database)
    log = (tmp_path / "worker.log").read_text()
    assert set(seen) == {"beat", "worker"}, f"no heartbeat from {kind} worker; log:\n{log[-3000:]}"
    result = client_app(kind, var_dir).send_task("gridgov.core.tasks.ping")
    assert result.get(timeout=60) == "pong"
