"""What the hotline services take in, cleaned: texts, times and flags, each refused field by field
(:class:`~gridgov.core.errors.Invalid` with the field's name in ``details``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gridgov.core.errors import Invalid

TEXT_MAX: Final = 5000
COMMENT_MAX: Final = 2000


def now_or(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def invalid(field: str, message: str) -> Invalid:
    return Invalid(message, details={field: [message]})


def aware(value: dt.datetime | str | None, field: str) -> dt.datetime:
    """A moment given as a datetime or an ISO text, made aware in the project's time zone."""
    if isinstance(value, str):
        value = parse_datetime(value.strip())
    if not isinstance(value, dt.datetime):
        raise invalid(field, _("Enter a date and time."))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def boolean(data: dict[str, Any], name: str, *, required: bool) -> bool | None:
    """A flag of an upstream event (``true``/``false``, ``1``/``0``, ``yes``/``no``)."""
    value = data.get(name)
    if value is None:
        if required:
            raise invalid(name, _("This field is required."))
        return None
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes"):
        return True
    if str(value).lower() in ("0", "false", "no"):
        return False
    raise invalid(name, _("Enter true or false."))


def iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment is not None else None
