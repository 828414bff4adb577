"""The whole suite's fixtures live in one plugin, :mod:`gridgov.testing.fixtures` (the Taiping
demo restored from a snapshot, the named accounts, the browser, a media folder per test)."""

from __future__ import annotations

from django.db.backends.base.operations import BaseDatabaseOperations

pytest_plugins = ["gridgov.testing.fixtures"]

_execute_sql_flush = BaseDatabaseOperations.execute_sql_flush


def _flush_through_the_audit_gate(self, sql_list):
    """Between transactional tests Django empties every table; the audit table refuses deletes
    (gridgov/core/audit_guard.py) except inside the maintenance gate, so the flush opens it."""
    from gridgov.core.audit import audit_maintenance

    with audit_maintenance(self.connection.alias):
        _execute_sql_flush(self, sql_list)


BaseDatabaseOperations.execute_sql_flush = _flush_through_the_audit_gate
