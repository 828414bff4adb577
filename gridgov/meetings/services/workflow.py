"""The meeting's workflow (:data:`MEETINGS`, table in :mod:`gridgov.meetings.transitions`) and
:func:`meeting_act`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.audit import record
from gridgov.core.errors import Conflict, Invalid, clean_text
from gridgov.core.workflow import Step, Workflow

from ..models import Meeting, MeetingStatus
from ..transitions import (
    MEETING_LABELS,
    MEETING_ROWS,
    MeetingAction,
    MeetingParty,
)
from .agenda import agenda_from_text
from .common import TEXT_LIMIT, MeetingActor, is_organiser, meetings_visible

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.core.models import AuditEvent


class MeetingFlow(Workflow[Meeting, MeetingActor]):
    model = Meeting
    forbidden_message = _("Only the meeting's organisers may do this.")

    def parties(self, actor: MeetingActor, subject: Meeting) -> set[str]:
        return {MeetingParty.ORGANISER} if actor is not None and is_organiser(actor, subject.area) else set()

    def visible(self, actor: MeetingActor) -> Q:
        return Q() if actor is None else Q(pk__in=meetings_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(MeetingStatus(status).label) if status in MeetingStatus.values else status

    def record(self, step: Step[Meeting, MeetingActor]) -> AuditEvent:
        return record(action=f"meeting.{step.action}", actor=step.actor, obj=step.subject, data=step.data)


MEETINGS = MeetingFlow("meeting", MEETING_ROWS, labels=MEETING_LABELS)


@MEETINGS.effect(MeetingAction.AGENDA)
def _agenda(step: Step[Meeting, MeetingActor]) -> None:
    step.set(agenda=agenda_from_text(step.input("agenda")))


# How long before its planned time a meeting may be opened (people gather early); never on an
# earlier day than the planned one.
HOLD_EARLY: Final = dt.timedelta(hours=2)


@MEETINGS.effect(MeetingAction.HOLD)
def _hold(step: Step[Meeting, MeetingActor]) -> None:
    starts_at = step.subject.starts_at
    now = step.now
    if now < starts_at - HOLD_EARLY or timezone.localdate(now) < timezone.localdate(starts_at):
        raise Conflict(
            _("This meeting is planned for %(time)s: it can be opened at most two hours before that time.")
            % {"time": timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")},
            code="meeting_not_yet",
        )
    step.data["attendance"] = step.subject.attendance.count()


@MEETINGS.effect(MeetingAction.MINUTES)
def _minutes(step: Step[Meeting, MeetingActor]) -> None:
    step.set(minutes=clean_text(step.input("minutes"), "minutes", TEXT_LIMIT))


@MEETINGS.effect(MeetingAction.CLOSE)
def _close(step: Step[Meeting, MeetingActor]) -> None:
    if not step.subject.minutes.strip():
        raise Invalid.field("minutes", _("Write the minutes before making them final."))
    step.set(closed_at=step.now)
    step.data["resolutions"] = step.subject.resolutions.count()


MEETINGS.check_complete()


def meeting_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
) -> Meeting:
    return MEETINGS.act(pk, action, actor=actor, inputs=inputs or {}, version=version)
