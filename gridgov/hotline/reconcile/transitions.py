"""The tables of a reconciliation and of its differences on the workflow engine.

A reconciliation: ``reading`` (the worker compares the uploaded list) → ``done``, or ``refused``
when the file cannot be read. A difference: ``open`` → ``explained`` (the center gives the
reason) → ``open`` again if the explanation was wrong. The parties: the town's center (center
operators and administrators of the town, who see it) and the worker (the comparison itself)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.core.workflow import Transition, row

from ..models import DifferenceState, ReconcileStatus


class ReconcileParty(StrEnum):
    CENTER = "center"
    WORKER = "worker"


class ReconcileAction(StrEnum):
    COMPARE = "compare"
    REFUSE = "refuse"


class DifferenceAction(StrEnum):
    EXPLAIN = "explain"
    REOPEN = "reopen"


S = ReconcileStatus
D = DifferenceState
P = ReconcileParty

ROWS: Final[list[Transition]] = [
    row(ReconcileAction.COMPARE, {S.READING}, S.DONE, {P.WORKER}),
    row(ReconcileAction.REFUSE, {S.READING}, S.REFUSED, {P.WORKER}),
]
DIFFERENCE_ROWS: Final[list[Transition]] = [
    row(DifferenceAction.EXPLAIN, {D.OPEN}, D.EXPLAINED, {P.CENTER}, required=("reason",)),
    row(DifferenceAction.REOPEN, {D.EXPLAINED}, D.OPEN, {P.CENTER}),
]

LABELS: Final[dict[str, Promise]] = {
    ReconcileAction.COMPARE: _("Compared"),
    ReconcileAction.REFUSE: _("File refused"),
}
DIFFERENCE_LABELS: Final[dict[str, Promise]] = {
    DifferenceAction.EXPLAIN: _("Mark explained"),
    DifferenceAction.REOPEN: _("Reopen"),
}
