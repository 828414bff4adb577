"""The one outbox (``gridgov.core.outbox``) on a table of its own: claims are exclusive, a lease
that runs out makes the row due again, failures back off 1, 2, 4 … 60 minutes and give up after
the last attempt, and a drain stops at its batch size and time budget. Runs on SQLite and on
PostgreSQL (``DATABASE_URL``); the test with two connections at once needs row locks, so it runs
on PostgreSQL only."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from django.db import connection, models, transaction
from django.utils import timezone

from gridgov.core.outbox import NOT_DUE, RETRY, Backoff, Outbox


class Message(models.Model):
    """A stand-in outbox row (its table exists only while this module runs)."""

    status = models.CharField(max_length=10, default="pending")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, default=timezone.now)
    last_error = models.TextField(blank=True)
    last_code = models.IntegerField(null=True)
    sent_at = models.DateTimeField(null=True)
    last_attempt_at = models.DateTimeField(null=True)

    objects: ClassVar[models.Manager[Message]] = models.Manager()

    class Meta:
        app_label = "core_outbox_tests"

    def __str__(self) -> str:
        return f"message {self.pk}"


class Unreachable(Exception):
    """The receiver cannot be reached (retried)."""

    def __init__(self, message: str = "connection refused", code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class Gone(Exception):
    """The recipient does not exist on this channel (settled at once, not retried)."""


@dataclass
class Receiver:
    """The far end: answers each send with the next of ``answers`` (an exception is raised),
    else accepts."""

    answers: list[Exception] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)

    def __call__(self, row: Message) -> Mapping[str, Any]:
        self.sent.append(row.pk)
        if self.answers:
            raise self.answers.pop(0)
        return {"last_code": 200}


@dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@pytest.fixture(scope="module")
def table(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            editor.create_model(Message)
        yield
        with connection.schema_editor() as editor:
            editor.delete_model(Message)


@pytest.fixture
def rows(table: None, db: Any) -> None:
    """The table, empty, in the test's transaction."""


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moving = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", moving)
    return moving


def outbox(receiver: Receiver, **options: Any) -> Outbox[Message]:
    settings: dict[str, Any] = {
        "model": Message,
        "pending": "pending",
        "done": "sent",
        "failed": "failed",
        "send": receiver,
        "max_attempts": lambda: 4,
        "done_at_field": "sent_at",
        "expected_errors": (Unreachable,),
        "final_errors": {Gone: "skipped"},
        "error_fields": lambda error: {"last_code": getattr(error, "code", None)},
        "noun": "message",
    }
    return Outbox(**{**settings, **options})


def make(count: int = 1, **values: Any) -> list[Message]:
    values.setdefault("next_attempt_at", timezone.now())  # the test's clock, when it has one
    return [Message.objects.create(**values) for _ in range(count)]


# --- the backoff ----------------------------------------------------------------------------


def test_the_backoff_doubles_from_a_minute_up_to_an_hour() -> None:
    waits = [Backoff()(n) / dt.timedelta(minutes=1) for n in (0, 1, 2, 3, 4, 5, 6, 7, 8, 50, 10**6)]
    assert waits == [1, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60]


def test_the_backoff_takes_its_first_wait_and_cap() -> None:
    policy = Backoff(first=dt.timedelta(seconds=30), cap=dt.timedelta(minutes=5))
    assert [policy(n) / dt.timedelta(seconds=1) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]


# --- claiming -------------------------------------------------------------------------------


def test_a_claim_counts_the_attempt_and_leases_the_row(rows: None, clock: Clock) -> None:
    (row,) = make()
    box = outbox(Receiver(), attempted_at_field="last_attempt_at")
    claimed = box.claim(row.pk)
    assert claimed is not None
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == clock.now + dt.timedelta(minutes=2)
    assert row.last_attempt_at == clock.now


def test_a_claimed_row_is_not_claimed_again_while_its_lease_runs(rows: None, clock: Clock) -> None:
    (row,) = make()
    receiver = Receiver()
    box = outbox(receiver)
    assert box.claim(row.pk) is not None
    assert box.claim(row.pk) is None
    assert box.due_ids() == []
    assert box.attempt(row.pk) == NOT_DUE
    clock.advance(minutes=1, seconds=59)
    assert box.attempt(row.pk) == NOT_DUE
    assert receiver.sent == []


def test_a_lease_that_runs_out_makes_the_row_due_again(rows: None, clock: Clock) -> None:
    (row,) = make()
    receiver = Receiver()
    box = outbox(receiver, sending="sending", lease=dt.timedelta(minutes=5))
    assert box.claim(row.pk) is not None  # a worker that dies mid-send
    row.refresh_from_db()
    assert row.status == "sending"
    clock.advance(minutes=5)
    assert box.due_ids() == [row.pk]
    assert box.attempt(row.pk) == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at, row.sent_at) == ("sent", 2, None, clock.now)
    assert receiver.sent == [row.pk]


def test_the_late_outcome_of_an_attempt_whose_lease_ran_out_is_not_written(rows: None, clock: Clock) -> None:
    (row,) = make()
    box = outbox(Receiver())
    first = box.claim(row.pk)
    assert first is not None
    clock.advance(minutes=3)
    assert box.attempt(row.pk) == "sent"  # a second worker took over and succeeded
    box._failure(first, Unreachable())  # the first one's answer comes in late
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")


@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_another_worker_is_skipped_not_waited_for(table: None) -> None:
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SQLite has no row locks; its writers are serialized")
    Message.objects.all().delete()
    (row,) = make()
    box = outbox(Receiver())
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                Message.objects.select_for_update().get(pk=row.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert locked.wait(10)
        assert box.due_ids() == []
        assert box.claim(row.pk) is None
    finally:
        release.set()
        worker.join()
    assert box.claim(row.pk) is not None
    Message.objects.all().delete()


# --- outcomes -------------------------------------------------------------------------------


def test_a_success_writes_the_senders_fields(rows: None, clock: Clock) -> None:
    (row,) = make()
    assert outbox(Receiver()).attempt(row.pk) == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_code, row.sent_at, row.next_attempt_at) == (
        "sent",
        1,
        200,
        clock.now,
        None,
    )


def test_failures_back_off_then_give_up_after_the_last_attempt_once(rows: None, clock: Clock) -> None:
    (row,) = make()
    receiver = Receiver([Unreachable(code=503) for _ in range(5)])
    given_up: list[int] = []
    box = outbox(receiver, on_give_up=lambda message: given_up.append(message.pk))
    outcomes, waits = [], []
    for _ in range(4):
        outcomes.append(box.attempt(row.pk))
        row.refresh_from_db()
        if row.next_attempt_at is not None:
            waits.append((row.next_attempt_at - clock.now) / dt.timedelta(minutes=1))
            assert box.attempt(row.pk) == NOT_DUE  # not before its time
            clock.now = row.next_attempt_at
    assert outcomes == [RETRY, RETRY, RETRY, "failed"]
    assert waits == [1, 2, 4]
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 4, None)
    assert (row.last_error, row.last_code) == ("connection refused", 503)
    assert given_up == [row.pk]
    clock.advance(days=1)
    assert box.attempt(row.pk) == NOT_DUE
    assert box.drain() == 0
    assert given_up == [row.pk]


def test_max_attempts_is_read_at_each_attempt(rows: None, clock: Clock) -> None:
    (row,) = make()
    limit = [5]
    box = outbox(Receiver([Unreachable(), Unreachable()]), max_attempts=lambda: limit[0])
    assert box.attempt(row.pk) == RETRY
    limit[0] = 2
    clock.advance(minutes=1)
    assert box.attempt(row.pk) == "failed"


def test_a_final_error_settles_the_row_without_a_retry(rows: None, clock: Clock) -> None:
    (row,) = make()
    assert outbox(Receiver([Gone("no phone number")])).attempt(row.pk) == "skipped"
    row.refresh_from_db()
    assert (row.status, row.last_error, row.next_attempt_at) == ("skipped", "no phone number", None)


def test_an_unexpected_error_is_retried_and_logged_with_its_traceback(
    rows: None, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    (row,) = make()
    assert outbox(Receiver([ZeroDivisionError()])).attempt(row.pk) == RETRY
    row.refresh_from_db()
    assert row.last_error == "ZeroDivisionError"
    assert any(record.exc_info for record in caplog.records)


def test_a_claim_hook_may_settle_the_row_itself(rows: None, clock: Clock) -> None:
    (row,) = make()
    receiver = Receiver()

    def park(message: Message, now: dt.datetime) -> bool:
        message.status, message.next_attempt_at = "parked", None
        message.save(update_fields=["status", "next_attempt_at"])
        return True

    assert outbox(receiver, on_claim=park).attempt(row.pk) == "parked"
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("parked", 0)
    assert receiver.sent == []


def test_an_expected_error_while_claiming_postpones_the_row_uncounted(rows: None, clock: Clock) -> None:
    (row,) = make()

    def misconfigured(message: Message, now: dt.datetime) -> bool:
        raise Unreachable("unknown adapter 'fax'")

    assert outbox(Receiver(), on_claim=misconfigured).attempt(row.pk) == RETRY
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "unknown adapter 'fax'")
    assert row.next_attempt_at == clock.now + dt.timedelta(minutes=1)


# --- handing over and draining --------------------------------------------------------------


def test_the_drain_sends_what_is_due_oldest_first_up_to_its_batch_size(rows: None, clock: Clock) -> None:
    later = make(next_attempt_at=clock.now + dt.timedelta(minutes=5))[0]
    done = make(status="sent", next_attempt_at=None)[0]
    older = make(3, next_attempt_at=clock.now - dt.timedelta(minutes=1))
    newer = make(2)
    receiver = Receiver()
    box = outbox(receiver)
    assert box.drain(limit=4) == 4
    assert receiver.sent == [row.pk for row in [*older, newer[0]]]
    assert box.drain(limit=4) == 1
    assert box.drain(limit=4) == 0
    assert later.pk not in receiver.sent and done.pk not in receiver.sent


def test_the_drain_starts_nothing_after_its_time_budget(rows: None, clock: Clock) -> None:
    make(3)
    receiver = Receiver()
    assert outbox(receiver).drain(budget_seconds=-1) == 0
    assert receiver.sent == []


def test_handing_over_survives_a_broker_that_is_down(rows: None, caplog: pytest.LogCaptureFixture) -> None:
    queued: list[int] = []

    def delay(pk: int) -> None:
        if pk == 2:
            raise ConnectionError("broker down")
        queued.append(pk)

    outbox(Receiver()).hand_over([1, 2, 3], delay)
    assert queued == [1, 3]
    assert "Could not queue message 2" in caplog.text
