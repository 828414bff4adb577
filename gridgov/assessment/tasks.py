"""Background work of the assessment: computing a period's snapshot."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def compute_snapshot(pk: int) -> str:
    """Freeze the inputs and score them (see :func:`.services.snapshot_compute`)."""
    return str(services.snapshot_compute(pk=pk).status)
