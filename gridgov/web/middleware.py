"""Chinese unless the user chose otherwise; the password policy's redirect.

Django's ``LocaleMiddleware`` follows the browser's ``Accept-Language``; staff machines are
often set to English, yet the platform is to open in Simplified Chinese. This middleware,
placed before it, hides that header, so the language comes from the user's choice (the
language cookie set by the switch) or else ``LANGUAGE_CODE``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.people.apps import PASSWORD_CHANGE_KEY


class DefaultLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class AccountPolicyMiddleware:
    """A user who must change their password (first login after an administrator set it, or
    an expired one: ``gridgov.people.passwords``) goes to the password page until they
    have; API calls on the session get a JSON 403 ``password_change_required``. The reason
    is put in the session at login, so this costs no query."""

    EXEMPT_PREFIXES = ("/static/", "/media/", "/i18n/", "/login/", "/logout/", "/admin/logout/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(PASSWORD_CHANGE_KEY)
            and request.user.is_authenticated
            and not request.path.startswith(self.EXEMPT_PREFIXES)
        ):
            target = reverse("password-change")
            if request.path != target:
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "error": {
                                "code": "password_change_required",
                                "message": str(_("Change your password before going on.")),
                            }
                        },
                        status=403,
                    )
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
