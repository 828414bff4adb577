"""Chinese unless the user chose otherwise.

Django's ``LocaleMiddleware`` follows the browser's ``Accept-Language``; staff machines are
often set to English, yet the platform is to open in Simplified Chinese. This middleware,
placed before it, hides that header, so the language comes from the user's choice (the
language cookie set by the switch) or else ``LANGUAGE_CODE``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class DefaultLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
