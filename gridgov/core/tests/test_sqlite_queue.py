"""The SQLite backend's queue of write transactions (gridgov/core/sqlite/base.py): writers of
several threads and processes take turns without SQLite's busy handler, a writer that waits
longer than the timeout fails as SQLite does, and every way a transaction ends frees the queue.

These tests make their own SQLite files; they do not use the suite's database (they run the
same under ``DATABASE_URL=postgres://…``)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler

from gridgov.core.sqlite.base import DatabaseWrapper


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        yield


ALIAS = "default"  # a ConnectionHandler of its own: not the suite's database


def _handler(path: Path, *, timeout: float = 5, mode: str | None = "IMMEDIATE") -> ConnectionHandler:
    options: dict[str, Any] = {"timeout": timeout, "init_command": "PRAGMA journal_mode=WAL;"}
    if mode:
        options["transaction_mode"] = mode
    handler = ConnectionHandler({ALIAS: {"ENGINE": "gridgov.core.sqlite", "NAME": str(path), "OPTIONS": options}})
    connection = handler[ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS entry (id INTEGER PRIMARY KEY, who TEXT)")
    return handler


def _conn(handler: ConnectionHandler) -> DatabaseWrapper:
    """This thread's connection of ``handler``."""
    connection = handler[ALIAS]
    assert isinstance(connection, DatabaseWrapper)
    return connection


def _begin(connection: DatabaseWrapper) -> None:
    connection.ensure_connection()
    connection._start_transaction_under_autocommit()


def _write(connection: DatabaseWrapper, who: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO entry (who) VALUES (%s)", [who])


def _entries(connection: DatabaseWrapper) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT who FROM entry ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def test_writers_of_several_threads_take_turns_and_lose_nothing(tmp_path: Path) -> None:
    handler = _handler(tmp_path / "db.sqlite3", timeout=20)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        connection = _conn(handler)  # each thread its own connection
        try:
            for step in range(25):
                _begin(connection)
                _write(connection, f"{index}-{step}")
                connection.commit()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(_entries(_conn(handler))) == 150


def test_a_second_writer_waits_for_the_commit_of_the_first(tmp_path: Path) -> None:
    handler = _handler(tmp_path / "db.sqlite3")
    first = _conn(handler)
    _begin(first)
    _write(first, "first")
    order: list[str] = []

    def second() -> None:
        connection = _conn(handler)
        _begin(connection)  # waits on the queue, not in SQLite
        order.append("second began")
        _write(connection, "second")
        connection.commit()
        connection.close()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.2)
    order.append("first commits")
    first.commit()
    thread.join(timeout=10)
    assert order == ["first commits", "second began"]
    assert _entries(first) == ["first", "second"]


def test_a_writer_that_waits_past_the_timeout_fails_like_sqlite(tmp_path: Path) -> None:
    handler = _handler(tmp_path / "db.sqlite3", timeout=0.3)
    first = _conn(handler)
    _begin(first)
    failures: list[BaseException] = []

    def second() -> None:
        connection = _conn(handler)
        try:
            _begin(connection)
        except OperationalError as error:
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=10)
    assert [str(error) for error in failures] == ["database is locked"]
    first.rollback()
    # The queue is free again after the rollback.
    _begin(first)
    _write(first, "after")
    first.commit()
    assert _entries(first) == ["after"]


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_every_end_of_a_transaction_frees_the_queue(tmp_path: Path, end: str) -> None:
    handler = _handler(tmp_path / "db.sqlite3", timeout=0.5)
    connection = _conn(handler)
    _begin(connection)
    _write(connection, "x")
    getattr(connection, end)()
    assert connection._writer_lock is None
    other = _conn(ConnectionHandler(handler.settings))
    _begin(other)  # would time out if the queue were still held
    other.rollback()
    other.close()
    connection.close()


def test_another_process_is_queued_too(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    handler = _handler(path, timeout=0.3)
    # Another process holds the machine-wide queue (the lock file next to the database).
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(path) + '-lock'!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        connection = _conn(handler)
        with pytest.raises(OperationalError, match="database is locked"):
            _begin(connection)
        assert connection._writer_lock is None  # the thread lock was given back
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=10)
    _begin(connection)
    connection.commit()
    connection.close()


def test_readers_and_memory_databases_are_not_queued(tmp_path: Path) -> None:
    reader = _conn(_handler(tmp_path / "db.sqlite3", mode=None))
    assert not reader._queued()
    memory = _conn(
        ConnectionHandler(
            {ALIAS: {"ENGINE": "gridgov.core.sqlite", "NAME": ":memory:", "OPTIONS": {"transaction_mode": "IMMEDIATE"}}}
        )
    )
    memory.ensure_connection()
    assert not memory._queued()
    writer = _conn(_handler(tmp_path / "db.sqlite3"))
    assert writer._queued()
    # A reader's transaction leaves the queue alone while a writer holds it.
    _begin(writer)
    _begin(reader)
    reader.rollback()
    writer.rollback()


def test_the_lock_file_takes_the_database_files_permissions(tmp_path: Path) -> None:
    import os

    path = tmp_path / "db.sqlite3"
    connection = _conn(_handler(path))
    path.chmod(0o640)
    previous = os.umask(0o077)  # as SQLite's own files: the database's mode, whatever the umask
    try:
        _begin(connection)
        connection.commit()
    finally:
        os.umask(previous)
    assert (Path(f"{path}-lock").stat().st_mode & 0o777) == 0o640
    connection.close()


def test_without_a_lock_file_the_writes_go_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "db.sqlite3"
    Path(f"{path}-lock").mkdir()  # cannot be opened as a file
    connection = _conn(_handler(path))
    for who in ("one", "two"):
        _begin(connection)
        _write(connection, who)
        connection.commit()
    assert _entries(connection) == ["one", "two"]
    warnings = [record.getMessage() for record in caplog.records if "write queue" in record.getMessage()]
    assert len(warnings) == 1  # asked once for the connection, not at every transaction
    assert f"cannot open {path}-lock" in warnings[0] and "processes are not queued" in warnings[0]
    connection.close()


def _writes_from_another_thread(handler: ConnectionHandler) -> str:
    found: list[str] = []

    def work() -> None:
        connection = _conn(handler)
        try:
            _begin(connection)
            _write(connection, "other")
            connection.commit()
            found.append("ok")
        except OperationalError as error:
            found.append(str(error))
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=20)
    return found[0]


class _Interrupted(BaseException):
    """What a signal handler raises between two statements (a task's soft time limit, Ctrl-C)."""


def test_an_interruption_right_after_the_thread_lock_does_not_strand_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridgov.core.sqlite import base as queue

    handler = _handler(tmp_path / "db.sqlite3", timeout=0.5)
    connection = _conn(handler)
    real = queue._thread_lock

    class Interrupting:
        def __init__(self, lock: Any) -> None:
            self.lock = lock

        def acquire(self, timeout: float) -> bool:
            self.lock.acquire(timeout=timeout)
            raise _Interrupted  # lands after the lock was taken, before anything else

        def release(self) -> None:
            self.lock.release()

    monkeypatch.setattr(queue, "_thread_lock", lambda path: Interrupting(real(path)))
    with pytest.raises(_Interrupted):
        _begin(connection)
    monkeypatch.setattr(queue, "_thread_lock", real)
    connection.close()  # as a task's end does
    assert _writes_from_another_thread(handler) == "ok"


def test_an_interruption_while_waiting_for_the_other_processes_gives_the_lock_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridgov.core.sqlite import base as queue

    handler = _handler(tmp_path / "db.sqlite3", timeout=0.5)
    connection = _conn(handler)

    import fcntl as real

    class Flock:
        LOCK_EX, LOCK_NB, LOCK_UN = real.LOCK_EX, real.LOCK_NB, real.LOCK_UN

        @staticmethod
        def flock(descriptor: int, operation: int) -> None:
            if operation & Flock.LOCK_EX:
                raise _Interrupted
            real.flock(descriptor, operation)

    monkeypatch.setattr(queue, "fcntl", Flock)
    with pytest.raises(_Interrupted):
        _begin(connection)
    monkeypatch.undo()
    assert connection._writer_lock is None
    assert _writes_from_another_thread(handler) == "ok"
    connection.close()


def test_a_lock_file_is_closed_when_its_connection_is_collected_unclosed(tmp_path: Path) -> None:
    import gc
    import os

    path = tmp_path / "db.sqlite3"
    handler = _handler(path)

    def lock_files() -> int:
        folder = Path("/proc/self/fd")
        return sum(1 for entry in folder.iterdir() if os.path.realpath(entry) == f"{path}-lock")

    def write_without_closing() -> None:
        connection = _conn(handler)
        _begin(connection)
        connection.commit()

    before = lock_files()
    for _ in range(5):  # threads that end without closing their connection
        thread = threading.Thread(target=write_without_closing)
        thread.start()
        thread.join()
    gc.collect()
    assert lock_files() == before


def test_a_fork_child_does_not_keep_the_lock_of_a_parent_that_died(tmp_path: Path) -> None:
    """A process holds the queue and has forked a long-lived child (a prefork worker); the
    process is killed. The child must not go on holding the queue with the lock file it
    inherited."""
    import os
    import signal

    path = tmp_path / "db.sqlite3"
    _conn(_handler(path)).close()
    read, write = os.pipe()
    parent = os.fork()
    if parent == 0:  # pragma: no cover - runs in the forked process
        try:
            connection = _conn(_handler(path, timeout=1))
            _begin(connection)
            _write(connection, "parent")
            if os.fork() == 0:
                time.sleep(4)  # the forked worker lives on
                os._exit(0)
            os.write(write, b"holding\n")
            time.sleep(60)
        finally:
            os._exit(0)
    assert os.read(read, 100) == b"holding\n"
    os.kill(parent, signal.SIGKILL)
    os.waitpid(parent, 0)
    assert _writes_from_another_thread(_handler(path, timeout=1)) == "ok"
