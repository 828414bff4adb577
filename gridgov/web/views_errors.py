"""The project's own error pages (404, 403, 500, the CSRF refusal), in the web shell.

They replace Django's defaults, which are bare English pages (and, with DEBUG on, the
technical page). When the shell itself cannot be drawn (the error may be the database, which the
navigation reads), the page falls back to a plain one with the same header and text.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _page(request: HttpRequest, status: int, title: str, message: str, *, shell: bool = True) -> HttpResponse:
    context = {"status": status, "title": title, "message": message}
    template = loader.get_template("errors/page.html" if shell else "errors/plain.html")
    try:
        content = template.render(context, request if shell else None)
    except Exception:  # the shell itself failed (e.g. no database): the plain page
        logger.exception("The error page could not be drawn in the shell")
        content = loader.get_template("errors/plain.html").render(context)
    return HttpResponse(content, status=status)


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
