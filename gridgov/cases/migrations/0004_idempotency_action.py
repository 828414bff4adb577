"""Idempotency keys also cover actions on a case and added photos (the phone's retries)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_idempotency_fingerprint"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencykey",
            name="action",
            field=models.CharField(blank=True, default="", max_length=24),
        ),
        migrations.AddField(
            model_name="idempotencykey",
            name="event",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="cases.caseevent",
            ),
        ),
    ]
