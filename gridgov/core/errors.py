"""The one error hierarchy of the services.

A service refuses a request by raising one of these; the API's exception handler
(``gridgov.api.errors``) and the form helper (``gridgov.core.forms.apply_error``) are the only
places that turn them into responses, so every app answers alike:

- :class:`BadRequest` (400): the request cannot be read at all; :class:`Unauthenticated`
  (401): who asks is not known.
- :class:`NotFound` (404): the object does not exist *or the actor may not see it*; both read
  the same, so a probe learns nothing.
- :class:`Forbidden` (403): the actor sees the object but the move is not theirs.
- :class:`Conflict` (409): the object is not in a state that allows the move; ``code`` says
  which rule refused it (``invalid_transition``, ``version_conflict``, a guard's code…).
- :class:`Invalid` (422): bad input; ``details`` maps each field to its messages.

``message`` is shown to people (translated when raised); ``code`` is stable and meant for
programs. ``details`` given to the constructor map fields to messages; a subclass may set
other facts a client needs instead (a locked login's ``retry_after_seconds``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext, gettext_lazy

from .inputs import stripped


class DomainError(Exception):
    """A refused request: ``status`` is the HTTP status, ``code`` a stable code."""

    status: int = 400  # each class's; the API layer's own errors set theirs per instance
    default_code: ClassVar[str] = "error"

    def __init__(self, message: Any, *, code: str | None = None, details: Mapping[str, Any] | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.code = code or self.default_code
        # A field's messages become text (they may be lazy translations); other values (a
        # number of seconds, a flag) stay as they are.
        self.details: dict[str, Any] | None = (
            None
            if details is None
            else {
                name: [str(m) for m in value] if isinstance(value, list | tuple) else value
                for name, value in details.items()
            }
        )


class BadRequest(DomainError):
    """The request itself cannot be read (a body that is not JSON, a missing header)."""

    status = 400
    default_code = "bad_request"


class Unauthenticated(DomainError):
    """Who is asking is not known (wrong credentials)."""

    status = 401
    default_code = "unauthenticated"


class Throttled(DomainError):
    """Too many attempts or requests for now; ``details`` may say when to try again."""

    status = 429
    default_code = "throttled"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class Forbidden(DomainError):
    status = 403
    default_code = "forbidden"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"


class Invalid(DomainError):
    """Bad input; ``details`` maps each field (``__all__`` for the whole request) to messages."""

    status = 422
    default_code = "invalid"

    @classmethod
    def field(cls, field: str, message: Any) -> Invalid:
        return cls(message, details={field: [str(message)]})

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> Invalid:
        if hasattr(error, "error_dict"):
            details = {
                name: [str(m) for m in ValidationError(msgs).messages] for name, msgs in error.error_dict.items()
            }
        else:
            details = {"__all__": [str(m) for m in error.messages]}
        first = next((m for msgs in details.values() for m in msgs), "")
        return cls(first, details=details)


def clean_text(value: Any, field: str, limit: int, *, required: bool = False, message: Any = None) -> str:
    """A text input stripped; ``Invalid`` on ``field`` when required and empty (with ``message``
    if given), or longer than ``limit`` characters. The one such check of every service."""
    text = stripped(str(value or ""))
    if required and not text:
        raise Invalid.field(field, message or gettext("This field is required."))
    if len(text) > limit:
        raise Invalid.field(field, gettext("At most %(limit)d characters.") % {"limit": limit})
    return text


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON body of every refusal: ``{"error": {"code", "message"[, "details"]}}`` (the API's
    handlers and the input guard, which answers before any endpoint runs)."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


# A request that met the database restarting or out of reach is answered 503 with this
# ``Retry-After``, by the API (``gridgov.api.errors``) and by the pages
# (``gridgov.core.middleware.DatabaseUnavailableMiddleware``).
UNAVAILABLE_RETRY_AFTER_SECONDS = 2
UNAVAILABLE_MESSAGE = gettext_lazy("The service is briefly unavailable. Try again in a few seconds.")


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` is the database out of reach rather than a bug: ``OperationalError``
    (connection refused, "terminating connection due to administrator command", SQLite's
    "database is locked") or ``InterfaceError`` (a connection already closed). The write that met
    it was rolled back with its transaction; sent again in a moment, it may succeed. ``IntegrityError``,
    ``ProgrammingError`` and the rest are not: they stay server errors."""
    return isinstance(exc, OperationalError | InterfaceError)
