"""notify() and mark_read(): who gets a notification, what is recorded, when it goes out."""

from __future__ import annotations

import pytest
from django.db import transaction

from gridgov.core.models import AuditEvent
from gridgov.notify.models import Delivery, DeliveryStatus, Notification
from gridgov.notify.services import mark_read, notify
from gridgov.people.models import Department

pytestmark = pytest.mark.django_db


def test_each_distinct_active_recipient_gets_one_notification_but_not_the_actor(people):
    alice, bob, carol, gone = people["alice"], people["bob"], people["carol"], people["gone"]
    created = notify(recipients=[alice, bob, alice, gone, carol], kind="case.assigned", title="派遣", actor=carol)
    assert sorted(n.recipient.username for n in created) == ["alice", "bob"]
    assert Notification.objects.count() == 2


def test_the_object_is_recorded_for_linking_and_the_queueing_is_audited(people):
    department = Department.objects.create(code="roads", name="Roads", kind="town_office")
    (notification,) = notify(
        recipients=[people["alice"]],
        kind="case.overdue",
        title="已超期",
        body="案件 A-1 已超期",
        url="/cases/1/",
        obj=department,
    )
    assert (notification.object_type, notification.object_id) == ("people.department", str(department.pk))
    assert (notification.url, notification.body, notification.read_at) == ("/cases/1/", "案件 A-1 已超期", None)
    event = AuditEvent.objects.get(action="notify.queued")
    assert event.object_type == "people.department"
    assert event.data == {"kind": "case.overdue", "recipients": [people["alice"].pk], "channels": []}


def test_nobody_to_notify_creates_nothing(people):
    assert notify(recipients=[people["gone"]], kind="case.reminder", title="催办") == []
    assert notify(recipients=[], kind="case.reminder", title="催办") == []
    assert not AuditEvent.objects.filter(action="notify.queued").exists()


def test_in_app_only_by_default_so_no_delivery_rows(people):
    notify(recipients=[people["alice"]], kind="case.reminder", title="催办")
    assert not Delivery.objects.exists()


def test_each_enabled_channel_gets_a_pending_delivery_sent_only_after_commit(
    people, channels_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        notify(recipients=[people["alice"], people["carol"]], kind="case.warning", title="时限已过80%")
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 4
    assert channels_on.hits == []  # nothing left inside the transaction
    assert len(callbacks) == 1
    callbacks[0]()
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 4
    assert sorted(hit.path for hit in channels_on.hits) == ["/hook", "/hook", "/sms", "/sms"]


def test_notify_joins_the_callers_transaction_and_rolls_back_with_it(
    people, channels_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[people["alice"]], kind="case.assigned", title="派遣")
        raise RuntimeError("the caller failed")
    assert not Notification.objects.exists()
    assert not Delivery.objects.exists()
    assert callbacks == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/", "cases/1/"])
def test_a_link_must_be_a_local_path_or_http(people, url):
    with pytest.raises(ValueError):
        notify(recipients=[people["alice"]], kind="case.assigned", title="派遣", url=url)


def test_mark_read_marks_the_actors_own_and_ignores_other_peoples_ids(people):
    alice, bob = people["alice"], people["bob"]
    mine = notify(recipients=[alice], kind="a", title="1") + notify(recipients=[alice], kind="a", title="2")
    (theirs,) = notify(recipients=[bob], kind="a", title="3")
    assert mark_read(actor=alice, notification_ids=[mine[0].pk, theirs.pk]) == 1
    assert mark_read(actor=alice, notification_ids=[mine[0].pk]) == 0  # already read
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert mark_read(actor=alice) == 1
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 1
