"""The project's own error pages (404, 403, 500, the CSRF refusal), in the web shell
(:func:`gridgov.core.pages.error_page`, which falls back to a plain page when the shell itself
cannot be drawn). They replace Django's defaults, which are bare English pages (and, with DEBUG
on, the technical page)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from gridgov.core.pages import error_page


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return error_page(request, message, status, title=title)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(
        request,
        404,
        _("Page not found"),
        _("There is no page at this address, or you may not see what it shows."),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, _("Not allowed"), _("Your role may not open this page."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        500,
        _("Something went wrong"),
        _("The server could not complete this request. Nothing was saved from it; please try again in a moment."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(
        request,
        403,
        _("The form has expired"),
        _("The page was open too long or was sent twice. Go back, reload the page and send it again."),
    )
