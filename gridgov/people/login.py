"""Login with throttling: per account and per client address, counted atomically.

Every login path (the web form, the admin's login, ``POST /api/v1/auth/token``) calls
:func:`login_check`. Before the password is checked, one failure is *reserved* on two
:class:`~gridgov.people.models.LoginThrottle` rows, the username's and the client address's,
under a row lock: parallel attempts queue on the lock and each sees the others' reservations,
so no more than ``LOGIN_FAILURE_LIMIT`` wrong passwords are ever checked per window. A right
password gives the reservation back.

The lock is progressive: after ``LOGIN_DELAY_AFTER`` failures each further failure makes the
account wait ``LOGIN_DELAY_SECONDS`` (doubling each time) before the next attempt; at
``LOGIN_FAILURE_LIMIT`` failures within ``LOGIN_LOCKOUT_SECONDS`` the account is locked for
that long. A client address is locked after ``LOGIN_CLIENT_FAILURE_LIMIT`` failures over any
usernames (password spraying). Attempts while blocked are refused without checking the
password and do not count, so a lock cannot be extended. So that a lock is not a
denial-of-service tool, a locked user still gets in with the password and a valid second
factor (TOTP or a recovery code), and a security administrator can unlock from the admin.
The client address comes from :func:`gridgov.core.audit.client_ip` (trusted proxies only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from gridgov.core.actors import Actor
from gridgov.core.audit import client_ip, record
from gridgov.people.models import LoginThrottle, ThrottleKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()

# Audit action codes of the authentication flow.
LOGIN_OK = "auth.login"
LOGIN_FAILED = "auth.login_failed"
LOGIN_REFUSED_LOCKED = "auth.login_locked"
LOCKOUT = "auth.lockout"
UNLOCK = "auth.unlock"
UNKNOWN_CLIENT = "unknown"


class LoginRefused(Exception):
    """Base class of the reasons a login is refused beyond "wrong credentials"."""


class LoginLocked(LoginRefused):
    """Too many failures: no attempt is checked for ``seconds`` more. ``locked`` tells a lock
    (minutes) from a short progressive delay (seconds)."""

    def __init__(self, seconds: int, *, locked: bool = True) -> None:
        super().__init__(f"Blocked for {seconds} more seconds.")
        self.seconds = seconds
        self.locked = locked

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))


class LoginInactive(LoginRefused):
    """The password is right but the account is disabled."""


@dataclass(frozen=True)
class LoginOutcome:
    """A successful check: the user, and whether a second factor was verified on the way
    (a locked account let in by its TOTP code)."""

    user: User
    second_factor: bool = False


@dataclass(frozen=True)
class Limits:
    limit: int
    period: timedelta
    delay_after: int
    delay_seconds: int


def _account_limits() -> Limits:
    return Limits(
        limit=settings.LOGIN_FAILURE_LIMIT,
        period=timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS),
        delay_after=settings.LOGIN_DELAY_AFTER,
        delay_seconds=settings.LOGIN_DELAY_SECONDS,
    )


def _client_limits() -> Limits:
    return Limits(
        limit=settings.LOGIN_CLIENT_FAILURE_LIMIT,
        period=timedelta(seconds=settings.LOGIN_CLIENT_LOCKOUT_SECONDS),
        delay_after=0,
        delay_seconds=0,
    )


def _limits(kind: str) -> Limits:
    return _account_limits() if kind == ThrottleKind.ACCOUNT else _client_limits()


def account_key(username: str) -> str:
    return (username or "").strip().lower()[:150]


def _keys(username: str, request: HttpRequest | None) -> list[tuple[str, str]]:
    # A fixed order (account before client) so that two attempts never lock in opposite orders.
    return [(ThrottleKind.ACCOUNT, account_key(username)), (ThrottleKind.CLIENT, client_ip(request) or UNKNOWN_CLIENT)]


def _locked_rows(keys: list[tuple[str, str]]) -> list[LoginThrottle]:
    """The throttle rows of ``keys``, created if missing and locked for this transaction."""
    LoginThrottle.objects.bulk_create([LoginThrottle(kind=kind, key=key) for kind, key in keys], ignore_conflicts=True)
    rows = {
        (row.kind, row.key): row
        for row in LoginThrottle.objects.select_for_update().filter(
            kind__in=[kind for kind, _key in keys], key__in=[key for _kind, key in keys]
        )
    }
    return [rows[key] for key in keys]


def _expire(row: LoginThrottle, now: datetime) -> None:
    """Forget a lock or delay that has passed, and failures older than the window."""
    limits = _limits(row.kind)
    if row.blocked_until is not None and row.blocked_until <= now:
        if row.locked:
            row.failures, row.window_started_at, row.locked = 0, None, False
        row.blocked_until = None
    if row.window_started_at is not None and now - row.window_started_at > limits.period and not row.locked:
        row.failures, row.window_started_at = 0, None


def _blocked(row: LoginThrottle, now: datetime) -> LoginLocked | None:
    limits = _limits(row.kind)
    if row.blocked_until is not None and row.blocked_until > now:
        return LoginLocked(max(1, math.ceil((row.blocked_until - now).total_seconds())), locked=row.locked)
    if limits.limit > 0 and row.failures >= limits.limit:
        # Attempts in flight hold every remaining try: refuse until they finish.
        return LoginLocked(max(1, int(limits.period.total_seconds())), locked=True)
    return None


def _save(row: LoginThrottle) -> None:
    row.save(update_fields=["failures", "window_started_at", "last_failure_at", "blocked_until", "locked"])


def _reserve(username: str, request: HttpRequest | None, now: datetime) -> LoginLocked | None:
    """Lock both rows, refuse if either is blocked, else count one failure on each."""
    with transaction.atomic():
        rows = _locked_rows(_keys(username, request))
        for row in rows:
            _expire(row, now)
        refusals = [refusal for row in rows if (refusal := _blocked(row, now)) is not None]
        if refusals:
            for row in rows:
                _save(row)
            return max(refusals, key=lambda refusal: (refusal.locked, refusal.seconds))
        for row in rows:
            row.failures += 1
            row.window_started_at = row.window_started_at or now
            _save(row)
    return None


def _settle_success(username: str, request: HttpRequest | None) -> None:
    """A right password: the account starts afresh; the client gets its reservation back
    (its failures against other accounts stay counted)."""
    with transaction.atomic():
        account, client = _locked_rows(_keys(username, request))
        account.failures, account.window_started_at, account.blocked_until, account.locked = 0, None, None, False
        _save(account)
        client.failures = max(0, client.failures - 1)
        _save(client)


def _settle_failure(username: str, request: HttpRequest | None, now: datetime, data: dict[str, Any]) -> None:
    """A wrong password: the reservation stays; delay or lock what reached its threshold."""
    with transaction.atomic():
        for row in _locked_rows(_keys(username, request)):
            limits = _limits(row.kind)
            row.last_failure_at = now
            if limits.limit > 0 and row.failures >= limits.limit and not row.locked:
                row.locked = True
                row.blocked_until = now + limits.period
                record(
                    action=LOCKOUT,
                    request=request,
                    success=False,
                    data={**data, "kind": row.kind, "key": row.key, "failures": row.failures},
                )
            elif limits.delay_seconds > 0 and row.failures >= limits.delay_after and not row.locked:
                delay = limits.delay_seconds * 2 ** (row.failures - limits.delay_after)
                row.blocked_until = now + timedelta(seconds=delay)
            _save(row)


def _second_factor_bypass(username: str, password: str, otp: str, request: HttpRequest | None) -> Any:
    """While blocked: the user, if the one-time code AND the password are both right. The
    code is checked first (its device throttles guesses), so the password is never tested
    for someone without the second factor."""
    from gridgov.people import twofactor

    user = User.objects.filter(username=(username or "").strip(), is_active=True).first()
    if user is None or not twofactor.has_device(user):
        return None
    if not twofactor.verify(user=user, token=otp, request=request, purpose="unlock"):
        return None
    checked = authenticate(request, username=user.get_username(), password=password)
    return checked if checked is not None and checked.pk == user.pk else None


def login_check(
    *,
    username: str,
    password: str,
    request: HttpRequest | None = None,
    channel: str = "web",
    otp: str | None = None,
) -> LoginOutcome | None:
    """Check credentials with throttling. Returns the outcome, or ``None`` for wrong
    credentials; raises :class:`LoginLocked` while the username or the client is blocked
    (unless ``otp`` and the password are both right) and :class:`LoginInactive` for a
    disabled account with the right password. Does not start a session.

    Each outcome is committed in its own transaction so that a refusal is still logged.
    """
    username = (username or "").strip()[:150]
    data: dict[str, Any] = {"username": username, "channel": channel}
    now = timezone.now()
    refusal = _reserve(username, request, now)
    if refusal is not None:
        user = _second_factor_bypass(username, password, otp, request) if otp else None
        if user is not None:
            _settle_success(username, request)
            record(action=LOGIN_OK, actor=user, obj=user, request=request, data={**data, "second_factor": "unlock"})
            return LoginOutcome(user=user, second_factor=True)
        record(
            action=LOGIN_REFUSED_LOCKED,
            request=request,
            success=False,
            data={**data, "seconds": refusal.seconds, "locked": refusal.locked},
        )
        raise refusal
    user = authenticate(request, username=username, password=password)
    if user is not None:
        _settle_success(username, request)
        record(action=LOGIN_OK, actor=user, obj=user, request=request, data=data)
        return LoginOutcome(user=user)
    inactive = User.objects.filter(username=username, is_active=False).first()
    refused_inactive = inactive is not None and inactive.check_password(password)
    reason = "inactive" if refused_inactive else "credentials"
    _settle_failure(username, request, now, data)
    record(action=LOGIN_FAILED, request=request, success=False, data={**data, "reason": reason})
    if refused_inactive:
        raise LoginInactive()
    return None


def login_attempt(
    *, username: str, password: str, request: HttpRequest | None = None, channel: str = "web"
) -> User | None:
    """:func:`login_check` for callers that need only the user."""
    outcome = login_check(username=username, password=password, request=request, channel=channel)
    return outcome.user if outcome is not None else None


def throttle_state(username: str) -> LoginThrottle | None:
    """The account's throttle row (for pages and tests), without locking it."""
    return LoginThrottle.objects.filter(kind=ThrottleKind.ACCOUNT, key=account_key(username)).first()


@transaction.atomic
def login_unlock(*, actor: Actor, throttle: LoginThrottle, request: HttpRequest | None = None) -> bool:
    """Clear a lock or delay (an administrator's decision); ``False`` if there was none."""
    row = LoginThrottle.objects.select_for_update().get(pk=throttle.pk)
    if not row.failures and row.blocked_until is None:
        return False
    data = {"kind": row.kind, "key": row.key, "failures": row.failures, "locked": row.locked}
    row.failures, row.window_started_at, row.blocked_until, row.locked = 0, None, None, False
    _save(row)
    record(action=UNLOCK, actor=actor, obj=row, request=request, data=data)
    return True


def account_unlock(*, actor: Actor, user: User, request: HttpRequest | None = None) -> bool:
    """Unlock ``user``'s account (not the addresses it was attacked from)."""
    throttle = throttle_state(user.get_username())
    return throttle is not None and login_unlock(actor=actor, throttle=throttle, request=request)


def throttles_purge(*, now: datetime | None = None) -> int:
    """Delete rows with nothing left to remember (no block, no failure in the last day)."""
    now = now or timezone.now()
    stale = LoginThrottle.objects.filter(
        blocked_until__isnull=True, locked=False, last_failure_at__lt=now - timedelta(days=1)
    ) | LoginThrottle.objects.filter(failures=0, blocked_until__isnull=True, last_failure_at__isnull=True)
    deleted, _rows = stale.delete()
    return deleted
