"""Writing, verifying and archiving the audit log.

Services call :func:`record` inside their own transaction. Each row is chained to the one
before it: ``hash`` is the SHA-256 of a canonical JSON of the row's fields and of
``prev_hash``, the previous row's hash. Appends are serialized (a PostgreSQL advisory lock
held to the end of the writer's transaction; SQLite has one writer at a time anyway), and a
unique constraint on ``prev_hash`` makes a fork impossible even if they were not.

:func:`verify_chain` walks the chain and names the first broken link (``manage.py
verify_audit``). :func:`archive_before` exports the oldest rows to a JSON-lines file and
deletes them through :func:`audit_maintenance`, the one path the database triggers let
through (``manage.py archive_audit``). See ``docs/security.md``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connections, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from . import audit_guard
from .actors import Actor
from .inserts import insert
from .models import AuditEvent

# The hash a first row points back to.
GENESIS = ""
# Action code of an archive run (its data anchors the first remaining row).
ARCHIVE_ACTION = "audit.archive"
# Key of the PostgreSQL advisory lock that serializes appends ("GRDAUDIT").
CHAIN_LOCK_KEY = 0x4752444155444954
# Ids of the events recorded while serving the current request (see request_scope()).
_request_events: ContextVar[list[int] | None] = ContextVar("gridgov_audit_request_events", default=None)
CHAIN_FIELDS = (
    "id",
    "created_at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "success",
    "ip_address",
    "data",
    "prev_hash",
    "hash",
)


# --- Who is asking -------------------------------------------------------------------------


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: ``REMOTE_ADDR``, unless ``GRIDGOV_TRUSTED_PROXY_COUNT`` proxies
    in front of the application each append to ``X-Forwarded-For``; then the address that
    many hops from the right of that header (what the outermost trusted proxy saw). Entries
    further left are written by the client and are never trusted."""
    if request is None:
        return None
    remote = _valid_ip(request.META.get("REMOTE_ADDR"))
    hops = int(getattr(settings, "GRIDGOV_TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops <= 0 or not forwarded:
        return remote
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    if not entries:
        return remote
    return _valid_ip(entries[-min(hops, len(entries))]) or remote


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


# --- The chain -----------------------------------------------------------------------------


def _plain(data: dict[str, Any]) -> Any:
    """``data`` as it reads back from the JSON column (tuples become lists, keys strings)."""
    return json.loads(json.dumps(data))


def chain_hash(
    *,
    created_at: datetime,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    success: bool,
    ip_address: str | None,
    data: Any,
    prev_hash: str,
) -> str:
    """The SHA-256 of a row: a canonical JSON (sorted keys, no spaces, ASCII) of its fields
    and of its predecessor's hash. Changing this function breaks every stored chain."""
    body = {
        "v": 1,
        "time": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "success": bool(success),
        "ip": ip_address or None,
        "data": data,
        "prev": prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _lock_chain(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def chain_head(using: str = "default") -> str:
    """The hash of the newest row (``GENESIS`` for an empty log)."""
    # A fixed statement: read for every row appended, so not compiled by the ORM each time.
    table = connections[using].ops.quote_name(AuditEvent._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT hash FROM {table} ORDER BY id DESC LIMIT 1")  # noqa: S608 (the model's table)
        row = cursor.fetchone()
    return str(row[0]) if row is not None else GENESIS


def _locked_head(using: str) -> str:
    """Take the append lock (to the end of the transaction) and read the head after it.
    PostgreSQL does both in one statement (``gridgov_audit_chain_head``, installed with the
    triggers); SQLite's single writer needs no lock."""
    connection = connections[using]
    if connection.vendor == "postgresql" and audit_guard.head_function_installed(connection):
        with connection.cursor() as cursor:
            cursor.execute("SELECT gridgov_audit_chain_head(%s)", [CHAIN_LOCK_KEY])
            return str(cursor.fetchone()[0])
    _lock_chain(using)
    return chain_head(using)


def record(
    *,
    action: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    success: bool = True,
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction (or its own)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    ip_address = client_ip(request)
    payload = _plain(data or {})
    using = AuditEvent.objects.db
    # No savepoint of its own: a failure here fails the caller's transaction anyway, and the
    # chain costs one read per row already.
    with transaction.atomic(using=using, savepoint=False):
        prev_hash = _locked_head(using)
        event = AuditEvent(
            created_at=timezone.now(),
            actor=user,  # type: ignore[misc]  # any authenticated user is the project's User
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            success=success,
            ip_address=ip_address,
            data=payload,
            prev_hash=prev_hash,
        )
        event.hash = chain_hash(
            created_at=event.created_at,
            actor_id=event.actor_id,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            success=event.success,
            ip_address=event.ip_address,
            data=event.data,
            prev_hash=event.prev_hash,
        )
        insert(event, using=using)
    events = _request_events.get()
    if events is not None:
        events.append(event.pk)
    return event


@contextmanager
def request_scope() -> Iterator[list[int]]:
    """Collect the ids of the events recorded while serving one request (the audit
    middleware uses it not to record a download or an admin change twice)."""
    events: list[int] = []
    token = _request_events.set(events)
    try:
        yield events
    finally:
        _request_events.reset(token)


def recorded_in_request() -> bool | None:
    """Did anything record an event during the current request? ``None`` outside one."""
    events = _request_events.get()
    return None if events is None else bool(events)


# --- Verifying -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """The first row whose link does not hold."""

    id: int
    reason: str


@dataclass
class ChainReport:
    rows: int = 0
    head: str = GENESIS
    # The hash the first remaining row points back to (GENESIS, or an archive's last hash).
    anchor: str = GENESIS
    broken: ChainBreak | None = None
    triggers: bool = True

    @property
    def ok(self) -> bool:
        return self.broken is None


def _archive_anchors(using: str) -> set[str]:
    anchors = {GENESIS}
    for data in AuditEvent.objects.using(using).filter(action=ARCHIVE_ACTION).values_list("data", flat=True):
        if isinstance(data, dict) and isinstance(data.get("last_hash"), str):
            anchors.add(data["last_hash"])
    return anchors


def _rows(using: str, *, after_id: int = 0, upto_id: int | None = None) -> Iterator[tuple[Any, ...]]:
    query = AuditEvent.objects.using(using).filter(id__gt=after_id).order_by("id")
    if upto_id is not None:
        query = query.filter(id__lte=upto_id)
    yield from query.values_list(*CHAIN_FIELDS).iterator(chunk_size=2000)


def _row_hash(row: tuple[Any, ...]) -> str:
    _id, created_at, actor_id, action, object_type, object_id, success, ip_address, data, prev_hash, _hash = row
    return chain_hash(
        created_at=created_at,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        success=success,
        ip_address=ip_address,
        data=data,
        prev_hash=prev_hash,
    )


def verify_chain(using: str = "default") -> ChainReport:
    """Walk the whole chain in order and stop at the first broken link: a row whose content
    no longer gives its hash (changed), or whose ``prev_hash`` is not the hash of the row
    before it (a row removed or slipped in). The first row must point at the genesis or at
    the last hash of a recorded archive."""
    report = ChainReport(triggers=audit_guard.installed(connections[using]))
    previous: str | None = None
    for row in _rows(using):
        row_id, prev_hash, stored = row[0], row[-2], row[-1]
        if previous is None:
            report.anchor = prev_hash
            if prev_hash not in _archive_anchors(using):
                report.broken = ChainBreak(row_id, "the first row points at a row that is neither archived nor here")
                return report
        elif prev_hash != previous:
            report.broken = ChainBreak(row_id, "prev_hash is not the hash of the row before (a row removed or added)")
            return report
        if _row_hash(row) != stored:
            report.broken = ChainBreak(row_id, "the row's content does not match its hash (the row was changed)")
            return report
        previous = stored
        report.rows += 1
        report.head = stored
    return report


# --- Archiving -----------------------------------------------------------------------------


@contextmanager
def audit_maintenance(using: str = "default") -> Iterator[None]:
    """A transaction in which the database lets rows of the audit table be deleted (nothing
    ever lets them be updated). The only callers are :func:`archive_before` and the test
    suite's flush between tests. PostgreSQL: a transaction-local setting the trigger reads;
    SQLite: a row in a marker table that exists only inside this transaction."""
    connection = connections[using]
    with transaction.atomic(using=using):
        audit_guard.allow_deletes(connection, True)
        yield
        audit_guard.allow_deletes(connection, False)


class ArchiveRefused(Exception):
    """The archive would cut rows younger than the retention period, or overwrite a file."""


@dataclass
class ArchiveReport:
    rows: int = 0
    first_id: int | None = None
    last_id: int | None = None
    last_hash: str = GENESIS
    file_sha256: str = ""
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def retention_days() -> int:
    return int(getattr(settings, "GRIDGOV_AUDIT_RETENTION_DAYS", 180))


def _json_row(row: tuple[Any, ...]) -> str:
    values = dict(zip(CHAIN_FIELDS, row, strict=True))
    values["created_at"] = values["created_at"].astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps({"type": "event", **values}, sort_keys=True, ensure_ascii=False)


def archive_before(*, before: datetime, out: Path, actor: Actor = None, using: str = "default") -> ArchiveReport:
    """Export the rows written before ``before`` to ``out`` (JSON lines: a header, one line
    per row, a footer with the chain head hash) and delete them, recording an
    ``audit.archive`` event whose ``last_hash`` anchors the rows that remain.

    Only a prefix of the chain is cut: the rows before the first one written at or after
    ``before``. Refuses a cut-off inside the retention period (``GRIDGOV_AUDIT_RETENTION_DAYS``,
    at least 180 days: Cybersecurity Law art. 21) and an existing ``out``."""
    limit = timezone.now() - timedelta(days=retention_days())
    if before > limit:
        raise ArchiveRefused(
            f"Rows younger than {retention_days()} days must be kept; the latest cut-off is {limit:%Y-%m-%d %H:%M}."
        )
    if out.exists():
        raise ArchiveRefused(f"{out} exists; the archive never overwrites a file.")
    report = ArchiveReport(path=str(out))
    with audit_maintenance(using):
        _lock_chain(using)
        events = AuditEvent.objects.using(using)
        first_young = events.filter(created_at__gte=before).order_by("id").values_list("id", flat=True).first()
        upto = events.order_by("-id").values_list("id", flat=True).first() if first_young is None else first_young - 1
        if upto is None or not events.filter(id__lte=upto).exists():
            return report
        digest = hashlib.sha256()
        out.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:

            def write(line: str) -> None:
                handle.write(line + "\n")
                digest.update((line + "\n").encode("utf-8"))

            header = {"type": "header", "format": 1, "before": before.astimezone(UTC).isoformat()}
            write(json.dumps(header, sort_keys=True))
            for row in _rows(using, upto_id=upto):
                if report.first_id is None:
                    report.first_id = row[0]
                    report.extra["first_prev_hash"] = row[-2]
                report.last_id, report.last_hash = row[0], row[-1]
                report.rows += 1
                write(_json_row(row))
            footer = {"type": "footer", "rows": report.rows, "last_id": report.last_id, "head_hash": report.last_hash}
            write(json.dumps(footer, sort_keys=True))
            handle.flush()
            os.fsync(handle.fileno())
        report.file_sha256 = digest.hexdigest()
        # The archive event is written first: it is the newest row, so it stays, and the row
        # after the cut (perhaps this one) points at the last archived hash it names.
        record(
            action=ARCHIVE_ACTION,
            actor=actor,
            data={
                "before": before.astimezone(UTC).isoformat(),
                "rows": report.rows,
                "first_id": report.first_id,
                "last_id": report.last_id,
                "first_prev_hash": report.extra["first_prev_hash"],
                "last_hash": report.last_hash,
                "file": out.name,
                "file_sha256": report.file_sha256,
            },
        )
        with connections[using].cursor() as cursor:
            cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id <= %s", [report.last_id])  # noqa: S608
    return report
