"""What /healthz and the admin status page report: the database and the background work.

Beat stamps the ``beat`` heartbeat when it publishes the periodic heartbeat task; the worker
stamps ``worker`` when it runs it. A component is alive when its stamp is younger than
``HEARTBEAT_STALE_FACTOR`` heartbeat periods, so a silent beat and a silent worker are told
apart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from .models import Heartbeat

COMPONENTS = ("beat", "worker")
# A heartbeat is late after this many periods (beat and worker may each lag one period).
HEARTBEAT_STALE_FACTOR = 3


@dataclass(frozen=True)
class ComponentHealth:
    component: str
    ok: bool
    last_seen: datetime | None
    age_seconds: float | None


@dataclass(frozen=True)
class DatabaseHealth:
    ok: bool
    vendor: str
    latency_ms: float | None
    error: str = ""


@dataclass(frozen=True)
class Health:
    database: DatabaseHealth
    components: tuple[ComponentHealth, ...]

    @property
    def status(self) -> str:
        if not self.database.ok:
            return "fail"
        if not all(component.ok for component in self.components):
            return "degraded"
        return "ok"

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "database": {
                "ok": self.database.ok,
                "vendor": self.database.vendor,
                "latency_ms": self.database.latency_ms,
                **({"error": self.database.error} if self.database.error else {}),
            },
            **{
                component.component: {
                    "ok": component.ok,
                    "last_seen": component.last_seen.isoformat() if component.last_seen else None,
                    "age_seconds": component.age_seconds,
                }
                for component in self.components
            },
        }


def stale_after_seconds() -> float:
    return float(settings.HEARTBEAT_SECONDS * HEARTBEAT_STALE_FACTOR)


def check_database() -> DatabaseHealth:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return DatabaseHealth(ok=False, vendor=connection.vendor, latency_ms=None, error=type(error).__name__)
    return DatabaseHealth(
        ok=True, vendor=connection.vendor, latency_ms=round((time.perf_counter() - started) * 1000, 2)
    )


def check_components(now: datetime | None = None) -> tuple[ComponentHealth, ...]:
    now = now or timezone.now()
    limit = stale_after_seconds()
    try:
        seen = dict(Heartbeat.objects.filter(component__in=COMPONENTS).values_list("component", "seen_at"))
    except DatabaseError:
        seen = {}
    result = []
    for component in COMPONENTS:
        last = seen.get(component)
        age = round((now - last).total_seconds(), 1) if last else None
        result.append(ComponentHealth(component, ok=age is not None and age <= limit, last_seen=last, age_seconds=age))
    return tuple(result)


def check() -> Health:
    database = check_database()
    components = check_components() if database.ok else tuple(ComponentHealth(c, False, None, None) for c in COMPONENTS)
    return Health(database=database, components=components)


def masked_url(url: str) -> str:
    """A broker or database URL without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else f"{scheme}://{user}@{host}"


def sqlite_journal_mode() -> str | None:
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        row = cursor.fetchone()
    return str(row[0]) if row else None
