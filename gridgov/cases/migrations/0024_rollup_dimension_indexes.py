"""Indexes of the coarse rollup rows by level and department, category or source: a filter on
one of those read every row of its level in the period before (a department's year at ten
million cases: the page's first response 625 ms, with them 188 ms, ``docs/benchmarks.md``). On
PostgreSQL built ``CONCURRENTLY``, outside a transaction, so the rows stay writable."""

from typing import Any

from django.db import migrations, models

INDEXES = (
    ("rollup_level_department", "lead_department_id"),
    ("rollup_level_category", "category_id"),
    ("rollup_level_source", "source"),
)


def create(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    how = "CONCURRENTLY " if connection.vendor == "postgresql" and not connection.in_atomic_block else ""
    with connection.cursor() as cursor:
        for name, column in INDEXES:
            cursor.execute(
                f"CREATE INDEX {how}IF NOT EXISTS {name} ON cases_caserollupcoarse (level, {column}, month, late)"
            )


def drop(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        for name, _column in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('cases', '0023_rollup_village_levels'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name='caserollupcoarse',
                    index=models.Index(fields=['level', 'lead_department', 'month', 'late'], name='rollup_level_department'),
                ),
                migrations.AddIndex(
                    model_name='caserollupcoarse',
                    index=models.Index(fields=['level', 'category', 'month', 'late'], name='rollup_level_category'),
                ),
                migrations.AddIndex(
                    model_name='caserollupcoarse',
                    index=models.Index(fields=['level', 'source', 'month', 'late'], name='rollup_level_source'),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
