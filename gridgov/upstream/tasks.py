"""Delivering upstream messages, one attempt per task run."""

from __future__ import annotations

from celery import shared_task

from . import services

DUE_BATCH = 100
# deliver_due stops starting new attempts after this long; beat runs it again each minute.
DUE_TIME_BUDGET_SECONDS = 45.0


@shared_task(name="gridgov.upstream.tasks.deliver", ignore_result=True)
def deliver(message_id: int) -> str:
    """One attempt at one message (queued after the order's transaction commits)."""
    return services.deliver(message_id=message_id)


@shared_task(name="gridgov.upstream.tasks.deliver_due", ignore_result=True)
def deliver_due() -> int:
    """Attempt the messages that are due: retries after their backoff, and any whose queued
    task was lost. Returns how many it attempted."""
    return services.deliver_due(limit=DUE_BATCH, budget_seconds=DUE_TIME_BUDGET_SECONDS)
