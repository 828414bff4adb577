"""The table of a bulletin on the workflow engine.

``queued`` (the worker computes the figures, unless frozen already, and writes the three
documents) → ``done``, or ``failed`` with the reason. The center may try a failed one again,
or one queued for 15 minutes that no worker took (``retry``), and have a finished one's
documents written again from its frozen figures (``rewrite``): the same digits, new files.
The parties: the center (those who may read the area's statistics) and the worker."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.core.workflow import Guard, Transition, row

from .models import Bulletin, BulletinStatus


class BulletinParty(StrEnum):
    CENTER = "center"
    WORKER = "worker"


class BulletinAction(StrEnum):
    COMPLETE = "complete"
    FAIL = "fail"
    RETRY = "retry"
    REWRITE = "rewrite"


S = BulletinStatus
P = BulletinParty

# A queued bulletin nobody has worked on for this long is taken for lost (its worker died or
# the broker lost the task): it may be handed to the worker again.
STUCK_AFTER: Final = dt.timedelta(minutes=15)


def stuck_or_failed(bulletin: Bulletin, now: dt.datetime) -> bool:
    return bulletin.status == S.FAILED or now - bulletin.queued_at > STUCK_AFTER


STUCK_OR_FAILED: Final[Guard[Bulletin]] = Guard(
    "bulletin_running",
    _("The bulletin is being generated; try again if it has not moved for 15 minutes."),
    stuck_or_failed,
)

ROWS: Final[list[Transition]] = [
    row(BulletinAction.COMPLETE, {S.QUEUED}, S.DONE, {P.WORKER}),
    row(BulletinAction.FAIL, {S.QUEUED}, S.FAILED, {P.WORKER}, required=("reason",)),
    row(BulletinAction.RETRY, {S.FAILED, S.QUEUED}, S.QUEUED, {P.CENTER}, STUCK_OR_FAILED),
    row(BulletinAction.REWRITE, {S.DONE}, S.QUEUED, {P.CENTER}),
]

LABELS: Final[dict[str, Promise]] = {
    BulletinAction.COMPLETE: _("Generated"),
    BulletinAction.FAIL: _("Generation failed"),
    BulletinAction.RETRY: _("Try again"),
    BulletinAction.REWRITE: _("Write the documents again"),
}
