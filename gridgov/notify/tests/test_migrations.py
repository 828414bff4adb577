"""Notifications written before titles were rendered keep their title, as is, when the stored
title becomes parameters; and the change can be undone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("notify", "0002_notification_params_and_note")]
AFTER = [("notify", "0004_remove_notification_title")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_an_old_title_becomes_the_text_parameter_and_back(people, django_db_use_migrations):
    if not django_db_use_migrations:
        pytest.skip("runs where the test database is built by the migrations (make test-pg)")
    old = migrate(BEFORE).loader.project_state(BEFORE).apps.get_model("notify", "Notification")
    row = old.objects.create(recipient_id=people["alice"].pk, kind="case.overdue", title="已超期", note="案件 A-1")
    new = migrate(AFTER).loader.project_state(AFTER).apps.get_model("notify", "Notification")
    moved = new.objects.get(pk=row.pk)
    assert (moved.params, moved.note) == ({"text": "已超期"}, "案件 A-1")
    rendered = new.objects.create(recipient_id=people["alice"].pk, kind="case.warning", params={"number": "A-2"})

    back = migrate(BEFORE).loader.project_state(BEFORE).apps.get_model("notify", "Notification")
    assert back.objects.get(pk=row.pk).title == "已超期"
    assert back.objects.get(pk=rendered.pk).title == "case.warning"  # rendered from codes: the kind stands in
    migrate(AFTER)
