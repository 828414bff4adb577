"""Authentication of API requests and the shape of every error."""

from __future__ import annotations

import pytest
from django.test import Client

from gridgov.people import services
from gridgov.people.services import token_issue
from gridgov.people.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_an_endpoint_without_credentials_answers_401_with_a_bearer_challenge(client):
    response = client.get(ME)
    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_bearer_token_authenticates(client, world):
    _token, raw = services.token_issue(actor=None, user=world.users["worker"])
    response = client.get(ME, **bearer(raw))
    assert response.status_code == 200
    assert response.json()["username"] == "worker"


def test_a_garbled_authorization_header_answers_401(client, world):
    assert_error(client.get(ME, HTTP_AUTHORIZATION="Basic abc"), 401, "unauthenticated")
    assert_error(client.get(ME, HTTP_AUTHORIZATION="Bearer"), 401, "unauthenticated")


def test_an_expired_token_is_refused(client, world, clock):
    _token, raw = services.token_issue(actor=None, user=world.users["worker"], ttl_seconds=60)
    assert client.get(ME, **bearer(raw)).status_code == 200
    clock.advance(seconds=61)
    assert_error(client.get(ME, **bearer(raw)), 401, "unauthenticated")


def test_a_revoked_token_is_refused(client, world):
    token, raw = services.token_issue(actor=None, user=world.users["worker"])
    services.token_revoke(actor=None, token=token)
    assert_error(client.get(ME, **bearer(raw)), 401, "unauthenticated")


def test_an_invalid_token_on_an_unsafe_method_answers_401_not_a_csrf_error(client, world):
    assert_error(client.delete("/api/v1/auth/token", **bearer("nonsense")), 401, "unauthenticated")


def test_the_web_session_authenticates(client, world):
    client.force_login(world.users["operator"])
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "operator"


def test_unsafe_methods_over_the_session_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["operator"])
    assert_error(client.delete("/api/v1/auth/token"), 403, "csrf_failed")
    client.get("/api/v1/me")  # any page; fetch a CSRF cookie the way the web UI has one
    client.cookies["csrftoken"] = "a" * 32
    response = client.delete("/api/v1/auth/token", HTTP_X_CSRFTOKEN="a" * 32)
    # Past the CSRF check: a session has no token to revoke.
    assert_error(response, 400, "no_token")


def test_bearer_requests_need_no_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    _token, raw = services.token_issue(actor=None, user=world.users["worker"])
    assert client.delete("/api/v1/auth/token", **bearer(raw)).status_code == 204


def test_unknown_objects_answer_404_in_the_error_shape(client, world):
    client.force_login(world.users["admin"])
    assert_error(client.get("/api/v1/departments/nope"), 404, "not_found")


def test_invalid_input_answers_422_with_field_errors(client, world):
    response = client.post("/api/v1/auth/token", {"username": "worker"}, content_type="application/json")
    error = assert_error(response, 422, "invalid")
    # pydantic's own "Field required" comes in the site's language.
    assert error["details"] == {"password": ["此项为必填项。"]}


def test_a_body_that_is_not_json_answers_400(client, world):
    response = client.post("/api/v1/auth/token", "not json", content_type="application/json")
    assert_error(response, 400, "bad_request")


def test_an_uncaught_exception_answers_500_without_a_stack_trace(client, world, monkeypatch, caplog):
    def explode(user):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("gridgov.people.selectors.departments_visible", explode)
    client.force_login(world.users["admin"])
    response = client.get("/api/v1/departments")
    error = assert_error(response, 500, "server_error")
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert "secret internals" in caplog.text
    assert error["message"]


def test_the_token_endpoint_is_throttled_per_client(client, world):
    statuses = [
        client.post(
            "/api/v1/auth/token", {"username": "ghost", "password": "x"}, content_type="application/json"
        ).status_code
        for _ in range(31)
    ]
    assert statuses[-1] == 429
    response = client.post("/api/v1/auth/token", {"username": "x", "password": "x"}, content_type="application/json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_the_openapi_document_and_the_docs_need_a_session_or_a_token(client, settings):
    for url in ("/api/v1/openapi.json", "/api/v1/docs"):
        response = client.get(url)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
        assert "paths" not in response.content.decode()
        assert Client(headers={"Authorization": "Bearer nonsense"}).get(url).status_code == 401
    user = UserFactory()
    _token, raw = token_issue(actor=user, user=user, name="docs")
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/openapi.json").status_code == 200
    settings.GRIDGOV_API_DOCS_PUBLIC = True
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_the_openapi_document_lists_the_paths(client):
    client.force_login(UserFactory())
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    for path in ("/api/v1/auth/token", "/api/v1/me", "/api/v1/departments", "/api/v1/categories"):
        assert path in schema["paths"]
    assert "BearerAuth" in schema["components"]["securitySchemes"]
    assert schema["paths"]["/api/v1/auth/token"]["post"].get("security") in (None, [])


def test_the_api_docs_page_is_reachable(client):
    client.force_login(UserFactory())
    assert client.get("/api/v1/docs").status_code == 200


# Open by design: getting a token, and the residents' side of the public notice (a report from
# a grid's board and its tracking by code, docs/notice.md), as the public pages are.
OPEN_ENDPOINTS = {
    ("/api/v1/auth/token", "post"),
    ("/api/v1/notice/public/{code}/reports", "post"),
    ("/api/v1/notice/track/{tracking_code}", "get"),
}


def test_every_endpoint_but_token_creation_needs_authentication(client):
    client.force_login(UserFactory())
    schema = client.get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if (path, method) in OPEN_ENDPOINTS:
                assert not operation.get("security"), f"{method} {path} should be open"
                continue
            assert operation.get("security"), f"{method} {path} is open"


def test_a_password_login_through_the_token_endpoint_then_me(client, world):
    response = client.post(
        "/api/v1/auth/token",
        {"username": "leader", "password": TEST_PASSWORD, "name": "tablet"},
        content_type="application/json",
    )
    assert response.status_code == 201
    raw = response.json()["token"]
    assert client.get(ME, **bearer(raw)).json()["roles"] == ["grid_leader"]
