"""The password policy: length, mix, not like the username, not common, not one of the last
five; a change at first login after an administrator set it; expiry when configured."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from gridgov.demo.loader import DEMO_PASSWORD
from gridgov.people import passwords, services
from gridgov.people.models import PasswordHistory
from gridgov.people.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    user = services.user_create(actor=None, username="root", password=TEST_PASSWORD, is_staff=True, is_superuser=True)
    return user


def codes(password: str, user=None) -> set[str]:
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        return {str(item.code) for item in error.error_list}
    return set()


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Short-1", "password_too_short"),
        ("password1234", "password_too_common"),
        ("384729104738291", "password_entirely_numeric"),
        ("onlylowercaseletters", "password_too_uniform"),
    ],
)
def test_weak_passwords_are_refused(password, code):
    assert code in codes(password)


def test_a_password_like_the_username_is_refused(db):
    user = services.user_create(actor=None, username="wangxiaoming", password=None)
    assert "password_too_similar" in codes("Wangxiaoming-1", user)


def test_the_demo_password_and_a_passphrase_pass(db):
    assert codes(DEMO_PASSWORD) == set()
    assert codes(TEST_PASSWORD) == set()


def test_the_last_five_passwords_cannot_come_back(db):
    user = services.user_create(actor=None, username="alice", password="First-passphrase-0")
    used = ["First-passphrase-0"] + [f"Passphrase-number-{n}" for n in range(1, 5)]
    for password in used[1:]:
        services.user_set_password(actor=user, user=user, password=password)
    for password in used:
        with pytest.raises(ValidationError):
            services.user_set_password(actor=user, user=user, password=password)
    services.user_set_password(actor=user, user=user, password="Passphrase-number-5")
    # Now the first one is six passwords back: allowed again.
    services.user_set_password(actor=user, user=user, password="First-passphrase-0")


def test_the_history_keeps_hashes_only_and_at_most_five(db):
    user = services.user_create(actor=None, username="alice", password="First-passphrase-0")
    for n in range(1, 8):
        services.user_set_password(actor=user, user=user, password=f"Passphrase-number-{n}")
    stored = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True))
    assert len(stored) == 5
    assert all(value.startswith(("md5$", "pbkdf2", "argon2", "bcrypt", "scrypt")) for value in stored)
    assert not any("Passphrase" in value for value in stored)


# --- the change at first login ---


def test_an_account_an_administrator_created_must_change_its_password_first(client, admin):
    response = admin_create(client, admin, "newbie")
    assert response.status_code == 302
    client.logout()
    response = client.post("/login/", {"username": "newbie", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/password/")
    # Every page sends the user back there; the API on the session answers 403.
    assert client.get("/cases/")["Location"].startswith("/account/password/")
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["error"]["code"] == "password_change_required"
    page = client.get("/account/password/")
    assert b'data-testid="password-reason"' in page.content
    new = "My-own-passphrase-9"
    response = client.post(
        "/account/password/", {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new, "next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert passwords.change_reason(get_user("newbie")) == ""


def admin_create(client, admin, username: str):
    client.force_login(admin)
    return client.post(
        "/admin/auth/user/add/",
        {
            "username": username,
            "full_name": "新人",
            "usable_password": "true",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
        },
    )


def get_user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_the_token_endpoint_refuses_an_account_that_must_change_its_password(client, admin):
    admin_create(client, admin, "newbie")
    response = client.post(
        "/api/v1/auth/token", {"username": "newbie", "password": TEST_PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "password_change_required"


def test_a_password_reset_by_an_administrator_must_be_changed_and_ones_own_need_not(admin):
    user = services.user_create(actor=None, username="alice", password=TEST_PASSWORD)
    assert passwords.change_reason(user) == ""
    services.user_set_password(actor=admin, user=user, password="Reset-by-admin-77")
    assert passwords.change_reason(user) == passwords.FIRST_LOGIN
    services.user_set_password(actor=user, user=user, password="Chosen-by-alice-77")
    assert passwords.change_reason(user) == ""


def test_accounts_made_by_the_system_need_no_change(db):
    user = services.user_create(actor=None, username="alice", password=TEST_PASSWORD)
    assert passwords.change_reason(user) == ""


# --- expiry ---


def test_passwords_do_not_expire_by_default(db, clock):
    user = services.user_create(actor=None, username="alice", password=TEST_PASSWORD)
    clock.advance(days=3650)
    assert passwords.change_reason(user) == ""


def test_an_expired_password_must_be_changed_at_login(client, db, clock, settings):
    settings.GRIDGOV_PASSWORD_MAX_AGE_DAYS = 90
    user = services.user_create(actor=None, username="alice", password=TEST_PASSWORD)
    clock.advance(days=89)
    assert passwords.change_reason(user) == ""
    clock.advance(days=2)
    assert passwords.change_reason(user) == passwords.EXPIRED
    response = client.post("/login/", {"username": "alice", "password": TEST_PASSWORD})
    assert response["Location"].startswith("/account/password/")
    services.user_set_password(actor=user, user=user, password="A-fresh-passphrase-1")
    assert passwords.change_reason(user) == ""
    assert passwords.changed_at(user) == clock.now
    assert clock.now - timedelta(days=1) < passwords.changed_at(user)
