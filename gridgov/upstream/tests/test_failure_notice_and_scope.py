"""A message given up on tells the center of the order's town once, with masked data only; the
outbox is scoped to the towns where the reader is a center operator (administrators: theirs)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from gridgov.access.scope import forget_scope
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.tests.factories import AreaFactory
from gridgov.notify.models import Notification
from gridgov.people.models import Role, RoleAssignment
from gridgov.people.tests.factories import DepartmentFactory, RoleAssignmentFactory, UserFactory
from gridgov.upstream import selectors, services
from gridgov.upstream.models import FileBatch, MessageState, UpstreamMessage

from .conftest import make_order, point_upstream_at, town

pytestmark = pytest.mark.django_db


def queue(order: Any) -> UpstreamMessage:
    return services.enqueue(
        source_system=order.source_system,
        kind="reply",
        order_id=order.pk,
        upstream_number=order.upstream_number,
        payload={"reply": "已处理。"},
        actor=None,
    )


def other_town() -> Any:
    home = town()
    return AreaFactory(
        level=AreaLevel.TOWN, code="120116999000", name="新河镇", parent=Area.objects.get(pk=home.parent_id)
    )


# --- the failure notice ----------------------------------------------------------------------


def test_a_message_given_up_on_notifies_the_towns_center_once_with_masked_data(order, people, settings):
    point_upstream_at(settings, "")  # no address: every attempt fails
    settings.GRIDGOV_UPSTREAM_MAX_ATTEMPTS = 2
    type(order).objects.filter(pk=order.pk).update(petitioner_phone_masked="138****5678")
    message = queue(order)
    assert services.deliver(message_id=message.pk) == "retry"
    assert not Notification.objects.filter(kind=services.FAILED_KIND).exists()
    UpstreamMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    assert services.deliver(message_id=message.pk) == "failed"
    notices = list(Notification.objects.filter(kind=services.FAILED_KIND))
    centers = set(
        RoleAssignment.objects.filter(role=Role.CENTER_OPERATOR, area=order.town).values_list("user_id", flat=True)
    )
    assert "center01" in {n.recipient.username for n in notices}
    assert sorted(n.recipient_id for n in notices) == sorted(centers)
    notice = notices[0]
    assert order.upstream_number in notice.title
    assert notice.object_type == "upstream.upstreammessage" and notice.object_id == str(message.pk)
    assert notice.url == reverse("upstream:delivery") + f"?state=failed&text={order.upstream_number}"
    assert "138****5678" in notice.body
    for text in (notice.title, notice.body, notice.url):
        assert "13812345678" not in text and "王建国" not in text
    # Delivered again after it failed (a duplicate task): no second notice.
    assert services.deliver(message_id=message.pk) == "not_due"
    assert Notification.objects.filter(kind=services.FAILED_KIND).count() == len(centers)


def test_the_notice_link_opens_the_delivery_page_on_the_failed_message(client, order, people, settings):
    point_upstream_at(settings, "")
    settings.GRIDGOV_UPSTREAM_MAX_ATTEMPTS = 1
    message = queue(order)
    assert services.deliver(message_id=message.pk) == "failed"
    notice = Notification.objects.get(kind=services.FAILED_KIND, recipient=people["center01"])
    client.force_login(people["center01"])
    response = client.get(notice.url)
    assert response.status_code == 200
    assert f'data-message="{message.pk}"' in response.text


def test_a_failure_in_another_town_does_not_notify_this_towns_center(people, settings):
    point_upstream_at(settings, "")
    settings.GRIDGOV_UPSTREAM_MAX_ATTEMPTS = 1
    theirs = make_order("BHX2026112800031", area=other_town())
    message = queue(theirs)
    assert services.deliver(message_id=message.pk) == "failed"
    assert not Notification.objects.filter(kind=services.FAILED_KIND).exists()


def test_a_retried_message_that_fails_again_notifies_again(order, people, settings):
    point_upstream_at(settings, "")
    settings.GRIDGOV_UPSTREAM_MAX_ATTEMPTS = 1
    message = queue(order)
    assert services.deliver(message_id=message.pk) == "failed"
    services.retry(message_id=message.pk, actor=people["center01"])
    assert services.deliver(message_id=message.pk) == "failed"
    assert Notification.objects.filter(kind=services.FAILED_KIND, recipient=people["center01"]).count() == 2


# --- scoping ---------------------------------------------------------------------------------


@pytest.fixture
def two_towns(people: Any) -> dict[str, Any]:
    home = town()
    away = other_town()
    mine = queue(make_order("BHX2026112800041"))
    theirs = queue(make_order("BHX2026112800042", area=away))
    batch_mine = FileBatch.objects.create(source_system="district", town=home, created_at=mine.created_at)
    batch_theirs = FileBatch.objects.create(source_system="district", town=away, created_at=mine.created_at)
    return {
        "home": home,
        "away": away,
        "mine": mine,
        "theirs": theirs,
        "batch_mine": batch_mine,
        "batch_theirs": batch_theirs,
    }


def _user_with(*roles: tuple[str, Any]) -> Any:
    user = UserFactory()
    for role, area in roles:
        RoleAssignmentFactory(user=user, role=role, area=area)
    forget_scope(user)
    return user


def test_a_center_operator_who_leads_another_town_sees_only_his_centers_messages(two_towns):
    user = _user_with(
        (Role.CENTER_OPERATOR, two_towns["home"]),
        (Role.TOWN_LEADER, two_towns["away"]),
    )
    assert set(selectors.messages_visible(user)) == {two_towns["mine"]}
    assert set(selectors.batches_visible(user)) == {two_towns["batch_mine"]}


def test_an_installation_wide_supervisor_role_does_not_widen_a_center_operators_outbox(two_towns):
    user = _user_with((Role.CENTER_OPERATOR, two_towns["home"]), (Role.SUPERVISOR, None))
    assert set(selectors.messages_visible(user)) == {two_towns["mine"]}
    assert set(selectors.batches_visible(user)) == {two_towns["batch_mine"]}
    with pytest.raises(services.MessageNotFound):
        services.retry(message_id=two_towns["theirs"].pk, actor=user)


def test_a_department_handlers_areas_do_not_count(two_towns):
    department = DepartmentFactory(code="away_office")
    department.areas.add(two_towns["away"])
    user = _user_with((Role.CENTER_OPERATOR, two_towns["home"]))
    RoleAssignmentFactory(user=user, role=Role.DEPARTMENT_HANDLER, department=department)
    forget_scope(user)
    assert set(selectors.messages_visible(user)) == {two_towns["mine"]}


def test_administrators_see_their_area_or_everything(two_towns, people):
    local_admin = _user_with((Role.ADMIN, two_towns["away"]))
    assert set(selectors.messages_visible(local_admin)) == {two_towns["theirs"]}
    assert set(selectors.batches_visible(local_admin)) == {two_towns["batch_theirs"]}
    wide_admin = _user_with((Role.ADMIN, None))
    assert {two_towns["mine"], two_towns["theirs"]} <= set(selectors.messages_visible(wide_admin))
    assert {two_towns["batch_mine"], two_towns["batch_theirs"]} <= set(selectors.batches_visible(wide_admin))


def test_the_delivery_page_and_api_follow_the_center_scope(client, two_towns):
    user = _user_with((Role.CENTER_OPERATOR, two_towns["home"]), (Role.TOWN_LEADER, two_towns["away"]))
    client.force_login(user)
    page = client.get(reverse("upstream:delivery"))
    assert page.status_code == 200
    assert "BHX2026112800041" in page.text and "BHX2026112800042" not in page.text
    listed = client.get("/api/v1/upstream/messages").json()
    assert [item["upstream_number"] for item in listed["items"]] == ["BHX2026112800041"]
    assert client.post(f"/api/v1/upstream/messages/{two_towns['theirs'].pk}/retry").status_code == 404
    assert UpstreamMessage.objects.get(pk=two_towns["theirs"].pk).state == MessageState.PENDING
