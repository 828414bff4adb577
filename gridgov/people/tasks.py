"""Background work of the people app."""

from __future__ import annotations

from celery import shared_task

from gridgov.people.login import throttles_purge


@shared_task(name="gridgov.people.tasks.purge_login_throttles")
def purge_login_throttles() -> int:
    """Forget login throttle rows with nothing left to remember (daily)."""
    return throttles_purge()
