"""Background work of the import: reading the upload and the import itself run in the worker,
not in the request."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from .services import import_read, import_run
from .services import purge_files as purge


@shared_task(ignore_result=True)
def read_import(job_id: int) -> str:
    """Read an uploaded export, streaming, outside any transaction (see :func:`.services.import_read`)."""
    return str(import_read(job_id=job_id).status)


@shared_task(ignore_result=True)
def run_import(job_id: int, actor_id: int) -> str:
    """Write the valid rows of a started import job (see :func:`.services.import_run`)."""
    actor = get_user_model().objects.get(pk=actor_id)
    return str(import_run(job_id=job_id, actor=actor).status)


@shared_task(ignore_result=True)
def purge_files() -> int:
    """Daily: delete the stored files of imports never brought in (see :func:`.services.purge_files`)."""
    return purge()
