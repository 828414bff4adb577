"""API tokens: issue, revoke, and find the usable token (with its user) of a raw bearer string."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.actors import Actor
from gridgov.core.audit import record
from gridgov.core.tableversions import Cached
from gridgov.people.models import ApiToken, Role, RoleAssignment

from .common import User

# last_used_at is written at most this often per token (saves a write per request).
TOKEN_TOUCH_SECONDS = 60


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def is_machine_account(user: User) -> bool:
    """An account of another system (the upstream role), not a person."""
    return RoleAssignment.objects.filter(user_id=user.pk, role=Role.UPSTREAM).exists()


def token_max_seconds(user: User) -> int:
    """The longest (and default) lifetime of ``user``'s tokens: ``GRIDGOV_TOKEN_DAYS_MACHINE``
    for machine accounts, else the person's (``API_TOKEN_TTL_SECONDS``, by default
    ``GRIDGOV_TOKEN_DAYS_PERSON`` days)."""
    if is_machine_account(user):
        return int(settings.GRIDGOV_TOKEN_DAYS_MACHINE) * 86400
    return int(settings.API_TOKEN_TTL_SECONDS)


class PasswordChanged(Exception):
    """The password a token was asked for with changed after it was checked (and that change
    ended every token of the user): no token is issued."""


@transaction.atomic
def token_issue(
    *, actor: Actor, user: User, name: str = "", ttl_seconds: int | None = None, password_hash: str | None = None
) -> tuple[ApiToken, str]:
    """Issue a bearer token. Returns the token row and the raw token, which is shown once
    and never stored (only its SHA-256 hash and its first 8 characters are). The lifetime
    is at most :func:`token_max_seconds`.

    ``password_hash``: the stored password (its hash) a login checked. The user's row is
    locked and read again; if the password changed since the check, :class:`PasswordChanged`
    is raised: a change that committed between the check and the issue has already ended the
    user's tokens and must not be followed by a new one. A change that comes later waits for
    the lock and then ends this token too."""
    current = get_user_model().objects.select_for_update().filter(pk=user.pk).values("password", "is_active").first()
    if password_hash is not None and (current is None or current["password"] != password_hash):
        raise PasswordChanged
    if not user.is_active or (current is not None and not current["is_active"]):
        raise ValidationError(_("An inactive user cannot get a token."))
    longest = token_max_seconds(user)
    ttl = longest if ttl_seconds is None else ttl_seconds
    if ttl <= 0:
        raise ValidationError({"ttl_seconds": _("The lifetime must be positive.")})
    if ttl > longest:
        raise ValidationError(
            {"ttl_seconds": _("A token of this account lives at most %(days)d days.") % {"days": longest // 86400}}
        )
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=_hash(raw),
        prefix=raw[:8],
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    record(
        action="people.token_issue",
        actor=actor,
        obj=token,
        data={"user": user.pk, "name": name, "prefix": token.prefix, "expires_at": token.expires_at.isoformat()},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor: Actor, token: ApiToken) -> None:
    """Revoke a token (no-op if already revoked)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(action="people.token_revoke", actor=actor, obj=token, data={"user": token.user_id, "prefix": token.prefix})


# Tokens and their users by the token's hash, kept per process while the ``tokens`` version
# stays (gridgov/core/tableversions.py; migration people/0006: any write of a token but its
# ``last_used_at``, of a user but their ``last_login``): the row values, from which each request
# makes instances of its own. Unknown hashes are not kept (anyone can send them).
_TOKENS: Cached[tuple[tuple[Any, ...], tuple[Any, ...]]] = Cached("tokens")
# When this process last touched each token's ``last_used_at`` (the kept row does not follow),
# by the token's hash (a key may come again after a rollback on SQLite).
_touched: dict[str, datetime] = {}


def _token_values(digest: str) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=digest).first()
    if token is None:
        return None
    return (
        tuple(getattr(token, field.attname) for field in ApiToken._meta.concrete_fields),
        tuple(getattr(token.user, field.attname) for field in User._meta.concrete_fields),
    )


def _token(digest: str) -> ApiToken | None:
    values = _TOKENS.lookup(digest, lambda: _token_values(digest))
    if values is None:  # an unknown token (not kept)
        return None
    token_values, user_values = values
    token = ApiToken.from_db("default", [f.attname for f in ApiToken._meta.concrete_fields], token_values)
    token.user = User.from_db("default", [f.attname for f in User._meta.concrete_fields], user_values)
    touched = _touched.get(digest)
    if touched is not None and (token.last_used_at is None or touched > token.last_used_at):
        token.last_used_at = touched
    return token


def token_lookup(raw: str) -> ApiToken | None:
    """The usable token (not expired, not revoked, active user) for a raw bearer string,
    with its user loaded. Touches ``last_used_at`` at most once a minute."""
    if not raw or len(raw) > 200:
        return None
    token = _token(_hash(raw))
    now = timezone.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= timedelta(seconds=TOKEN_TOUCH_SECONDS):
        # Bookkeeping, not a domain change: a plain update without an audit row.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = _touched[token.key_hash] = now
    return token


def token_authenticate(raw: str) -> User | None:
    """The user of a usable token, or ``None``."""
    token = token_lookup(raw)
    return token.user if token is not None else None
