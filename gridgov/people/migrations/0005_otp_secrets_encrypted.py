"""The second-factor secrets stored before: TOTP secrets encrypted, recovery codes replaced by
their keyed digests (gridgov/people/otpcrypt.py). Safe to run again: what is already converted
is left alone."""

from django.db import migrations

from gridgov.people.otpcrypt import PREFIX, RECOVERY_DIGEST_CHARS, encrypt_secret, recovery_stored


def forwards(apps, schema_editor):
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    StaticToken = apps.get_model("otp_static", "StaticToken")
    for device in TOTPDevice.objects.exclude(key__startswith=PREFIX).exclude(key=""):
        TOTPDevice.objects.filter(pk=device.pk).update(key=encrypt_secret(device.key))
    for token in StaticToken.objects.all():
        if len(token.token) != RECOVERY_DIGEST_CHARS:
            StaticToken.objects.filter(pk=token.pk).update(token=recovery_stored(token.token))


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_login_throttle_sessions_password_policy_admin_roles"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
