"""Refusals of the hotline services; the API answers each with its ``status``."""

from __future__ import annotations

from typing import Any


class OrderError(Exception):
    """A refused request: ``status`` is the HTTP status, ``code`` a stable code."""

    status = 400
    code = "error"

    def __init__(self, message: Any, *, code: str | None = None, details: dict[str, list[str]] | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.details = details


class OrderNotFound(OrderError):
    status = 404
    code = "not_found"


class OrderForbidden(OrderError):
    status = 403
    code = "forbidden"


class OrderConflict(OrderError):
    status = 409
    code = "conflict"


class OrderInvalid(OrderError):
    """Bad input; ``details`` maps each field to its messages."""

    status = 422
    code = "invalid"
