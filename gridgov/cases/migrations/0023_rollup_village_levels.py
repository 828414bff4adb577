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
    from gridgov.cases.models import ROLLUP_MEASURES

    levels = [level for level in rollups.LEVELS if level.name in NAMES]
    coarse = apps.get_model("cases", "CaseRollupCoarse")
    coarse.objects.filter(level__in=NAMES).delete()
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for level in levels:
                cursor.execute(rollups.coarse_sql(level))
        return
    grid_rows = apps.get_model("cases", "CaseRollup").objects.order_by("area_path", "pk")
    rows = grid_rows.values(*rollups.KEY, *ROLLUP_MEASURES).iterator(chunk_size=rollups.BATCH)
    for town in rollups.coarse_by_town(rows, levels):
        made = (coarse(**dict(zip(rollups.COARSE_KEY, key, strict=True)), **measures) for key, measures in town.items())
        coarse.objects.bulk_create(made, batch_size=rollups.BATCH)


def unbuild(apps: Any, schema_editor: Any) -> None:
    apps.get_model("cases", "CaseRollupCoarse").objects.filter(level__in=NAMES).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0022_ledger_cases_without_a_village_grid'),
    ]

    operations = [
        migrations.RunPython(build, unbuild),
    ]
