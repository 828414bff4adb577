"""The village filter's index (PostgreSQL): a village's cases newest first, by the village's
id in the case's area path (``cases.selectors._in_area``). Outside a transaction, so that
PostgreSQL builds it without blocking new reports."""

from typing import Any

from django.db import migrations

NAME = "case_village_reported"


def create_index(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    how = "" if connection.in_atomic_block else "CONCURRENTLY "
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX {how}IF NOT EXISTS {NAME} ON cases_case "
            "((split_part(area_path, '/', 4)), reported_at DESC, id DESC)"
        )


def drop_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0017_case_open_index")]

    operations = [migrations.RunPython(create_index, drop_index)]
