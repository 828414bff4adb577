"""The tables of a meeting and of a resolution on the workflow engine.

Meeting: ``planned`` (the agenda can still change) → ``held`` (the minutes are written and
resolutions added) → ``closed`` (the minutes final). The organisers: the center for any area,
a village's grid leader or staff for their village's meetings.

Resolution (a task for a department or a village): ``open`` → the owner reports it done
(``reported``) → the organisers confirm it (``done``) or return it with a reason (``open``).
A resolution that became a case follows the case loop instead.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.core.workflow import SAME, Transition, row

from .models import MeetingStatus, ResolutionStatus


class MeetingParty(StrEnum):
    ORGANISER = "organiser"
    OWNER = "owner"


class MeetingAction(StrEnum):
    AGENDA = "agenda"
    HOLD = "hold"
    MINUTES = "minutes"
    CLOSE = "close"


class ResolutionAction(StrEnum):
    REPORT = "report"
    CONFIRM = "confirm"
    RETURN = "return"


M = MeetingStatus
R = ResolutionStatus
P = MeetingParty

MEETING_ROWS: Final[list[Transition]] = [
    row(MeetingAction.AGENDA, {M.PLANNED}, SAME, {P.ORGANISER}, required=("agenda",)),
    row(MeetingAction.HOLD, {M.PLANNED}, M.HELD, {P.ORGANISER}),
    row(MeetingAction.MINUTES, {M.HELD}, SAME, {P.ORGANISER}, required=("minutes",)),
    row(MeetingAction.CLOSE, {M.HELD}, M.CLOSED, {P.ORGANISER}),
]

MEETING_LABELS: Final[dict[str, Promise]] = {
    MeetingAction.AGENDA: _("Save the agenda"),
    MeetingAction.HOLD: _("Open the meeting"),
    MeetingAction.MINUTES: _("Save the minutes"),
    MeetingAction.CLOSE: _("Make the minutes final"),
}

RESOLUTION_ROWS: Final[list[Transition]] = [
    row(ResolutionAction.REPORT, {R.OPEN}, R.REPORTED, {P.OWNER}, required=("report",)),
    row(ResolutionAction.CONFIRM, {R.REPORTED}, R.DONE, {P.ORGANISER}),
    row(ResolutionAction.RETURN, {R.REPORTED}, R.OPEN, {P.ORGANISER}, required=("comment",)),
]

RESOLUTION_LABELS: Final[dict[str, Promise]] = {
    ResolutionAction.REPORT: _("Report done"),
    ResolutionAction.CONFIRM: _("Confirm done"),
    ResolutionAction.RETURN: _("Return"),
}
