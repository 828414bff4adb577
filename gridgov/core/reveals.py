"""How many people's details one user may reveal in an hour (issue 13, item 15).

Every reveal of personal data (a case's party, a petitioner, a petitioner's attachment, a
household's head or a unit's contact) is an
audit row; :func:`reveal_guard`, around each reveal service's audit row, counts the user's
reveals of the last hour and refuses beyond ``GRIDGOV_REVEALS_PER_HOUR`` (429). The count and
the row are one transaction with the user's row locked, so reveals sent at once are counted one
after another and never pass the limit (they did: 16 of 20 beyond it, docs/security.md). The first
refusal in an hour sends :data:`reveal_throttled`, on which the discipline office is told
(``gridgov.web.security_notices``: this layer cannot notify), and is audited
(``security.reveal_throttled``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import record
from .errors import Throttled
from .models import AuditEvent

if TYPE_CHECKING:
    from django.http import HttpRequest

REVEAL_ACTIONS: Final = (
    "case.reveal_party",
    "hotline.petitioner_reveal",
    "hotline.attachment_open",
    "notice.complaint_reveal",
    "visits.household_reveal",
    "visits.unit_reveal",
)
THROTTLED_ACTION: Final = "security.reveal_throttled"
WINDOW: Final = dt.timedelta(hours=1)

# Sent once an hour per user when the limit is first passed: ``actor``, ``count``, ``limit``.
reveal_throttled = Signal()


def reveals_per_hour() -> int:
    return int(getattr(settings, "GRIDGOV_REVEALS_PER_HOUR", 40))


@contextmanager
def reveal_guard(actor: Any, request: HttpRequest | None = None) -> Iterator[None]:
    """Refuse (:class:`Throttled`) a reveal beyond the hourly limit; under it, run the caller's
    block (which writes the reveal's audit row) in the transaction that counted, with the
    user's row locked (on SQLite the write transaction is the lock)."""
    limit = reveals_per_hour()
    if not limit or not getattr(actor, "is_authenticated", False):
        yield
        return
    with transaction.atomic():
        list(get_user_model().objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True))
        since = timezone.now() - WINDOW
        count = AuditEvent.objects.filter(
            actor_id=actor.pk, created_at__gte=since, action__in=REVEAL_ACTIONS, success=True
        ).count()
        if count < limit:
            yield
            return
    _refuse(actor, request, count, limit, since)


def _refuse(actor: Any, request: HttpRequest | None, count: int, limit: int, since: dt.datetime) -> None:
    first = not AuditEvent.objects.filter(actor_id=actor.pk, created_at__gte=since, action=THROTTLED_ACTION).exists()
    record(action=THROTTLED_ACTION, actor=actor, request=request, success=False, data={"count": count, "limit": limit})
    if first:
        reveal_throttled.send(sender=reveal_guard, actor=actor, count=count, limit=limit)
    raise Throttled(
        _(
            "You have seen the details of %(count)s people in the last hour, the most allowed. "
            "The discipline office has been told; try again later."
        )
        % {"count": count},
        details={"retry_after_seconds": int(WINDOW.total_seconds())},
    )
