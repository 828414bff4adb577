"""The audit log: append-only in Python and in the database, hash-chained, verified, archived."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from gridgov.core import audit_guard
from gridgov.core.audit import (
    ARCHIVE_ACTION,
    GENESIS,
    ArchiveRefused,
    archive_before,
    client_ip,
    record,
    verify_chain,
)
from gridgov.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def write(n: int, **kwargs) -> list[AuditEvent]:
    return [record(action="test.event", data={"n": i, **kwargs}) for i in range(n)]


# --- the chain ---


def test_each_row_points_at_the_hash_of_the_row_before():
    first, second, third = write(3)
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    assert all(len(event.hash) == 64 for event in (first, second, third))


def test_an_intact_chain_verifies():
    write(5, text="中文", nested={"b": [1, 2.5, None], "a": True})
    report = verify_chain()
    assert report.ok
    assert report.rows == 5
    assert report.head == AuditEvent.objects.order_by("-id").first().hash
    assert report.triggers


def test_ip_addresses_are_stored_as_the_database_gives_them_back():
    request = RequestFactory().get("/", REMOTE_ADDR="2001:DB8::0:1")
    record(action="test.ip", request=request)
    assert AuditEvent.objects.get().ip_address == "2001:db8::1"
    assert verify_chain().ok


def test_a_second_row_after_the_same_predecessor_is_refused_by_the_database():
    (event,) = write(1)
    fork = AuditEvent(action="test.fork", prev_hash=event.prev_hash, hash="f" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        fork.save(force_insert=True)


# --- append-only in Python ---


def test_the_model_and_the_manager_refuse_changes():
    (event,) = write(1)
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    with pytest.raises(RuntimeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")
    with pytest.raises(RuntimeError):
        AuditEvent.objects.all().delete()
    with pytest.raises(RuntimeError):
        AuditEvent.objects.bulk_create([AuditEvent(action="x")])


# --- append-only in the database ---


def test_the_database_refuses_an_update_and_a_delete_through_raw_sql():
    (event,) = write(1)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'changed' WHERE id = %s", [event.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get().action == "test.event"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_truncate():
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_auditevent CASCADE")


def test_the_triggers_are_installed_by_the_migration():
    assert audit_guard.installed(connection)


# --- verify_audit ---


def tamper(sql: str, params: list) -> None:
    """Change the table behind the triggers' back, as someone with the database's owner
    rights could (the test's transaction puts the triggers back)."""
    audit_guard.uninstall(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    audit_guard.install(connection)


def verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_verify_audit_says_the_chain_is_intact():
    write(3)
    code, output = verify()
    assert code == 0
    assert "3" in output


def test_verify_audit_finds_a_changed_row_and_exits_with_1():
    events = write(5)
    target = events[2]
    tamper("UPDATE core_auditevent SET data = %s WHERE id = %s", [json.dumps({"n": 99}), target.pk])
    code, output = verify()
    assert code == 1
    assert f"#{target.pk}" in output
    assert "changed" in output


def test_verify_audit_finds_a_removed_row():
    events = write(5)
    tamper("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])
    code, output = verify()
    assert code == 1
    assert f"#{events[3].pk}" in output


def test_verify_audit_finds_a_rewritten_row_with_a_recomputed_hash():
    """Recomputing the hash of a changed row breaks the link of the row after it."""
    from gridgov.core.audit import chain_hash

    events = write(4)
    target = events[1]
    forged = chain_hash(
        created_at=target.created_at,
        actor_id=None,
        action="test.event",
        object_type="",
        object_id="",
        success=True,
        ip_address=None,
        data={"n": 42},
        prev_hash=target.prev_hash,
    )
    tamper("UPDATE core_auditevent SET data = %s, hash = %s WHERE id = %s", [json.dumps({"n": 42}), forged, target.pk])
    code, output = verify()
    assert code == 1
    assert f"#{events[2].pk}" in output


def test_verify_audit_reports_missing_triggers():
    write(1)
    audit_guard.uninstall(connection)
    code, output = verify()
    assert code == 1
    assert "trigger" in output.lower()


# --- archive_audit ---


@pytest.fixture
def old_and_new(clock):
    start = clock.now
    clock.now = start - timedelta(days=400)
    old = write(3)
    clock.now = start - timedelta(days=100)
    middle = write(2)
    clock.now = start
    recent = write(2)
    return old, middle, recent


@pytest.fixture
def clock(monkeypatch):
    from gridgov.people.tests.conftest import Clock

    moving = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", moving)
    return moving


def test_archive_exports_the_old_rows_deletes_them_and_the_chain_still_verifies(old_and_new, tmp_path, clock):
    old, middle, _recent = old_and_new
    out = tmp_path / "audit-archive.jsonl"
    cutoff = old[-1].created_at + timedelta(days=1)
    report = archive_before(before=cutoff, out=out)
    assert report.rows == 3
    assert list(AuditEvent.objects.order_by("id").values_list("pk", flat=True))[:2] == [e.pk for e in middle]
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["type"] == "header"
    assert [line["id"] for line in lines[1:-1]] == [e.pk for e in old]
    assert lines[-1] == {"type": "footer", "rows": 3, "last_id": old[-1].pk, "head_hash": old[-1].hash}
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    archived = AuditEvent.objects.get(action=ARCHIVE_ACTION)
    assert archived.data["last_hash"] == old[-1].hash
    assert archived.data["rows"] == 3
    assert verify_chain().ok


def test_archive_refuses_a_cutoff_inside_the_retention_period(old_and_new, tmp_path):
    with pytest.raises(ArchiveRefused):
        archive_before(before=timezone.now() - timedelta(days=100), out=tmp_path / "a.jsonl")
    assert not (tmp_path / "a.jsonl").exists()
    assert not AuditEvent.objects.filter(action=ARCHIVE_ACTION).exists()


def test_archive_never_overwrites_a_file(old_and_new, tmp_path):
    out = tmp_path / "a.jsonl"
    out.write_text("keep")
    with pytest.raises(ArchiveRefused):
        archive_before(before=timezone.now() - timedelta(days=200), out=out)
    assert out.read_text() == "keep"


def test_the_archive_command_archives_and_refuses_young_rows(old_and_new, tmp_path):
    old, _middle, _recent = old_and_new
    out = tmp_path / "a.jsonl"
    date = (old[-1].created_at + timedelta(days=2)).date().isoformat()
    call_command("archive_audit", "--before", date, "--out", str(out), stdout=StringIO())
    assert out.exists()
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    young = (timezone.now() - timedelta(days=10)).date().isoformat()
    with pytest.raises(SystemExit) as exit_:
        call_command("archive_audit", "--before", young, "--out", str(tmp_path / "b.jsonl"), stderr=StringIO())
    assert exit_.value.code == 1


def test_archiving_everything_old_keeps_the_archive_event_anchored(clock, tmp_path):
    clock.now = timezone.now() - timedelta(days=400)
    old = write(2)
    clock.now = clock.now + timedelta(days=400)
    archive_before(before=clock.now - timedelta(days=200), out=tmp_path / "a.jsonl")
    event = AuditEvent.objects.get()
    assert event.action == ARCHIVE_ACTION
    assert event.prev_hash == old[-1].hash
    assert verify_chain().ok


# --- client address ---


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.9"),  # no trusted proxy: the header is the client's word
        (1, "6.6.6.6, 1.1.1.1", "1.1.1.1"),  # one proxy appended the address it saw
        (2, "6.6.6.6, 1.1.1.1, 10.0.0.2", "1.1.1.1"),
        (1, "not-an-address", "10.0.0.9"),
        (1, "", "10.0.0.9"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(settings, count, forwarded, expected):
    settings.GRIDGOV_TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
