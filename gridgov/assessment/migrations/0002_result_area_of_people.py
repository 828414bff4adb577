"""The results of grid workers and grid leaders computed before their area was kept get it
from their snapshot's frozen target (a worker's grid places the result under a grid leader's
village: ``services.led_results_q``). Nothing to do in a new database."""

from typing import Any

from django.db import migrations

PEOPLE = ("grid_worker", "grid_leader")


def backfill(apps: Any, schema_editor: Any) -> None:
    Result = apps.get_model("assessment", "Result")
    Snapshot = apps.get_model("assessment", "Snapshot")
    missing = Result.objects.filter(target_type__in=PEOPLE, area__isnull=True)
    for snapshot_id in missing.values_list("snapshot_id", flat=True).distinct().iterator():
        inputs = Snapshot.objects.filter(pk=snapshot_id).values_list("inputs", flat=True).first() or {}
        areas = {
            t["target"]["key"]: t["target"].get("area")
            for t in inputs.get("targets", [])
            if t.get("target", {}).get("type") in PEOPLE
        }
        for result in missing.filter(snapshot_id=snapshot_id).only("pk", "target_key"):
            if areas.get(result.target_key):
                Result.objects.filter(pk=result.pk).update(area_id=areas[result.target_key])


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
