"""The shared fixtures: the Taiping snapshot is what the loader leaves and is restored for a
module, and the test database made without migrations is the one the migrations build.
(The tests that commit are in test_commits.py: a module's ``taiping`` transaction stays open
until the module ends.)"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import connection, transaction
from django.db.migrations import RunPython, RunSQL, SeparateDatabaseAndState

from gridgov.areas.locate import locate
from gridgov.demo.loader import DEMO_PASSWORD, load_demo
from gridgov.people.services import user_create
from gridgov.testing import snapshot
from gridgov.testing.fixtures import DATA_MIGRATIONS, EMPTY_DATABASE_NOOPS
from gridgov.workcalendar.models import WorkingPeriod

User = get_user_model()


def table_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def grid01_centre() -> tuple[float, float]:
    area = User.objects.get(username="grid01").role_assignments.get().area
    assert area is not None and area.center_lat is not None and area.center_lng is not None
    return area.center_lat, area.center_lng


@pytest.mark.django_db
def test_the_snapshot_holds_what_the_loader_writes(taiping_snapshot):
    before = table_counts()
    point = transaction.savepoint()
    load_demo(allow_production_db=True)
    loaded = table_counts()
    transaction.savepoint_rollback(point)
    assert table_counts() == before

    snapshot.restore(taiping_snapshot)

    assert table_counts() == loaded
    assert sum(loaded.values()) - sum(before.values()) == taiping_snapshot.row_count
    assert authenticate(username="center01", password=DEMO_PASSWORD) is not None


def test_the_module_demo_has_the_named_accounts_and_takes_new_rows(people):
    assert set(people) == {
        "admin", "center01", "leader01", "dept01", "dept02", "gridlead01", "grid01", "grid02", "super01", "upstream01",
        "sysadmin01", "security01", "audit01",
    }  # fmt: skip
    lat, lng = grid01_centre()
    found = locate(lat, lng)
    assert found is not None and found.code == people["grid01"].role_assignments.get().area.code
    newcomer = user_create(actor=None, username="newcomer", password="a-long-passphrase", full_name="新人")
    assert newcomer.pk > max(user.pk for user in people.values())


def test_each_test_of_a_module_starts_from_the_same_demo(people):
    assert not User.objects.filter(username="newcomer").exists()


@pytest.mark.django_db
def test_a_snapshot_is_not_taken_inside_a_transaction():
    with pytest.raises(snapshot.SnapshotError, match="outside any transaction"):
        snapshot.take(lambda: None)


@pytest.mark.django_db
def test_the_database_has_the_rows_of_the_data_migrations():
    assert WorkingPeriod.objects.count() == 2


def test_every_migration_beyond_the_models_is_replayed_without_migrations():
    """A migration that writes rows or runs SQL must be in DATA_MIGRATIONS, or the suite's
    database (made from the models) would miss what it does."""
    found = []
    for path in sorted(Path(settings.BASE_DIR).glob("gridgov/*/migrations/0*.py")):
        name = ".".join(path.relative_to(settings.BASE_DIR).with_suffix("").parts)
        operations = importlib.import_module(name).Migration.operations
        if any(isinstance(op, RunPython | RunSQL | SeparateDatabaseAndState) for op in operations):
            found.append(name)
    assert sorted(found) == sorted(DATA_MIGRATIONS + EMPTY_DATABASE_NOOPS)
