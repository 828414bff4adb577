"""Errors the API answers with: ``{"error": {"code": ..., "message": ...}}``.

Endpoints raise :class:`ApiError` (or Django's ``Http404``); the handlers registered in
``gridgov.api.api`` turn every error into that shape with the right status.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error with an HTTP status, a stable code and a human message."""

    def __init__(self, status: int, code: str, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


def not_found(message: str = "Not found.") -> ApiError:
    return ApiError(404, "not_found", message)
