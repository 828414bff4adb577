"""Per-process caches of rarely written tables, made exact by versions the database keeps.

Some reads happen on nearly every request although their rows change a few times a year: the
classification and its time limits (every report and every stage of a case), a user's role
assignments turned into a scope (every page and every API call), the holders of a role over an
area (every notification). Each such group of tables has a **version**: a row of
``gridgov_table_version`` that database triggers on the group's tables set to a new random
number in the same statement as any write, whatever path writes (a service, ``bulk_create``,
``update()``, a migration, raw SQL, a flush). A cache (:class:`Cached`) reads the version with
one small statement and keeps what it built for as long as the version stays the same.

Correct because:

- the version is read *before* the rows a cache is built from; a write committed in between
  leaves the cache newer than its version, and the next read sees the new version and builds
  again (never the other way round);
- a version is a random 63-bit number, never a counter: a transaction that wrote the tables
  and rolled back leaves the old version, and no later write can bring back the version under
  which a process cached the rolled-back rows (a counter would, and the cache would look
  current);
- the rows are read on the primary, where the version is, even inside a block that reads the
  replica (``gridgov.core.dbrouter``);
- the table is not a Django model, so neither a flush, nor the test snapshots, nor a fixture
  touches it; a group without its row (not installed, or a database made without the
  migrations' triggers) is never cached: every call reads the rows.

Groups are declared with :func:`migration_operation` in the migration of the app that owns the
tables (the columns a ``UPDATE`` must touch to count are frozen there); the caches are declared
next to the reads they serve. ``docs/architecture.md`` lists them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations import RunPython

from .dbrouter import primary_reads

__all__ = [
    "GROUPS",
    "TABLE",
    "Cached",
    "current",
    "install",
    "installed",
    "migration_operation",
    "register",
    "reinstall",
    "request_scope",
    "reset_all",
    "uninstall",
]

TABLE: Final = "gridgov_table_version"
NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,40}")
# Entries a keyed cache holds before it starts again (a district's users, many times over).
MAX_ENTRIES: Final = 50_000

T = TypeVar("T")

# A group's tables: each table and the columns whose change alone does not count (a token's
# ``last_used_at``, a user's ``last_login``): every other column does, those added later too.
Tables = Mapping[str, Sequence[str]]

#: The groups the apps declare (``register``, from their ``ready``), reinstalled after every
#: ``migrate`` (see ``reinstall``).
GROUPS: dict[str, dict[str, tuple[str, ...]]] = {}

_EVENTS: Final = {"postgresql": ("write", "update", "truncate"), "sqlite": ("insert", "delete", "update")}

# PostgreSQL: one function for every group. ``TG_ARGV[0]`` is the group; an UPDATE's trigger
# passes the columns that do not count after it and compares the rows before and after as JSON
# without them (no column is named in the trigger itself, so a migration may alter, drop or add
# columns: ``reinstall`` puts back what a ``DROP … CASCADE`` removed).
_FUNCTION: Final = """
CREATE OR REPLACE FUNCTION gridgov_table_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN  -- (nested: the transition tables exist for an UPDATE only)
        IF NOT EXISTS (
            SELECT to_jsonb(o) - TG_ARGV[1:TG_NARGS - 1] FROM gridgov_old o
            EXCEPT ALL
            SELECT to_jsonb(n) - TG_ARGV[1:TG_NARGS - 1] FROM gridgov_new n
        ) THEN
            RETURN NULL;
        END IF;
    END IF;
    -- Every group's row, in one order, before this group's: a transaction that writes watched
    -- tables holds them all to its commit, so two such transactions never wait on each other's
    -- groups in opposite orders (a deadlock the first version had).
    PERFORM 1 FROM gridgov_table_version ORDER BY name FOR UPDATE;
    UPDATE gridgov_table_version SET version = floor(random() * 9.2e18)::bigint WHERE name = TG_ARGV[0];
    RETURN NULL;
END
$$
"""


def _trigger(name: str, table: str, event: str) -> str:
    return f"gridgov_v_{name}_{table}_{event}"[:63]


def _literal(value: str) -> str:
    if not NAME.fullmatch(value):
        raise ValueError(f"not a plain name: {value!r}")
    return f"'{value}'"


def register(name: str, tables: Tables) -> None:
    """Declare a group (an app's ``ready``): what ``reinstall`` puts back after a migration."""
    GROUPS[name] = {table: tuple(ignored) for table, ignored in tables.items()}


def install(connection: Any, name: str, tables: Tables) -> None:
    """Create the version table (if needed), the group's row and its triggers. Idempotent.
    ``name``, the tables and the columns come from the code, never from input."""
    _literal(name)
    quote = connection.ops.quote_name
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (name varchar(100) NOT NULL PRIMARY KEY, version bigint NOT NULL)"
        )
        if postgresql:
            cursor.execute(_FUNCTION)
        _bump(cursor, connection, name)
        for table, ignored in tables.items():
            arguments = ", ".join(_literal(item) for item in (name, *ignored))
            for event in _EVENTS[connection.vendor]:
                trigger = _trigger(name, table, event)
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (f" ON {quote(table)}" if postgresql else ""))
            if postgresql:
                bump = f"EXECUTE FUNCTION gridgov_table_version_bump({arguments})"
                for event, clause in (
                    ("write", "INSERT OR DELETE"),
                    ("update", "UPDATE"),
                    ("truncate", "TRUNCATE"),
                ):
                    referencing = " REFERENCING OLD TABLE AS gridgov_old NEW TABLE AS gridgov_new" * (event == "update")
                    cursor.execute(
                        f"CREATE TRIGGER {_trigger(name, table, event)} AFTER {clause} ON {quote(table)}"
                        f"{referencing} FOR EACH STATEMENT {bump}"
                    )
                continue
            # SQLite: row triggers only, one per event; random() is a 64-bit signed integer. An
            # UPDATE, not an INSERT OR REPLACE: the outer statement's conflict clause (Django's
            # INSERT OR IGNORE) would override the trigger's and leave the version as it was.
            # An UPDATE OF the table's columns as they are now, but the ignored ones: a table
            # rebuilt by a migration loses its triggers, and ``reinstall`` makes them again.
            columns = [
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
                if column.name not in ignored
            ]
            update = "UPDATE OF " + ", ".join(quote(column) for column in columns)
            body = f"UPDATE {TABLE} SET version = random() WHERE name = {_literal(name)}"  # noqa: S608
            for event, clause in (("insert", "INSERT"), ("delete", "DELETE"), ("update", update)):
                trigger = _trigger(name, table, event)
                cursor.execute(f"CREATE TRIGGER {trigger} AFTER {clause} ON {quote(table)} BEGIN {body}; END")


def _bump(cursor: Any, connection: Any, name: str) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(
            f"INSERT INTO {TABLE} (name, version) VALUES (%s, floor(random() * 9.2e18)::bigint) "  # noqa: S608
            "ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version",
            [name],
        )
    else:
        cursor.execute(f"INSERT OR REPLACE INTO {TABLE} (name, version) VALUES (%s, random())", [name])  # noqa: S608


def uninstall(connection: Any, name: str, tables: Tables) -> None:
    """Drop the group's triggers and row (the table and the function stay for other groups)."""
    quote = connection.ops.quote_name
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for table in tables:
            on = f" ON {quote(table)}" if postgresql else ""
            for event in _EVENTS[connection.vendor]:
                cursor.execute(f"DROP TRIGGER IF EXISTS {_trigger(name, table, event)}{on}")
        cursor.execute(f"DELETE FROM {TABLE} WHERE name = %s", [name])  # noqa: S608


def installed(connection: Any) -> set[str]:
    """The groups whose row the database has (their migrations ran)."""
    if TABLE not in connection.introspection.table_names():
        return set()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name FROM {TABLE}")  # noqa: S608 (a fixed name)
        return {row[0] for row in cursor.fetchall()}


def reinstall(connection: Any) -> None:
    """Make the triggers of every registered group the database has again (after ``migrate``:
    a migration that rebuilt a table on SQLite, or dropped a column with ``CASCADE`` on
    PostgreSQL, took them away; on SQLite the columns an UPDATE must touch follow the table).
    A group whose migration did not run, or was unapplied, is left out."""
    present = installed(connection)
    for name, tables in GROUPS.items():
        if name in present:
            install(connection, name, tables)


def migration_operation(name: str, tables: Tables) -> RunPython:
    """The migration step that installs the group ``name`` over ``tables`` (and uninstalls it
    backwards); the tables and ignored columns are frozen in that migration."""
    frozen = {table: tuple(ignored) for table, ignored in tables.items()}

    def forwards(apps: Any, schema_editor: Any) -> None:
        install(schema_editor.connection, name, frozen)

    def backwards(apps: Any, schema_editor: Any) -> None:
        uninstall(schema_editor.connection, name, frozen)

    return RunPython(forwards, backwards)


# Databases found without the version table (a process started before the migration; a
# database made without the migrations and without the test plugin's replay): never cached.
_missing: set[str] = set()
_checked: set[str] = set()


# One request reads the versions once (``request_scope``, which ``RequestVersionsMiddleware``
# opens around every request): the first version it asks for outside a transaction reads every
# group's in one statement, and the later ones outside a transaction reuse them until the
# connection runs anything but a ``SELECT`` (a write of this request, a savepoint, a BEGIN on
# SQLite). A report asked five versions (the token's, the scope's, the category's, its time
# limit's, the village leaders'), all before its transaction: five statements, now one. Inside
# a transaction, and outside a request (a task, a command), every ask reads its own. Another
# process's write committed while a request runs is seen by the next request (before: by the
# next ask).
_versions: ContextVar[dict[str, int] | None] = ContextVar("gridgov_table_versions", default=None)


@contextmanager
def request_scope(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Read the versions once for the block (a request) on ``using``, again after any
    statement that is not a ``SELECT``."""
    memo: dict[str, int] = {}

    def forget_on_write(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if memo and sql.lstrip()[:6].upper() != "SELECT":
            memo.clear()
        return execute(sql, params, many, context)

    token = _versions.set(memo)
    try:
        with connections[using].execute_wrapper(forget_on_write):
            yield
    finally:
        _versions.reset(token)


def current(name: str, using: str = DEFAULT_DB_ALIAS) -> int | None:
    """The group's version now, or None (not installed: do not cache)."""
    if using in _missing:
        return None
    connection = connections[using]
    if using not in _checked:
        if TABLE not in connection.introspection.table_names():
            _missing.add(using)
            return None
        _checked.add(using)
    # Not inside a transaction: its end (a commit, a rollback) runs no statement the scope sees,
    # and versions read after a write the transaction then rolls back must not outlive it.
    memo = _versions.get() if using == DEFAULT_DB_ALIAS and not connection.in_atomic_block else None
    if memo is not None:
        if not memo:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT name, version FROM {TABLE}")  # noqa: S608 (a fixed name)
                memo.update((row[0], int(row[1])) for row in cursor.fetchall())
            memo.setdefault("", 0)  # (read: an empty table is not read again)
        return memo.get(name)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {TABLE} WHERE name = %s", [name])  # noqa: S608 (a fixed name)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


class Cached(Generic[T]):
    """What ``build`` returns, kept while the group's version stays the same; per key with
    :meth:`lookup`. The values are shared by the process's threads: keep them immutable."""

    def __init__(self, group: str, build: Callable[[], T] | None = None) -> None:
        self.group = group
        self._build = build
        self._lock = threading.Lock()
        # (version, the value of build(), the values by key); replaced whole, never mutated
        # but for adding keys under its own version.
        self._state: tuple[int | None, Any, dict[Hashable, Any]] = (None, None, {})
        _ALL.append(self)

    def get(self) -> T:
        """The value of ``build`` for the current version."""
        assert self._build is not None
        version = current(self.group)
        state = self._state
        if version is not None and state[0] == version and state[1] is not None:
            return state[1]  # type: ignore[no-any-return]
        with primary_reads():
            value = self._build()
        if version is not None:
            with self._lock:
                self._state = (version, value, {})
        return value

    def lookup(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()`` for ``key``, kept with the current version (a ``None`` is not kept:
        a miss may be anyone's guess, such as an unknown token)."""
        version = current(self.group)
        if version is None:
            return compute()
        state = self._state
        if state[0] == version:
            found = state[2].get(key, _NOTHING)
            if found is not _NOTHING:
                return found
        with primary_reads():
            value = compute()
        if value is None:
            return None
        with self._lock:
            state = self._state
            if state[0] != version or len(state[2]) >= MAX_ENTRIES:
                state = self._state = (version, None, {})
            state[2][key] = value
        return value

    def reset(self) -> None:
        with self._lock:
            self._state = (None, None, {})


_NOTHING: Final = object()
_ALL: list[Cached[Any]] = []


def reset_all() -> None:
    """Forget every cached value and what was found of the databases (tests)."""
    for cached in _ALL:
        cached.reset()
    _missing.clear()
    _checked.clear()
