"""Background work of the leaders' tasks: the deadline sweep (beat)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def sweep_deadlines() -> int:
    """Reminders at 80 % of a part's time and overdue notices (see :func:`.services.sweep_deadlines`)."""
    return services.sweep_deadlines()
