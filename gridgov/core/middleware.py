"""Session hardening: an absolute session lifetime on top of the idle timeout, background
refreshes that do not count as activity, and a clean way out of an htmx page when the
session has ended."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _

from . import inputs, tableversions
from .errors import database_unavailable, error_body
from .pages import error_page, unavailable_page

SESSION_STARTED_KEY = "gridgov_session_started"


class RequestVersionsMiddleware:
    """Each request reads the versions of the per-process caches once
    (:func:`~gridgov.core.tableversions.request_scope`), not once per cache it asks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with tableversions.request_scope():
            return self.get_response(request)


class SessionAbsoluteTimeoutMiddleware:
    """Log the user out once the session is older than ``SESSION_ABSOLUTE_SECONDS``.

    The idle timeout is Django's own (``SESSION_COOKIE_AGE`` renewed on each request).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(SESSION_STARTED_KEY)
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)


# A page's own timed refreshes send this header: they are not the user's activity.
BACKGROUND_HEADER = "HTTP_X_GRIDGOV_BACKGROUND"


class IdleSessionMiddleware(SessionMiddleware):
    """Django's session middleware, except that background refreshes (requests a page makes by
    itself, marked ``X-GridGov-Background: 1``) neither save the session nor renew its idle
    timeout: a workbench left open on a screen still logs out after ``SESSION_IDLE_SECONDS``."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.META.get(BACKGROUND_HEADER) == "1":
            return response
        if response.status_code == 503:
            # The database was out of reach (DatabaseUnavailableMiddleware): a session that
            # could not be loaded looks empty to Django, which would delete its cookie and sign
            # the user out; it is left as it is.
            return response
        return super().process_response(request, response)


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session has ended gets ``HX-Redirect`` to the login page, so the
    browser leaves the page instead of swapping the login form into a fragment."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.headers.get("HX-Request") or response.status_code not in (301, 302):
            return response
        location = response.get("Location", "")
        login = resolve_url(settings.LOGIN_URL)
        if not location.startswith(login):
            return response
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = (current.path or "/") + (f"?{current.query}" if current.query else "")
        target = redirect_to_login(back, login)["Location"]
        refreshed = HttpResponse(status=204)
        refreshed["HX-Redirect"] = target
        return refreshed


class DatabaseUnavailableMiddleware:
    """A page that meets the database out of reach (restarting, the connection refused or
    dropped: :func:`~gridgov.core.errors.database_unavailable`) answers 503 with
    ``Retry-After`` (:func:`~gridgov.core.pages.unavailable_page`), as the API does, instead of
    the 500 page and its traceback. Any other error is left to Django: still a 500, logged.

    Right after ``AuthenticationMiddleware``: it loads the session and the user itself, the
    first query of a signed-in request (the session timeout below would make it anyway), so
    that a failure there is answered too; an error raised inside a later middleware becomes
    Django's 500 before it comes back here. ``process_exception`` answers for the view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.user.is_authenticated  # noqa: B018 - loads the session and the user here
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            # Who asks is not known in that second: the middlewares around this one (headers,
            # the request log) then ask no more of the database.
            request.user = AnonymousUser()
            return unavailable_page(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable_page(request, exception) if database_unavailable(exception) else None


class SecurityAuditMiddleware:
    """Audit what no service records: a signed-in user refused (403) or probing for
    something that is not there or not theirs (404), and any file download (a response with
    ``Content-Disposition: attachment``) whose view did not record an export itself."""

    QUIET_PREFIXES = ("/static/", "/media/", "/favicon")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from .audit import record, request_scope

        with request_scope() as events:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated or request.path.startswith(self.QUIET_PREFIXES):
                return response
            data = {"method": request.method, "path": request.path[:300], "status": response.status_code}
            if response.status_code == 403:
                record(action=FORBIDDEN, actor=user, request=request, success=False, data=data)
            elif response.status_code == 404:
                record(action=NOT_FOUND, actor=user, request=request, success=False, data=data)
            elif response.has_header("Content-Disposition") and not events:
                disposition = response["Content-Disposition"]
                if disposition.lower().startswith("attachment"):
                    record(
                        action=DOWNLOAD, actor=user, request=request, data={**data, "disposition": disposition[:200]}
                    )
        return response


FORBIDDEN = "security.forbidden"
NOT_FOUND = "security.not_found"
DOWNLOAD = "security.download"


class InputGuardMiddleware:
    """Refuse text no field may hold before any view reads it (:mod:`gridgov.core.inputs`):
    control characters and lone surrogates in the query string, form fields or a JSON body
    (422), JSON nested too deep and bodies over Django's limits (400, 413). Under ``/api/`` the
    answer is the API's JSON error; elsewhere the shell's error page, in the user's language.
    Uploaded files are not text and are left to their own checks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            problem = self._problem(request)
        except RequestDataTooBig:
            return self._refuse(request, 413, "too_large", _("The request is too large."), None)
        except TooManyFieldsSent:
            return self._refuse(request, 400, "bad_request", _("The request has too many fields."), None)
        except TooManyFilesSent:
            return self._refuse(request, 400, "bad_request", _("The request has too many files."), None)
        if problem is None:
            return self.get_response(request)
        if problem.unreadable:
            return self._refuse(
                request, 400, "bad_request", _("The request body is not readable JSON or is nested too deep."), None
            )
        message = _("Remove the invisible control characters from this text.")
        return self._refuse(request, 422, "invalid", message, problem.field)

    @staticmethod
    def _problem(request: HttpRequest) -> inputs.Problem | None:
        found = inputs.pairs_problem(request.GET.lists())
        if found is not None or request.method not in ("POST", "PUT", "PATCH"):
            return found
        content_type = request.content_type or ""
        if content_type == "application/json":
            return inputs.json_problem(request.body)
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return inputs.pairs_problem(request.POST.lists())
        # Any other type (text/plain, none, another JSON type): the API parses such a body as
        # JSON all the same, so it is checked when it reads as JSON.
        return inputs.json_problem(request.body, declared=False)

    @staticmethod
    def _refuse(request: HttpRequest, status: int, code: str, message: str, field: str | None) -> HttpResponse:
        if request.path.startswith("/api/"):
            details = {field: [str(message)]} if field is not None else None
            return JsonResponse(
                error_body(code, str(message), details), status=status, json_dumps_params={"ensure_ascii": False}
            )
        return error_page(request, message, status, title=_("The request was not accepted"))


def content_security_policy() -> str:
    """The policy every page gets: scripts only from this server (no inline script: the
    templates carry none, data goes in ``json_script``), images also from the configured map
    tiles, nothing framed, forms posted only here."""
    tiles = ""
    tile_url = getattr(settings, "MAP_TILE_URL", "") or ""
    if tile_url:
        # "https://{s}.tiles.example/{z}/{x}/{y}.png" → "https://*.tiles.example"
        parts = urlsplit(tile_url.replace("{s}.", "*."))
        tiles = f" {parts.scheme}://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # No inline style either: the templates carry none, htmx's indicator style is in the
            # style sheet (htmx-config), Leaflet and ECharts set styles through the CSSOM, which
            # a policy does not govern.
            "style-src 'self'",
            f"img-src 'self' data: blob:{tiles}",
            "connect-src 'self'",
            "font-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    """Headers of every response (issue 13, item 13): a Content-Security-Policy without inline
    script, a Permissions-Policy (the phone app's location and camera, nothing else), and
    ``Cache-Control: no-store`` on whatever a signed-in user gets that did not set its own
    caching (pages and API answers carry personal data). HSTS is Django's
    (``SECURE_HSTS_SECONDS``, sent over HTTPS only)."""

    PERMISSIONS = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=(), interest-cohort=()"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", self.PERMISSIONS)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and "Cache-Control" not in response.headers) or (
            request.path.startswith("/api/") and "Cache-Control" not in response.headers
        ):
            response.headers["Cache-Control"] = "no-store"
        return response
