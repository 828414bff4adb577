"""Writes of the notice: what is published, posters, residents' reports and complaints.

Every write runs in a transaction with its audit row. A resident's report becomes a case through
:func:`gridgov.cases.services.public_case_create` (source ``public``) and follows the normal loop;
marking it spam voids the case through :func:`gridgov.cases.services.case_act` with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.locate import locate
from gridgov.areas.models import Area
from gridgov.areas.selectors import town_of
from gridgov.cases.models import Case, Status
from gridgov.cases.services import Action, Photo, case_act, public_case_create
from gridgov.core.audit import record
from gridgov.core.errors import NotFound, Throttled
from gridgov.core.forms import ONE_TIME_KEY
from gridgov.core.once import create_once, made_before
from gridgov.core.reveals import reveal_guard

from .. import selectors
from ..models import ComplaintEvent, ConductComplaint, NoticeSetting, Poster, Publication, PublicLimit, PublicReport

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

# The tracking code's alphabet: no 0/O, 1/I/L, easy to read over the phone.
CODE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH: Final = 10
COMPLAINT_MAX: Final = 2000


# --- Abuse limits ------------------------------------------------------------------------------


def limits() -> dict[str, int]:
    return {
        "client_per_hour": int(getattr(settings, "GRIDGOV_PUBLIC_REPORTS_PER_CLIENT_HOUR", 5)),
        "phone_per_day": int(getattr(settings, "GRIDGOV_PUBLIC_REPORTS_PER_PHONE_DAY", 3)),
    }


def _hashed(value: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]


def _phone_digits(phone: str) -> str:
    """The phone as the limit counts it: digits only, without a +86 / 0086 / 86 prefix in front
    of a mobile number (so that ``+86 139…`` and ``139…`` are one phone)."""
    digits = "".join(char for char in phone if char.isdigit())
    if len(digits) > 11 and digits[-11] == "1" and digits[:-11] in {"86", "086", "0086"}:
        return digits[-11:]
    return digits


@dataclass(frozen=True)
class _Limit:
    """One counter a public report passes: its key, its window and how many it allows."""

    key: str
    window_start: dt.datetime
    window_end: dt.datetime
    allowed: int
    message: str

    def refusal(self, now: dt.datetime) -> Throttled:
        retry = max(1, int((self.window_end - now).total_seconds()))
        return Throttled(self.message, details={"retry_after_seconds": retry})


def _limits_for(client: str, phone: str, kind: str, now: dt.datetime) -> list[_Limit]:
    """The client's hour (the clock hour) and the phone's day (the local day)."""
    limit = limits()
    hour = now.replace(minute=0, second=0, microsecond=0)
    found = [
        _Limit(
            f"{kind}:client:{_hashed(client)}",
            hour,
            hour + dt.timedelta(hours=1),
            limit["client_per_hour"],
            _("Too many reports from this connection; try again in an hour, or call the center."),
        )
    ]
    digits = _phone_digits(phone)
    if digits:
        day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        found.append(
            _Limit(
                f"{kind}:phone:{_hashed(digits)}",
                day,
                day + dt.timedelta(days=1),
                limit["phone_per_day"],
                _("Too many reports with this phone number today; try again tomorrow, or call the center."),
            )
        )
    return found


def throttle_public(client: str, phone: str = "", *, kind: str = "report") -> None:
    """Refuse (:class:`Throttled`, 429) at once a client or a phone that already reached its
    limit of public reports (a quick look before anything is checked; :func:`take_public`
    decides, inside the write)."""
    now = timezone.now()
    for limit in _limits_for(client, phone, kind, now):
        used = PublicLimit.objects.filter(key=limit.key, window_start=limit.window_start).values_list(
            "count", flat=True
        )
        if (used.first() or 0) >= limit.allowed:
            raise limit.refusal(now)


def take_public(client: str, phone: str = "", *, kind: str = "report") -> None:
    """Count a public report (or complaint) against its client's and its phone's limits, or
    refuse it (:class:`Throttled`). Called inside the transaction that writes the report: the
    counter row is incremented first (an UPDATE, which locks the row until the write commits on
    PostgreSQL and takes SQLite's write lock), then read, so that parallel requests from one
    client queue on the row and only the allowed number pass. A refused or failed write rolls
    the count back with it: only what was accepted counts (a resident who mistyped a phone five
    times is not locked out). Keys are digests: no address nor phone is stored."""
    now = timezone.now()
    for limit in _limits_for(client, phone, kind, now):
        rows = PublicLimit.objects.filter(key=limit.key, window_start=limit.window_start)
        if not rows.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    PublicLimit.objects.create(key=limit.key, window_start=limit.window_start, count=1)
            except IntegrityError:  # another request made the row meanwhile
                rows.update(count=F("count") + 1)
            # Old windows go when a new one starts (rarely: once per client and hour).
            PublicLimit.objects.filter(window_start__lt=now - dt.timedelta(days=2)).delete()
        if rows.values_list("count", flat=True).get() > limit.allowed:
            raise limit.refusal(now)


# --- What is published -------------------------------------------------------------------------


def _check_center(actor: User | AnonymousUser, area: Area) -> None:
    if not any(area.path.startswith(town.path) for town in selectors.center_towns(actor)):
        raise PermissionDenied


def publication_save(
    *,
    actor: User | AnonymousUser,
    user: User,
    published: bool,
    display_name: str,
    show_photo: bool,
    work_phone: str,
    duties: str,
    service_hours: str,
    request: HttpRequest | None = None,
) -> Publication:
    """Set what is published about a grid worker or grid leader of the actor's town."""
    areas = [row.area for row in selectors.staff_managed(actor).filter(user=user)]
    if not areas:
        raise PermissionDenied
    with transaction.atomic():
        publication, _created = Publication.objects.select_for_update().get_or_create(user=user)
        publication.published = published
        publication.display_name = display_name.strip()[:50]
        publication.show_photo = show_photo
        publication.work_phone = work_phone.strip()[:30]
        publication.duties = duties.strip()[:500]
        publication.service_hours = service_hours.strip()[:100]
        publication.save()
        record(
            action="notice.publication_save",
            actor=actor,
            obj=publication,
            request=request,
            data={"user_id": user.pk, "published": published},
        )
    selectors.version_bump()
    return publication


def notice_setting_save(
    *,
    actor: User | AnonymousUser,
    town: Area,
    supervision_phone: str,
    service_hours: str,
    request: HttpRequest | None = None,
) -> NoticeSetting:
    """Set a town's supervision phone and default service hours (the center of the town)."""
    _check_center(actor, town)
    supervision_phone = supervision_phone.strip()
    service_hours = service_hours.strip()
    if len(supervision_phone) > 30:
        raise ValidationError({"supervision_phone": [_("At most %(n)s characters.") % {"n": 30}]})
    if len(service_hours) > 100:
        raise ValidationError({"service_hours": [_("At most %(n)s characters.") % {"n": 100}]})
    with transaction.atomic():
        setting, _created = NoticeSetting.objects.select_for_update().get_or_create(town=town)
        setting.supervision_phone = supervision_phone
        setting.service_hours = service_hours
        setting.save()
        record(action="notice.setting_save", actor=actor, obj=setting, request=request, data={"town": town.code})
    selectors.version_bump()
    return setting


# --- Posters -----------------------------------------------------------------------------------


def poster_generate(*, actor: User | AnonymousUser | None, grid: Area, public_url: str) -> Poster:
    """Render a grid's A4 poster (PDF) and keep it with the fingerprint of what it shows."""
    if actor is not None:
        _check_center(actor, grid)
    from ..posters import poster_pdf

    fingerprint = selectors.staff_fingerprint(grid)
    pdf = poster_pdf(grid, public_url)
    now = timezone.now()
    with transaction.atomic():
        poster = Poster(
            grid=grid,
            generated_at=now,
            generated_by=actor if actor is not None and actor.is_authenticated else None,
            fingerprint=fingerprint,
        )
        poster.pdf.save(f"{grid.code}-{now:%Y%m%d%H%M%S}.pdf", ContentFile(pdf), save=False)
        poster.save()
        record(action="notice.poster_generate", actor=actor, obj=poster, data={"grid": grid.code})
    return poster


# --- Residents' reports --------------------------------------------------------------------------


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not PublicReport.objects.filter(code=code).exists():
            return code


def decoy_code() -> str:
    """A tracking code for a robot caught by the honeypot: shaped like a real one, so that the
    answer looks like any success, but no report nor complaint has it (following it finds the
    same "not found" as any mistyped code)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not (PublicReport.objects.filter(code=code).exists() or ConductComplaint.objects.filter(code=code).exists()):
            return code


def _new_complaint_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not ConductComplaint.objects.filter(code=code).exists():
            return code


def public_report_submit(
    *,
    client: str,
    area: Area,
    category: str,
    description: str,
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    name: str = "",
    phone: str = "",
    photos_in: Sequence[Photo] = (),
    submission_key: str | None = None,
    at: dt.datetime | None = None,
) -> PublicReport:
    """A resident's report: checked against the abuse limits, then a case with source
    ``public`` and a tracking code. A ``submission_key`` already used returns the report made
    with it (the same form sent again makes no second case). ``at``: when it was received (a
    history; default now)."""
    if submission_key:
        earlier = PublicReport.objects.filter(submission_key=submission_key).select_related("case").first()
        if earlier is not None:
            return _same_report(earlier, description)
    throttle_public(client, phone)
    grid = area if area.level == "grid" else None
    if grid is None and (lat is None or lng is None):
        raise ValidationError({"lat": [_("Pick the place on the map, or report from a grid's page.")]})
    if lat is not None and lng is not None:
        _check_inside(area, lat, lng)
    try:
        report = _public_report_write(
            client=client,
            submission_key=submission_key,
            category=category,
            description=description,
            grid=grid,
            lat=lat,
            lng=lng,
            address=address,
            name=name,
            phone=phone,
            photos_in=photos_in,
            at=at,
        )
    except IntegrityError:
        # The same form sent twice at once: the other request's report stands, this case is
        # rolled back with it.
        if not submission_key:
            raise
        return _same_report(PublicReport.objects.select_related("case").get(submission_key=submission_key), description)
    return report


def _check_inside(area: Area, lat: float, lng: float) -> None:
    """A place picked on the map stays within the page's village (a grid's page: its village):
    a report from one village's page never lands in another village's grid unnoticed."""
    village = area if area.level == "village" else area.parent
    if village is None or village.level != "village":
        return
    found = locate(lat, lng)
    if found is not None and not found.path.startswith(village.path):
        raise ValidationError(
            {
                "lat": [
                    _(
                        "The place picked on the map is outside %(village)s (it is in %(other)s): pick a "
                        "place inside %(village)s, or report from the page of the village it belongs to."
                    )
                    % {"village": village.name, "other": found.village_name or found.name}
                ]
            }
        )


def _same_report(earlier: PublicReport, description: str) -> PublicReport:
    """The report a form's key was used for, when the form sent again is that report; a form
    sent again with another text (the back button, an edit, a second report) is refused with the
    key renewed, so that nothing the resident wrote is dropped silently."""
    if earlier.case.description.strip() != description.strip():
        raise ValidationError(
            {ONE_TIME_KEY: [_("This form was already sent with another text. Check your report and send it again.")]}
        )
    return earlier


def _public_report_write(
    *,
    client: str,
    submission_key: str | None,
    category: str,
    description: str,
    grid: Area | None,
    lat: float | None,
    lng: float | None,
    address: str,
    name: str,
    phone: str,
    photos_in: Sequence[Photo],
    at: dt.datetime | None = None,
) -> PublicReport:
    with transaction.atomic():
        take_public(client, phone)
        case = public_case_create(
            category=category,
            description=description,
            grid=grid,
            lat=lat,
            lng=lng,
            address=address,
            party_name=name,
            party_phone=phone,
            photos_in=photos_in,
            at=at,
        )
        report = PublicReport.objects.create(code=_new_code(), case=case, submission_key=submission_key or None)
        record(action="notice.public_report", obj=case, data={"number": case.number, "source": "public"})
    return report


@dataclass(frozen=True)
class Tracking:
    """What a resident may read about their report: no case number, name, phone, description
    or handler. ``progress``: received, handling, closed or not_taken_up (voided)."""

    code: str
    received_at: dt.datetime
    category: str
    grid: str
    progress: str
    closed_at: dt.datetime | None
    result: str


def tracking(report: PublicReport) -> Tracking:
    case = report.case
    if case.status == Status.VOIDED:
        progress = "not_taken_up"
    elif case.status == Status.CLOSED:
        progress = "closed"
    elif case.status == Status.REPORTED:
        progress = "received"
    else:
        progress = "handling"
    closed = progress == "closed"
    return Tracking(
        code=report.code,
        received_at=case.reported_at,
        category=case.category.name if case.category_id else "",
        grid=case.grid.name if case.grid is not None else "",
        progress=progress,
        closed_at=case.closed_at if closed else None,
        result=public_result(case) if closed else "",
    )


def report_by_code(code: str) -> PublicReport | None:
    code = code.strip().upper()
    if len(code) != CODE_LENGTH:
        return None
    return PublicReport.objects.filter(code=code).select_related("case", "case__grid", "case__category").first()


# Runs of digits long enough to be a phone or an id number, masked in what a resident reads.
# Seven digits or more, whatever stands between them (spaces, hyphens full-width or not, dots,
# slashes, underscores, commas, brackets): 138.1234.8888 and 138－1234－8888 went out as written.
_LONG_DIGITS: Final = re.compile(r"\d(?:[\s\-－—.．/_,，()（）]*\d){6,}")


def public_result(case: Case) -> str:
    """The result a resident reads: the last report-back's result (``data["result"]``, where
    the department's report back keeps it; the comment of an older event) or closing comment,
    with anything like a phone or an id number masked (staff write it for the case file, not
    for the public)."""
    event = (
        case.events.filter(action__in=[Action.REPORT_BACK, Action.CLOSE])
        .filter(~Q(comment="") | Q(data__has_key="result"))
        .order_by("-at", "-pk")
        .first()
    )
    if event is None:
        return ""
    text = (event.data or {}).get("result") or event.comment
    return _LONG_DIGITS.sub("****", str(text))


def report_mark_spam(
    *,
    actor: User | AnonymousUser,
    report: PublicReport,
    reason: str,
    request: HttpRequest | None = None,
    at: dt.datetime | None = None,
) -> Case:
    """Void a public report's case as spam, with the reason, through the case loop (``at``: when,
    for a history)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    if not selectors.public_reports_managed(actor).filter(pk=report.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        case = case_act(
            report.case_id, Action.VOID, actor=actor, comment=_("Spam: %(reason)s") % {"reason": reason}, at=at
        )
        report.spam = True
        report.save(update_fields=["spam"])
        record(action="notice.report_spam", actor=actor, obj=report, request=request, data={"number": case.number})
    return case


# --- Conduct complaints ----------------------------------------------------------------------------


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
            code=_new_complaint_code(),
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
