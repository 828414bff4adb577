"""The text filter's index of characters and character pairs (PostgreSQL): the side table
``cases_case_text``, its GIN index and the triggers that keep it (``gridgov/core/textsearch.py``),
filled for the cases already there (at ten million cases about ten minutes: stop the web and
worker processes while it runs)."""

from typing import Any

from django.db import migrations

TABLE = "cases_case"
COLUMNS = ["number", "description", "address"]


def install(apps: Any, schema_editor: Any) -> None:
    from gridgov.core import textsearch

    textsearch.install(schema_editor.connection, TABLE, COLUMNS)


def uninstall(apps: Any, schema_editor: Any) -> None:
    from gridgov.core import textsearch

    textsearch.uninstall(schema_editor.connection, TABLE)


class Migration(migrations.Migration):
    dependencies = [("cases", "0024_rollup_dimension_indexes")]

    operations = [migrations.RunPython(install, uninstall)]
