"""The abuse limits of what residents send: public reports and complaints counted per client and
hour and per phone and day, looked at first and decided inside the write."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import Throttled

from ..models import PublicLimit


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
