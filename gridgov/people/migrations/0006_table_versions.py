"""The versions of the tables a user's scope and a role's holders are read from (group
``people``) and of the bearer tokens with their users (group ``tokens``), see
``gridgov.core.tableversions``: the triggers that give each a new value on every write that can
change what is read: every column but a token's ``last_used_at`` and a user's ``last_login``."""

from django.conf import settings
from django.db import migrations

from gridgov.core import tableversions


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_otp_secrets_encrypted"),
        ("areas", "0002_place_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        tableversions.migration_operation(
            "people",
            {
                "people_roleassignment": (),
                "people_department_areas": (),
                "areas_area": (),
                "auth_user": ("last_login",),
            },
        ),
        tableversions.migration_operation(
            "tokens", {"people_apitoken": ("last_used_at",), "auth_user": ("last_login",)}
        ),
    ]
