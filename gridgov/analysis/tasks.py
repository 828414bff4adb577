"""Background work of the weekly analyses: the week's drafts and the overdue sweep (beat)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def schedule_weekly() -> int:
    """Last week's drafts, once (see :func:`.services.schedule_weekly`)."""
    return services.schedule_weekly()


@shared_task(ignore_result=True)
def sweep_overdue() -> int:
    """Tell the worker and the grid leader once about an overdue analysis."""
    return services.sweep_overdue()
