"""The table of a bulletin on the workflow engine.

``queued`` (the worker computes the figures, unless frozen already, and writes the three
documents) → ``done``, or ``failed`` with the reason. The center may try a failed one again
(``retry``) and have a finished one's documents written again from its frozen figures
(``rewrite``): the same digits, new files. The parties: the center (those who may read the
area's statistics) and the worker."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.core.workflow import Transition, row

from .models import BulletinStatus


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

ROWS: Final[list[Transition]] = [
    row(BulletinAction.COMPLETE, {S.QUEUED}, S.DONE, {P.WORKER}),
    row(BulletinAction.FAIL, {S.QUEUED}, S.FAILED, {P.WORKER}, required=("reason",)),
    row(BulletinAction.RETRY, {S.FAILED}, S.QUEUED, {P.CENTER}),
    row(BulletinAction.REWRITE, {S.DONE}, S.QUEUED, {P.CENTER}),
]

LABELS: Final[dict[str, Promise]] = {
    BulletinAction.COMPLETE: _("Generated"),
    BulletinAction.FAIL: _("Generation failed"),
    BulletinAction.RETRY: _("Try again"),
    BulletinAction.REWRITE: _("Write the documents again"),
}
