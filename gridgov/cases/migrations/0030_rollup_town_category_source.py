"""One more area level of the statistics' rollups, ``town_category_source`` (a source's top and
rising categories, which read the ``town`` level's rows of every department), made from the grid
rows already kept, as migration 0023 made the village levels: in SQL on PostgreSQL, else town by
town in Python. (An installation that runs 0016 in the same migrate already has it: it is made
again.)"""

from django.db import migrations

from gridgov.cases import rollups

NAMES = ("town_category_source",)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0029_rollup_person_source"),
    ]

    operations = [
        rollups.levels_operation(NAMES, from_cases=False),
    ]
