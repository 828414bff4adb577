"""The periodic sweep (beat): a reminder to the owners when a part has used 80 % of its time,
and an overdue notice to the owners and the assigning leader when its deadline has passed;
each once per deadline (an extension re-arms them), each with its history row."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gridgov.core.audit import record

from ..models import PART_OPEN, AssignmentEvent, AssignmentPart, PartStatus
from .common import part_owner_ids, send

# A submitted part waits on the leader, not on its owner: it is not reminded.
SWEPT = tuple(status for status in PART_OPEN if status != PartStatus.SUBMITTED)


def sweep_deadlines(now: dt.datetime | None = None) -> int:
    """Send the reminders and overdue notices that are due; returns how many were sent."""
    now = now or timezone.now()
    due = AssignmentPart.objects.filter(status__in=SWEPT).filter(
        Q(warning_sent=False, warn_at__lte=now, deadline__gte=now) | Q(overdue_sent=False, deadline__lt=now)
    )
    sent = 0
    for part_id in due.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            part = (
                AssignmentPart.objects.select_for_update(of=("self",))
                .select_related("assignment", "department", "area")
                .filter(pk=part_id, status__in=SWEPT)
                .first()
            )
            if part is None:
                continue
            if part.deadline < now and not part.overdue_sent:
                kind, fields = "overdue", {"overdue_sent": True, "warning_sent": True}
                recipients = [*part_owner_ids(part), part.assignment.leader_id]
            elif part.warn_at is not None and part.warn_at <= now <= part.deadline and not part.warning_sent:
                kind, fields = "warning", {"warning_sent": True}
                recipients = part_owner_ids(part)
            else:
                continue
            for name, value in fields.items():
                setattr(part, name, value)
            part.save(update_fields=sorted(fields))
            AssignmentEvent.objects.create(
                assignment=part.assignment,
                part=part,
                action=kind,
                at=now,
                from_status=part.status,
                to_status=part.status,
                data={"deadline": part.deadline.isoformat()},
            )
            record(action=f"assignment.{kind}", obj=part.assignment, data={"part": part.pk, "owner": part.owner_key})
            send(part.assignment, kind, recipients, actor=None, part=part)
            sent += 1
    return sent
