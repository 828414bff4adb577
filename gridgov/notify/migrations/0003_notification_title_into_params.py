from django.db import migrations
from django.db.models import F, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, JSONObject, Left, NullIf


def title_into_params(apps, schema_editor):
    """A notification written before titles were rendered keeps its title as is: the
    ``text`` parameter, shown unchanged in every language."""
    Notification = apps.get_model("notify", "Notification")
    Notification.objects.update(params=JSONObject(text=F("title")))


def params_into_title(apps, schema_editor):
    """Back: the ``text`` parameter, or the kind for a notification rendered from codes."""
    Notification = apps.get_model("notify", "Notification")
    text = NullIf(KeyTextTransform("text", "params"), Value(""))
    Notification.objects.update(title=Left(Coalesce(text, F("kind")), 200))


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0002_notification_params_and_note"),
    ]

    operations = [
        migrations.RunPython(title_into_params, params_into_title),
    ]
