"""The people endpoints: tokens, /me, departments."""

from __future__ import annotations

import pytest

from gridgov.core.models import AuditEvent
from gridgov.people import services
from gridgov.people.models import ApiToken
from gridgov.people.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"


def post_token(client, username: str, password: str, **extra):
    return client.post(TOKEN, {"username": username, "password": password, **extra}, content_type="application/json")


def as_user(client, user):
    _token, raw = services.token_issue(actor=None, user=user)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def test_token_creation_returns_the_token_once_and_stores_its_hash(client, world, settings, clock):
    settings.API_TOKEN_TTL_SECONDS = 86400
    response = post_token(client, "worker", TEST_PASSWORD, name="my phone")
    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get()
    assert token.prefix == body["token"][:8]
    assert token.name == "my phone"
    assert body["expires_at"].startswith(token.expires_at.isoformat()[:19])
    assert AuditEvent.objects.filter(action="auth.login", data__channel="api").exists()


def test_token_creation_with_a_wrong_password_answers_401_invalid_credentials(client, world):
    response = post_token(client, "worker", "wrong-password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert not ApiToken.objects.exists()


def test_token_creation_for_a_locked_account_answers_429_locked(client, world):
    for _ in range(5):
        post_token(client, "worker", "wrong-password")
    response = post_token(client, "worker", TEST_PASSWORD)
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "locked"
    assert error["details"]["retry_after_seconds"] > 0


def test_token_creation_for_a_disabled_account_answers_403_inactive(client, world):
    services.user_update(actor=None, user=world.users["worker"], is_active=False)
    response = post_token(client, "worker", TEST_PASSWORD)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "inactive"


def test_deleting_the_token_revokes_the_one_used(client, world):
    _other, other_raw = services.token_issue(actor=None, user=world.users["worker"])
    as_user(client, world.users["worker"])
    assert client.delete(TOKEN).status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {other_raw}"
    assert client.get("/api/v1/me").status_code == 200


def test_me_lists_roles_scope_roots_and_departments(client, world):
    body = as_user(client, world.users["handler"]).get("/api/v1/me").json()
    assert body == {
        "username": "handler",
        "full_name": "handler",
        "roles": ["department_handler"],
        "areas": [world.villages[0].code],
        "departments": ["roads"],
    }


def test_me_of_a_grid_worker_lists_the_grid(client, world):
    body = as_user(client, world.users["worker"]).get("/api/v1/me").json()
    assert body["areas"] == [world.grids[0].code]
    assert body["departments"] == []


def test_me_of_a_supervisor_lists_the_top_level_areas(client, world):
    body = as_user(client, world.users["supervisor"]).get("/api/v1/me").json()
    assert body["areas"] == [world.district.code]


def test_departments_are_scoped_to_the_user(client, world):
    codes = [d["code"] for d in as_user(client, world.users["leader"]).get("/api/v1/departments").json()]
    # Roads serves village 1 (the leader's); police serves the whole district; water serves village 2.
    assert sorted(codes) == ["police", "roads"]


def test_departments_list_their_fields(client, world):
    body = as_user(client, world.users["operator"]).get("/api/v1/departments").json()
    roads = next(d for d in body if d["code"] == "roads")
    assert roads == {
        "code": "roads",
        "name": "Roads",
        "kind": "town_office",
        "phone": "",
        "areas": [world.villages[0].code],
    }
    assert sorted(d["code"] for d in body) == ["police", "roads", "water"]


def test_a_department_outside_the_scope_is_not_found(client, world):
    as_user(client, world.users["leader"])
    assert client.get("/api/v1/departments/roads").status_code == 200
    response = client.get("/api/v1/departments/water")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    # The same answer as for a department that does not exist.
    assert client.get("/api/v1/departments/none").json() == response.json()


def test_a_user_without_roles_sees_no_departments(client, world):
    assert as_user(client, world.users["nobody"]).get("/api/v1/departments").json() == []
