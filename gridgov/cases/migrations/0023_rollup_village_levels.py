"""Two more area levels of the statistics' rollups: ``village_department`` and
``village_category`` (the villages of a department's or a category's figures, which read the
grid rows before), made from the grid rows already kept: in SQL on PostgreSQL, else town by
town in Python, as migration 0016 made the first levels. (An installation that runs 0016 in
the same migrate already has them: they are made again.)"""

from typing import Any

from django.db import migrations

NAMES = ("village_department", "village_category")


def build(apps: Any, schema_editor: Any) -> None:
    from gridgov.cases import rollups

    rollups.build_from_grid_rows(apps, schema_editor, NAMES)


def unbuild(apps: Any, schema_editor: Any) -> None:
    apps.get_model("cases", "CaseRollupCoarse").objects.filter(level__in=NAMES).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0022_ledger_cases_without_a_village_grid'),
    ]

    operations = [
        migrations.RunPython(build, unbuild),
    ]
