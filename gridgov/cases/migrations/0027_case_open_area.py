"""The open cases under an area path prefix (``LIKE '/1/2/%'``), ``varchar_pattern_ops``, which
``case_open`` cannot answer unless the database's collation is C: the queue tabs' counts on
every page of a town's desk read a bitmap of the town's 400,000 cases without it (at ten
million cases a town's list 95 → 50 ms, the index 400 kB, ``docs/benchmarks.md``). On
PostgreSQL built ``CONCURRENTLY``, outside a transaction."""

from django.db import migrations, models

from gridgov.core import indexes

NAME = "case_open_area"
OPEN = ["awaiting_verification", "dispatched", "in_progress", "parked", "registered", "reported", "returned"]
INDEX = models.Index(
    condition=models.Q(status__in=OPEN), fields=["area_path"], name=NAME, opclasses=["varchar_pattern_ops"]
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0026_case_category_reported")]

    operations = [
        indexes.migration_operation("cases", "case", INDEX),
    ]
