"""The table of a supervision notice (督办) on the workflow engine.

``issued`` → the owner of the case or order (its handler, or the center) **answers**
(``answered``), or the discipline office **withdraws** it with a reason (``withdrawn``). A notice
is issued by :func:`gridgov.oversight.services.supervision_issue`, which on a case also takes the
case loop's own ``supervise`` step (so the case's timeline, its "supervision awaiting reply"
flag and its notices are the loop's); answering a notice on a case takes the loop's
``reply_supervision`` step in the same transaction.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.core.workflow import Transition, row

from .models import SupervisionStatus


class SupervisionParty(StrEnum):
    OFFICE = "office"  # a discipline supervisor over the notice's town
    OWNER = "owner"  # who answers for the case or order: its handler, or the center


class SupervisionAction(StrEnum):
    ANSWER = "answer"
    WITHDRAW = "withdraw"


S = SupervisionStatus
P = SupervisionParty

ROWS: Final[list[Transition]] = [
    row(SupervisionAction.ANSWER, {S.ISSUED}, S.ANSWERED, {P.OWNER}, required=("comment",)),
    row(SupervisionAction.WITHDRAW, {S.ISSUED}, S.WITHDRAWN, {P.OFFICE}, required=("comment",)),
]

LABELS: Final[dict[str, Promise]] = {
    "issue": _("Supervision notice issued"),
    SupervisionAction.ANSWER: _("Answer the supervision notice"),
    SupervisionAction.WITHDRAW: _("Withdraw the notice"),
}
