"""One more area level of the statistics' rollups, ``town_category_source`` (a source's top and
rising categories, which read the ``town`` level's rows of every department), made from the grid
rows already kept, as migration 0023 made the village levels: in SQL on PostgreSQL, else town by
town in Python. (An installation that runs 0016 in the same migrate already has it: it is made
again.)"""

from typing import Any

from django.db import migrations

NAMES = ("town_category_source",)


def build(apps: Any, schema_editor: Any) -> None:
    from gridgov.cases import rollups

    rollups.build_from_grid_rows(apps, schema_editor, NAMES)


def unbuild(apps: Any, schema_editor: Any) -> None:
    apps.get_model("cases", "CaseRollupCoarse").objects.filter(level__in=NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0029_rollup_person_source"),
    ]

    operations = [
        migrations.RunPython(build, unbuild),
    ]
