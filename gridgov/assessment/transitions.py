"""The tables of an assessment period, an appeal and a reward or penalty on the workflow engine.

Period: ``open`` (manual scores and bonus/penalty points are entered) → ``compute`` (the center;
a snapshot is queued for the worker) → ``computing`` → the worker completes it (``computed``) or
fails it (back where it was) → the center may ``recompute`` with a reason (a new snapshot, the
old one kept) → ``publish`` (the assessed see their own results; the appeal window starts) →
``finalize`` once the window has closed and no appeal is open (``final``, locked).

Appeal: the assessed ``submitted`` → the center proposes a decision (``proposed``) → the
discipline office agrees (``decided``; an upheld appeal changes the score) or sends it back
(``submitted``); the appellant may withdraw it while submitted.

Reward or penalty: ``proposed`` (from the ranking, or by hand) → the center confirms or drops it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.core.workflow import SAME, Guard, Transition, row

from .models import AppealStatus, Period, PeriodStatus, SanctionStatus


class Party(StrEnum):
    CENTER = "center"
    WORKER = "worker"
    DISCIPLINE = "discipline"
    APPELLANT = "appellant"


class PeriodAction(StrEnum):
    COMPUTE = "compute"
    RECOMPUTE = "recompute"
    COMPLETE = "complete"
    FAIL = "fail"
    RETRY = "retry"
    PUBLISH = "publish"
    FINALIZE = "finalize"


class AppealAction(StrEnum):
    PROPOSE = "propose"
    AGREE = "agree"
    SEND_BACK = "send_back"
    WITHDRAW = "withdraw"


class SanctionAction(StrEnum):
    CONFIRM = "confirm"
    DROP = "drop"


S = PeriodStatus
A = AppealStatus
R = SanctionStatus
P = Party

STUCK_AFTER: Final = dt.timedelta(minutes=15)


def _stuck(period: Period, now: dt.datetime) -> bool:
    return period.queued_at is None or now - period.queued_at > STUCK_AFTER


def _window_closed(period: Period, now: dt.datetime) -> bool:
    return period.appeal_until is not None and now >= period.appeal_until


def _no_open_appeal(period: Period, now: dt.datetime) -> bool:
    return _window_closed(period, now) and not period.appeals.filter(status__in=(A.SUBMITTED, A.PROPOSED)).exists()


def _ended(period: Period, now: dt.datetime) -> bool:
    return timezone.localdate(now) > period.end


ENDED: Final[Guard[Period]] = Guard(
    "period_not_ended",
    _("The period has not ended yet: publish it after its last day."),
    _ended,
)
STUCK: Final[Guard[Period]] = Guard(
    "assessment_running",
    _("The period is being computed; try again if it has not moved for 15 minutes."),
    _stuck,
)
SETTLED: Final[Guard[Period]] = Guard(
    "appeals_open",
    _("The appeal window has not closed yet, or an appeal is still open."),
    _no_open_appeal,
)

PERIOD_ROWS: Final[list[Transition]] = [
    row(PeriodAction.COMPUTE, {S.OPEN}, S.COMPUTING, {P.CENTER}),
    row(PeriodAction.RECOMPUTE, {S.COMPUTED}, S.COMPUTING, {P.CENTER}, required=("reason",)),
    row(PeriodAction.COMPLETE, {S.COMPUTING}, S.COMPUTED, {P.WORKER}, required=("snapshot",)),
    row(PeriodAction.FAIL, {S.COMPUTING}, S.OPEN, {P.WORKER}, required=("reason",)),
    row(PeriodAction.RETRY, {S.COMPUTING}, SAME, {P.CENTER}, STUCK),
    row(PeriodAction.PUBLISH, {S.COMPUTED}, S.PUBLISHED, {P.CENTER}, ENDED),
    row(PeriodAction.FINALIZE, {S.PUBLISHED}, S.FINAL, {P.CENTER}, SETTLED),
]

PERIOD_LABELS: Final[dict[str, Promise]] = {
    PeriodAction.COMPUTE: _("Compute"),
    PeriodAction.RECOMPUTE: _("Compute again"),
    PeriodAction.COMPLETE: _("Computed"),
    PeriodAction.FAIL: _("Computation failed"),
    PeriodAction.RETRY: _("Try again"),
    PeriodAction.PUBLISH: _("Publish to the assessed"),
    PeriodAction.FINALIZE: _("Make the results final"),
}

APPEAL_ROWS: Final[list[Transition]] = [
    row(AppealAction.PROPOSE, {A.SUBMITTED}, A.PROPOSED, {P.CENTER}, required=("decision", "opinion")),
    row(AppealAction.AGREE, {A.PROPOSED}, A.DECIDED, {P.DISCIPLINE}),
    row(AppealAction.SEND_BACK, {A.PROPOSED}, A.SUBMITTED, {P.DISCIPLINE}, required=("comment",)),
    row(AppealAction.WITHDRAW, {A.SUBMITTED}, A.WITHDRAWN, {P.APPELLANT}),
]

APPEAL_LABELS: Final[dict[str, Promise]] = {
    AppealAction.PROPOSE: _("Propose a decision"),
    AppealAction.AGREE: _("Agree: decided"),
    AppealAction.SEND_BACK: _("Send back to the center"),
    AppealAction.WITHDRAW: _("Withdraw the appeal"),
}

SANCTION_ROWS: Final[list[Transition]] = [
    row(SanctionAction.CONFIRM, {R.PROPOSED}, R.CONFIRMED, {P.CENTER}),
    row(SanctionAction.DROP, {R.PROPOSED}, R.DROPPED, {P.CENTER}, required=("comment",)),
]

SANCTION_LABELS: Final[dict[str, Promise]] = {
    SanctionAction.CONFIRM: _("Confirm"),
    SanctionAction.DROP: _("Drop"),
}
