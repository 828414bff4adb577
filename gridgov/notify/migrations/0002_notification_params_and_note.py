from django.db import migrations, models


class Migration(migrations.Migration):
    """Notifications keep what to render (params) and free text as typed (note, formerly body);
    the stored title gets a default so that dropping it (0004) can be undone."""

    dependencies = [
        ("notify", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="parameters"),
        ),
        migrations.RenameField(
            model_name="notification",
            old_name="body",
            new_name="note",
        ),
        migrations.AlterField(
            model_name="notification",
            name="note",
            field=models.TextField(blank=True, verbose_name="note"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="title",
            field=models.CharField(blank=True, default="", max_length=200, verbose_name="title"),
        ),
    ]
