"""Case parties encrypted at rest (issue 13, item 6): the columns become text fields whose
values are Fernet tokens, and every party written before is encrypted in place (a value already
encrypted is left alone, so the migration can run again after an interruption)."""

from django.db import migrations

import gridgov.core.crypto

BATCH = 500


def encrypt_parties(apps, schema_editor):
    from gridgov.core.crypto import PREFIX, encrypt

    Case = apps.get_model("cases", "Case")
    # values_list reads the stored text as it is (the historical model's field decrypts a token
    # and passes plain text through, so the test below sees what is stored).
    query = Case.objects.exclude(party_name="", party_phone="").order_by("pk")
    last = 0
    while True:
        rows = list(query.filter(pk__gt=last).values_list("pk", "party_name", "party_phone")[:BATCH])
        if not rows:
            break
        for pk, name, phone in rows:
            # The historical field decrypts, so both kinds come back as clear text here; saving
            # through update() encrypts under the first key.
            Case.objects.filter(pk=pk).update(
                party_name=encrypt(name) if name and not name.startswith(PREFIX) else name,
                party_phone=encrypt(phone) if phone and not phone.startswith(PREFIX) else phone,
            )
            last = pk


def decrypt_parties(apps, schema_editor):
    """Back to clear text (raw SQL: the field would encrypt what it is given)."""
    from gridgov.core.crypto import decrypt

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, party_name, party_phone FROM cases_case")
        rows = cursor.fetchall()
        for pk, name, phone in rows:
            cursor.execute(
                "UPDATE cases_case SET party_name = %s, party_phone = %s WHERE id = %s",
                [decrypt(name or "")[:100], decrypt(phone or "")[:30], pk],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_case_callback"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="party_name",
            field=gridgov.core.crypto.EncryptedTextField(blank=True, verbose_name="party name"),
        ),
        migrations.AlterField(
            model_name="case",
            name="party_phone",
            field=gridgov.core.crypto.EncryptedTextField(blank=True, verbose_name="party phone"),
        ),
        migrations.RunPython(encrypt_parties, decrypt_parties),
    ]
