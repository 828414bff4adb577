"""The outbox: messages are queued with the order's change, delivered after commit over a
signed webhook, retried with backoff while upstream is down, and never lost."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from gridgov.core.models import AuditEvent
from gridgov.demo.upstream import history_settle
from gridgov.notify.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER
from gridgov.upstream import adapters, conf, services, tasks
from gridgov.upstream.models import MessageState, UpstreamMessage
from gridgov.upstream.simulator import HotlineSimulator

from .conftest import SECRET, point_upstream_at

pytestmark = pytest.mark.django_db


def queue(order: Any, actor: Any = None, kind: str = "reply", **payload: Any) -> UpstreamMessage:
    return services.enqueue(
        source_system=order.source_system,
        kind=kind,
        order_id=order.pk,
        upstream_number=order.upstream_number,
        payload=payload or {"text": "经核实，已协调供水公司于当日恢复供水。", "unit": "太平镇综治中心"},
        actor=actor,
    )


def make_due(message: UpstreamMessage, clock: Any) -> None:
    assert message.next_attempt_at is not None
    clock.now = message.next_attempt_at + timedelta(seconds=1)


def test_a_queued_message_waits_for_the_commit_and_is_then_delivered(
    order, people, simulator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = queue(order, people["center01"])
    assert message.state == MessageState.PENDING
    assert simulator.messages() == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    message.refresh_from_db()
    assert message.state == MessageState.DELIVERED
    assert message.attempts == 1
    assert message.last_status_code == 200
    assert message.delivered_at is not None
    (received,) = simulator.messages()
    assert received.message_id == message.pk
    assert received.kind == "reply"
    assert received.upstream_number == order.upstream_number
    assert received.order_id == order.pk
    assert received.payload["text"].startswith("经核实")


def test_history_settled_before_the_commit_is_not_handed_to_the_worker(
    order, people, simulator, django_capture_on_commit_callbacks, monkeypatch
):
    handed: list[int] = []
    monkeypatch.setattr(tasks.deliver, "delay", handed.append)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = queue(order, people["center01"])
        settled = history_settle(order_ids=[order.pk], sent_at=[], now=message.created_at)
    assert settled == 1
    for callback in callbacks:
        callback()
    assert handed == []  # delivered long ago: not queued for the worker (a demo load made hundreds)
    assert simulator.messages() == []
    message.refresh_from_db()
    assert message.state == MessageState.DELIVERED and message.attempts == 1


def test_the_payload_never_carries_the_petitioner(order, people):
    message = queue(order, kind="acknowledge", at="2026-11-28T10:00:00+08:00", petitioner_phone="13812345678")
    assert message.payload == {"at": "2026-11-28T10:00:00+08:00"}


def test_unknown_kinds_are_refused(order):
    with pytest.raises(ValueError):
        queue(order, kind="gossip")


def test_while_upstream_is_down_the_message_is_retried_with_growing_waits_then_delivered(
    order, people, settings, clock
):
    down = HotlineSimulator(secrets=SECRET, port=0, close_after=None)
    port = int(down.url.rsplit(":", 1)[1].strip("/"))
    down.stop()  # nobody listens on this port now: connections are refused
    point_upstream_at(settings, f"http://127.0.0.1:{port}/")
    message = queue(order)
    waits = []
    for attempt in range(1, 5):
        assert services.deliver(message_id=message.pk) == "retry"
        message.refresh_from_db()
        assert message.state == MessageState.PENDING
        assert message.attempts == attempt
        assert "Connection refused" in message.last_error or "Errno" in message.last_error
        waits.append(message.next_attempt_at - clock.now)
        # Not due before its time.
        assert services.deliver(message_id=message.pk) == "not_due"
        make_due(message, clock)
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]

    with HotlineSimulator(secrets=SECRET, port=port, close_after=None) as up:
        assert tasks.deliver_due() == 1
        message.refresh_from_db()
        assert message.state == MessageState.DELIVERED
        assert message.attempts == 5
        assert message.last_error == ""
        assert [m.message_id for m in up.messages()] == [message.pk]


def test_backoff_doubles_up_to_an_hour():
    assert [conf.backoff(n) for n in (1, 2, 3, 6, 7, 8, 20)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 32, 60, 60, 60)
    ]


def test_an_error_answer_is_retried_with_its_status_and_after_the_last_attempt_the_message_fails(
    order, people, simulator, settings, clock
):
    settings.GRIDGOV_UPSTREAM_MAX_ATTEMPTS = 3
    simulator.fail_with = 503
    message = queue(order)
    outcomes = []
    for _ in range(3):
        outcomes.append(services.deliver(message_id=message.pk))
        message.refresh_from_db()
        if message.next_attempt_at:
            make_due(message, clock)
    assert outcomes == ["retry", "retry", "failed"]
    assert message.state == MessageState.FAILED
    assert message.last_status_code == 503
    assert "HTTP 503" in message.last_error
    assert message.next_attempt_at is None
    # A failed message is no longer attempted by the beat task...
    clock.advance(hours=5)
    assert tasks.deliver_due() == 0
    # ...until a person retries it.
    simulator.fail_with = None
    services.retry(message_id=message.pk, actor=people["center01"])
    message.refresh_from_db()
    assert message.state == MessageState.PENDING
    assert message.attempts == 0
    assert AuditEvent.objects.filter(action=services.RETRIED, object_id=str(message.pk)).count() == 1
    assert services.deliver(message_id=message.pk) == "delivered"
    assert [m.message_id for m in simulator.messages()] == [message.pk]


def test_a_retry_by_hand_is_sent_after_the_commit(order, people, simulator, django_capture_on_commit_callbacks):
    simulator.fail_with = 500
    message = queue(order)
    services.deliver(message_id=message.pk)
    simulator.fail_with = None
    with django_capture_on_commit_callbacks(execute=True):
        services.retry(message_id=message.pk, actor=people["center01"])
    message.refresh_from_db()
    assert message.state == MessageState.DELIVERED


@pytest.mark.parametrize("username", ["dept01", "grid01", "leader01", "super01", "upstream01"])
def test_only_the_center_and_administrators_may_retry(order, people, username):
    message = queue(order)
    with pytest.raises(services.MessageForbidden):
        services.retry(message_id=message.pk, actor=people[username])


def test_a_delivered_message_cannot_be_retried(order, people, simulator):
    message = queue(order)
    services.deliver(message_id=message.pk)
    with pytest.raises(services.MessageConflict):
        services.retry(message_id=message.pk, actor=people["admin"])


def test_the_simulator_refuses_a_wrong_signature_and_the_message_stays_pending(order, simulator, settings):
    point_upstream_at(settings, simulator.url, secret="not-the-simulators-key")
    message = queue(order)
    assert services.deliver(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert message.last_status_code == 401
    assert "signature does not match" in message.last_error
    assert simulator.messages() == []
    assert simulator.refused[0]["reason"] == "signature does not match"


def test_the_signature_covers_timestamp_and_body(order, simulator):
    message = queue(order)
    body = json.dumps(adapters.webhook_body(message), ensure_ascii=False).encode()
    headers = adapters.signed_headers(SECRET, body)
    assert simulator.verify(headers, body)[0] is True
    assert simulator.verify(headers, body.replace("供水".encode(), "停电".encode()))[0] is False
    stale = adapters.signed_headers(SECRET, body, timestamp="1000000000")
    assert simulator.verify(stale, body) == (False, "timestamp missing or too far off", json.loads(body))
    assert set(headers) == {TIMESTAMP_HEADER, SIGNATURE_HEADER}


def test_without_an_address_the_message_waits_with_the_reason(order, settings):
    point_upstream_at(settings, "")
    message = queue(order)
    assert services.deliver(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert "no http(s) URL configured" in message.last_error


def test_a_message_being_sent_is_not_sent_by_a_second_worker_until_its_lease_ends(order, simulator, clock):
    message = queue(order)
    claimed = services.OUTBOX.claim(message.pk)
    assert claimed is not None and claimed.state == MessageState.SENDING
    assert services.deliver(message_id=message.pk) == "not_due"
    assert services.due_message_ids() == []
    clock.advance(minutes=3)  # the first worker died mid-send
    assert services.due_message_ids() == [message.pk]
    assert services.deliver(message_id=message.pk) == "delivered"
    message.refresh_from_db()
    assert message.attempts == 2


def test_a_message_delivered_twice_is_kept_once_by_upstream(order, simulator):
    message = queue(order)
    body = adapters.webhook_body(message)
    simulator.accept(body)
    simulator.accept(body)
    (received,) = simulator.messages()
    assert received.deliveries == 2


def test_deliver_due_sends_only_what_is_due(order, simulator, clock):
    first = queue(order)
    second = queue(order, kind="acknowledge", at="2026-11-28T10:00:00+08:00")
    UpstreamMessage.objects.filter(pk=second.pk).update(next_attempt_at=clock.now + timedelta(minutes=5))
    assert tasks.deliver_due() == 1
    assert UpstreamMessage.objects.get(pk=first.pk).state == MessageState.DELIVERED
    assert UpstreamMessage.objects.get(pk=second.pk).state == MessageState.PENDING
