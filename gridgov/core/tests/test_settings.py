"""The settings refuse unsafe production configurations and keep safe development defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

STRONG_KEY = "k" * 16 + "-production-secret-" + "z" * 16
FIELD_KEY = "x" * 43 + "="


def settings_probe(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import the real settings in a fresh interpreter with the given environment."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "GRIDGOV_FIELD_KEYS"}
    }
    clean.pop("GRIDGOV_TESTING", None)
    clean.update(GRIDGOV_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings", **env)
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_on_the_development_secret_key(tmp_path):
    result = settings_probe(tmp_path, DEBUG="0", ALLOWED_HOSTS="gridgov.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    result = settings_probe(tmp_path, DEBUG="0", SECRET_KEY="short", ALLOWED_HOSTS="gridgov.example")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    result = settings_probe(tmp_path, DEBUG="0", SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_refuses_to_start_without_field_encryption_keys(tmp_path):
    result = settings_probe(tmp_path, DEBUG="0", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="gridgov.example")
    assert result.returncode != 0
    assert "GRIDGOV_FIELD_KEYS must be set" in result.stderr


def test_production_starts_with_a_real_key_and_hosts(tmp_path):
    result = settings_probe(
        tmp_path, DEBUG="0", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="gridgov.example", GRIDGOV_FIELD_KEYS=FIELD_KEY
    )
    assert result.returncode == 0, result.stderr
    assert "False ['gridgov.example']" in result.stdout


def test_debug_off_is_the_default(tmp_path):
    result = settings_probe(tmp_path, SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="h", GRIDGOV_FIELD_KEYS=FIELD_KEY)
    assert result.stdout.startswith("False")


def test_development_defaults_listen_on_loopback_only(tmp_path):
    result = settings_probe(tmp_path, DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert "True ['127.0.0.1', 'localhost', '[::1]']" in result.stdout


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["timeout"] >= 10
    assert options["transaction_mode"] == "IMMEDIATE"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL


def test_a_file_database_is_switched_to_wal(tmp_path):
    database = tmp_path / "wal.sqlite3"
    clean = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    clean.update(DEBUG="1", GRIDGOV_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{database}")
    code = (
        "import django; django.setup(); from django.db import connection; c = connection.cursor();"
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "wal", result.stderr
