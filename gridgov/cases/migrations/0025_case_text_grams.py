"""The text filter's index of characters and character pairs (PostgreSQL): the side table
``cases_case_text``, its GIN index and the triggers that keep it (``gridgov/core/textsearch.py``),
filled for the cases already there (at ten million cases about ten minutes: stop the web and
worker processes while it runs)."""

from django.db import migrations

from gridgov.core import textsearch


class Migration(migrations.Migration):
    dependencies = [("cases", "0024_rollup_dimension_indexes")]

    operations = [textsearch.migration_operation("cases_case", ["number", "description", "address"])]
