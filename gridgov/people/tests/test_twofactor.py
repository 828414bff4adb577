"""Two-step verification: who needs it, enrolment with a local QR code and recovery codes,
the second step after the password on the web, the admin and the API."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.backends.db import SessionStore

from gridgov.core.models import AuditEvent
from gridgov.people import services, twofactor
from gridgov.people.tests.factories import TEST_PASSWORD
from gridgov.people.tests.otp import code, enrol, next_code
from gridgov.web.views_auth import PENDING_KEY

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"


@pytest.fixture
def root(db):
    return services.user_create(actor=None, username="root", password=TEST_PASSWORD, is_staff=True, is_superuser=True)


def logged_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


# --- who ---


def test_administrators_need_it_and_other_roles_do_not_by_default(world, root):
    assert twofactor.required_for(root)
    assert twofactor.required_for(world.users["admin"])  # the admin role
    for username in ("worker", "leader", "operator", "townleader", "handler", "supervisor", "upstream"):
        assert not twofactor.required_for(world.users[username]), username


@pytest.mark.parametrize("role", ["system_admin", "security_admin", "audit_admin"])
def test_the_three_administrators_need_it(world, role):
    user = world.users["nobody"]
    services.role_assign(actor=None, user=user, role=role)
    assert twofactor.required_for(user)


def test_the_roles_that_need_it_are_configurable(world, settings):
    settings.GRIDGOV_2FA_ROLES = ["center_operator", "town_leader"]
    assert twofactor.required_for(world.users["operator"])
    assert twofactor.required_for(world.users["townleader"])
    assert not twofactor.required_for(world.users["admin"])
    settings.GRIDGOV_2FA_ROLES = []
    assert not twofactor.required_for(world.users["operator"])


# --- enrolment at the first login ---


def test_an_administrator_without_an_authenticator_enrols_before_the_session_opens(client, root, clock):
    response = client.post("/login/", {"username": "root", "password": TEST_PASSWORD, "next": "/admin/"})
    assert response["Location"] == "/login/enrol/"
    assert logged_in_as(client) is None
    assert client.get("/admin/").status_code == 302  # not in yet

    page = client.get("/login/enrol/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert "<svg" in html and 'data-testid="enrol-qr"' in html  # drawn here, no outside service
    assert "http" not in html.split('data-testid="enrol-qr"')[1].split("</div>")[0].replace("http://www.w3.org", "")
    device = twofactor.pending_device(root, client.session["gridgov_enrol_device"])
    assert page.context["secret"].replace(" ", "") in device.config_url

    wrong = client.post("/login/enrol/", {"token": "000000"})
    assert wrong.status_code == 200 and logged_in_as(client) is None
    clock.advance(seconds=2)  # django-otp makes a device wait after a wrong code
    done = client.post("/login/enrol/", {"token": code(device)})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    assert len(done.context["codes"]) == 10
    assert done.context["next_url"] == "/admin/"
    assert logged_in_as(client) == str(root.pk)
    assert twofactor.has_device(root)
    assert AuditEvent.objects.filter(action=twofactor.ENROLLED, actor=root).exists()
    assert AuditEvent.objects.filter(action=twofactor.FAILED, actor=root, data__purpose="enrol").exists()


def test_the_recovery_codes_are_shown_once(client, root):
    _device, codes = enrol(root)
    client.force_login(root)
    page = client.get("/account/security/")
    assert not any(value in page.content.decode() for value in codes)


# --- the second step ---


def test_with_an_authenticator_the_password_leads_to_the_code(client, root, clock):
    device, _codes = enrol(root)
    response = client.post("/login/", {"username": "root", "password": TEST_PASSWORD})
    assert response["Location"] == "/login/verify/"
    assert logged_in_as(client) is None
    wrong = client.post("/login/verify/", {"token": "000000"})
    assert wrong.status_code == 200 and b'data-testid="otp-error"' in wrong.content
    assert AuditEvent.objects.filter(action=twofactor.FAILED, actor=root, data__purpose="login").exists()
    clock.advance(seconds=2)  # django-otp makes a device wait after a wrong code
    right = client.post("/login/verify/", {"token": next_code(device)})
    assert right.status_code == 302 and right["Location"] == "/"
    assert logged_in_as(client) == str(root.pk)
    assert client.session["gridgov_factor"] == "second_factor"


def test_a_recovery_code_works_once(client, root):
    _device, codes = enrol(root)
    client.post("/login/", {"username": "root", "password": TEST_PASSWORD})
    assert client.post("/login/verify/", {"token": codes[3].upper()})["Location"] == "/"
    client.logout()
    client.post("/login/", {"username": "root", "password": TEST_PASSWORD})
    assert client.post("/login/verify/", {"token": codes[3]}).status_code == 200
    assert logged_in_as(client) is None
    assert AuditEvent.objects.filter(action=twofactor.RECOVERY_USED, data__codes_left=9).exists()


def test_a_pending_login_expires(client, root):
    device, _codes = enrol(root)
    client.post("/login/", {"username": "root", "password": TEST_PASSWORD})
    session = client.session
    session[PENDING_KEY] = {**session[PENDING_KEY], "at": time.time() - 301}
    session.save()
    response = client.post("/login/verify/", {"token": next_code(device)})
    assert response["Location"] == "/login/"
    assert logged_in_as(client) is None


def test_the_verify_page_without_a_pending_login_goes_back_to_the_login(client, db):
    assert client.get("/login/verify/")["Location"] == "/login/"
    assert client.get("/login/enrol/")["Location"] == "/login/"


def test_a_user_who_needs_no_second_factor_logs_in_with_the_password(client, world):
    response = client.post("/login/", {"username": "worker", "password": TEST_PASSWORD})
    assert response["Location"] == "/"
    assert client.session["gridgov_factor"] == "password"


def test_the_admin_login_has_the_second_step(client, root):
    device, _codes = enrol(root)
    response = client.post("/admin/login/", {"username": "root", "password": TEST_PASSWORD, "next": "/admin/"})
    assert response["Location"] == "/login/verify/"
    assert client.get("/admin/").status_code == 302
    response = client.post("/login/verify/", {"token": next_code(device)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- the API ---


def post_token(client, **body):
    return client.post(TOKEN, body, content_type="application/json")


def test_the_token_endpoint_asks_an_administrator_for_the_code(client, root, clock):
    response = post_token(client, username="root", password=TEST_PASSWORD)
    assert response.status_code == 403 and response.json()["error"]["code"] == "twofactor_setup_required"
    device, _codes = enrol(root)
    response = post_token(client, username="root", password=TEST_PASSWORD)
    assert response.status_code == 401 and response.json()["error"]["code"] == "otp_required"
    response = post_token(client, username="root", password=TEST_PASSWORD, otp="000000")
    assert response.status_code == 401 and response.json()["error"]["code"] == "otp_invalid"
    clock.advance(seconds=2)
    response = post_token(client, username="root", password=TEST_PASSWORD, otp=next_code(device))
    assert response.status_code == 201


def test_the_token_endpoint_needs_no_code_from_other_users(client, world):
    assert post_token(client, username="worker", password=TEST_PASSWORD).status_code == 201


# --- the user's own page, and a reset ---


def test_the_account_page_renews_the_recovery_codes(client, root, clock):
    _device, old = enrol(root)
    client.force_login(root)
    assert b'data-testid="twofactor-on"' in client.get("/account/security/").content
    response = client.post("/account/security/", {"action": "recovery_codes"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert not twofactor.verify(user=root, token=old[0])
    clock.advance(seconds=2)
    assert twofactor.verify(user=root, token=new[0])


def test_any_user_may_turn_it_on_from_the_account_page(client, world):
    worker = world.users["worker"]
    client.force_login(worker)
    assert b'data-testid="twofactor-off"' in client.get("/account/security/").content
    client.get("/login/enrol/")
    device = twofactor.pending_device(worker, client.session["gridgov_enrol_device"])
    response = client.post("/login/enrol/", {"token": code(device)})
    assert response.status_code == 200 and len(response.context["codes"]) == 10
    assert twofactor.has_device(worker)


def test_the_security_administrator_resets_a_lost_authenticator(client, world, root):
    enrol(root)
    security = world.users["nobody"]
    services.role_assign(actor=None, user=security, role="security_admin")
    client.force_login(security)
    response = client.post("/admin/auth/user/", {"action": "reset_twofactor", "_selected_action": [root.pk]})
    assert response.status_code == 302
    assert not twofactor.has_device(root)
    assert AuditEvent.objects.get(action=twofactor.RESET).actor == security
    # At the next login root enrols again.
    client.logout()
    response = client.post("/login/", {"username": "root", "password": TEST_PASSWORD})
    assert response["Location"] == "/login/enrol/"


def test_becoming_an_administrator_ends_the_sessions_opened_without_the_second_factor(client, world):
    worker = world.users["worker"]
    client.force_login(worker)
    key = client.session.session_key
    services.role_assign(actor=world.users["admin"], user=worker, role="system_admin")
    assert not SessionStore().exists(key)
    assert AuditEvent.objects.filter(action="people.access_revoke", data__reason="second_factor_required").exists()


def test_moving_to_a_new_phone_from_a_session_asks_for_the_password(client, root, clock):
    old_device, _codes = enrol(root)
    client.force_login(root)
    client.get("/login/enrol/")
    device = twofactor.pending_device(root, client.session["gridgov_enrol_device"])
    refused = client.post("/login/enrol/", {"token": code(device), "password": "not-the-password"})
    assert refused.status_code == 200 and "codes" not in refused.context
    assert twofactor.has_device(root) and type(old_device).objects.filter(pk=old_device.pk).exists()
    clock.advance(seconds=2)
    moved = client.post("/login/enrol/", {"token": next_code(device), "password": TEST_PASSWORD})
    assert len(moved.context["codes"]) == 10
    assert not type(old_device).objects.filter(pk=old_device.pk).exists()


def test_the_secrets_are_not_stored_in_clear(client, root, settings):
    """The authenticator's secret is stored encrypted and a recovery code only as a keyed
    digest (issue 13, item 6); both still work, and a key rotation re-encrypts the secret."""
    import base64
    import os

    from django.core.management import call_command
    from django.db import connection

    from gridgov.core.keyrotation import rotation_status

    device, codes = enrol(root)
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [device.pk])
        stored = cursor.fetchone()[0]
        cursor.execute("SELECT token FROM otp_static_statictoken")
        tokens = {row[0] for row in cursor.fetchall()}
    assert stored.startswith("e1:") and device.key not in stored and len(stored) <= 80
    assert not tokens & {c.lower() for c in codes} and len(tokens) == len(codes)
    # The login still takes the authenticator's code and a recovery code.
    assert twofactor.verify(user=root, token=next_code(device))
    assert twofactor.verify(user=root, token=codes[0].upper())

    old = settings.GRIDGOV_FIELD_KEYS or []
    new = base64.urlsafe_b64encode(os.urandom(32)).decode()
    settings.GRIDGOV_FIELD_KEYS = [new, *old] if old else [new, *_development_key()]
    assert rotation_status().stale["otp_totp.totpdevice.key"] == 1
    call_command("rotate_keys")
    assert rotation_status().stale["otp_totp.totpdevice.key"] == 0
    assert twofactor.verify(user=root, token=next_code(device))
    # The recovery digests are keyed by the oldest key, which stays: the codes still work, once.
    assert twofactor.verify(user=root, token=codes[1])
    assert not twofactor.verify(user=root, token=codes[0])


def _development_key() -> list[str]:
    from gridgov.core.crypto import configured_keys

    return [key.decode() for key in configured_keys()]
