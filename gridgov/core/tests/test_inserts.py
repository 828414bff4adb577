"""``gridgov.core.inserts.insert`` writes the row ``save(force_insert=True)`` writes, and falls
back to ``save`` where it could not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.db.models.functions import Now
from django.forms.models import model_to_dict

from gridgov.cases.models import Case, CaseEvent, CaseRollup, CaseStage, IdempotencyKey
from gridgov.cases.tests.loop_helpers import report
from gridgov.core import inserts
from gridgov.core.inserts import insert
from gridgov.core.models import AuditEvent
from gridgov.notify.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(people):
    return report(people)


def _row(model, pk):
    values = model.objects.filter(pk=pk).values().get()
    values.pop("id")
    values.pop("created_at", None)  # auto_now(_add): the time of each write
    values.pop("updated_at", None)
    return values


def _pairs(case, user):
    at = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    return [
        lambda: CaseEvent(
            case=case, action="comment", actor_id=user.pk, at=at, comment="备注 '%s' \\", data={"a": [1]}
        ),
        lambda: CaseStage(
            case=case, stage="register", started_at=at, deadline=at, ended_at=at, on_time=True, limit_amount=2
        ),
        lambda: Notification(recipient=user, kind="case.reported", params={"number": "2026-1"}, url="/c/1/"),
    ]


def test_the_rows_are_the_rows_save_writes(people, case):
    user = people["center01"]
    for make in _pairs(case, user):
        saved, inserted = make(), make()
        saved.save(force_insert=True)
        insert(inserted)
        assert inserted.pk is not None and inserted.pk != saved.pk
        assert not inserted._state.adding and inserted._state.db == "default"
        assert _row(type(saved), inserted.pk) == _row(type(saved), saved.pk)
        assert {k: v for k, v in model_to_dict(inserted).items() if k not in ("id", "created_at")} == {
            k: v for k, v in model_to_dict(saved).items() if k not in ("id", "created_at")
        }


def test_auto_now_add_is_set_on_the_instance(people, case):
    user = people["center01"]
    key = IdempotencyKey(user=user, key="k-1", case=case, fingerprint="f")
    insert(key)
    assert key.created_at is not None
    assert IdempotencyKey.objects.get(pk=key.pk).created_at == key.created_at


def test_a_unique_conflict_fails_like_save_and_marks_the_block_for_rollback(people, case):
    user = people["center01"]
    insert(IdempotencyKey(user=user, key="same", case=case, fingerprint="f"))
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            insert(IdempotencyKey(user=user, key="same", case=case, fingerprint="f"))
        assert connection.needs_rollback  # the block rolls back as it ends


def test_a_case_with_its_signals_and_encrypted_fields(people, case):
    rows = CaseRollup.objects.aggregate(n=Sum("reported"))["n"]
    made = []
    for number, write in enumerate((lambda c: c.save(force_insert=True), insert)):
        copy = Case.objects.get(pk=case.pk)
        copy.pk = None
        copy._state.adding = True
        copy.number = f"2099-000-00000{number}"
        copy.party_name, copy.party_phone = "张三", "13800000000"
        write(copy)
        made.append(copy)
    # The rollups' receivers saw both (each new case adds one report).
    assert CaseRollup.objects.aggregate(n=Sum("reported"))["n"] == rows + 2
    saved, inserted = (_row(Case, item.pk) for item in made)
    assert saved.pop("number") != inserted.pop("number")
    assert saved == inserted and inserted["party_name"] == "张三"


def test_an_expression_is_written_by_django(people, case):
    user = people["center01"]
    event = CaseEvent(case=case, action="comment", actor_id=user.pk, at=Now(), data={})
    insert(event)
    assert event.pk is not None
    assert CaseEvent.objects.get(pk=event.pk).at is not None


def test_a_model_with_a_save_of_its_own_is_saved(people, case):
    class Saving(CaseEvent):
        class Meta:
            proxy = True
            app_label = "cases"

        def save(self, *args, **kwargs):
            self.comment = "by save"
            super().save(*args, **kwargs)

    event = Saving(case=case, action="comment", actor_id=people["center01"].pk, at=case.reported_at, data={})
    insert(event)
    assert CaseEvent.objects.get(pk=event.pk).comment == "by save"
    with pytest.raises(ValueError):
        insert(event)  # no longer a new row


def test_a_row_with_its_own_key(people, case):
    user = people["center01"]
    event = CaseEvent(case=case, action="comment", actor_id=user.pk, at=Now(), data={})
    event.at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    event.pk = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    insert(event)
    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_the_audit_chain_still_links(people):
    from gridgov.core.audit import record, verify_chain

    before = AuditEvent.objects.count()
    for number in range(3):
        record(action="test.insert", data={"n": number})
    assert AuditEvent.objects.count() == before + 3
    assert verify_chain().ok
    assert inserts._PLANS  # the plans are kept per model


def test_insert_all_writes_what_bulk_create_writes(people):
    user = people["center01"]

    def made(count):
        return [Notification(recipient=user, kind="case.reported", params={"n": n}) for n in range(count)]

    from gridgov.core.inserts import insert_all

    assert insert_all([]) == []
    for count in (1, 3):
        rows = insert_all(made(count))
        assert all(row.pk is not None and not row._state.adding for row in rows)
        stored = Notification.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk")
        assert [row["params"] for row in stored.values()] == [{"n": n} for n in range(count)]
