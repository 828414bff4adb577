"""Two more person levels of the statistics' rollups, ``reporter_source`` and
``verifier_source`` (a source's tables of people, which were counted on the cases), made from
the cases already there grid by grid, as migration 0020 made the first person levels (an
installation that runs 0020 in the same migrate already has them: they are made again). Stop
the web and worker processes while it runs, or run ``stats_rollup_check --repair`` after it if
they kept saving cases."""

from typing import Any

from django.db import migrations

NAMES = ("reporter_source", "verifier_source")


def build(apps: Any, schema_editor: Any) -> None:
    from gridgov.cases import rollups

    coarse = apps.get_model("cases", "CaseRollupCoarse")
    coarse.objects.filter(level__in=NAMES).delete()
    levels = [level for level in rollups.PERSON_LEVELS if level.name in NAMES]
    cases = apps.get_model("cases", "Case").objects.order_by()
    for grid in list(cases.values_list("grid_id", flat=True).distinct()):
        mine = cases.filter(grid_id=grid) if grid is not None else cases.filter(grid__isnull=True)
        made = rollups.level_rows(mine.values(*rollups.FIELDS).iterator(chunk_size=rollups.BATCH), levels)
        coarse.objects.bulk_create(
            (coarse(**dict(zip(rollups.COARSE_KEY, key, strict=True)), **counts) for key, counts in made.items()),
            batch_size=rollups.BATCH,
        )


def unbuild(apps: Any, schema_editor: Any) -> None:
    apps.get_model("cases", "CaseRollupCoarse").objects.filter(level__in=NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0028_case_department_area"),
    ]

    operations = [
        migrations.RunPython(build, unbuild),
    ]
