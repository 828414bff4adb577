"""The versions of the tables a user's scope and a role's holders are read from (group
``people``) and of the bearer tokens with their users (group ``tokens``), see
``gridgov.core.tableversions``: the triggers that give each a new value on every write that can
change what is read. A token's ``last_used_at`` and a user's ``last_login`` do not count."""

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
                "people_roleassignment": None,
                "people_department_areas": None,
                "areas_area": ("path", "parent_id", "level"),
                "auth_user": ("is_active", "is_superuser"),
            },
        ),
        tableversions.migration_operation(
            "tokens",
            {
                "people_apitoken": ("user_id", "name", "key_hash", "prefix", "created_at", "expires_at", "revoked_at"),
                "auth_user": (
                    "password",
                    "is_superuser",
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "is_staff",
                    "is_active",
                    "date_joined",
                ),
            },
        ),
    ]
