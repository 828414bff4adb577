"""Ending every way in of a user: their API tokens and their web sessions.

Sessions are found through :class:`~gridgov.people.models.UserSession`, an index written at
each login (``user_logged_in``) and dropped at logout, and deleted from whatever session
store is configured. Django itself already refuses a session after a password change (the
session keeps a hash derived from the password) and for a disabled account; the index makes
the end immediate and covers a role taken away, which changes neither.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from gridgov.core.actors import Actor
from gridgov.core.audit import record
from gridgov.people.models import ApiToken, UserSession

if TYPE_CHECKING:
    from django.contrib.auth.models import User


REVOKED = "people.access_revoke"


def _store(session_key: str) -> Any:
    engine = import_module(settings.SESSION_ENGINE)
    return engine.SessionStore(session_key=session_key)


def session_track(*, user: User, session_key: str | None) -> None:
    """Remember that ``session_key`` belongs to ``user`` (at login)."""
    if not session_key or user is None or user.pk is None:
        return
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def session_forget(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def access_revoke(
    *, actor: Actor, user: User, reason: str, keep_session: str = "", request: HttpRequest | None = None
) -> tuple[int, int]:
    """Revoke every usable token of ``user`` and end their sessions (except
    ``keep_session``). Returns ``(tokens, sessions)``; audited when anything ended."""
    with transaction.atomic():
        tokens = ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        rows = UserSession.objects.filter(user_id=user.pk).exclude(session_key=keep_session or None)
        keys = list(rows.values_list("session_key", flat=True))
        rows.delete()
        # Ended at once, even if the store lies outside the database (cache, files): should
        # the transaction roll back, the user merely logs in again.
        for key in keys:
            _store(key).delete()
        if tokens or keys:
            record(
                action=REVOKED,
                actor=actor,
                obj=user,
                request=request,
                data={"reason": reason, "tokens": tokens, "sessions": len(keys)},
            )
    return tokens, len(keys)
