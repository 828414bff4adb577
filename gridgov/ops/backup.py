"""Backup and restore of one installation: the database and the media folder, with a manifest
(docs/operations.md, "Backup and restore").

A backup is a folder ``gridgov-<UTC time>`` holding:

- ``database.dump`` (PostgreSQL, ``pg_dump --format=custom``) or ``database.sqlite3``
  (SQLite, copied with the online backup API while the application runs);
- ``media.tar``: the media folder as it is on disk. Every stored file is encrypted
  (gridgov/core/filecrypt.py), so the archive holds ciphertext; the keys
  (``GRIDGOV_FIELD_KEYS``) are never part of a backup and are kept apart from it;
- ``manifest.json``: when, which database, the rows of every table, the media files, the
  audit log's head hash, and the SHA-256 of the two files.

The counts are those of the copy itself: on PostgreSQL they are read in the repeatable-read
transaction whose snapshot ``pg_dump --snapshot`` dumps; on SQLite they are read from the
copied file. A restore checks the checksums before it touches anything, refuses a target
database that has tables or a media folder that has files, and checks the counts and the
audit chain after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from django.apps import apps
from django.conf import settings
from django.core.files.storage import storages
from django.db import connection, transaction

from gridgov.core.audit import verify_chain
from gridgov.core.filecrypt import encrypts
from gridgov.core.models import AuditEvent

MANIFEST: Final = "manifest.json"
PG_DUMP: Final = "database.dump"
SQLITE_COPY: Final = "database.sqlite3"
MEDIA_TAR: Final = "media.tar"
FORMAT: Final = 1
_CHUNK: Final = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


@dataclass
class RestoreReport:
    folder: Path
    tables: int = 0
    rows: int = 0
    media_files: int = 0
    mismatches: list[str] = field(default_factory=list)
    audit_rows: int = 0
    audit_head: str = ""

    @property
    def ok(self) -> bool:
        return not self.mismatches


# --- helpers ---------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def tables() -> list[str]:
    """The tables of every installed model (many-to-many tables included), sorted."""
    names = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            names.add(model._meta.db_table)
    return sorted(names)


def _count(cursor: Any, names: Iterable[str], quote: Any) -> dict[str, int]:
    counts = {}
    for name in names:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(name)}")  # noqa: S608  (model table names)
        counts[name] = int(cursor.fetchone()[0])
    return counts


def _pg_env(database: dict[str, Any]) -> dict[str, str]:
    """libpq's variables for the configured PostgreSQL database (the password never on a
    command line)."""
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if database.get(key):
            env[variable] = str(database[key])
    env["PGDATABASE"] = str(database["NAME"])
    return env


def _media_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def _audit_head() -> str:
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or ""


# --- backup ----------------------------------------------------------------------------------


def backup(out_dir: Path, *, now: dt.datetime | None = None) -> Path:
    """Write a backup folder under ``out_dir`` (created 0700) and return it."""
    if connection.in_atomic_block:
        # SQLite's backup API waits forever on the connection's own open write transaction,
        # and PostgreSQL's snapshot must be taken by the first statement of its transaction.
        raise BackupError("A backup runs outside any transaction.")
    now = now or dt.datetime.now(dt.UTC)
    folder = Path(out_dir) / f"gridgov-{now:%Y%m%dT%H%M%SZ}"
    folder.mkdir(parents=True, mode=0o700, exist_ok=False)
    database = settings.DATABASES["default"]
    vendor = connection.vendor
    if vendor == "postgresql":
        counts, head = _dump_postgresql(folder / PG_DUMP, database)
        database_file = PG_DUMP
    elif vendor == "sqlite":
        counts, head = _copy_sqlite(folder / SQLITE_COPY)
        database_file = SQLITE_COPY
    else:
        raise BackupError(f"No backup for the {vendor} database.")
    media_root = Path(settings.MEDIA_ROOT)
    media = _media_files(media_root)
    with tarfile.open(folder / MEDIA_TAR, "w") as archive:
        for path in media:
            archive.add(path, arcname=str(path.relative_to(media_root)), recursive=False)
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "vendor": vendor,
        "database_file": database_file,
        "tables": counts,
        "rows": sum(counts.values()),
        "media_files": len(media),
        "media_bytes": sum(path.stat().st_size for path in media),
        "media_encrypted": encrypts(storages["default"]),
        "audit_head": head,
        "files": {
            name: {"sha256": sha256_of(folder / name), "bytes": (folder / name).stat().st_size}
            for name in (database_file, MEDIA_TAR)
        },
    }
    for name in (database_file, MEDIA_TAR):
        os.chmod(folder / name, 0o600)
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    return folder


def _dump_postgresql(target: Path, database: dict[str, Any]) -> tuple[dict[str, int], str]:
    """pg_dump of the snapshot in which the counts and the audit head are read."""
    connection.ensure_connection()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _count(cursor, tables(), connection.ops.quote_name)
        head = _audit_head()
        command = ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}", "--no-password"]
        result = subprocess.run(command, env=_pg_env(database), capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return counts, head


def _copy_sqlite(target: Path) -> tuple[dict[str, int], str]:
    """The online backup API: a consistent copy while other connections write."""
    connection.ensure_connection()
    source = connection.connection
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        cursor = copy.cursor()
        counts = _count(cursor, tables(), connection.ops.quote_name)
        cursor.execute(f"SELECT hash FROM {AuditEvent._meta.db_table} ORDER BY id DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    finally:
        copy.close()
    return counts, (row[0] if row else "")


# --- restore ---------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} is missing: not a backup folder.")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    return manifest


def verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    """Every file of the backup has the size and SHA-256 its manifest names."""
    for name, expected in manifest["files"].items():
        path = Path(folder) / name
        if not path.is_file():
            raise BackupError(f"{name} is missing from the backup.")
        if path.stat().st_size != expected["bytes"] or sha256_of(path) != expected["sha256"]:
            raise BackupError(f"{name} does not match its checksum in the manifest: the backup is damaged.")


def restore(folder: Path) -> RestoreReport:
    """Restore a backup into the configured database (which must have no tables) and media
    folder (which must have no files), then compare the counts and verify the audit chain."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    verify_files(folder, manifest)
    vendor = connection.vendor
    if manifest["vendor"] != vendor:
        raise BackupError(f"The backup is of a {manifest['vendor']} database; the target is {vendor}.")
    existing = connection.introspection.table_names()
    if existing:
        raise BackupError(f"The target database is not empty ({len(existing)} tables): restore into a new one.")
    media_root = Path(settings.MEDIA_ROOT)
    if _media_files(media_root):
        raise BackupError(f"The media folder {media_root} has files: restore into an empty one.")

    if vendor == "postgresql":
        _restore_postgresql(folder / manifest["database_file"], settings.DATABASES["default"])
    else:
        _restore_sqlite(folder / manifest["database_file"])
    media_root.mkdir(parents=True, mode=0o700, exist_ok=True)
    with tarfile.open(folder / MEDIA_TAR) as archive:
        archive.extractall(media_root, filter="data")
    return check_restored(folder, manifest)


def _restore_postgresql(dump: Path, database: dict[str, Any]) -> None:
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
               "--no-password", f"--dbname={database['NAME']}", str(dump)]  # fmt: skip
    connection.close()
    result = subprocess.run(command, env=_pg_env(database), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def _restore_sqlite(copy: Path) -> None:
    """The copy goes into the configured database through the backup API (the target file
    may be open; WAL and its side files are handled by SQLite)."""
    connection.ensure_connection()
    source = sqlite3.connect(copy)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    connection.close()


def check_restored(folder: Path, manifest: dict[str, Any]) -> RestoreReport:
    """Compare the restored database and media folder with the manifest; walk the audit chain."""
    report = RestoreReport(folder=folder)
    with connection.cursor() as cursor:
        counts = _count(cursor, manifest["tables"], connection.ops.quote_name)
    for name, expected in manifest["tables"].items():
        if counts[name] != expected:
            report.mismatches.append(f"table {name}: {counts[name]} rows, the manifest says {expected}")
    report.tables = len(counts)
    report.rows = sum(counts.values())
    report.media_files = len(_media_files(Path(settings.MEDIA_ROOT)))
    if report.media_files != manifest["media_files"]:
        report.mismatches.append(f"media: {report.media_files} files, the manifest says {manifest['media_files']}")
    chain = verify_chain()
    report.audit_rows = chain.rows
    report.audit_head = _audit_head()
    if chain.broken is not None:
        report.mismatches.append(f"audit chain broken at event #{chain.broken.id}: {chain.broken.reason}")
    if not chain.triggers:
        report.mismatches.append("the audit table's append-only triggers are missing")
    if report.audit_head != manifest["audit_head"]:
        report.mismatches.append(f"audit head {report.audit_head!r}, the manifest says {manifest['audit_head']!r}")
    return report


def prune(out_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backup folders under ``out_dir``; returns those deleted."""
    folders = sorted(path for path in Path(out_dir).glob("gridgov-*") if (path / MANIFEST).is_file())
    doomed = folders[:-keep] if keep > 0 else []
    for path in doomed:
        shutil.rmtree(path)
    return doomed
