"""An index of the coarse rollup rows by level and area path (a prefix on PostgreSQL, through
``varchar_pattern_ops``): an area filter (``area_path LIKE '<path>%'``: a town user's scope, a
village or a grid chosen on the page) came after the period's range in ``case_rollup_level``,
so a village's year read every village's rows of its level in the district and kept a few
hundred (at one million cases: 86,838 rows from 15,864 pages, 99 ms; with this index 407 rows,
3 ms; ``docs/benchmarks.md``). On PostgreSQL built ``CONCURRENTLY``, outside a transaction, so
the rows stay writable."""

from typing import Any

from django.db import migrations, models

NAME = "rollup_level_area"


def create(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            how = "" if connection.in_atomic_block else "CONCURRENTLY "
            cursor.execute(
                f"CREATE INDEX {how}IF NOT EXISTS {NAME} ON cases_caserollupcoarse "
                "(level varchar_ops, area_path varchar_pattern_ops, month date_ops, late date_ops)"
            )
        else:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON cases_caserollupcoarse (level, area_path, month, late)")


def drop(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('cases', '0030_rollup_town_category_source'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name='caserollupcoarse',
                    index=models.Index(
                        fields=['level', 'area_path', 'month', 'late'],
                        name=NAME,
                        opclasses=['varchar_ops', 'varchar_pattern_ops', 'date_ops', 'date_ops'],
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
