"""Households written before care tags were encrypted get them encrypted in place (issue 15),
the clear ``cared`` flag set; and the change can be undone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from gridgov.areas.models import Area

BEFORE = [("visits", "0004_visit_photos")]
AFTER = [("visits", "0006_remove_household_care_tags")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_existing_care_tags_are_encrypted_and_back(demo, django_db_use_migrations):
    if not django_db_use_migrations:
        pytest.skip("runs where the test database is built by the migrations (make test-pg)")
    grid = Area.objects.grids().first()
    assert grid is not None
    old = migrate(BEFORE).loader.project_state(BEFORE).apps.get_model("visits", "Household")
    now = timezone.now()
    tagged = old.objects.create(
        grid_id=grid.pk, area_path=grid.path, address="甲", address_key="a", care_tags=["disabled"], created_at=now
    )
    plain = old.objects.create(grid_id=grid.pk, area_path=grid.path, address="乙", address_key="b", created_at=now)

    new = migrate(AFTER).loader.project_state(AFTER).apps.get_model("visits", "Household")
    with connection.cursor() as cursor:
        cursor.execute("SELECT care_tags_sealed FROM visits_household WHERE id = %s", [tagged.pk])
        assert cursor.fetchone()[0].startswith("enc1:")
    moved = new.objects.get(pk=tagged.pk)
    assert (moved.care_tags_sealed, moved.cared) == ("disabled", True)
    assert (new.objects.get(pk=plain.pk).cared, new.objects.get(pk=plain.pk).care_tags_sealed) == (False, "")

    back = migrate(BEFORE).loader.project_state(BEFORE).apps.get_model("visits", "Household")
    assert back.objects.get(pk=tagged.pk).care_tags == ["disabled"]
    assert back.objects.get(pk=plain.pk).care_tags == []
    migrate(AFTER)
