"""Sending on the SMS and webhook channels against a loopback server: success, skip,
retry with backoff, final failure, the signature, and the beat sweep."""

from __future__ import annotations

import hashlib
import hmac
import socket
from datetime import timedelta

import pytest

from gridgov.core.models import AuditEvent
from gridgov.notify import services
from gridgov.notify.channels import sms_text
from gridgov.notify.models import Delivery, DeliveryStatus
from gridgov.notify.tasks import deliver, deliver_due

from .conftest import SECRET, SMS_TOKEN

pytestmark = pytest.mark.django_db


def queue(user, channel: str, settings, **kwargs) -> Delivery:
    """One notification to ``user`` on ``channel`` only, left pending (not yet sent)."""
    settings.GRIDGOV_NOTIFY_CHANNELS = [channel]
    defaults = {"kind": "case.assigned", "title": "新案件已派遣至本部门", "url": "/cases/7/"}
    (notification,) = services.notify(recipients=[user], **{**defaults, **kwargs})
    return Delivery.objects.get(notification=notification)


def test_sms_posts_phone_and_text_with_the_bearer_token(people, channels_on, settings):
    delivery = queue(people["alice"], "sms", settings)
    assert deliver(delivery.pk) == "sent"
    (hit,) = channels_on.hits
    assert hit.path == "/sms"
    assert hit.headers["Authorization"] == f"Bearer {SMS_TOKEN}"
    assert hit.json == {"phone": "13811112222", "text": "新案件已派遣至本部门 /cases/7/"}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.SENT, 1, None)
    assert delivery.sent_at is not None


def test_sms_text_fits_in_70_characters():
    text = sms_text("超" * 100, "/cases/123/")
    assert len(text) == 70
    assert text.endswith("… /cases/123/")
    assert sms_text("短标题", "/x/" + "y" * 60) == "短标题"  # a long link is dropped, not cut
    assert len(sms_text("长" * 100)) == 70


def test_a_recipient_without_a_phone_is_skipped_with_the_reason(people, channels_on, settings):
    delivery = queue(people["bob"], "sms", settings)
    assert deliver(delivery.pk) == "skipped"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SKIPPED
    assert "phone" in delivery.last_error
    assert channels_on.hits == []


def test_the_webhook_payload_carries_a_verifiable_signature(people, channels_on, settings):
    delivery = queue(people["alice"], "webhook", settings, body="请于今日内处理", url="/cases/7/")
    assert deliver(delivery.pk) == "sent"
    (hit,) = channels_on.hits
    timestamp = hit.headers["X-GridGov-Timestamp"]
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + hit.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hit.headers["X-GridGov-Signature"], f"sha256={expected}")
    payload = hit.json
    assert payload["kind"] == "case.assigned"
    assert payload["title"] == "新案件已派遣至本部门"
    assert payload["body"] == "请于今日内处理"
    assert payload["url"] == "/cases/7/"
    assert payload["recipient"] == "alice"
    assert payload["object"] is None
    assert payload["id"] == delivery.notification_id
    assert payload["created_at"].startswith(str(delivery.notification.created_at.date()))


def test_a_webhook_signed_with_another_secret_does_not_verify(people, channels_on, settings):
    settings.GRIDGOV_WEBHOOK_SECRET = "another-secret"
    deliver(queue(people["alice"], "webhook", settings).pk)
    (hit,) = channels_on.hits
    timestamp = hit.headers["X-GridGov-Timestamp"]
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + hit.body, hashlib.sha256).hexdigest()
    assert hit.headers["X-GridGov-Signature"] != f"sha256={expected}"


@pytest.mark.parametrize("channel", ["sms", "webhook"])
def test_a_server_error_is_retried_after_a_minute(people, channels_on, settings, clock, channel):
    channels_on.status = 500
    delivery = queue(people["alice"], channel, settings)
    assert deliver(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.next_attempt_at == clock.now + timedelta(minutes=1)
    assert "HTTP 500" in delivery.last_error
    # Not due yet: neither the task nor the sweep tries again.
    assert deliver(delivery.pk) == "not_due"
    assert deliver_due() == 0
    assert len(channels_on.hits) == 1
    # Once due, the sweep sends it.
    channels_on.status = 200
    clock.advance(minutes=1)
    assert deliver_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 2, "")


@pytest.mark.parametrize("channel", ["sms", "webhook"])
def test_backoff_doubles_up_to_an_hour_and_fails_after_the_last_attempt(people, channels_on, settings, clock, channel):
    channels_on.status = 500
    delivery = queue(people["alice"], channel, settings)
    waits = []
    deliver(delivery.pk)
    for _ in range(7):
        delivery.refresh_from_db()
        waits.append((delivery.next_attempt_at - clock.now) / timedelta(minutes=1))
        clock.now = delivery.next_attempt_at
        assert deliver_due() == 1
    assert waits == [1, 2, 4, 8, 16, 32, 60]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 8, None)
    assert len(channels_on.hits) == 8
    clock.advance(days=1)
    assert deliver_due() == 0


def test_max_attempts_comes_from_the_setting(people, channels_on, settings):
    settings.GRIDGOV_NOTIFY_MAX_ATTEMPTS = 1
    channels_on.status = 503
    delivery = queue(people["alice"], "sms", settings)
    assert deliver(delivery.pk) == "failed"


def test_an_unreachable_server_is_retried(people, channels_on, settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.GRIDGOV_SMS_URL = f"http://127.0.0.1:{port}/sms"
    delivery = queue(people["alice"], "sms", settings)
    assert deliver(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.last_error


def test_a_missing_webhook_secret_is_retried_not_sent_unsigned(people, channels_on, settings):
    settings.GRIDGOV_WEBHOOK_SECRET = ""
    delivery = queue(people["alice"], "webhook", settings)
    assert deliver(delivery.pk) == "retry"
    assert channels_on.hits == []


def test_a_delivery_being_sent_is_not_picked_up_again(people, channels_on, settings, clock):
    delivery = queue(people["alice"], "sms", settings)
    assert services.OUTBOX.claim(delivery.pk)  # another worker holds it
    assert deliver_due() == 0
    assert deliver(delivery.pk) == "not_due"
    # A worker that died mid-send: after the lease the sweep tries again.
    clock.advance(minutes=3)
    assert deliver_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)


def test_the_sweep_sends_deliveries_whose_message_was_lost(people, channels_on, settings):
    queue(people["alice"], "sms", settings)
    queue(people["carol"], "sms", settings)
    assert deliver_due() == 2
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 2
    assert deliver_due() == 0


def test_retry_gives_failed_deliveries_a_fresh_round(people, channels_on, settings, django_capture_on_commit_callbacks):
    settings.GRIDGOV_NOTIFY_MAX_ATTEMPTS = 1
    channels_on.status = 500
    failed = queue(people["alice"], "sms", settings)
    deliver(failed.pk)
    sent = queue(people["carol"], "sms", settings)
    channels_on.status = 200
    deliver(sent.pk)
    with django_capture_on_commit_callbacks(execute=True):
        count = services.delivery_retry(actor=people["carol"], deliveries=Delivery.objects.all())
    assert count == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.SENT, 1)
    event = AuditEvent.objects.get(action="notify.delivery_retried")
    assert event.data == {"deliveries": [failed.pk]}
