"""A user's tokens and sessions end when the password changes, the account is disabled or a
role is taken away; token lifetimes differ for people and machine accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from gridgov.core.models import AuditEvent
from gridgov.people import services
from gridgov.people.models import UserSession
from gridgov.people.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-long-passphrase-7"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get("/api/v1/me").status_code == 200
    return client


def with_token(user) -> Client:
    _token, raw = services.token_issue(actor=None, user=user)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get("/api/v1/me").status_code == 200
    return client


def still_in(client: Client) -> bool:
    return client.get("/api/v1/me").status_code == 200


def test_a_password_set_by_an_administrator_ends_every_token_and_session(world):
    worker, admin = world.users["worker"], world.users["admin"]
    session, bearer = logged_in(worker), with_token(worker)
    services.user_set_password(actor=admin, user=worker, password=NEW_PASSWORD)
    assert not still_in(session)
    assert not still_in(bearer)
    assert not UserSession.objects.filter(user=worker).exists()
    event = AuditEvent.objects.get(action="people.access_revoke")
    assert event.data == {"reason": "password_changed", "tokens": 1, "sessions": 1}


def test_django_refuses_a_session_after_any_password_change_even_outside_the_services(world):
    """Django keeps a hash derived from the password in the session (the session-auth hash)."""
    worker = world.users["worker"]
    session = logged_in(worker)
    worker.set_password(NEW_PASSWORD)
    worker.save()
    assert not still_in(session)


def test_a_token_asked_for_while_the_password_changes_does_not_outlive_the_change(world, monkeypatch):
    """The attack re-run (docs/security.md): a token request checks the old password, the
    password changes and ends every token, then the request issued its token, which worked."""
    worker = world.users["worker"]
    checked = services.login_check

    def password_changes_after_the_check(**kwargs):
        outcome = checked(**kwargs)
        services.user_set_password(actor=worker, user=worker, password=NEW_PASSWORD)
        return outcome

    monkeypatch.setattr(services, "login_check", password_changes_after_the_check)
    answer = Client().post(
        "/api/v1/auth/token", {"username": worker.username, "password": TEST_PASSWORD}, content_type="application/json"
    )
    if answer.status_code == 201:
        bearer = Client(headers={"Authorization": f"Bearer {answer.json()['token']}"})
        assert not still_in(bearer)
    else:
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "invalid_credentials"


def test_disabling_an_account_ends_every_token_and_session(world):
    worker = world.users["worker"]
    session, bearer = logged_in(worker), with_token(worker)
    services.user_update(actor=world.users["admin"], user=worker, is_active=False)
    assert not still_in(session)
    assert not still_in(bearer)


def test_taking_a_role_away_ends_every_token_and_session(world):
    leader = world.users["leader"]
    session, bearer = logged_in(leader), with_token(leader)
    services.role_revoke(actor=world.users["admin"], assignment=leader.role_assignments.get())
    assert not still_in(session)
    assert not still_in(bearer)
    assert AuditEvent.objects.filter(action="people.access_revoke", data__reason="role_revoked").exists()


def test_giving_a_role_keeps_the_sessions(world):
    worker = world.users["worker"]
    session = logged_in(worker)
    services.role_assign(actor=world.users["admin"], user=worker, role="grid_worker", area=world.grids[1])
    assert still_in(session)


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(world):
    worker = world.users["worker"]
    here, elsewhere, bearer = logged_in(worker), logged_in(worker), with_token(worker)
    response = here.post(
        "/account/password/",
        {"old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert still_in(here)
    assert not still_in(elsewhere)
    assert not still_in(bearer)
    assert UserSession.objects.filter(user=worker).count() == 1


def test_logging_out_forgets_the_session_and_is_audited(world):
    worker = world.users["worker"]
    client = logged_in(worker)
    assert UserSession.objects.filter(user=worker).count() == 1
    client.post("/logout/")
    assert not UserSession.objects.filter(user=worker).exists()
    assert AuditEvent.objects.filter(action="auth.logout", actor=worker).exists()


# --- lifetimes ---


def test_a_persons_token_lives_thirty_days_by_default(world, clock):
    token, _raw = services.token_issue(actor=None, user=world.users["worker"])
    assert token.expires_at == clock.now + timedelta(days=30)


def test_a_machine_accounts_token_lives_a_year_by_default(world, clock):
    token, _raw = services.token_issue(actor=None, user=world.users["upstream"])
    assert token.expires_at == clock.now + timedelta(days=365)


def test_the_lifetimes_come_from_settings(world, clock, settings):
    settings.API_TOKEN_TTL_SECONDS = 7 * 86400
    settings.GRIDGOV_TOKEN_DAYS_MACHINE = 90
    assert services.token_issue(actor=None, user=world.users["worker"])[0].expires_at == clock.now + timedelta(days=7)
    upstream = services.token_issue(actor=None, user=world.users["upstream"])[0]
    assert upstream.expires_at == clock.now + timedelta(days=90)


def test_a_token_longer_than_the_accounts_lifetime_is_refused(world):
    with pytest.raises(ValidationError):
        services.token_issue(actor=None, user=world.users["worker"], ttl_seconds=31 * 86400)
    with pytest.raises(ValidationError):
        services.token_issue(actor=None, user=world.users["upstream"], ttl_seconds=366 * 86400)


def test_the_admin_issue_form_offers_at_most_the_machine_lifetime(client, world, settings):
    settings.GRIDGOV_TOKEN_DAYS_MACHINE = 90
    root = services.user_create(actor=None, username="root", password=TEST_PASSWORD, is_staff=True, is_superuser=True)
    client.force_login(root)
    response = client.post(
        "/admin/people/apitoken/issue/", {"user": world.users["upstream"].pk, "name": "hotline", "days": 91}
    )
    assert response.context["raw_token"] is None
    response = client.post(
        "/admin/people/apitoken/issue/", {"user": world.users["upstream"].pk, "name": "hotline", "days": 90}
    )
    assert response.context["raw_token"]
