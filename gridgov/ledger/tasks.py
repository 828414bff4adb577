"""Background work of the ledger import: reading the upload and the import itself run in the
worker, not in the request."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from .services import ledger_read, ledger_run


@shared_task(ignore_result=True)
def read_ledger(job_id: int) -> str:
    """Read an uploaded ledger, streaming, outside any transaction."""
    return str(ledger_read(job_id=job_id).status)


@shared_task(ignore_result=True)
def run_ledger(job_id: int, actor_id: int | None) -> str:
    """Write the rows of a started ledger import."""
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return str(ledger_run(job_id=job_id, actor=actor).status)
