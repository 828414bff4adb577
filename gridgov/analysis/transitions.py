"""The tables of the weekly analysis and the monthly summary on the workflow engine.

Weekly analysis: ``draft`` (generated with the week's figures) → the grid worker saves and
submits it (``checking``) → the grid leader approves it (``submitted``, with the center) or
sends it back (``returned``) → the center accepts it (``accepted``) or returns it with a
comment (``returned``); a returned analysis is written again and submitted again. A grid
whose village has no grid leader goes straight to the center on submission.

Monthly summary: a ``draft`` composed from the figures, which the center or the leader of the
area remarks on and recomposes, then makes ``final`` (printed as Word and PDF); the center can
reopen a final one with a reason.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.core.workflow import SAME, Transition, row

from .models import SummaryStatus, WeeklyStatus


class WeeklyParty(StrEnum):
    WORKER = "grid_worker"
    LEADER = "grid_leader"
    CENTER = "center"


class WeeklyAction(StrEnum):
    SAVE = "save"
    SUBMIT = "submit"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    ACCEPT = "accept"
    RETURN = "return"


W = WeeklyStatus
P = WeeklyParty
WRITABLE: Final = frozenset({W.DRAFT, W.RETURNED})

WEEKLY_ROWS: Final[list[Transition]] = [
    row(WeeklyAction.SAVE, WRITABLE, SAME, {P.WORKER}),
    row(WeeklyAction.SUBMIT, WRITABLE, W.CHECKING, {P.WORKER}, required=("analysis", "measures")),
    row(WeeklyAction.APPROVE, {W.CHECKING}, W.SUBMITTED, {P.LEADER}),
    row(WeeklyAction.SEND_BACK, {W.CHECKING}, W.RETURNED, {P.LEADER}, required=("comment",)),
    row(WeeklyAction.ACCEPT, {W.SUBMITTED}, W.ACCEPTED, {P.CENTER}),
    row(WeeklyAction.RETURN, {W.SUBMITTED}, W.RETURNED, {P.CENTER}, required=("comment",)),
]

WEEKLY_LABELS: Final[dict[str, Promise]] = {
    WeeklyAction.SAVE: _("Save"),
    WeeklyAction.SUBMIT: _("Submit"),
    WeeklyAction.APPROVE: _("Approve and send to the center"),
    WeeklyAction.SEND_BACK: _("Send back to the grid worker"),
    WeeklyAction.ACCEPT: _("Accept"),
    WeeklyAction.RETURN: _("Return"),
}


class SummaryParty(StrEnum):
    CENTER = "center"
    LEADER = "leader"


class SummaryAction(StrEnum):
    REMARK = "remark"
    RECOMPOSE = "recompose"
    FINALIZE = "finalize"
    REOPEN = "reopen"


M = SummaryStatus
Q_ = SummaryParty

SUMMARY_ROWS: Final[list[Transition]] = [
    row(SummaryAction.REMARK, {M.DRAFT}, SAME, {Q_.CENTER, Q_.LEADER}, required=("remarks",)),
    row(SummaryAction.RECOMPOSE, {M.DRAFT}, SAME, {Q_.CENTER, Q_.LEADER}),
    row(SummaryAction.FINALIZE, {M.DRAFT}, M.FINAL, {Q_.CENTER}),
    row(SummaryAction.REOPEN, {M.FINAL}, M.DRAFT, {Q_.CENTER}, required=("comment",)),
]

SUMMARY_LABELS: Final[dict[str, Promise]] = {
    SummaryAction.REMARK: _("Save the remarks"),
    SummaryAction.RECOMPOSE: _("Compose again from the current figures"),
    SummaryAction.FINALIZE: _("Make final"),
    SummaryAction.REOPEN: _("Reopen"),
}
