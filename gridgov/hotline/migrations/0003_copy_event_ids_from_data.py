"""Upstream's event ids move from ``OrderEvent.data["event_id"]`` into their own column.

The id stays in ``data`` too (the order's history shows it as before). Only the first event of
an order with a given id is copied, so that the unique constraint holds even for a history
written before it existed."""

from django.db import migrations


def copy_event_ids(apps, schema_editor):
    OrderEvent = apps.get_model("hotline", "OrderEvent")
    seen = set()
    events = OrderEvent.objects.filter(origin="upstream", event_id="").order_by("order_id", "id")
    for event in events.only("id", "order_id", "data").iterator(chunk_size=2000):
        value = (event.data or {}).get("event_id") if isinstance(event.data, dict) else None
        if not value:
            continue
        key = (event.order_id, str(value)[:100])
        if key in seen:
            continue
        seen.add(key)
        OrderEvent.objects.filter(pk=event.pk).update(event_id=key[1])


def clear_event_ids(apps, schema_editor):
    OrderEvent = apps.get_model("hotline", "OrderEvent")
    OrderEvent.objects.exclude(event_id="").update(event_id="")


class Migration(migrations.Migration):

    dependencies = [
        ("hotline", "0002_event_id_column_unique_per_order"),
    ]

    operations = [
        migrations.RunPython(copy_event_ids, clear_event_ids),
    ]
