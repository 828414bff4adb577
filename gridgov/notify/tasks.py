"""Sending notifications on external channels, one attempt per task run."""

from __future__ import annotations

from celery import shared_task

from . import services

DUE_BATCH = 100
# deliver_due stops starting new attempts after this long; beat runs it again each minute.
DUE_TIME_BUDGET_SECONDS = 45.0


@shared_task(name="gridgov.notify.tasks.deliver", ignore_result=True)
def deliver(delivery_id: int) -> str:
    """One attempt at one delivery (queued after the notification's transaction commits)."""
    return services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="gridgov.notify.tasks.deliver_due", ignore_result=True)
def deliver_due() -> int:
    """Attempt the pending deliveries that are due: retries after backoff, and any whose
    queued message was lost. Returns how many it attempted."""
    return services.deliver_due(limit=DUE_BATCH, budget_seconds=DUE_TIME_BUDGET_SECONDS)
