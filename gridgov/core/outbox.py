"""One database outbox: rows that must reach somewhere outside, sent one attempt at a time,
retried with backoff, given up on after a number of attempts.

An app that sends something declares its :class:`Outbox` once, naming its model, the field
names and status values, the backoff and the maximum number of attempts; it then writes rows
in the transaction of the change they report, hands their ids to a worker after commit
(:meth:`Outbox.hand_over`), and lets the outbox do the rest:

- :meth:`Outbox.attempt` runs one attempt at one row, outside any transaction. It first
  *claims* the row in a short transaction (``SELECT … FOR UPDATE SKIP LOCKED`` where the
  database has it; SQLite serializes writers, which gives the same answer): the attempt is
  counted and the row's next-attempt time moves ahead by the *lease*, so no other worker takes
  it meanwhile, and a worker that died mid-send is replaced when the lease ends. The send runs
  outside the transaction; its outcome is written only if the row is still that attempt.
- On success the row reaches the ``done`` status; an error listed in ``final_errors`` settles
  it in that status at once (a recipient who cannot be reached); any other error schedules the
  next attempt after ``backoff(attempts)``, or, after the last attempt, marks the row
  ``failed`` (``on_give_up`` runs in that same transaction, so once per failure).
- :meth:`Outbox.drain` (beat, every minute) attempts what is due, oldest first, up to a batch
  size and a time budget: retries need no queued task, and a task the broker lost is made up
  for a minute later.

Delivery is at-least-once: a crash after the receiver accepted but before the outcome was
written sends the row again. ``docs/notifications.md`` and ``docs/hotline.md`` ("Upstream")
describe the two outboxes built on this.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

from django.db import connection, models, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

M = TypeVar("M", bound=models.Model)

RETRY: Final = "retry"
"""Outcome of an attempt that failed and will be tried again."""
NOT_DUE: Final = "not_due"
"""Outcome when the row is not due: settled, waiting for its backoff, or held by another worker."""

DEFAULT_LEASE: Final = dt.timedelta(minutes=2)
ERROR_MAX_CHARS: Final = 2000
# 2**32 steps of any sensible first wait are far beyond any cap; bounds the arithmetic.
_MAX_DOUBLINGS: Final = 32

Send = Callable[[M], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Backoff:
    """The wait after the ``attempts``-th failed try: ``first``, doubled after each further
    failure, at most ``cap`` (1, 2, 4, 8 … 60 minutes by default)."""

    first: dt.timedelta = dt.timedelta(minutes=1)
    cap: dt.timedelta = dt.timedelta(minutes=60)

    def __call__(self, attempts: int) -> dt.timedelta:
        doublings: int = min(max(attempts - 1, 0), _MAX_DOUBLINGS)
        return min(self.first * (1 << doublings), self.cap)


def skip_locked(queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """``SELECT … FOR UPDATE SKIP LOCKED`` where the database has it. SQLite has no row locks;
    its write transactions are serialized, which gives the same answer."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset


@dataclass(frozen=True)
class Outbox(Generic[M]):
    """The claim, lease, backoff and drain of one outbox table.

    ``pending``, ``done`` and ``failed`` are status values of ``status_field``; ``sending``,
    when given, is the status of a row while an attempt holds it (otherwise the row stays
    ``pending`` and the lease alone keeps it from being due). The lease end is kept in
    ``next_attempt_field``, the same field that says when a pending row is due.
    """

    model: type[M]
    pending: str
    done: str
    failed: str
    # One try at one claimed row: returns fields to write on success (or None), raises on failure.
    send: Send[M]
    max_attempts: Callable[[], int]
    backoff: Callable[[int], dt.timedelta] = field(default_factory=Backoff)
    sending: str | None = None
    lease: dt.timedelta = DEFAULT_LEASE
    status_field: str = "status"
    attempts_field: str = "attempts"
    next_attempt_field: str = "next_attempt_at"
    error_field: str = "last_error"
    # Set to the time of the success (``sent_at``), and of each claimed attempt.
    done_at_field: str | None = None
    attempted_at_field: str | None = None
    # Errors that settle the row at once in the given status, without a retry.
    final_errors: Mapping[type[Exception], str] = field(default_factory=dict)
    # Errors the send raises in the normal course (no traceback is logged for them).
    expected_errors: tuple[type[Exception], ...] = ()
    # Fields to write from an error besides its text (an HTTP status, say).
    error_fields: Callable[[Exception], Mapping[str, Any]] | None = None
    # Runs inside the claim's transaction before the attempt is counted; returns True when it
    # has settled the row itself (it must then set the row's status). An expected error it
    # raises postpones the row by the first backoff without counting an attempt.
    on_claim: Callable[[M, dt.datetime], bool] | None = None
    # Runs in the transaction that marks a row failed.
    on_give_up: Callable[[M], None] | None = None
    # Names the rows in log lines ("delivery", "upstream message").
    noun: str = "row"
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("gridgov.outbox"))

    # --- reading ----------------------------------------------------------------------------

    def due(self, now: dt.datetime) -> models.QuerySet[M]:
        """Rows whose attempt is due at ``now``: pending ones whose time has come, and rows
        whose running attempt's lease ran out."""
        waiting = [self.pending] if self.sending is None else [self.pending, self.sending]
        lookup = {f"{self.status_field}__in": waiting, f"{self.next_attempt_field}__lte": now}
        return self.model._default_manager.filter(**lookup)

    def due_ids(self, *, limit: int = 100) -> list[Any]:
        """Ids of the due rows, oldest first; rows another worker is claiming right now are
        skipped."""
        with transaction.atomic():
            due = skip_locked(self.due(timezone.now()).order_by(self.next_attempt_field, "pk"))
            return list(due.values_list("pk", flat=True)[:limit])

    # --- one attempt ------------------------------------------------------------------------

    def claim(self, pk: Any) -> M | None:
        """Take a due row for one attempt: count the attempt and lease the row. ``None`` when
        the row is not due or another worker holds it."""
        now = timezone.now()
        with transaction.atomic():
            row = skip_locked(self.due(now).filter(pk=pk)).first()
            if row is None:
                return None
            if self.on_claim is not None and self.on_claim(row, now):
                return row
            values: dict[str, Any] = {
                self.attempts_field: getattr(row, self.attempts_field) + 1,
                self.status_field: self.sending or self.pending,
                self.next_attempt_field: now + self.lease,
            }
            if self.attempted_at_field:
                values[self.attempted_at_field] = now
            for name, value in values.items():
                setattr(row, name, value)
            row.save(update_fields=list(values))
        return row

    def attempt(self, pk: Any) -> str:
        """One attempt at one row, outside any transaction: claim it, send it, record the
        outcome. Returns the status the row reached, :data:`RETRY` or :data:`NOT_DUE`."""
        try:
            row = self.claim(pk)
        except self.expected_errors as error:
            self._postpone(pk, self._text(error))
            return RETRY
        if row is None:
            return NOT_DUE
        status = str(getattr(row, self.status_field))
        if status != (self.sending or self.pending):  # settled by on_claim
            return status
        try:
            written = dict(self.send(row) or {})
        except Exception as error:
            return self._failure(row, error)
        if self.done_at_field:
            written[self.done_at_field] = timezone.now()
        self._record(row, status=self.done, error="", **written)
        return str(self.done)

    def _attempt_of(self, row: M) -> models.QuerySet[M]:
        """The row, as long as it is still the attempt that was claimed."""
        lookup = {
            self.status_field: self.sending or self.pending,
            self.attempts_field: getattr(row, self.attempts_field),
        }
        return self.model._default_manager.filter(pk=row.pk, **lookup)

    def _record(self, row: M, *, status: str, error: str, **values: Any) -> int:
        values.update({self.status_field: status, self.next_attempt_field: None, self.error_field: error})
        return self._attempt_of(row).update(**values)

    def _failure(self, row: M, error: Exception) -> str:
        text = self._text(error)
        extra = dict(self.error_fields(error)) if self.error_fields else {}
        for kind, status in self.final_errors.items():
            if isinstance(error, kind):
                self._record(row, status=status, error=text, **extra)
                return str(status)
        if not isinstance(error, self.expected_errors):
            self.logger.exception("Sending %s %s raised", self.noun, row.pk)
        attempts = int(getattr(row, self.attempts_field))
        if attempts >= self.max_attempts():
            with transaction.atomic():
                if self._record(row, status=self.failed, error=text, **extra) and self.on_give_up is not None:
                    self.on_give_up(row)
            self.logger.warning("%s %s failed after %s attempts: %s", self.noun.capitalize(), row.pk, attempts, text)
            return str(self.failed)
        extra.update(
            {
                self.status_field: self.pending,
                self.next_attempt_field: timezone.now() + self.backoff(attempts),
                self.error_field: text,
            }
        )
        self._attempt_of(row).update(**extra)
        return RETRY

    def _postpone(self, pk: Any, text: str) -> None:
        """A pending row that could not even be claimed: note why, try again after the first
        backoff; no attempt is counted."""
        lookup = {self.status_field: self.pending}
        values = {self.error_field: text, self.next_attempt_field: timezone.now() + self.backoff(1)}
        self.model._default_manager.filter(pk=pk, **lookup).update(**values)

    @staticmethod
    def _text(error: Exception) -> str:
        return (str(error) or type(error).__name__)[:ERROR_MAX_CHARS]

    # --- handing over and draining ----------------------------------------------------------

    def hand_over(self, pks: Iterable[Any], delay: Callable[[Any], Any]) -> None:
        """Give rows to the worker (``delay`` queues one task per row), after the commit that
        wrote them. A broker that is down loses nothing: the rows stay due and :meth:`drain`
        picks them up."""
        for pk in pks:
            try:
                delay(pk)
            except Exception:
                self.logger.warning("Could not queue %s %s; the drain will send it.", self.noun, pk, exc_info=True)

    def drain(self, *, limit: int = 100, budget_seconds: float = 45.0) -> int:
        """Attempt the due rows, oldest first: at most ``limit``, and none started after
        ``budget_seconds`` (beat runs the drain again a minute later). Returns how many were
        attempted."""
        deadline = time.monotonic() + budget_seconds
        attempted = 0
        for pk in self.due_ids(limit=limit):
            if time.monotonic() > deadline:
                break
            if self.attempt(pk) != NOT_DUE:
                attempted += 1
        return attempted


# --- monitoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    """What an outbox holds back (the metrics of docs/operations.md): rows not yet delivered,
    the age of the oldest of them, and rows given up on."""

    waiting: int
    oldest_age_seconds: float
    failed: int


def backlog_of(
    rows: models.QuerySet[M], *, waiting: Q, failed: Q, now: dt.datetime, created_field: str = "created_at"
) -> Backlog:
    """One query over an outbox table: ``waiting`` and ``failed`` say which rows are which."""
    figures = rows.aggregate(
        waiting=Count("pk", filter=waiting),
        oldest=Min(created_field, filter=waiting),
        failed=Count("pk", filter=failed),
    )
    oldest = figures["oldest"]
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return Backlog(waiting=int(figures["waiting"]), oldest_age_seconds=age, failed=int(figures["failed"]))
