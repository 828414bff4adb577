"""The rows a loader adds to the database, kept in memory and put back by bulk ``INSERT``.

:func:`take` runs the loader inside a transaction that is rolled back and keeps the rows it
added, table by table (compared by primary key with what was there before, so the rows the
migrations seeded are not part of it). :func:`restore` inserts them again, with their primary
keys, in the current transaction: tens of milliseconds where the loader, going through the
services, takes most of a second.

Correct because:

- the rows are put back exactly as they were read (raw column values, same keys), so the
  database afterwards holds what the loader would have left;
- Django creates foreign keys ``DEFERRABLE INITIALLY DEFERRED`` on SQLite and PostgreSQL, so
  the order of the inserts inside the transaction does not matter (an area before its parent);
- a snapshot refuses to be taken if the loader changed or deleted rows it did not add, or if an
  added row points at a row outside the snapshot (after a flush such a row may be gone or have
  another key);
- after the inserts the sequences are moved past the restored keys, as ``loaddata`` does
  (PostgreSQL; SQLite's ``AUTOINCREMENT`` follows explicit keys by itself). Sequences are not
  transactional, so a rollback leaves them further on: harmless, keys just skip numbers.

What the loader did outside the database (process caches, ``on_commit`` hooks) is not part of
a snapshot: the caller forgets the process caches itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import ForeignKey, Model


class SnapshotError(Exception):
    """The loader did something a snapshot cannot replay."""


@dataclass(frozen=True)
class TableRows:
    table: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Snapshot:
    tables: tuple[TableRows, ...]
    models: tuple[type[Model], ...]

    @property
    def row_count(self) -> int:
        return sum(len(table.rows) for table in self.tables)


def _models(using: str) -> list[type[Model]]:
    """Every concrete model with a table in the database, one per table, m2m tables included."""
    existing = set(connections[using].introspection.table_names())
    found: dict[str, type[Model]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table not in existing:
            continue
        found.setdefault(meta.db_table, model)
    return list(found.values())


def _read(using: str, model: type[Model]) -> tuple[tuple[str, ...], dict[Any, tuple[Any, ...]]]:
    connection = connections[using]
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quote(model._meta.db_table)}")  # noqa: S608  (names from the models)
        columns = tuple(column[0] for column in cursor.description)
        at = columns.index(pk.column)
        return columns, {row[at]: tuple(row) for row in cursor.fetchall()}


def take(load: Callable[[], Any], *, using: str = DEFAULT_DB_ALIAS) -> Snapshot:
    """Run ``load`` in a transaction that is rolled back; return the rows it added."""
    connection = connections[using]
    if connection.in_atomic_block:
        # Rows of an enclosing transaction would count as "before" and the snapshot would
        # silently depend on them.
        raise SnapshotError("take a snapshot outside any transaction")
    models = _models(using)
    added: dict[type[Model], TableRows] = {}
    with transaction.atomic(using=using):
        before = {model: _read(using, model)[1] for model in models}
        load()
        for model in models:
            columns, after = _read(using, model)
            old = before[model]
            changed = sorted(str(key) for key, row in old.items() if after.get(key) != row)
            if changed:
                raise SnapshotError(f"the loader changed or deleted rows of {model._meta.db_table}: {changed[:5]}")
            new = tuple(row for key, row in after.items() if key not in old)
            if new:
                added[model] = TableRows(model._meta.db_table, columns, new)
        transaction.set_rollback(True, using=using)
    if not added:
        raise SnapshotError("the loader added no rows (was its data already in the database?)")
    _check_references(added)
    return Snapshot(tables=tuple(added.values()), models=tuple(added))


def _check_references(added: dict[type[Model], TableRows]) -> None:
    """Every foreign key of an added row points at an added row."""
    keys = {}
    for model, table in added.items():
        pk = model._meta.pk
        assert pk is not None
        at = table.columns.index(pk.column)
        keys[model._meta.db_table] = {row[at] for row in table.rows}
    for model, table in added.items():
        for field in model._meta.concrete_fields:
            if not isinstance(field, ForeignKey):  # one-to-one fields included
                continue
            target = field.related_model
            assert not isinstance(target, str)
            at = table.columns.index(field.column)
            outside = {row[at] for row in table.rows} - {None} - keys.get(target._meta.db_table, set())
            if outside:
                raise SnapshotError(
                    f"{table.table}.{field.column} points outside the snapshot ({target._meta.db_table}: "
                    f"{sorted(map(str, outside))[:5]})"
                )


def restore(snapshot: Snapshot, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Insert the snapshot's rows in one transaction (the caller's, if one is open)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for table in snapshot.tables:
            columns = ", ".join(quote(column) for column in table.columns)
            values = ", ".join(["%s"] * len(table.columns))
            cursor.executemany(f"INSERT INTO {quote(table.table)} ({columns}) VALUES ({values})", table.rows)  # noqa: S608
        for statement in connection.ops.sequence_reset_sql(no_style(), list(snapshot.models)):
            cursor.execute(statement)
