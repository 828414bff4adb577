"""Planning a meeting (its people invited once) and signing in by the meeting's QR code."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.actors import signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Forbidden, Invalid, NotFound
from gridgov.core.once import create_once
from gridgov.notify.services import notify

from ..models import Attendance, Meeting, MeetingStatus
from .agenda import agenda_from_text, agenda_proposals
from .common import PLAN_WINDOW, is_organiser, meeting_areas

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def meeting_plan(
    *,
    actor: User | AnonymousUser,
    area_code: str,
    title: str,
    starts_at: dt.datetime,
    place: str,
    chair_id: int,
    invitee_ids: list[int],
    agenda: str | None = None,
    submission_key: str | None = None,
) -> Meeting:
    """Plan a meeting and invite its people. The plan form's one-time key makes the same form
    sent twice one meeting (one invitation each)."""
    area = meeting_areas(actor).filter(code=area_code).first()
    if area is None or not is_organiser(actor, area):
        raise Forbidden(_("You may not plan a meeting of this area."))
    today = timezone.localdate()
    if not today - PLAN_WINDOW <= timezone.localtime(starts_at).date() <= today + PLAN_WINDOW:
        raise Invalid.field(
            "starts_at",
            _("A meeting is planned (or recorded) within a year of today: between %(first)s and %(last)s.")
            % {"first": today - PLAN_WINDOW, "last": today + PLAN_WINDOW},
        )
    user_model = get_user_model()
    chair = user_model.objects.filter(pk=chair_id, is_active=True).first()
    if chair is None:
        raise Invalid.field("chair", _("Choose the chair."))
    invitees = list(user_model.objects.filter(pk__in=invitee_ids, is_active=True))
    items = agenda_from_text(agenda) if agenda else [p.as_json() for p in agenda_proposals(area)]
    title = title.strip()[:120]
    if not title:
        raise Invalid.field("title", _("Give the meeting a title."))

    def write() -> Meeting:
        with transaction.atomic():
            meeting = Meeting.objects.create(
                area=area,
                title=title,
                starts_at=starts_at,
                place=place.strip()[:120],
                chair=chair,
                agenda=items,
                sign_in_key=secrets.token_hex(16),
                created_by=signed_in(actor) or chair,
            )
            meeting.invitees.set(invitees)
            record(action="meeting.plan", actor=actor, obj=meeting, data={"area": area.code, "invitees": len(invitees)})
            url = reverse("meetings:detail", args=[meeting.pk])
            notify(
                recipients=[chair, *invitees],
                kind="meeting.invited",
                params={
                    "title": meeting.title,
                    "at": f"{timezone.localtime(starts_at):%Y-%m-%d %H:%M}",
                    "place": meeting.place,
                },
                url=url,
                obj=meeting,
                actor=signed_in(actor),
            )
        return meeting

    sent = {"area": area.code, "title": title, "at": starts_at.isoformat(), "chair": chair.pk, "agenda": items}
    meeting, _created = create_once(
        key=submission_key, user=actor, kind="meeting.plan", sent=sent, create=write, model=Meeting
    )
    return meeting


def key_matches(meeting: Meeting, key: object) -> bool:
    """Whether ``key`` is the meeting's sign-in key (compared in constant time; anything not
    shaped like a key, non-ASCII text included, simply does not match)."""
    return isinstance(key, str) and key.isascii() and secrets.compare_digest(meeting.sign_in_key, key)


def meeting_sign_in(
    *, actor: User | AnonymousUser, pk: int, key: str, at: dt.datetime | None = None
) -> tuple[Attendance, bool]:
    """Sign ``actor`` in to the meeting whose QR code carries ``key`` (once; a second scan
    changes nothing). Anyone signed in may scan it: an uninvited attendee is recorded too."""
    user = signed_in(actor)
    if user is None:
        raise Forbidden(_("Sign in to the platform first."))
    meeting = Meeting.objects.filter(pk=pk).first()
    if meeting is None or not key_matches(meeting, key):
        raise NotFound(_("This sign-in code is not valid."))
    if meeting.status == MeetingStatus.CLOSED:
        raise Invalid.field("key", _("The meeting's minutes are final: signing in is closed."))
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(meeting=meeting, user=user, signed_at=at or timezone.now())
            record(action="meeting.sign_in", actor=user, obj=meeting)
    except IntegrityError:
        return Attendance.objects.get(meeting=meeting, user=user), False
    return attendance, True
