"""One successor per row (no fork of the chain), and triggers that refuse UPDATE and DELETE
on the audit table (see gridgov/core/audit_guard.py)."""

from django.db import migrations, models


def install(apps, schema_editor):
    from gridgov.core import audit_guard

    audit_guard.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from gridgov.core import audit_guard

    audit_guard.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_auditevent_chain_existing_rows"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("prev_hash",), name="auditevent_one_successor"),
        ),
        migrations.RunPython(install, uninstall),
    ]
