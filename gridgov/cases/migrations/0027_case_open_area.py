"""The open cases under an area path prefix (``LIKE '/1/2/%'``), ``varchar_pattern_ops``, which
``case_open`` cannot answer unless the database's collation is C: the queue tabs' counts on
every page of a town's desk read a bitmap of the town's 400,000 cases without it (at ten
million cases a town's list 95 → 50 ms, the index 400 kB, ``docs/benchmarks.md``). On
PostgreSQL built ``CONCURRENTLY``, outside a transaction."""

from typing import Any

from django.db import migrations, models

NAME = "case_open_area"
OPEN = ["awaiting_verification", "dispatched", "in_progress", "parked", "registered", "reported", "returned"]


def create(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        statuses = ", ".join(f"'{status}'" for status in OPEN)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON cases_case (area_path) WHERE status IN ({statuses})")
        return
    how = "" if connection.in_atomic_block else "CONCURRENTLY "
    statuses = ", ".join(f"'{status}'" for status in OPEN)
    with connection.cursor() as cursor:
        # An interrupted concurrent build leaves an invalid index of the name, which IF NOT
        # EXISTS would keep (and never use).
        cursor.execute("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [NAME])
        row = cursor.fetchone()
        if row and row[0]:
            cursor.execute(f"DROP INDEX {how}{NAME}")
        cursor.execute(
            f"CREATE INDEX {how}IF NOT EXISTS {NAME} ON cases_case (area_path varchar_pattern_ops) "
            f"WHERE status IN ({statuses})"
        )


def drop(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0026_case_category_reported")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="case",
                    index=models.Index(
                        condition=models.Q(status__in=OPEN),
                        fields=["area_path"],
                        name=NAME,
                        opclasses=["varchar_pattern_ops"],
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
