"""Residents' reports: a report becomes a case with source ``public`` and a tracking code;
marking one spam voids its case through the case loop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gridgov.areas.locate import locate
from gridgov.areas.models import Area
from gridgov.cases.models import Case
from gridgov.cases.services import Action, Photo, case_act, public_case_create
from gridgov.core.audit import record
from gridgov.core.forms import ONE_TIME_KEY

from .. import selectors
from ..models import PublicReport
from .abuse import take_public, throttle_public
from .common import unused_code

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest


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
        report = PublicReport.objects.create(
            code=unused_code(PublicReport), case=case, submission_key=submission_key or None
        )
        record(action="notice.public_report", obj=case, data={"number": case.number, "source": "public"})
    return report


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
