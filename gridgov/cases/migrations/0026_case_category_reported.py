"""The category filter's index: a category's cases newest first (a town's category at ten
million cases: the list's first page 207 → 105 ms, ``docs/benchmarks.md``). It starts with the
category, so the foreign key's own index goes. On PostgreSQL built ``CONCURRENTLY``, outside a
transaction, so new reports are not held while it is built (about 10 s at ten million cases)."""

from typing import Any

from django.db import migrations, models

NAME = "case_category_reported"


def create(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    how = "CONCURRENTLY " if connection.vendor == "postgresql" and not connection.in_atomic_block else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # An interrupted concurrent build leaves an invalid index of the name, which IF NOT
            # EXISTS would keep (never used) while the key's own index is dropped below.
            cursor.execute("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [NAME])
            row = cursor.fetchone()
            if row and row[0]:
                cursor.execute(f"DROP INDEX {how}{NAME}")
        cursor.execute(f"CREATE INDEX {how}IF NOT EXISTS {NAME} ON cases_case (category_id, reported_at DESC, id DESC)")


def drop(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0025_case_text_grams")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="case",
                    index=models.Index(fields=["category", "-reported_at", "-id"], name=NAME),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
        migrations.AlterField(
            model_name="case",
            name="category",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="categories.category",
                verbose_name="category",
            ),
        ),
    ]
