from django.db import migrations


class Migration(migrations.Migration):
    """Titles are rendered when shown, in the reader's language (``gridgov.notify.rendering``)."""

    dependencies = [
        ("notify", "0003_notification_title_into_params"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="notification",
            name="title",
        ),
    ]
