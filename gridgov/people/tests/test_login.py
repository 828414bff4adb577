"""Login with lockout, through the service and the login form."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from gridgov.core.models import AuditEvent
from gridgov.people import services
from gridgov.people.forms import AdminLoginForm, LoginForm
from gridgov.people.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_progressive_delay(settings):
    """These tests pin the lock itself (five failures in a row); the delays that come before
    it since the lock became progressive are tested in test_lockout.py."""
    settings.LOGIN_DELAY_SECONDS = 0


@pytest.fixture
def alice():
    return services.user_create(actor=None, username="alice", password=TEST_PASSWORD, full_name="Alice")


def fail(times: int, username: str = "alice") -> None:
    for _ in range(times):
        assert services.login_attempt(username=username, password="wrong-password") is None


def test_a_good_password_logs_in_and_is_audited_with_channel_and_ip(alice):
    request = RequestFactory().post("/login/", REMOTE_ADDR="10.1.2.3")
    assert services.login_attempt(username="alice", password=TEST_PASSWORD, request=request, channel="api") == alice
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == alice
    assert event.ip_address == "10.1.2.3"
    assert event.data == {"username": "alice", "channel": "api"}


def test_a_wrong_password_is_audited_as_a_failure(alice):
    fail(1)
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert not event.success
    assert event.data["username"] == "alice"


def test_five_failures_lock_the_account_even_for_the_right_password(alice, clock):
    fail(4)
    assert services.login_attempt(username="alice", password=TEST_PASSWORD) == alice  # a success resets the count
    fail(5)
    with pytest.raises(services.LoginLocked) as locked:
        services.login_attempt(username="alice", password=TEST_PASSWORD)
    assert locked.value.seconds == 15 * 60
    assert locked.value.minutes == 15
    assert AuditEvent.objects.filter(action="auth.login_locked").count() == 1


def test_the_lock_ends_after_the_lockout_period(alice, clock):
    fail(5)
    clock.advance(minutes=14)
    with pytest.raises(services.LoginLocked) as locked:
        services.login_attempt(username="alice", password=TEST_PASSWORD)
    assert locked.value.seconds == 60
    clock.advance(minutes=1, seconds=1)
    assert services.login_attempt(username="alice", password=TEST_PASSWORD) == alice


def test_attempts_while_locked_do_not_extend_the_lock(alice, clock):
    fail(5)
    for _ in range(10):
        clock.advance(minutes=1)
        with pytest.raises(services.LoginLocked):
            services.login_attempt(username="alice", password="wrong-password")
    clock.advance(minutes=5, seconds=1)
    assert services.login_attempt(username="alice", password=TEST_PASSWORD) == alice


def test_failures_spread_over_more_than_the_period_do_not_lock(alice, clock):
    for _ in range(6):
        fail(1)
        clock.advance(minutes=4)
    assert services.login_attempt(username="alice", password=TEST_PASSWORD) == alice


def test_after_a_lock_expires_a_new_run_of_failures_locks_again(alice, clock):
    fail(5)
    clock.advance(minutes=16)
    fail(4)
    assert services.login_attempt(username="alice", password=TEST_PASSWORD) == alice
    fail(5)
    with pytest.raises(services.LoginLocked):
        services.login_attempt(username="alice", password=TEST_PASSWORD)


def test_the_limit_and_period_come_from_settings(alice, settings, clock):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_LOCKOUT_SECONDS = 60
    fail(2)
    with pytest.raises(services.LoginLocked) as locked:
        services.login_attempt(username="alice", password=TEST_PASSWORD)
    assert locked.value.seconds == 60


def test_unknown_usernames_are_locked_too_so_locks_do_not_reveal_accounts(db):
    fail(5, username="ghost")
    with pytest.raises(services.LoginLocked):
        services.login_attempt(username="ghost", password="anything-at-all")


def test_an_inactive_account_with_the_right_password_is_refused_as_inactive(alice):
    services.user_update(actor=None, user=alice, is_active=False)
    with pytest.raises(services.LoginInactive):
        services.login_attempt(username="alice", password=TEST_PASSWORD)
    assert services.login_attempt(username="alice", password="wrong-password") is None


# --- the form ---


def form(data: dict[str, str], form_class: type = LoginForm) -> LoginForm:
    request = RequestFactory().post("/login/")
    return form_class(request, data=data)


def test_the_login_form_accepts_good_credentials(alice):
    login = form({"username": "alice", "password": TEST_PASSWORD})
    assert login.is_valid()
    assert login.get_user() == alice


def test_the_login_form_says_wrong_credentials(alice):
    login = form({"username": "alice", "password": "nope"})
    assert not login.is_valid()
    assert login.non_field_errors().as_data()[0].code == "invalid_login"


def test_the_login_form_says_for_how_many_minutes_the_account_is_locked(alice, clock, settings):
    settings.LANGUAGE_CODE = "en"
    fail(5)
    clock.advance(minutes=3)
    login = form({"username": "alice", "password": TEST_PASSWORD})
    assert not login.is_valid()
    error = login.non_field_errors().as_data()[0]
    assert error.code == "locked"
    assert "12" in str(error.message)


def test_the_login_form_says_the_account_is_disabled(alice):
    services.user_update(actor=None, user=alice, is_active=False)
    login = form({"username": "alice", "password": TEST_PASSWORD})
    assert not login.is_valid()
    assert login.non_field_errors().as_data()[0].code == "inactive"


def test_the_admin_login_form_refuses_non_staff(alice):
    assert not form({"username": "alice", "password": TEST_PASSWORD}, AdminLoginForm).is_valid()
    services.user_update(actor=None, user=alice, is_staff=True)
    assert form({"username": "alice", "password": TEST_PASSWORD}, AdminLoginForm).is_valid()
    assert AuditEvent.objects.filter(action="auth.login", data__channel="admin").count() == 2
