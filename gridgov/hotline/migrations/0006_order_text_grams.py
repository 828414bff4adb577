"""The text filter's index of characters and character pairs (PostgreSQL): the side table
``hotline_hotlineorder_text``, its GIN index and the triggers that keep it
(``gridgov/core/textsearch.py``), filled for the orders already there."""

from typing import Any

from django.db import migrations

TABLE = "hotline_hotlineorder"
COLUMNS = ["upstream_number", "title", "content", "address"]


def install(apps: Any, schema_editor: Any) -> None:
    from gridgov.core import textsearch

    textsearch.install(schema_editor.connection, TABLE, COLUMNS)


def uninstall(apps: Any, schema_editor: Any) -> None:
    from gridgov.core import textsearch

    textsearch.uninstall(schema_editor.connection, TABLE)


class Migration(migrations.Migration):
    dependencies = [("hotline", "0005_reconciliation")]

    operations = [migrations.RunPython(install, uninstall)]
