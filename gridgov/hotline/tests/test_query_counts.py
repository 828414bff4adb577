"""The cost of the hotline services in SQL statements, and the step bookkeeping that the
cheaper code writes with fewer statements (stage ends, recipients)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.hotline import services
from gridgov.hotline.models import OrderStage
from gridgov.hotline.transitions import Party
from gridgov.notify.models import Notification

from .core_helpers import DRAFT, INSTRUCT, act, push

pytestmark = pytest.mark.django_db

# Upper bounds per call, savepoints and the actor's scope (read once per user) included: the
# lock, the stage end (one UPDATE) and start, the order, the history row, the outbox, the
# recipients (one read for every party), the notification and its audit row with the read of
# the audit chain's head (the hash chain, issue 13). The same calls took 16 to 20 statements
# before the recipients, stage and lock reads were cut down. Since the scopes are kept per
# process (gridgov/core/tableversions.py), a user's scope costs the read of the tables' version
# and, the first time, the scope's own read: one statement more here, one fewer once warm.
MAX_STATEMENTS = {"acknowledge": 16, "instruct": 16, "draft_reply": 15, "approve_reply": 14}


def test_each_step_of_the_main_path_costs_a_fixed_small_number_of_statements(people: dict[str, Any]) -> None:
    order = push(people)
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("acknowledge", "center01", {}),
        ("instruct", "leader01", INSTRUCT),
        ("draft_reply", "dept02", DRAFT),
        ("approve_reply", "center01", {}),
    ]
    for action, by, extra in steps:
        with CaptureQueriesContext(connection) as queries:
            order = act(people, order, action, by, **extra)
        assert len(queries) <= MAX_STATEMENTS[action], (action, [q["sql"][:120] for q in queries])
    assert order.status == "replied"


def test_a_step_ended_in_time_late_or_without_deadline_records_it(people: dict[str, Any]) -> None:
    on_time = push(people)
    act(people, on_time, "acknowledge", "center01")
    late = push(people, at=dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    act(people, late, "acknowledge", "center01")
    open_ended = push(people)
    OrderStage.objects.filter(order=open_ended, ended_at__isnull=True).update(deadline=None)
    act(people, open_ended, "acknowledge", "center01")
    ended = {
        stage.order_id: stage.on_time
        for stage in OrderStage.objects.filter(step="acknowledge", order__in=[on_time, late, open_ended])
    }
    assert ended == {on_time.pk: True, late.pk: False, open_ended.pk: None}
    assert OrderStage.objects.filter(order=on_time, ended_at__isnull=True).count() == 1


def test_recipients_of_several_parties_are_read_at_once_and_match_each_party(people: dict[str, Any]) -> None:
    order = act(people, act(people, push(people), "acknowledge", "center01"), "instruct", "leader01", **INSTRUCT)
    parties = [Party.CENTER, Party.LEADER, Party.LEAD_DEPARTMENT, Party.DEPARTMENT]
    each = sorted({user_id for party in parties for user_id in services.recipient_ids(order, party)})
    with CaptureQueriesContext(connection) as queries:
        together = services.recipients(order, parties)
    assert together == each and len(queries) == 1
    assert services.recipient_ids(order, Party.DEPARTMENT) and services.recipient_ids(order, Party.LEAD_DEPARTMENT)


def test_the_actor_gets_no_notice_of_their_own_action(people: dict[str, Any]) -> None:
    order = act(people, push(people), "acknowledge", "center01")
    order = act(people, order, "instruct", "leader01", **INSTRUCT)
    act(people, order, "draft_reply", "dept02", **DRAFT)
    notified = set(
        Notification.objects.filter(kind="hotline.draft_reply").values_list("recipient__username", flat=True)
    )
    assert "center01" in notified and "dept02" not in notified
