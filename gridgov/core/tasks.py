"""Periodic liveness signal: beat sends it, the worker records it."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from . import services

HEARTBEAT_TASK = "gridgov.core.tasks.heartbeat"


@shared_task(name=HEARTBEAT_TASK, ignore_result=True)
def heartbeat(sent_at: str | None = None) -> None:
    """Record that the worker ran a task that beat scheduled (``sent_at`` is when)."""
    sent = datetime.fromisoformat(sent_at) if sent_at else None
    services.heartbeat_record(component="worker", sent_at=sent, seen_at=timezone.now())


@shared_task(name="gridgov.core.tasks.ping")
def ping() -> str:
    """A round trip through the broker (and the result backend when one is set)."""
    return "pong"
