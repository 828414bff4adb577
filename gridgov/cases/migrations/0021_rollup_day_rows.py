"""The day levels of the statistics' rollups (``rollups.DAY_LEVELS``: per town, per town and
source or lead department, per village, by local day), made from the cases already there, town
by town (the grid rows keep months, not days; a town's rows are summed over all its cases, so
each key is one row). Python on both databases: about as long as a rebuild of the grid rows
(``docs/benchmarks.md``); stop the web and worker processes while it runs, or run
``stats_rollup_check --repair`` after it if they kept saving cases."""

from typing import Any

from django.db import migrations


def build(apps: Any, schema_editor: Any) -> None:
    from gridgov.cases import rollups

    cases = apps.get_model("cases", "Case").objects
    rollups.build_from_cases(cases, apps.get_model("cases", "CaseRollupCoarse"), rollups.DAY_LEVELS)


def unbuild(apps: Any, schema_editor: Any) -> None:
    from gridgov.cases import rollups

    names = [level.name for level in rollups.DAY_LEVELS]
    apps.get_model("cases", "CaseRollupCoarse").objects.filter(level__in=names).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0020_rollup_people_rows'),
    ]

    operations = [
        migrations.RunPython(build, unbuild),
    ]
