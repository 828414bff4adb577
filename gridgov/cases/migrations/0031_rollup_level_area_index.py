"""An index of the coarse rollup rows by level and area path (a prefix on PostgreSQL, through
``varchar_pattern_ops``): an area filter (``area_path LIKE '<path>%'``: a town user's scope, a
village or a grid chosen on the page) came after the period's range in ``case_rollup_level``,
so a village's year read every village's rows of its level in the district and kept a few
hundred (at one million cases: 86,838 rows from 15,864 pages, 99 ms; with this index 407 rows,
3 ms; ``docs/benchmarks.md``). On PostgreSQL built ``CONCURRENTLY``, outside a transaction, so
the rows stay writable (``gridgov.core.indexes``); SQLite leaves out the operator classes."""

from django.db import migrations, models

from gridgov.core import indexes

INDEX = models.Index(
    fields=["level", "area_path", "month", "late"],
    name="rollup_level_area",
    opclasses=["varchar_ops", "varchar_pattern_ops", "date_ops", "date_ops"],
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0030_rollup_town_category_source")]

    operations = [indexes.migration_operation("cases", "caserollupcoarse", INDEX)]
