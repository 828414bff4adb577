"""The text filter's index of characters and character pairs (PostgreSQL): the side table
``hotline_hotlineorder_text``, its GIN index and the triggers that keep it
(``gridgov/core/textsearch.py``), filled for the orders already there."""

from django.db import migrations

from gridgov.core import textsearch


class Migration(migrations.Migration):
    dependencies = [("hotline", "0005_reconciliation")]

    operations = [
        textsearch.migration_operation("hotline_hotlineorder", ["upstream_number", "title", "content", "address"])
    ]
