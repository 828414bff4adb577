"""The one mapping from refusals to the API's error body (``gridgov.api.errors``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest
from django.utils import translation
from ninja import NinjaAPI
from ninja.testing import TestClient

from gridgov.api.errors import ApiError, install_handlers
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound

RAISED: dict[str, Exception] = {
    "not_found": NotFound("No such leave."),
    "forbidden": Forbidden("Not your move."),
    "conflict": Conflict("Already approved.", code="already_approved"),
    "invalid": Invalid("The leave is not valid.", details={"until": ["Too late."]}),
    "validation_dict": ValidationError({"reason": ["Say why."]}),
    "validation_plain": ValidationError("Not now."),
    "http404": Http404("No such leave."),
    "does_not_exist": User.DoesNotExist(),
    "permission_denied": PermissionDenied("Role refused."),
    "api_error": ApiError(429, "locked", "Try again later.", details={"retry_after_seconds": 60}),
    "bug": RuntimeError("boom"),
    "database_restarting": OperationalError("terminating connection due to administrator command"),
    "connection_closed": InterfaceError("connection already closed"),
}

api = NinjaAPI(urls_namespace="error-mapping-test", auth=None)
install_handlers(api)


@api.get("/raise/{kind}")
def raise_one(request: HttpRequest, kind: str) -> dict[str, Any]:
    raise RAISED[kind]


client = TestClient(api)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        ("not_found", 404, {"code": "not_found", "message": "No such leave."}),
        ("forbidden", 403, {"code": "forbidden", "message": "Not your move."}),
        ("conflict", 409, {"code": "already_approved", "message": "Already approved."}),
        (
            "invalid",
            422,
            {"code": "invalid", "message": "The leave is not valid.", "details": {"until": ["Too late."]}},
        ),
        (
            "validation_dict",
            422,
            {"code": "invalid", "message": "The request is not valid.", "details": {"reason": ["Say why."]}},
        ),
        (
            "validation_plain",
            422,
            {"code": "invalid", "message": "The request is not valid.", "details": {"__all__": ["Not now."]}},
        ),
        ("http404", 404, {"code": "not_found", "message": "Not found."}),
        ("does_not_exist", 404, {"code": "not_found", "message": "Not found."}),
        ("permission_denied", 403, {"code": "forbidden", "message": "Permission denied."}),
        (
            "api_error",
            429,
            {"code": "locked", "message": "Try again later.", "details": {"retry_after_seconds": 60}},
        ),
        ("bug", 500, {"code": "server_error", "message": "Internal server error."}),
        (
            "database_restarting",
            503,
            {"code": "unavailable", "message": "The service is briefly unavailable. Try again in a few seconds."},
        ),
        (
            "connection_closed",
            503,
            {"code": "unavailable", "message": "The service is briefly unavailable. Try again in a few seconds."},
        ),
    ],
)
def test_each_refusal_answers_with_its_status_and_the_one_error_shape(kind, status, body):
    response = client.get(f"/raise/{kind}")
    assert response.status_code == status
    assert response.json() == {"error": body}


def test_database_unavailable_tells_the_client_when_to_retry():
    response = client.get("/raise/database_restarting")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
