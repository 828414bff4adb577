"""The restore drill (docs/operations.md): back up the running database and media folder,
restore into a fresh database and an empty media folder, and check that the counts, the files,
the audit chain and the application itself are all there. On SQLite in every run; on
PostgreSQL (pg_dump/pg_restore) under `make test-pg`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from gridgov.core.audit import record
from gridgov.core.filecrypt import MAGIC
from gridgov.ops import backup

PHOTO = b"\xff\xd8\xff\xe0 a case photo of Taiping, in clear \xff\xd9"

# What the restored installation is asked, in a process of its own started on the restored data.
PROBE = """
import json
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.contrib.auth import get_user_model
name = {name!r}
client = Client()
health = client.get("/healthz")
login = client.get("/login/")
call_command("verify_audit")
print(json.dumps({{
    "health": health.status_code,
    "status": health.json()["status"],
    "login": login.status_code,
    "photo": default_storage.open(name).read().hex(),
    "users": get_user_model().objects.count(),
}}))
"""


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database of the kind the suite runs on (dropped after)."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    database = connection.settings_dict
    name = f"gridgov_drill_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database.get("PASSWORD") else "")
    yield f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_on(database_url: str, var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """manage.py in a new process whose database and media folder are the restored ones."""
    env = dict(os.environ, DATABASE_URL=database_url, GRIDGOV_VAR_DIR=str(var_dir), ALLOWED_HOSTS="testserver")
    env["DJANGO_SETTINGS_MODULE"] = "config.test_settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_backup_and_restore_drill(demo: str, tmp_path: Path, fresh_database: str) -> None:
    stored = default_storage.save("cases/photos/drill.jpg", ContentFile(PHOTO))
    record(action="ops.drill", object_type="test", object_id="1")
    users = get_user_model().objects.count()

    call_command("backup", out=tmp_path / "backups")
    (folder,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["vendor"] == connection.vendor
    assert manifest["tables"]["auth_user"] == users
    assert manifest["tables"]["core_auditevent"] >= 2
    assert manifest["media_files"] == 1 and manifest["media_encrypted"]
    with tarfile.open(folder / "media.tar") as archive:
        member = archive.extractfile(stored)
        assert member is not None
        on_tape = member.read()
    assert on_tape.startswith(MAGIC) and PHOTO not in on_tape  # the archive holds ciphertext
    assert oct((folder / "manifest.json").stat().st_mode & 0o777) == "0o600"

    var_dir = tmp_path / "restored-var"
    restored = run_on(fresh_database, var_dir, "restore", str(folder))
    assert restored.returncode == 0, restored.stderr
    assert "match the manifest" in restored.stdout and "audit chain intact" in restored.stdout

    check = run_on(fresh_database, var_dir, "check")
    assert check.returncode == 0, check.stderr
    if connection.vendor == "postgresql":  # built by the migrations: none is missing
        migrations = run_on(fresh_database, var_dir, "migrate", "--check")
        assert migrations.returncode == 0, migrations.stdout + migrations.stderr
    probe = run_on(fresh_database, var_dir, "shell", "-c", PROBE.format(name=stored))
    assert probe.returncode == 0, probe.stderr
    answers = json.loads(probe.stdout.strip().splitlines()[-1])
    assert answers == {
        "health": 200,
        "status": "ok",
        "login": 200,
        "photo": PHOTO.hex(),
        "users": users,
    }

    # A second restore onto the same, no longer empty, database is refused.
    again = run_on(fresh_database, var_dir, "restore", str(folder))
    assert again.returncode != 0 and "not empty" in again.stderr


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_before_anything_is_touched(tmp_path: Path, settings: Any) -> None:
    default_storage.save("x/one.bin", ContentFile(b"one"))
    folder = backup.backup(tmp_path / "b")
    call_command("restore", str(folder), check_only=True)
    with (folder / "media.tar").open("r+b") as handle:
        handle.seek(600)
        handle.write(b"\x00garbage")
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("restore", str(folder), check_only=True)
    with pytest.raises(CommandError, match=r"manifest\.json is missing"):
        call_command("restore", str(tmp_path), check_only=True)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_tables(tmp_path: Path) -> None:
    folder = backup.backup(tmp_path / "b")
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(folder)


@pytest.mark.django_db
def test_a_backup_inside_a_transaction_is_refused(tmp_path: Path) -> None:
    with pytest.raises(backup.BackupError, match="outside any transaction"):
        backup.backup(tmp_path)


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        (tmp_path / f"gridgov-{stamp}").mkdir()
        (tmp_path / f"gridgov-{stamp}" / "manifest.json").write_text("{}")
    deleted = backup.prune(tmp_path, keep=2)
    assert [path.name for path in deleted] == ["gridgov-20260101T000000Z"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["gridgov-20260102T000000Z", "gridgov-20260103T000000Z"]
