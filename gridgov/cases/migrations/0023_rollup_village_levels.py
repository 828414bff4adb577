"""Two more area levels of the statistics' rollups: ``village_department`` and
``village_category`` (the villages of a department's or a category's figures, which read the
grid rows before), made from the grid rows already kept: in SQL on PostgreSQL, else town by
town in Python, as migration 0016 made the first levels. (An installation that runs 0016 in
the same migrate already has them: they are made again.)"""

from django.db import migrations

from gridgov.cases import rollups

NAMES = ("village_department", "village_category")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0022_ledger_cases_without_a_village_grid"),
    ]

    operations = [
        rollups.levels_operation(NAMES, from_cases=False),
    ]
