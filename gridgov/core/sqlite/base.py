"""Django's SQLite backend, with the write transactions of every thread and process queued on a
lock before they ask SQLite for the database's write lock.

SQLite lets one writer in at a time. The settings open every transaction with ``BEGIN
IMMEDIATE``, so a second writer waits in SQLite's busy handler, which does not wake when the
lock is free: it sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 and then 100 ms between tries.
Under a few concurrent reports a writer that waited twice sleeps on long after the lock came
free, and the tail of the intake grew to half a second (``bench/intake.py``,
``docs/benchmarks.md`` "Intake"). Here a writer first takes a lock of the application: a
thread lock for the threads of one process (which wakes the next thread at once), then an
``flock`` on ``<database>-lock`` for the processes of one machine (web workers, Celery
workers, commands; retried every 0.2–2 ms), and only then sends ``BEGIN IMMEDIATE``, which
finds the database free. The lock is released after the ``COMMIT`` or ``ROLLBACK`` (or when
the connection closes).

Nothing changes in what may run at once: ``BEGIN IMMEDIATE`` already allowed one write
transaction at a time, and readers (WAL) never wait. The wait keeps the busy timeout of the
settings (``OPTIONS["timeout"]``) and fails as SQLite does ("database is locked"). A process
that does not use this backend (the ``sqlite3`` shell, another program) takes no part in the
queue; SQLite's own lock and busy handler still keep it out. Transactions opened without
``IMMEDIATE`` (the read replica's) and in-memory databases are not queued. One difference
remains: when such an outside writer holds the database, a queued writer may wait the timeout
in the queue (behind another queued writer that waits for it) and then the timeout again in
SQLite's busy handler, so up to twice the timeout before it fails.

Robustness: the thread lock is reentrant and belongs to the connection from before it is
asked for, so an exception raised between two statements by a signal handler (a task's soft
time limit, Ctrl-C) cannot strand it: the rollback or the close that follows gives it back. A
fork's child closes the lock files it inherited (:func:`_after_fork_in_child`), and a lock file
is closed with its connection, or when the connection is collected without being closed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import weakref
from typing import Any

from django.db.backends.sqlite3 import base

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the processes of one machine are not queued
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)
_THREAD_LOCKS: dict[str, threading.RLock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()
_WARNED: set[str] = set()  # lock files that could not be opened, said once a process
FIRST_RETRY = 0.0002
LAST_RETRY = 0.002
WRITE_MODES = frozenset({"IMMEDIATE", "EXCLUSIVE"})
UNAVAILABLE = -1  # the lock file could not be opened: this connection queues its threads only

# The connections of this process that have a lock file open (a fork's child closes them).
_WITH_LOCK_FILE: weakref.WeakSet[DatabaseWrapper] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A child process starts with no transaction of its own. A lock some thread of the parent
    held at the fork would never be released in the child; and the lock files it inherited
    share their ``flock`` with the parent's (one open file description): kept open, they would
    hold the parent's lock after the parent died, and an unlock in the child would release the
    parent's. The child closes them; its connections open their own on their next write."""
    global _THREAD_LOCKS_GUARD
    _THREAD_LOCKS.clear()
    _THREAD_LOCKS_GUARD = threading.Lock()
    for wrapper in list(_WITH_LOCK_FILE):
        wrapper._drop_lock_file()
        wrapper._writer_lock = None
    _WITH_LOCK_FILE.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _thread_lock(path: str) -> threading.RLock:
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(path, threading.RLock())


def _open_lock_file(path: str) -> int | None:
    """The lock file beside the database, made as SQLite makes its ``-wal`` and ``-shm`` files:
    with the database file's permissions (whatever the umask) and, for a process running as
    root, its owner, so that a command run as root does not lock the service's user out.
    ``None`` when it cannot be opened: the processes are then not queued (SQLite's own lock
    still keeps them apart)."""
    try:
        database = os.stat(path)
    except OSError:
        database = None
    mode = database.st_mode & 0o666 if database is not None else 0o644
    try:
        descriptor = os.open(f"{path}-lock", os.O_RDONLY | os.O_CREAT, mode)
    except OSError as error:
        if path not in _WARNED:
            _WARNED.add(path)
            logger.warning("SQLite write queue: cannot open %s-lock (%s); processes are not queued", path, error)
        return None
    with contextlib.suppress(OSError):  # as SQLite: a failed change of mode or owner is no error
        if os.fstat(descriptor).st_uid == os.geteuid():
            os.fchmod(descriptor, mode)
        if database is not None and os.geteuid() == 0 and database.st_uid != 0:
            os.fchown(descriptor, database.st_uid, database.st_gid)
    return descriptor


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_file: int | None = None
    _writer_file_closer: weakref.finalize[Any, Any] | None = None
    _writer_lock: threading.RLock | None = None

    def _queued(self) -> bool:
        # transaction_mode is read from the options when the connection opens.
        return getattr(self, "transaction_mode", None) in WRITE_MODES and not self.is_in_memory_db()

    def _lock_file(self) -> int | None:
        """The descriptor of the lock file (opened once a connection), or None without one."""
        if fcntl is None:
            return None
        if self._writer_file is None:
            opened = _open_lock_file(str(self.settings_dict["NAME"]))
            self._writer_file = UNAVAILABLE if opened is None else opened
            if opened is not None:
                # Closed with the connection, or when it is collected without being closed.
                self._writer_file_closer = weakref.finalize(self, os.close, opened)
                _WITH_LOCK_FILE.add(self)
        return None if self._writer_file == UNAVAILABLE else self._writer_file

    def _drop_lock_file(self) -> None:
        closer, self._writer_file_closer = self._writer_file_closer, None
        self._writer_file = None
        _WITH_LOCK_FILE.discard(self)
        if closer is not None:
            with contextlib.suppress(OSError):
                closer()

    def _take_write_lock(self) -> None:
        path = str(self.settings_dict["NAME"])
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline = time.monotonic() + timeout
        lock = _thread_lock(path)
        # The connection owns the lock before asking for it: whatever interrupts what follows,
        # its rollback or close gives it back (a lock this thread does not hold is left alone).
        self._writer_lock = lock
        if not lock.acquire(timeout=timeout):
            self._writer_lock = None
            raise sqlite3.OperationalError("database is locked")
        try:
            descriptor = self._lock_file()
            if descriptor is not None:
                delay = FIRST_RETRY
                while True:
                    try:
                        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            raise sqlite3.OperationalError("database is locked") from None
                        time.sleep(delay)
                        delay = min(delay * 2, LAST_RETRY)
        except BaseException:
            self._release_write_lock()
            raise

    def _release_write_lock(self) -> None:
        lock = self._writer_lock
        if lock is None:
            return
        try:
            descriptor = self._writer_file
            if fcntl is not None and descriptor is not None and descriptor != UNAVAILABLE:
                fcntl.flock(descriptor, fcntl.LOCK_UN)  # harmless when not held
        finally:
            with contextlib.suppress(RuntimeError):  # not held by this thread: nothing to give back
                lock.release()
            self._writer_lock = None

    def _start_transaction_under_autocommit(self) -> None:
        if not self._queued():
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in the stubs
            return
        with self.wrap_database_errors:
            self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in the stubs
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]  # private in the stubs
        finally:
            self._release_write_lock()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]  # private in the stubs
        finally:
            self._release_write_lock()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]  # private in the stubs
        finally:
            self._release_write_lock()
            self._drop_lock_file()
