"""The read replica's router (gridgov/core/dbrouter.py): statistics, the cockpit and the
bulletins' figures read the replica; everything else, anything in a transaction, the accounts
and the audit read the primary; nothing is written there. In the suite the replica is a test
mirror of the primary with its own connection (config/test_settings.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridgov.areas.models import Area, AreaLevel
from gridgov.cases.models import Case
from gridgov.core.dbrouter import REPLICA, ReplicaRouter, read_alias, reads_from_replica, replica_reads
from gridgov.core.models import AuditEvent

WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP")


def test_the_suite_has_a_replica_mirroring_the_primary() -> None:
    from django.conf import settings

    assert settings.DATABASES[REPLICA]["TEST"]["MIRROR"] == DEFAULT_DB_ALIAS
    assert "gridgov.core.dbrouter.ReplicaRouter" in settings.DATABASE_ROUTERS


@pytest.mark.django_db(transaction=True)
def test_reads_go_to_the_replica_only_inside_replica_reads() -> None:
    assert read_alias(Case) == DEFAULT_DB_ALIAS
    with replica_reads():
        assert read_alias(Case) == REPLICA
        assert read_alias(Area) == REPLICA
    assert read_alias(Case) == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_accounts_sessions_and_the_audit_are_read_on_the_primary() -> None:
    with replica_reads():
        assert read_alias(get_user_model()) == DEFAULT_DB_ALIAS
        assert read_alias(Session) == DEFAULT_DB_ALIAS
        assert read_alias(AuditEvent) == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_everything_reads_the_primary() -> None:
    with replica_reads():
        with transaction.atomic():
            assert read_alias(Case) == DEFAULT_DB_ALIAS
        assert read_alias(Case) == REPLICA


def test_writes_and_migrations_never_go_to_the_replica() -> None:
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_write(Case) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(REPLICA, "cases") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "cases") is True


def test_without_a_replica_everything_reads_the_primary(monkeypatch: pytest.MonkeyPatch) -> None:
    from gridgov.core import dbrouter

    monkeypatch.setattr(dbrouter, "replica_configured", lambda: False)
    with replica_reads():
        assert ReplicaRouter().db_for_read(Case) is None


def test_the_view_decorator_keeps_the_replica_to_the_view() -> None:
    seen: list[bool] = []

    @reads_from_replica
    def view() -> str:
        seen.append(True)
        from gridgov.core import dbrouter

        return str(dbrouter._replica_wanted.get())

    assert view() == "True"
    from gridgov.core import dbrouter

    assert dbrouter._replica_wanted.get() is False and seen == [True]


@pytest.mark.django_db(transaction=True)
def test_rows_committed_on_the_primary_are_read_through_the_replica_connection() -> None:
    Area.objects.create(code="R1", name="Replica district", level=AreaLevel.DISTRICT)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica, replica_reads():
        assert list(Area.objects.filter(code="R1").values_list("name", flat=True)) == ["Replica district"]
    assert len(on_replica.captured_queries) == 1


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _statements(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"].lstrip().upper() for query in context.captured_queries]


@pytest.mark.parametrize(
    ("page", "args"),
    [("cases:stats", []), ("cases:stats-part", ["villages"]), ("cases:cockpit", []), ("hotline:stats", [])],
)
def test_statistics_pages_read_the_replica_and_write_nothing_there(page: str, args: list[str], demo: str) -> None:
    center = get_user_model().objects.get(username="center01")
    client = _client(center)
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        response = client.get(reverse(page, args=args))
    assert response.status_code == 200
    replica = _statements(on_replica)
    assert replica, "the statistics were not read from the replica"
    assert not any(sql.startswith(WRITES) for sql in replica)
    assert any("CASES_CASE" in sql or "HOTLINE_HOTLINEORDER" in sql for sql in replica)
    # The session and the account are the primary's.
    primary = _statements(on_primary)
    assert any("DJANGO_SESSION" in sql for sql in primary)
    assert not any("DJANGO_SESSION" in sql or 'FROM "AUTH_USER"' in sql for sql in replica)


def test_other_pages_read_only_the_primary(demo: str) -> None:
    center = get_user_model().objects.get(username="center01")
    client = _client(center)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        response = client.get(reverse("cases:workbench"))
    assert response.status_code == 200
    assert on_replica.captured_queries == []


def test_a_bulletins_figures_are_computed_on_the_replica(demo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from gridgov.bulletins import services

    seen: list[str] = []

    def compute(area: Area, month: dt.date, **_: Any) -> dict[str, Any]:
        seen.append(read_alias(Case))
        raise RuntimeError("stop here")  # the bulletin fails, which is all this test needs

    monkeypatch.setattr(services, "compute", compute)
    town = Area.objects.filter(level=AreaLevel.TOWN).first()
    assert town is not None
    services.bulletin_generate_now(town, dt.date(2026, 3, 1))
    assert seen == [REPLICA]


def test_postgresql_connections_run_without_jit() -> None:
    from config.settings import _database

    options = _database("postgres://gridgov@db.example/gridgov")["OPTIONS"]
    assert options["options"] == "-c jit=off"
    assert "options" not in _database("sqlite:///x.sqlite3").get("OPTIONS", {})


@pytest.mark.django_db(transaction=True)
def test_a_cache_is_built_on_the_primary_inside_a_replica_block():
    from gridgov.categories.models import Category
    from gridgov.core.tableversions import Cached

    seen: list[str] = []
    cached: Cached[str] = Cached("categories", lambda: seen.append(read_alias(Category)) or seen[-1])
    with replica_reads():
        assert read_alias(Category) == "replica"  # the suite has a replica: the block uses it
        cached.get()
        cached.lookup("key", lambda: seen.append(read_alias(Category)) or seen[-1])
    assert seen == ["default", "default"]
