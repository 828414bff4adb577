"""The person levels of the statistics' rollups (``rollups.PERSON_LEVELS``: per grid and
reporter or verifier, and per lead department), made from the cases already there, town by town (the grid
rows do not keep people). Python on both databases: about as long as a rebuild of the grid
rows (``docs/benchmarks.md``); stop the web and worker processes while it runs, or run
``stats_rollup_check --repair`` after it if they kept saving cases."""

from typing import Any

from django.db import migrations


def build(apps: Any, schema_editor: Any) -> None:
    from gridgov.cases import rollups

    cases = apps.get_model("cases", "Case").objects
    rollups.build_from_cases(cases, apps.get_model("cases", "CaseRollupCoarse"), rollups.PERSON_LEVELS)


def unbuild(apps: Any, schema_editor: Any) -> None:
    from gridgov.cases import rollups

    names = [level.name for level in rollups.PERSON_LEVELS]
    apps.get_model("cases", "CaseRollupCoarse").objects.filter(level__in=names).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0019_rollup_people'),
    ]

    operations = [
        migrations.RunPython(build, unbuild),
    ]
