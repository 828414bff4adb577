from django.db import migrations, models

import gridgov.core.models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="hash"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="previous hash"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(
                db_index=True, default=gridgov.core.models._now, editable=False, verbose_name="time"
            ),
        ),
    ]
