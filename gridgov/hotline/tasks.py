"""Background work of the hotline: the deadline sweep (beat, every minute)."""

from __future__ import annotations

from celery import shared_task

# The import's task lives with the import; importing it here registers it with the worker.
from .importing import tasks as _import_tasks  # noqa: F401
from .reconcile import tasks as _reconcile_tasks  # noqa: F401
from .services import sweep_due


@shared_task(ignore_result=True)
def sweep_deadlines() -> dict[str, int]:
    """Reminders at 80 % of each step's time and overdue notices, once per step."""
    return sweep_due()
