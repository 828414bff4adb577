"""The upstream adapter's settings, with their defaults (see ``config/settings.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from django.conf import settings

from gridgov.core.outbox import Backoff

DEFAULT_MAX_ATTEMPTS = 12
DEFAULT_TIMEOUT_SECONDS = 10
BACKOFF_CAP_MINUTES = 60


@dataclass(frozen=True)
class SourceConfig:
    """Where one source system's messages go."""

    source_system: str
    adapter: str
    url: str = ""
    secret: str = ""


def source_config(source_system: str) -> SourceConfig:
    """The configuration of ``source_system``; an unknown source gets the webhook adapter with
    no address, so its messages wait in the outbox (failing visibly) until it is configured."""
    entry = dict(getattr(settings, "GRIDGOV_UPSTREAM", {}).get(source_system) or {})
    return SourceConfig(
        source_system=source_system,
        adapter=str(entry.get("adapter") or "webhook"),
        url=str(entry.get("url") or ""),
        secret=str(entry.get("secret") or ""),
    )


def max_attempts() -> int:
    return max(1, int(getattr(settings, "GRIDGOV_UPSTREAM_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))


def timeout_seconds() -> float:
    return float(getattr(settings, "GRIDGOV_UPSTREAM_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


# The wait after the n-th failed try: 1, 2, 4, 8 … minutes, at most 60.
backoff: Final = Backoff(first=timedelta(minutes=1), cap=timedelta(minutes=BACKOFF_CAP_MINUTES))
