"""Cases of the historical ledger import filed at a village had the village as their ``grid``
(no other case does: a case's grid is a grid). They keep the village's path and lose the grid,
and the statistics' rollups of their towns are rebuilt from the cases (the village table, live
or rolled up, groups on a case's grid), then their districts' rows from the grid rows."""

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    from gridgov.cases import rollups

    wrong = apps.get_model("cases", "Case").objects.filter(grid__isnull=False).exclude(grid__level="grid")
    paths = set(wrong.values_list("area_path", flat=True))
    if not paths:
        return
    wrong.update(grid=None)
    rollups.rebuild_towns(rollups.path_prefix(path, rollups.TOWN_DEPTH) for path in paths)


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0001_initial'),
        ('cases', '0021_rollup_day_rows'),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
