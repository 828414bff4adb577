"""Background work of the visits: the thumbnails of visit photos."""

from __future__ import annotations

from celery import shared_task

from .services import visit_thumbnails_make


@shared_task(ignore_result=True)
def make_visit_thumbnails(photo_ids: list[int]) -> int:
    """Thumbnails (and, where needed, an upright display copy without EXIF) of new visit photos."""
    return visit_thumbnails_make(photo_ids)
