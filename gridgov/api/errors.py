"""Errors the API answers with: ``{"error": {"code": ..., "message": ...[, "details": ...]}}``.

One mapping: a service refuses with an error of :mod:`gridgov.core.errors` (``DomainError``:
``NotFound`` 404, ``Forbidden`` 403, ``Conflict`` 409, ``Invalid`` 422), and the handlers
registered in ``gridgov.api.api`` turn it, Django's ``ValidationError`` (422, field details),
``Http404``/``ObjectDoesNotExist`` (404), ``PermissionDenied`` (403) and ninja's own errors into
that shape with the right status. No endpoint converts errors itself.

:class:`ApiError` is the API layer's own refusal, for statuses no service uses (400 for a
body that is not JSON, 401 for wrong credentials, 429 for a locked login).
"""

from __future__ import annotations

import logging
import math
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

from gridgov.core.errors import (
    UNAVAILABLE_MESSAGE,
    UNAVAILABLE_RETRY_AFTER_SECONDS,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    database_unavailable,
    error_body,
)
from gridgov.core.pages import already_logged

if TYPE_CHECKING:
    from ninja import NinjaAPI


class ApiError(DomainError):
    """A refusal of the API layer itself, with its HTTP status, a stable code and a human
    message; ``details`` may be any JSON (``{"retry_after_seconds": 60}``)."""

    def __init__(self, status: int, code: str, message: str, *, details: Any = None) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.details = details


# --- Handlers registered on the NinjaAPI --------------------------------------------------

logger = logging.getLogger("gridgov.api")

# Parts of a ninja validation location that name the request part, not the field.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
# Codes for ninja ``HttpError``s raised with a bare status.
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "throttled",
}


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, *, details: Any = None
) -> HttpResponse:
    return api.create_response(request, error_body(code, message, details), status=status)


# Messages for pydantic's commonest error types, in the site's language (pydantic's own are
# English); any other type keeps pydantic's text.
_PYDANTIC_MESSAGES = {
    "missing": _("This field is required."),
    "string_type": _("Enter text."),
    "string_too_short": _("This field may not be empty."),
    "string_too_long": _("This text is too long."),
    "int_parsing": _("Enter a whole number."),
    "int_type": _("Enter a whole number."),
    "float_parsing": _("Enter a number."),
    "float_type": _("Enter a number."),
    "bool_parsing": _("Enter true or false."),
    "bool_type": _("Enter true or false."),
    "list_type": _("Enter a list."),
    "datetime_parsing": _("Enter a date and time."),
    "datetime_from_date_parsing": _("Enter a date and time."),
    "date_parsing": _("Enter a date."),
    "date_from_datetime_parsing": _("Enter a date."),
    "date_out_of_range": _("Enter a date between 1900-01-01 and 2999-12-31."),
    "literal_error": _("Choose one of the allowed values."),
    "enum": _("Choose one of the allowed values."),
    "greater_than_equal": _("The value is too small."),
    "less_than_equal": _("The value is too large."),
    "json_invalid": _("The request body is not valid JSON."),
    "too_long": _("Too many items."),
}


def _message(error: dict[str, Any]) -> str:
    known = _PYDANTIC_MESSAGES.get(str(error.get("type", "")))
    return str(known) if known is not None else str(error.get("msg", ""))


# At most this many errors are listed: a body of thousands of bad items (each a "field") would
# otherwise get an answer many times its own size (a 1.6 MB patrol gave an 80 MB 422).
FIELD_ERRORS_MAX = 50


def field_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """ninja's error list as ``{"field": ["message", ...]}``; ``"__all__"`` when the error
    is about the whole body. Common pydantic messages come in the site's language. Past
    :data:`FIELD_ERRORS_MAX` errors, ``"__all__"`` says how many more there are."""
    details: dict[str, list[str]] = {}
    for error in errors[:FIELD_ERRORS_MAX]:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in _SOURCES:
            source, loc = loc[0], loc[1:]
            # ("body", "payload", "username"): drop the parameter name of a schema body.
            if source == "body" and len(loc) > 1:
                loc = loc[1:]
        field = ".".join(loc) or "__all__"
        details.setdefault(field, []).append(_message(error))
    if (more := len(errors) - FIELD_ERRORS_MAX) > 0:
        details.setdefault("__all__", []).append(str(_("%(n)s more errors are not listed.") % {"n": more}))
    return details


def as_domain_error(exc: Exception) -> DomainError | None:
    """The core error ``exc`` stands for: itself, or what Django's exceptions mean to a
    client (``ValidationError`` 422 with each field's messages, ``Http404`` and
    ``DoesNotExist`` 404, ``PermissionDenied`` 403); ``None`` for anything else."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, DjangoValidationError):
        return Invalid(_("The request is not valid."), details=Invalid.from_validation_error(exc).details)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return NotFound(_("Not found."))
    if isinstance(exc, PermissionDenied):
        return Forbidden(_("Permission denied."))
    return None


def _refused(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    """The one mapping of a refused request: the core error's status, code, message and
    details."""
    error = as_domain_error(exc)
    if error is None:
        return _server_error(request, exc, api)
    return error_response(api, request, error.status, error.code, error.message, details=error.details)


def _validation(request: HttpRequest, exc: ValidationError, api: NinjaAPI) -> HttpResponse:
    return error_response(
        api, request, 422, "invalid", str(_("The request is not valid.")), details=field_errors(exc.errors)
    )


def _unauthenticated(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    response = error_response(api, request, 401, "unauthenticated", str(_("Authentication required.")))
    response["WWW-Authenticate"] = "Bearer"
    return response


def _forbidden(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    message = str(exc) if isinstance(exc, HttpError) and str(exc) != "Forbidden" else str(_("Permission denied."))
    return error_response(api, request, 403, "forbidden", message)


def _throttled(request: HttpRequest, exc: Throttled, api: NinjaAPI) -> HttpResponse:
    response = error_response(api, request, 429, "throttled", str(_("Too many requests. Try again later.")))
    if exc.wait is not None:
        response["Retry-After"] = str(math.ceil(exc.wait))
    return response


def _http_error(request: HttpRequest, exc: HttpError, api: NinjaAPI) -> HttpResponse:
    code = _STATUS_CODES.get(exc.status_code, "error")
    return error_response(api, request, exc.status_code, code, exc.message)


def _server_error(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    if database_unavailable(exc):
        # The database restarting or out of reach: 503 with a Retry-After, and the client sends
        # it again, as it would after a 502 from the proxy; not a bug, so one warning line
        # instead of a traceback. Web pages answer alike (``DatabaseUnavailableMiddleware``).
        logger.warning("Database unavailable in %s %s: %s", request.method, request.path, str(exc).strip()[:300])
        response = error_response(api, request, 503, "unavailable", str(UNAVAILABLE_MESSAGE))
        response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
        return already_logged(response)
    logger.exception("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return error_response(api, request, 500, "server_error", str(_("Internal server error.")))


def install_handlers(api: NinjaAPI) -> None:
    """Answer every error with ``{"error": {"code", "message"[, "details"]}}``."""
    handlers: list[tuple[type[Exception], Any]] = [
        # A core error, or one of Django's that means one; anything else is a server error.
        (Exception, _refused),
        (DomainError, _refused),
        (DjangoValidationError, _refused),
        (Http404, _refused),
        (ObjectDoesNotExist, _refused),
        (PermissionDenied, _refused),
        # ninja's own
        (HttpError, _http_error),
        (ValidationError, _validation),
        (AuthenticationError, _unauthenticated),
        (AuthorizationError, _forbidden),
        (Throttled, _throttled),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, partial(handler, api=api))


def endpoint_not_found(request: HttpRequest) -> HttpResponse:
    """An address under ``/api/`` that no endpoint serves: the API's JSON 404."""
    return JsonResponse(
        error_body("not_found", str(_("There is no API endpoint at this address."))),
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )
