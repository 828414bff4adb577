"""Chain the rows written before the chain existed, in the order of their ids."""

from django.db import migrations


def chain(apps, schema_editor):
    from gridgov.core.audit import GENESIS, chain_hash

    AuditEvent = apps.get_model("core", "AuditEvent")
    rows = AuditEvent.objects.using(schema_editor.connection.alias).order_by("id")
    previous = GENESIS
    for event in rows.iterator(chunk_size=2000):
        digest = chain_hash(
            created_at=event.created_at,
            actor_id=event.actor_id,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            success=event.success,
            ip_address=event.ip_address,
            data=event.data,
            prev_hash=previous,
        )
        AuditEvent.objects.using(schema_editor.connection.alias).filter(pk=event.pk).update(
            prev_hash=previous, hash=digest
        )
        previous = digest


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_auditevent_hash_chain"),
    ]

    operations = [
        migrations.RunPython(chain, migrations.RunPython.noop),
    ]
