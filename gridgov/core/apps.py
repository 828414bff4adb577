from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


def _reinstall_audit_triggers(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """A later migration that rebuilds the audit table (SQLite copies it into a new table)
    drops its triggers: put them back after every migrate."""
    from django.db import connections

    from . import audit_guard

    connection = connections[using]
    if audit_guard.migrated(connection) and not audit_guard.installed(connection):
        audit_guard.install(connection)


def _reinstall_version_triggers(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """Put back the triggers of the tables' versions a migration may have dropped (see
    ``tableversions.reinstall``)."""
    from django.db import connections

    from . import tableversions

    tableversions.reinstall(connections[using])


def _admin_change(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """Mirror a change made in the admin into the audit log, unless a service already
    recorded it during the same request (most admin pages write through services)."""
    from .audit import record, recorded_in_request

    if not created or recorded_in_request():
        return
    kinds = {1: "addition", 2: "change", 3: "deletion"}
    content_type = instance.content_type
    record(
        action=f"admin.{kinds.get(instance.action_flag, 'change')}",
        actor=instance.user,
        object_type=content_type.model_class()._meta.label_lower if content_type and content_type.model_class() else "",
        object_id=str(instance.object_id or "")[:64],
        data={"repr": instance.object_repr[:200], "message": (instance.change_message or "")[:1000]},
    )


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry

        from . import requestid  # noqa: F401  (connects the Celery signals that carry the request id)

        post_migrate.connect(_reinstall_audit_triggers, sender=self, dispatch_uid="gridgov.core.audit_triggers")
        post_migrate.connect(_reinstall_version_triggers, sender=self, dispatch_uid="gridgov.core.version_triggers")
        post_save.connect(_admin_change, sender=LogEntry, dispatch_uid="gridgov.core.admin_change")
