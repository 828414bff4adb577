"""The frozen handling minutes of a case (working minutes from the first dispatch, or the
village's acceptance, to the first report back), filled for the cases already handled by the
rule of gridgov.cases.services.milestones.handling_minutes."""

from django.db import migrations, models


def backfill(apps, schema_editor):
    from gridgov.workcalendar.calendar import working_minutes_between

    Case = apps.get_model("cases", "Case")
    handled = Case.objects.filter(handled_at__isnull=False, handling_minutes__isnull=True).order_by("pk")
    batch = []
    for case in handled.only("pk", "dispatched_at", "registered_at", "handled_at").iterator(chunk_size=2000):
        start = case.dispatched_at or case.registered_at
        if start is None:
            continue
        case.handling_minutes = max(0, working_minutes_between(start, case.handled_at))
        batch.append(case)
        if len(batch) >= 2000:
            Case.objects.bulk_update(batch, ["handling_minutes"])
            batch = []
    if batch:
        Case.objects.bulk_update(batch, ["handling_minutes"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_statistics_date_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="handling_minutes",
            field=models.PositiveIntegerField(editable=False, null=True, verbose_name="handling working minutes"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
