"""Background work of the case loop: thumbnails and the deadline sweep."""

from __future__ import annotations

from celery import shared_task

from .services import sweep_due, thumbnails_make


@shared_task(ignore_result=True)
def make_thumbnails(attachment_ids: list[int]) -> int:
    """Thumbnails (and, where needed, an oriented display copy without EXIF) of new photos."""
    return thumbnails_make(attachment_ids)


@shared_task(ignore_result=True)
def sweep_deadlines() -> dict[str, int]:
    """Run by beat every minute: warnings at 80 % and overdue notices."""
    return sweep_due()
