"""Two more person levels of the statistics' rollups, ``reporter_source`` and
``verifier_source`` (a source's tables of people, which were counted on the cases), made from
the cases already there town by town, as migration 0020 made the first person levels (an
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
    rollups.build_from_cases(apps.get_model("cases", "Case").objects, coarse, levels)


def unbuild(apps: Any, schema_editor: Any) -> None:
    apps.get_model("cases", "CaseRollupCoarse").objects.filter(level__in=NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0028_case_department_area"),
    ]

    operations = [
        migrations.RunPython(build, unbuild),
    ]
