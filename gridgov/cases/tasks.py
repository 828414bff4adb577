"""Background work of the case loop: thumbnails and the deadline sweep."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.files.base import ContentFile

from . import photos

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def make_thumbnails(attachment_ids: list[int]) -> int:
    """Thumbnails (and, where needed, an oriented display copy without EXIF) of new photos."""
    from .models import CaseAttachment

    done = 0
    for attachment in CaseAttachment.objects.filter(pk__in=attachment_ids, thumbnail=""):
        try:
            with attachment.file.open("rb") as source:
                thumbnail = photos.build_thumbnail(source)
                source.seek(0)
                display = photos.display_copy(source)
        except (OSError, ValueError):
            logger.exception("Thumbnail of attachment %s failed", attachment.pk)
            continue
        attachment.thumbnail.save(f"{attachment.sha256[:16]}-t.jpg", ContentFile(thumbnail), save=False)
        fields = ["thumbnail"]
        if display is not None:
            attachment.display.save(f"{attachment.sha256[:16]}-d.jpg", ContentFile(display), save=False)
            fields.append("display")
        attachment.save(update_fields=fields)
        done += 1
    return done


@shared_task(ignore_result=True)
def sweep_deadlines() -> dict[str, int]:
    """Run by beat every minute: warnings at 80 % and overdue notices."""
    from .services import sweep_due

    return sweep_due()
