"""The person column of the coarse rollup table (``rollups.PERSON_LEVELS``); its rows are made by
0020. Two migrations, not one: on PostgreSQL the foreign key's index cannot be created in a
transaction that has just inserted rows (pending trigger events)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0018_case_village_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='caserollupcoarse',
            name='person',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
    ]
