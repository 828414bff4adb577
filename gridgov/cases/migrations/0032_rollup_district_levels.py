"""The district levels of the statistics' rollups (``district_source``, ``district_category``,
``district_department``: a district's rows, its towns summed), made from the grid rows already
kept (one ``INSERT … SELECT`` a level on PostgreSQL). Stop the web and worker processes while it
runs, or run ``stats_rollup_check --repair`` after it if they kept saving cases."""

from django.db import migrations

from gridgov.cases import rollups

NAMES = ("district_source", "district_category", "district_department")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0031_rollup_level_area_index"),
    ]

    operations = [
        rollups.levels_operation(NAMES, from_cases=False),
    ]
