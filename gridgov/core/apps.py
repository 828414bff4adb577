from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _reinstall_audit_triggers(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """A later migration that rebuilds the audit table (SQLite copies it into a new table)
    drops its triggers: put them back after every migrate."""
    from django.db import connections

    from . import audit_guard

    connection = connections[using]
    if audit_guard.migrated(connection) and not audit_guard.installed(connection):
        audit_guard.install(connection)


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        post_migrate.connect(_reinstall_audit_triggers, sender=self, dispatch_uid="gridgov.core.audit_triggers")
