"""Conduct complaints: a resident's complaint about staff, stored encrypted for the discipline
office with a tracking code, revealed to a supervisor with an audit row."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Final

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area
from gridgov.areas.selectors import town_of
from gridgov.core.audit import record
from gridgov.core.errors import NotFound
from gridgov.core.once import create_once, made_before
from gridgov.core.reveals import reveal_guard

from .. import selectors
from ..models import ComplaintEvent, ConductComplaint
from .abuse import take_public, throttle_public
from .common import CODE_LENGTH, unused_code

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest


COMPLAINT_MAX: Final = 2000


def complaint_submit(
    *,
    client: str,
    area: Area,
    text: str,
    concerning_id: int | None = None,
    name: str = "",
    phone: str = "",
    submission_key: str | None = None,
    at: dt.datetime | None = None,
) -> ConductComplaint:
    """Store a complaint about staff conduct for the discipline office (encrypted), with the
    tracking code the resident is given and the first line of its history. The form's one-time
    key makes the same complaint sent twice one complaint (with one tracking code). ``at``: when
    it was received (a history; default now)."""
    sent = {"area": area.code, "text": text.strip(), "concerning": concerning_id, "name": name.strip()}
    earlier = made_before(key=submission_key, user=None, kind="notice.complaint", sent=sent, model=ConductComplaint)
    if earlier is not None:  # the same form again: answered with the complaint it made, nothing counted
        return earlier
    throttle_public(client, phone, kind="complaint")
    text = text.strip()
    if not text:
        raise ValidationError({"text": [_("Describe what happened.")]})
    if len(text) > COMPLAINT_MAX:
        raise ValidationError({"text": [_("At most %(n)s characters.") % {"n": COMPLAINT_MAX}]})
    town = town_of(area)
    if town is None:
        raise ValidationError({"area": [_("The area is not inside a town.")]})
    concerning = None
    if concerning_id:
        cards = selectors.grid_cards(area) if area.level == "grid" else []
        if concerning_id in {card.user_id for card in cards}:
            concerning = concerning_id

    def write() -> ConductComplaint:
        return _complaint_write(
            client=client, town=town, area=area, concerning=concerning, text=text, name=name, phone=phone, at=at
        )

    complaint, _created = create_once(
        key=submission_key, user=None, kind="notice.complaint", sent=sent, create=write, model=ConductComplaint
    )
    return complaint


def _complaint_write(
    *,
    client: str,
    town: Area,
    area: Area,
    concerning: int | None,
    text: str,
    name: str,
    phone: str,
    at: dt.datetime | None = None,
) -> ConductComplaint:
    with transaction.atomic():
        take_public(client, phone, kind="complaint")
        complaint = ConductComplaint.objects.create(
            town=town,
            grid=area if area.level == "grid" else None,
            concerning_id=concerning,
            text=text,
            contact_name=name.strip()[:100],
            contact_phone=phone.strip()[:30],
            received_at=at or timezone.now(),
            code=unused_code(ConductComplaint),
        )
        ComplaintEvent.objects.create(
            complaint=complaint, action="received", at=complaint.received_at, to_status=complaint.status
        )
        record(action="notice.complaint_received", obj=complaint, data={"town": town.code})
    return complaint


def complaint_reveal(
    *, actor: User | AnonymousUser, complaint_id: int, request: HttpRequest | None = None
) -> ConductComplaint:
    """A complaint in clear for a supervisor; the reveal is audited (and counted)."""
    complaint = selectors.complaints_visible(actor).filter(pk=complaint_id).first()
    if complaint is None:
        raise NotFound(_("No such complaint."))
    with reveal_guard(actor, request), transaction.atomic():
        record(action="notice.complaint_reveal", actor=actor, obj=complaint, request=request)
    return complaint


def complaint_by_code(code: str) -> ConductComplaint | None:
    """The complaint a resident follows with ``code`` (its state only is shown)."""
    code = code.strip().upper()
    if len(code) != CODE_LENGTH:
        return None
    return ConductComplaint.objects.filter(code=code).first()
