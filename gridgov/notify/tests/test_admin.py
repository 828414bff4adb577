"""The read-only outbox admin and its "retry now" action."""

from __future__ import annotations

import pytest

from gridgov.notify.models import Delivery, DeliveryStatus, Notification
from gridgov.notify.services import notify
from gridgov.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def failed(people, settings) -> Delivery:
    settings.GRIDGOV_NOTIFY_CHANNELS = ["webhook"]
    (notification,) = notify(recipients=[people["alice"]], kind="case.overdue", title="已超期")
    Delivery.objects.filter(notification=notification).update(status=DeliveryStatus.FAILED, attempts=8)
    return Delivery.objects.get(notification=notification)


@pytest.mark.parametrize("url", ["/admin/notify/notification/", "/admin/notify/delivery/"])
def test_the_outbox_pages_open_and_cannot_add(admin_client, failed, url):
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(f"{url}add/").status_code == 403


def test_deliveries_filter_by_status_and_channel(admin_client, failed):
    html = admin_client.get("/admin/notify/delivery/?status=failed&channel=webhook").content.decode()
    assert f"/admin/notify/delivery/{failed.pk}/change/" in html
    html = admin_client.get("/admin/notify/delivery/?status=sent").content.decode()
    assert f"/admin/notify/delivery/{failed.pk}/change/" not in html


def test_a_notification_opens_read_only_with_its_deliveries(admin_client, failed):
    html = admin_client.get(f"/admin/notify/notification/{failed.notification_id}/change/").content.decode()
    assert "已超期" in html
    assert 'name="_save"' not in html


def test_retry_now_queues_failed_deliveries_again(admin_client, failed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/notify/delivery/", {"action": "retry_now", "_selected_action": [failed.pk]}
        )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 0)
    assert len(callbacks) == 1
    assert Notification.objects.count() == 1
