"""Indexes that migrations build on tables already large (a district's millions of cases).

:func:`add_index` builds a model's index unless it is there (a test database made from the
models has it already). On PostgreSQL, outside a transaction (a migration with
``atomic = False``), it is built ``CONCURRENTLY``, so new writes are not held while it is
built; an interrupted concurrent build leaves an invalid index of the name, which is dropped
and built again rather than kept (PostgreSQL never uses it). Django's own ``AddIndex`` does
neither, which is why such a migration declares the index in its state and builds it here:
:func:`migration_operation` is that pair, what the migration lists.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import Index


def add_index(schema_editor: Any, model: Any, index: Index) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [index.name])
            row = cursor.fetchone()
            if row and row[0]:
                return
            concurrently = not connection.in_atomic_block
            if row:  # invalid: the leftover of an interrupted concurrent build
                cursor.execute(f'DROP INDEX {"CONCURRENTLY " if concurrently else ""}"{index.name}"')
            schema_editor.add_index(model, index, concurrently=concurrently)
            return
        if index.name in connection.introspection.get_constraints(cursor, model._meta.db_table):
            return
    schema_editor.add_index(model, index)


def drop_index(schema_editor: Any, index: Index) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX IF EXISTS "{index.name}"')


def migration_operation(app_label: str, model_name: str, index: Index) -> migrations.SeparateDatabaseAndState:
    """The migration step that adds ``index`` to the model's state and builds it with
    :func:`add_index` (dropped backwards); the migration says ``atomic = False`` for a
    concurrent build."""

    def create(apps: Any, schema_editor: Any) -> None:
        add_index(schema_editor, apps.get_model(app_label, model_name), index)

    def drop(apps: Any, schema_editor: Any) -> None:
        drop_index(schema_editor, index)

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AddIndex(model_name=model_name, index=index)],
        database_operations=[migrations.RunPython(create, drop)],
    )
