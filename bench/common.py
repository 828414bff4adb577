"""Shared set-up of the benchmarks: a fresh database (SQLite in a temporary folder, or a new
PostgreSQL database on the server of ``--database-url``), Django on it, the demo loaded."""

from __future__ import annotations

import base64
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def fresh_database(workdir: Path, database_url: str | None, label: str) -> tuple[str, Callable[[], None]]:
    """The URL of an empty database and a function that removes it.

    Without ``database_url``: a SQLite file in ``workdir``. With a PostgreSQL URL: a new
    database ``gridgov_bench_<label>_<random>`` on that server (the URL's own database is only
    used to connect), dropped by the returned function.
    """
    if not database_url:
        return f"sqlite:///{workdir / 'bench.sqlite3'}", lambda: None
    parts = urlsplit(database_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("--database-url must be a postgres:// URL (SQLite is the default).")
    import psycopg

    name = f"gridgov_bench_{label}_{secrets.token_hex(4)}"
    admin_url = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def server_environment(
    workdir: Path, database_url: str, settings_module: str, field_keys: str | None = None
) -> dict[str, str]:
    """Environment of a production-like process (DEBUG off) on the bench database (``field_keys``:
    a fixed key for a database kept between runs, else a random one)."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "GRIDGOV_VAR_DIR": str(workdir),
            "DEBUG": "0",
            "SECRET_KEY": env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "GRIDGOV_FIELD_KEYS": field_keys or base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "DJANGO_SETTINGS_MODULE": settings_module,
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("CACHE_URL", None)
    return env


def setup_django(
    workdir: Path, database_url: str, settings_module: str = "config.settings", field_keys: str | None = None
) -> dict[str, str]:
    """Configure this process like the server (DEBUG off), migrate, and return the environment."""
    sys.path.insert(0, str(ROOT))
    env = server_environment(workdir, database_url, settings_module, field_keys)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def load_demo_people() -> None:
    """The demo's areas, departments, categories and people, without cases."""
    from gridgov.demo.loader import load_demo

    load_demo(allow_production_db=True)
