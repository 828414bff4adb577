"""/healthz and the admin status page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin
from django.utils import timezone

from config.celery import _stamp_heartbeat
from gridgov.core import health, services, tasks
from gridgov.core.models import Heartbeat
from gridgov.people.tests.factories import RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    """A client signed in as a staff member: /healthz gives its details only to staff."""
    client.force_login(UserFactory(username="ops", is_staff=True))
    return client


def beat_and_worker_seen(seconds_ago: float) -> None:
    when = timezone.now() - timedelta(seconds=seconds_ago)
    for component in ("beat", "worker"):
        services.heartbeat_record(component=component, seen_at=when, sent_at=when)


def test_healthz_is_degraded_but_up_before_any_heartbeat(staff):
    response = staff.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    assert body["worker"] == {"ok": False, "last_seen": None, "age_seconds": None}


def test_healthz_is_ok_with_fresh_heartbeats(staff):
    beat_and_worker_seen(5)
    body = staff.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["beat"]["ok"] and body["worker"]["ok"]


def test_a_stale_worker_makes_healthz_degraded_and_strict_mode_fail(staff, settings):
    beat_and_worker_seen(settings.HEARTBEAT_SECONDS * health.HEARTBEAT_STALE_FACTOR + 1)
    assert staff.get("/healthz").json()["status"] == "degraded"
    assert staff.get("/healthz?strict=1").status_code == 503


def test_without_login_healthz_says_only_ok_or_fail(client, settings):
    beat_and_worker_seen(settings.HEARTBEAT_SECONDS * health.HEARTBEAT_STALE_FACTOR + 1)
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/healthz?strict=1").json() == {"status": "fail"}


def test_a_failing_database_answers_503(client, monkeypatch):
    monkeypatch.setattr(
        health, "check_database", lambda: health.DatabaseHealth(ok=False, vendor="x", latency_ms=None, error="E")
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "fail"


def test_the_heartbeat_task_records_the_worker():
    sent = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    tasks.heartbeat.delay(sent_at=sent.isoformat())
    row = Heartbeat.objects.get(component="worker")
    assert row.sent_at == sent


def test_publishing_the_heartbeat_records_beat_and_stamps_the_task():
    kwargs: dict[str, str] = {}
    _stamp_heartbeat(sender=tasks.HEARTBEAT_TASK, body=((), kwargs, {}))
    assert "sent_at" in kwargs
    assert Heartbeat.objects.filter(component="beat").exists()


def test_publishing_other_tasks_leaves_heartbeats_alone():
    _stamp_heartbeat(sender="gridgov.core.tasks.ping", body=((), {}, {}))
    assert not Heartbeat.objects.exists()


def test_the_status_page_shows_health_to_administrators(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    beat_and_worker_seen(1)
    client.force_login(root)
    response = client.get("/admin/status/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "filesystem://" in page or "memory://" in page
    assert str(admin.site.site_header) in page  # the admin's own header and navigation


def test_the_status_page_is_hidden_from_staff_without_the_admin_role(client):
    clerk = UserFactory(username="clerk", is_staff=True)
    client.force_login(clerk)
    assert client.get("/admin/status/").status_code == 404


def test_the_status_page_accepts_the_admin_role(client):
    assignment = RoleAssignmentFactory(role="admin", user__is_staff=True)
    client.force_login(assignment.user)
    assert client.get("/admin/status/").status_code == 200


def test_the_status_page_sends_anonymous_visitors_to_log_in(client):
    response = client.get("/admin/status/")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:secret@redis.internal:6379/0", "redis://:***@redis.internal:6379/0"),
        ("redis://user:secret@h:1/0", "redis://user:***@h:1/0"),
        ("filesystem://", "filesystem://"),
    ],
)
def test_broker_urls_are_shown_without_passwords(url, shown):
    from gridgov.core.views import masked_url

    assert masked_url(url) == shown
