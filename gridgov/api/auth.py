"""How API requests authenticate: a bearer token, or the web session.

Both are the NinjaAPI's default ``auth``, tried in order; an endpoint that needs neither
opts out with ``auth=None``. Either way ``request.user`` is the authenticated user, so
selectors scope by it as in the web views. ``request.auth`` is the :class:`ApiToken` for
bearer requests and the user for session requests.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from gridgov.core.errors import Forbidden
from gridgov.people.models import ApiToken
from gridgov.people.selectors import bearer_token
from gridgov.people.services import token_lookup

__all__ = ["DEFAULT_AUTH", "bearer_token"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a usable token (not expired, not revoked)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = token_lookup(token.strip())
        if found is None:
            return None
        request.user = found.user
        return found


class SessionAuth(APIKeyCookie):
    """The Django session of the web UI. Unsafe methods need the CSRF token
    (``X-CSRFToken`` header), as a form post would."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        csrf_exempt = getattr(request, "_ninja_csrf_exempt", False)
        if request.method not in SAFE_METHODS and not csrf_exempt and check_csrf(request) is not None:
            raise Forbidden(_("CSRF check failed. Reload the page and try again."), code="csrf_failed")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover - see __call__
        return self(request)


bearer_auth = BearerAuth()
session_auth = SessionAuth()
DEFAULT_AUTH = [bearer_auth, session_auth]
