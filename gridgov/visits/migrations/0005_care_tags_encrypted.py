"""Households' care tags encrypted at rest (issue 15): the JSON list becomes an encrypted text
(the tags joined by commas) beside a clear ``cared`` flag (any tag at all), and every household
written before is converted in place. The clear column goes in 0006 (PostgreSQL does not alter
a table with pending trigger events in the transaction that updated its rows)."""

from django.db import migrations, models

import gridgov.core.crypto

BATCH = 500


def encrypt_care_tags(apps, schema_editor):
    Household = apps.get_model("visits", "Household")
    query = Household.objects.order_by("pk")
    last = 0
    while True:
        rows = list(query.filter(pk__gt=last).values_list("pk", "care_tags")[:BATCH])
        if not rows:
            break
        for pk, tags in rows:
            tags = [str(tag) for tag in (tags or []) if tag]
            # The field encrypts what it is given.
            Household.objects.filter(pk=pk).update(care_tags_sealed=",".join(tags), cared=bool(tags))
            last = pk


def decrypt_care_tags(apps, schema_editor):
    Household = apps.get_model("visits", "Household")
    for household in Household.objects.order_by("pk").iterator():
        tags = [tag for tag in (household.care_tags_sealed or "").split(",") if tag]
        Household.objects.filter(pk=household.pk).update(care_tags=tags)


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0004_visit_photos"),
    ]

    operations = [
        migrations.AddField(
            model_name="household",
            name="care_tags_sealed",
            field=gridgov.core.crypto.EncryptedTextField(blank=True, default="", verbose_name="care tags"),
        ),
        migrations.AddField(
            model_name="household",
            name="cared",
            field=models.BooleanField(default=False, editable=False, verbose_name="care-tagged"),
        ),
        migrations.RunPython(encrypt_care_tags, decrypt_care_tags),
    ]
