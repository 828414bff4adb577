"""Login throttling: progressive delays then a lock per account, a lock per client address
over all usernames (password spraying), the client address from trusted proxies only, every
login path throttled, a locked user let in by their second factor, an administrator's unlock."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from gridgov.core.models import AuditEvent
from gridgov.people import login, services
from gridgov.people.models import LoginThrottle
from gridgov.people.tests.factories import TEST_PASSWORD
from gridgov.people.tests.otp import enrol, next_code

pytestmark = pytest.mark.django_db

WRONG = "wrong-password"


@pytest.fixture
def alice():
    return services.user_create(actor=None, username="alice", password=TEST_PASSWORD, full_name="Alice")


def from_address(address: str, forwarded: str = ""):
    request = RequestFactory().post("/login/", REMOTE_ADDR=address)
    if forwarded:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def attempt(username: str = "alice", password: str = WRONG, request=None, otp=None):
    return login.login_check(username=username, password=password, request=request, otp=otp)


# --- per account: delays, then the lock ---


def test_failures_first_delay_the_next_attempt_then_lock_the_account(alice, clock):
    for _ in range(3):
        assert attempt() is None
    with pytest.raises(login.LoginLocked) as delayed:
        attempt(password=TEST_PASSWORD)
    assert (delayed.value.locked, delayed.value.seconds) == (False, 2)
    clock.advance(seconds=2)
    assert attempt() is None  # the 4th failure: the next delay doubles
    with pytest.raises(login.LoginLocked) as delayed:
        attempt(password=TEST_PASSWORD)
    assert (delayed.value.locked, delayed.value.seconds) == (False, 4)
    clock.advance(seconds=4)
    assert attempt() is None  # the 5th failure locks
    with pytest.raises(login.LoginLocked) as locked:
        attempt(password=TEST_PASSWORD)
    assert (locked.value.locked, locked.value.seconds) == (True, 15 * 60)
    lockout = AuditEvent.objects.get(action=login.LOCKOUT, data__kind="account")
    assert lockout.data["key"] == "alice" and lockout.data["failures"] == 5


def test_a_delay_is_short_and_a_right_password_after_it_logs_in(alice, clock):
    for _ in range(3):
        attempt()
    clock.advance(seconds=3)
    assert attempt(password=TEST_PASSWORD).user == alice
    assert login.throttle_state("alice").failures == 0


def test_attempts_during_a_delay_are_refused_without_checking_the_password(alice, clock):
    for _ in range(3):
        attempt()
    for _ in range(10):
        with pytest.raises(login.LoginLocked):
            attempt()
    assert login.throttle_state("alice").failures == 3
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 3


def test_the_username_is_counted_whatever_its_case(alice, clock, settings):
    settings.LOGIN_DELAY_SECONDS = 0
    for name in ("alice", "ALICE", "Alice", "aLiCe", "alicE"):
        attempt(username=name)
    with pytest.raises(login.LoginLocked):
        attempt(password=TEST_PASSWORD)


# --- per client: password spraying ---


def test_one_address_trying_many_usernames_is_locked_even_for_a_right_password(alice, settings):
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 20
    sprayer = from_address("203.0.113.9")
    for number in range(20):
        assert attempt(username=f"user{number}", request=sprayer) is None
    with pytest.raises(login.LoginLocked) as locked:
        attempt(password=TEST_PASSWORD, request=from_address("203.0.113.9"))
    assert locked.value.locked
    assert AuditEvent.objects.filter(action=login.LOCKOUT, data__kind="client", data__key="203.0.113.9").exists()
    # Alice herself, from her own address, is not affected.
    assert attempt(password=TEST_PASSWORD, request=from_address("198.51.100.4")).user == alice


def test_rotating_x_forwarded_for_does_not_escape_the_client_limit(alice, settings):
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 5
    settings.GRIDGOV_TRUSTED_PROXY_COUNT = 0
    for number in range(5):
        attempt(username=f"user{number}", request=from_address("203.0.113.9", forwarded=f"10.9.9.{number}"))
    with pytest.raises(login.LoginLocked):
        attempt(password=TEST_PASSWORD, request=from_address("203.0.113.9", forwarded="10.9.9.99"))


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_saw(alice, settings):
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 5
    settings.GRIDGOV_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for number in range(5):
        # The sprayer writes its own header entry on the left; the proxy appends its address.
        attempt(username=f"user{number}", request=from_address(proxy, forwarded=f"1.2.3.{number}, 203.0.113.9"))
    with pytest.raises(login.LoginLocked):
        attempt(password=TEST_PASSWORD, request=from_address(proxy, forwarded="7.7.7.7, 203.0.113.9"))
    assert attempt(password=TEST_PASSWORD, request=from_address(proxy, forwarded="198.51.100.4")).user == alice


def test_a_right_password_gives_back_only_its_own_reservation_on_the_client(alice, settings):
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 5
    sprayer = from_address("203.0.113.9")
    for number in range(4):
        attempt(username=f"user{number}", request=sprayer)
    assert attempt(password=TEST_PASSWORD, request=sprayer).user == alice
    client = LoginThrottle.objects.get(kind="client", key="203.0.113.9")
    assert client.failures == 4  # a login into one's own account does not wash a spray away


# --- every login path ---


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/login/", lambda name: {"username": name, "password": WRONG}),
        ("/admin/login/", lambda name: {"username": name, "password": WRONG}),
        ("/api/v1/auth/token", lambda name: {"username": name, "password": WRONG}),
    ],
)
def test_every_login_path_has_the_client_limit(client, alice, settings, url, body):
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 3
    for number in range(3):
        if url.startswith("/api/"):
            client.post(url, body(f"user{number}"), content_type="application/json")
        else:
            client.post(url, body(f"user{number}"))
    if url.startswith("/api/"):
        response = client.post(url, {"username": "alice", "password": TEST_PASSWORD}, content_type="application/json")
        assert response.status_code == 429
    else:
        response = client.post(url, {"username": "alice", "password": TEST_PASSWORD})
        assert response.status_code == 200  # the form again, with the lock message
        assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=login.LOCKOUT, data__kind="client").count() == 1


# --- a locked user still gets in with a second factor ---


def lock(username: str = "alice") -> None:
    row = LoginThrottle.objects.filter(kind="account", key=username).first()
    for _ in range(10):
        try:
            attempt(username=username)
        except login.LoginLocked:
            row = LoginThrottle.objects.get(kind="account", key=username)
            if row.locked:
                return
            LoginThrottle.objects.filter(pk=row.pk).update(blocked_until=None)
    assert row is not None and row.locked


def test_a_locked_user_gets_in_with_the_password_and_a_code(alice):
    device, _codes = enrol(alice)
    lock()
    outcome = attempt(password=TEST_PASSWORD, otp=next_code(device))
    assert outcome.user == alice and outcome.second_factor
    assert not login.throttle_state("alice").locked
    event = AuditEvent.objects.filter(action="auth.login").last()
    assert event.data["second_factor"] == "unlock"


def test_a_locked_user_gets_in_with_a_recovery_code(alice):
    _device, codes = enrol(alice)
    lock()
    assert attempt(password=TEST_PASSWORD, otp=codes[0]).second_factor
    lock()
    with pytest.raises(login.LoginLocked):
        attempt(password=TEST_PASSWORD, otp=codes[0])  # spent


def test_while_locked_a_wrong_code_or_a_wrong_password_is_the_same_refusal(alice):
    device, _codes = enrol(alice)
    lock()
    with pytest.raises(login.LoginLocked):
        attempt(password=TEST_PASSWORD, otp="000000")
    with pytest.raises(login.LoginLocked):
        attempt(password=WRONG, otp=next_code(device))
    assert login.throttle_state("alice").locked


def test_without_a_second_factor_the_lock_holds(alice):
    lock()
    with pytest.raises(login.LoginLocked):
        attempt(password=TEST_PASSWORD, otp="123456")


def test_the_web_login_offers_the_code_field_once_locked_and_lets_the_user_in(client, alice):
    device, _codes = enrol(alice)
    lock()
    response = client.post("/login/", {"username": "alice", "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert b'name="otp"' in response.content
    response = client.post("/login/", {"username": "alice", "password": TEST_PASSWORD, "otp": next_code(device)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_the_login_page_does_not_show_the_code_field_before_a_lock(client, db):
    assert b'name="otp"' not in client.get("/login/").content


def test_the_token_endpoint_lets_a_locked_user_in_with_otp(client, alice):
    device, _codes = enrol(alice)
    lock()
    body = {"username": "alice", "password": TEST_PASSWORD}
    assert client.post("/api/v1/auth/token", body, content_type="application/json").status_code == 429
    response = client.post("/api/v1/auth/token", {**body, "otp": next_code(device)}, content_type="application/json")
    assert response.status_code == 201


# --- an administrator unlocks ---


@pytest.fixture
def security_admin(world):
    user = services.user_create(actor=None, username="sec", password=TEST_PASSWORD, full_name="Sec")
    services.role_assign(actor=None, user=user, role="security_admin")
    return user


def test_the_security_administrator_unlocks_an_account_from_the_admin(client, alice, security_admin):
    lock()
    client.force_login(security_admin)
    throttle = login.throttle_state("alice")
    response = client.post("/admin/people/loginthrottle/", {"action": "unlock", "_selected_action": [throttle.pk]})
    assert response.status_code == 302
    assert not login.throttle_state("alice").locked
    assert attempt(password=TEST_PASSWORD).user == alice
    event = AuditEvent.objects.get(action=login.UNLOCK)
    assert event.actor == security_admin and event.data["key"] == "alice"


def test_the_user_admin_has_an_unlock_action(client, alice, security_admin):
    lock()
    client.force_login(security_admin)
    response = client.post("/admin/auth/user/", {"action": "unlock_accounts", "_selected_action": [alice.pk]})
    assert response.status_code == 302
    assert not login.throttle_state("alice").locked


def test_a_system_administrator_cannot_unlock(client, alice, world):
    sysadmin = services.user_create(actor=None, username="sys", password=TEST_PASSWORD, full_name="Sys")
    services.role_assign(actor=None, user=sysadmin, role="system_admin")
    lock()
    client.force_login(sysadmin)
    throttle = login.throttle_state("alice")
    client.post("/admin/people/loginthrottle/", {"action": "unlock", "_selected_action": [throttle.pk]})
    assert login.throttle_state("alice").locked


def test_stale_throttle_rows_are_purged(alice, clock):
    attempt()
    clock.advance(days=2)
    assert login.throttles_purge() == 2  # the account and the client address
    assert not LoginThrottle.objects.filter(kind="account").exists()
