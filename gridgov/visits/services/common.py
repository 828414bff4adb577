"""What basic data and visits share: the limits of their fields, the refusal, the checks of a
grid, a text, tags, a phone number and a point.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.areas.selectors import current_grid
from gridgov.cases import services as case_services
from gridgov.core.actors import signed_in
from gridgov.core.crypto import digest
from gridgov.core.errors import Forbidden

from .. import access

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area


ADDRESS_MAX: Final = 200
NAME_MAX: Final = 100
PHONE_MAX: Final = 30
NOTES_MAX: Final = 2000
# Photos of one visit, as of a case report.
MAX_PHOTOS: Final = case_services.MAX_PHOTOS
MEMBERS_MAX: Final = 30
# Clock difference between the phone and the server that is still accepted.
CLOCK_SKEW: Final = dt.timedelta(minutes=5)
# A visit recorded offline may reach the server this late.
MAX_AGE: Final = dt.timedelta(days=30)
CREATED: Final = "created"
UPDATED: Final = "updated"
UNCHANGED: Final = "unchanged"
PHONE_RE: Final = re.compile(r"^[0-9+\-() ]{5,30}$")


class VisitForbidden(Forbidden):
    pass


def normalise(text: str) -> str:
    """Full-width to half-width, runs of blanks to one space, trimmed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip()


def address_key(address: str) -> str:
    return digest(normalise(address).replace(" ", "").lower(), purpose="visits.household_address")


def _grid(grid: Area | str) -> Area:
    found = current_grid(code=grid) if isinstance(grid, str) else grid
    if found is None or found.level != "grid":
        raise ValidationError({"grid": [_("No such grid in force.")]})
    return found


def _text(value: str, field: str, maximum: int, *, required: bool = False) -> str:
    text = normalise(value)
    if required and not text:
        raise ValidationError({field: [_("This field is required.")]})
    if len(text) > maximum:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": maximum}]})
    return text


def _tags(values: Sequence[str], allowed: list[str], field: str) -> list[str]:
    tags: list[str] = []
    for value in values:
        tag = str(value).strip()
        if tag not in allowed:
            raise ValidationError({field: [_("Unknown tag: %(tag)s.") % {"tag": tag}]})
        if tag not in tags:
            tags.append(tag)
    return tags


def _check_edit(actor: User | AnonymousUser, grid: Area) -> User:
    user = signed_in(actor)
    if user is None or not access.may_edit(user, grid.path):
        raise VisitForbidden(_("You may not edit the basic data of this grid."))
    return user


def _phone(value: str, field: str) -> str:
    phone = _text(value, field, PHONE_MAX)
    if phone and not PHONE_RE.match(phone):
        raise ValidationError({field: [_("Not a phone number.")]})
    return phone


def _valid_point(lat: float, lng: float) -> bool:
    return (
        math.isfinite(lat)
        and math.isfinite(lng)
        and -90 <= lat <= 90
        and -180 <= lng <= 180
        and not (lat == 0 and lng == 0)
    )
