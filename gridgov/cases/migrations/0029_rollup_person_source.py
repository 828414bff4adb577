"""Two more person levels of the statistics' rollups, ``reporter_source`` and
``verifier_source`` (a source's tables of people, which were counted on the cases), made from
the cases already there town by town, as migration 0020 made the first person levels (an
installation that runs 0020 in the same migrate already has them: they are made again). Stop
the web and worker processes while it runs, or run ``stats_rollup_check --repair`` after it if
they kept saving cases."""

from django.db import migrations

from gridgov.cases import rollups

NAMES = ("reporter_source", "verifier_source")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0028_case_department_area"),
    ]

    operations = [
        rollups.levels_operation(NAMES, from_cases=True),
    ]
