"""Background work of the bulletins: generating one, and the monthly schedule (beat, daily)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def generate_bulletin(pk: int) -> str:
    """Compute the figures and write the documents (see :func:`.services.bulletin_generate`)."""
    return str(services.bulletin_generate(pk=pk).status)


@shared_task(ignore_result=True)
def schedule_monthly() -> int:
    """On the first working day of a month, last month's bulletins (see :func:`.services.schedule_monthly`)."""
    return services.schedule_monthly()
