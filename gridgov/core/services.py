"""Writes of the core app."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from .models import Heartbeat


@transaction.atomic
def heartbeat_record(*, component: str, seen_at: datetime, sent_at: datetime | None = None) -> Heartbeat:
    beat, _created = Heartbeat.objects.update_or_create(
        component=component, defaults={"seen_at": seen_at, "sent_at": sent_at}
    )
    return beat
