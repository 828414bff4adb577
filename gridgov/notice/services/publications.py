"""What is published about a town's grid staff, the town's notice settings, and a grid's poster
(the center of the town sets them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area
from gridgov.core.audit import record

from .. import selectors
from ..models import NoticeSetting, Poster, Publication
from ..posters import poster_pdf

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest


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


def poster_generate(*, actor: User | AnonymousUser | None, grid: Area, public_url: str) -> Poster:
    """Render a grid's A4 poster (PDF) and keep it with the fingerprint of what it shows."""
    if actor is not None:
        _check_center(actor, grid)
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
