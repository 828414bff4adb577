"""Background work of a reconciliation: the comparison runs in the worker, not in the request."""

from __future__ import annotations

from celery import shared_task

from .services import reconcile_run


@shared_task(ignore_result=True)
def run_reconciliation(pk: int) -> str:
    """Compare a stored monthly list with the town's orders (see :func:`.services.reconcile_run`)."""
    return str(reconcile_run(pk=pk).status)
