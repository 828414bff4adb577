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
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Final, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations import RunPython

__all__ = ["TABLE", "Cached", "current", "install", "migration_operation", "reset_all", "uninstall"]

TABLE: Final = "gridgov_table_version"
NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,40}")
# Entries a keyed cache holds before it starts again (a district's users, many times over).
MAX_ENTRIES: Final = 50_000

T = TypeVar("T")

# A group's tables: the table and the columns whose UPDATE changes what the caches read
# (``None``: any update).
Tables = Mapping[str, Sequence[str] | None]


def _trigger(name: str, table: str, event: str) -> str:
    return f"gridgov_v_{name}_{table}_{event}"[:63]


def install(connection: Any, name: str, tables: Tables) -> None:
    """Create the version table (if needed), the group's row and its triggers. Idempotent.
    ``name`` and the tables come from the code (a migration), never from input."""
    if not NAME.fullmatch(name):
        raise ValueError(f"not a group name: {name!r}")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (name varchar(100) NOT NULL PRIMARY KEY, version bigint NOT NULL)"
        )
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                CREATE OR REPLACE FUNCTION gridgov_table_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE {TABLE} SET version = floor(random() * 9.2e18)::bigint WHERE name = TG_ARGV[0];
                    RETURN NULL;
                END
                $$
                """  # noqa: S608 (a fixed name)
            )
        _bump(cursor, connection, name)
        for table, columns in tables.items():
            update = "UPDATE" + (" OF " + ", ".join(quote(column) for column in columns) if columns else "")
            if connection.vendor == "postgresql":
                trigger = _trigger(name, table, "write")
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {quote(table)}")
                cursor.execute(
                    f"CREATE TRIGGER {trigger} AFTER INSERT OR DELETE OR {update} ON {quote(table)} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION gridgov_table_version_bump('{name}')"
                )
                trigger = _trigger(name, table, "truncate")
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {quote(table)}")
                cursor.execute(
                    f"CREATE TRIGGER {trigger} AFTER TRUNCATE ON {quote(table)} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION gridgov_table_version_bump('{name}')"
                )
                continue
            # SQLite: row triggers only, one per event; random() is a 64-bit signed integer. An
            # UPDATE, not an INSERT OR REPLACE: the outer statement's conflict clause (Django's
            # INSERT OR IGNORE) would override the trigger's and leave the version as it was.
            for event, clause in (("insert", "INSERT"), ("delete", "DELETE"), ("update", update)):
                trigger = _trigger(name, table, event)
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                cursor.execute(
                    f"CREATE TRIGGER {trigger} AFTER {clause} ON {quote(table)} BEGIN "  # noqa: S608 (fixed names)
                    f"UPDATE {TABLE} SET version = random() WHERE name = '{name}'; END"
                )


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
    with connection.cursor() as cursor:
        for table in tables:
            for event in ("write", "truncate") if connection.vendor == "postgresql" else ("insert", "delete", "update"):
                on = f" ON {quote(table)}" if connection.vendor == "postgresql" else ""
                cursor.execute(f"DROP TRIGGER IF EXISTS {_trigger(name, table, event)}{on}")
        cursor.execute(f"DELETE FROM {TABLE} WHERE name = %s", [name])  # noqa: S608


def migration_operation(name: str, tables: Tables) -> RunPython:
    """The migration step that installs the group ``name`` over ``tables`` (and uninstalls it
    backwards); the tables and columns are frozen in that migration."""
    frozen = {table: tuple(columns) if columns else None for table, columns in tables.items()}

    def forwards(apps: Any, schema_editor: Any) -> None:
        install(schema_editor.connection, name, frozen)

    def backwards(apps: Any, schema_editor: Any) -> None:
        uninstall(schema_editor.connection, name, frozen)

    return RunPython(forwards, backwards)


# Databases found without the version table (a process started before the migration; a
# database made without the migrations and without the test plugin's replay): never cached.
_missing: set[str] = set()
_checked: set[str] = set()


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
        value = self._build()
        if version is not None:
            with self._lock:
                self._state = (version, value, {})
        return value

    def lookup(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()`` for ``key``, kept with the current version."""
        version = current(self.group)
        if version is None:
            return compute()
        state = self._state
        if state[0] == version:
            found = state[2].get(key, _NOTHING)
            if found is not _NOTHING:
                return found
        value = compute()
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
