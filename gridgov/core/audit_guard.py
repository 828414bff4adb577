"""Database triggers that make the audit table append-only, for PostgreSQL and SQLite.

UPDATE is always refused. DELETE (and on PostgreSQL TRUNCATE) is refused unless the
transaction has opened the maintenance gate of :func:`gridgov.core.audit.audit_maintenance`:

- PostgreSQL: ``SET LOCAL gridgov.audit_maintenance = 'on'``, a setting that lives only in
  that transaction of that connection;
- SQLite (one writer at a time): a row in the marker table ``gridgov_audit_permit``, inserted
  and removed inside the same transaction, so no other connection ever sees it.

The marker table is not a Django model, so ``flush`` does not touch it. Installing is
idempotent: the ``core`` app installs the triggers again after every ``migrate`` in case a
later migration rebuilt the table (SQLite drops a table's triggers when Django remakes it).
Production deployments on PostgreSQL should also revoke UPDATE, DELETE and TRUNCATE on the
table from the application's database role (``docs/security.md``).
"""

from __future__ import annotations

from typing import Any

TABLE = "core_auditevent"
PERMIT_TABLE = "gridgov_audit_permit"
MIGRATION = ("core", "0004_auditevent_append_only")

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION gridgov_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE')
       AND coalesce(current_setting('gridgov.audit_maintenance', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% on {TABLE} refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$
"""
# The chain's head under the append lock, in one round trip: the lock first, then the read
# with a fresh snapshot (a PL/pgSQL statement sees what committed before it ran).
_PG_HEAD_FUNCTION = """
CREATE OR REPLACE FUNCTION gridgov_audit_chain_head(lock_key bigint) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN coalesce((SELECT hash FROM core_auditevent ORDER BY id DESC LIMIT 1), '');
END
$$
"""
_PG_TRIGGERS = {
    "core_auditevent_append_only": (
        f"CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION gridgov_audit_guard()"
    ),
    "core_auditevent_no_truncate": (
        f"CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION gridgov_audit_guard()"
    ),
}
_SQLITE_TRIGGERS = {
    "core_auditevent_no_update": (
        f"CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END"
    ),
    "core_auditevent_no_delete": (
        "CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
        "WHEN NOT EXISTS (SELECT 1 FROM gridgov_audit_permit) "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused)'); END"
    ),
}


def trigger_names(connection: Any) -> list[str]:
    if connection.vendor == "postgresql":
        return list(_PG_TRIGGERS)
    if connection.vendor == "sqlite":
        return list(_SQLITE_TRIGGERS)
    return []


def _present(connection: Any) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal", [TABLE]
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        else:
            return set()
        return {name for (name,) in cursor.fetchall()}


def installed(connection: Any) -> bool:
    """Are all the triggers of this vendor in place?"""
    wanted = set(trigger_names(connection))
    return bool(wanted) and wanted <= _present(connection)


def install(connection: Any) -> None:
    """Create what is missing (idempotent)."""
    present = _present(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            cursor.execute(_PG_HEAD_FUNCTION)
            for name, sql in _PG_TRIGGERS.items():
                if name not in present:
                    cursor.execute(sql)
        elif connection.vendor == "sqlite":
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {PERMIT_TABLE} (flag INTEGER NOT NULL)")
            for sql in _SQLITE_TRIGGERS.values():
                cursor.execute(sql)


def uninstall(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in _PG_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")
            cursor.execute("DROP FUNCTION IF EXISTS gridgov_audit_guard()")
            cursor.execute("DROP FUNCTION IF EXISTS gridgov_audit_chain_head(bigint)")
        elif connection.vendor == "sqlite":
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {PERMIT_TABLE}")


def allow_deletes(connection: Any, allowed: bool) -> None:
    """Open or close the maintenance gate for the current transaction (see the module doc)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('gridgov.audit_maintenance', %s, true)", ["on" if allowed else "off"])
        elif connection.vendor == "sqlite":
            if allowed:
                cursor.execute("CREATE TABLE IF NOT EXISTS gridgov_audit_permit (flag INTEGER NOT NULL)")
                cursor.execute("INSERT INTO gridgov_audit_permit (flag) VALUES (1)")
            else:
                cursor.execute("DELETE FROM gridgov_audit_permit")


def migrated(connection: Any) -> bool:
    """Is the migration that installs the triggers applied on this database?"""
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    return recorder.has_table() and MIGRATION in recorder.applied_migrations()


_head_function_seen = False


def head_function_installed(connection: Any) -> bool:
    """Is ``gridgov_audit_chain_head`` there (PostgreSQL)? Once seen it is taken as there for
    the life of the process (the migration that makes it is never undone in production)."""
    global _head_function_seen
    if _head_function_seen:
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('gridgov_audit_chain_head(bigint)') IS NOT NULL")
        row = cursor.fetchone()
    _head_function_seen = bool(row and row[0])
    return _head_function_seen
