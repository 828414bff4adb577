"""The clear care tags, encrypted by 0005, are dropped."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0005_care_tags_encrypted"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="household",
            name="care_tags",
        ),
    ]
