"""The hotline services: intake (idempotent, updates by field name), encryption at rest,
masking and reveal, grants, cases, upstream events, the outbox, notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.areas.models import Area, AreaLevel
from gridgov.cases import services as case_services
from gridgov.cases.models import Source
from gridgov.core.models import AuditEvent
from gridgov.hotline import services
from gridgov.hotline.access import can_reveal
from gridgov.hotline.errors import OrderConflict, OrderForbidden, OrderInvalid, OrderNotFound
from gridgov.hotline.intake import AttachmentData
from gridgov.hotline.models import HotlineOrder, IdentityGrant, OrderAttachment, OrderEvent, OrderStage
from gridgov.notify.models import Notification
from gridgov.upstream.models import UpstreamMessage

from .core_helpers import (
    ADDRESS,
    DRAFT,
    INSTRUCT,
    NAME,
    PHONE,
    act,
    build,
    event,
    home_grid,
    open_case,
    order_data,
    push,
)

pytestmark = pytest.mark.django_db


def raw_columns(order: HotlineOrder) -> tuple[str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT petitioner_name, petitioner_phone, petitioner_address FROM hotline_hotlineorder WHERE id = %s",
            [order.pk],
        )
        row = cursor.fetchone()
    return row[0], row[1], row[2]


# --- intake -----------------------------------------------------------------------------


def test_a_pushed_order_starts_received_with_its_acknowledge_step_and_history(people: dict[str, Any]) -> None:
    order = push(people)
    assert order.status == "received" and order.version == 1
    assert order.town.code == Area.objects.get(level=AreaLevel.TOWN).code
    assert order.step == "acknowledge" and order.step_deadline is not None and order.next_alert_at is not None
    assert OrderStage.objects.filter(order=order, ended_at__isnull=True).count() == 1
    assert list(order.events.values_list("action", "to_status")) == [("receive", "received")]
    assert order.reply_deadline is not None


def test_the_petitioner_is_encrypted_at_rest_and_masked_beside(people: dict[str, Any]) -> None:
    order = push(people)
    for column, clear in zip(raw_columns(order), (NAME, PHONE, ADDRESS), strict=True):
        assert column.startswith("enc1:") and clear not in column
    assert (order.petitioner_name_masked, order.petitioner_phone_masked) == ("张**", "138****8888")
    assert order.petitioner_address_masked.endswith("****") and ADDRESS not in order.petitioner_address_masked
    assert order.petitioner_phone_digest and PHONE not in order.petitioner_phone_digest
    stored = HotlineOrder.objects.get(pk=order.pk)
    assert (stored.petitioner_name, stored.petitioner_phone, stored.petitioner_address) == (NAME, PHONE, ADDRESS)
    # The same caller phoning again is found by the digest, without decrypting.
    again = push(people, petitioner_phone="138-1234-8888")
    assert again.petitioner_phone_digest == order.petitioner_phone_digest


def test_the_same_order_again_is_unchanged_and_writes_nothing(people: dict[str, Any]) -> None:
    data = order_data()
    first = services.order_receive(actor=people["upstream01"], data=data, channel="api")
    second = services.order_receive(actor=people["upstream01"], data=data, channel="api")
    assert (first.outcome, second.outcome) == ("created", "unchanged")
    assert second.order.pk == first.order.pk
    assert HotlineOrder.objects.filter(upstream_number=data.upstream_number).count() == 1
    assert OrderEvent.objects.filter(order=first.order).count() == 1
    assert HotlineOrder.objects.get(pk=first.order.pk).version == 1


def test_a_changed_copy_is_an_update_listing_field_names_only(people: dict[str, Any]) -> None:
    data = order_data()
    first = services.order_receive(actor=people["upstream01"], data=data, channel="api").order
    changed = order_data(
        upstream_number=data.upstream_number,
        received_at=data.received_at,
        content="积水已蔓延到小区内",
        petitioner_phone="13900001111",
    )
    received = services.order_receive(actor=people["upstream01"], data=changed, channel="api")
    assert received.outcome == "updated" and received.order.pk == first.pk
    order = HotlineOrder.objects.get(pk=first.pk)
    assert order.content == "积水已蔓延到小区内" and order.update_count == 1 and order.version == 2
    assert order.petitioner_phone == "13900001111" and order.petitioner_phone_masked == "139****1111"
    update = order.events.get(action="upstream_update")
    assert update.data == {"fields": ["content", "petitioner_phone"]}
    assert "13900001111" not in str(update.data) and update.origin == "upstream"


def test_a_new_upstream_deadline_moves_the_open_step(people: dict[str, Any]) -> None:
    data = order_data()
    order = services.order_receive(actor=people["upstream01"], data=data, channel="api").order
    later = timezone.now() + dt.timedelta(hours=30)
    copy = order_data(upstream_number=data.upstream_number, received_at=data.received_at, upstream_ack_deadline=later)
    services.order_receive(actor=people["upstream01"], data=copy, channel="api")
    order = HotlineOrder.objects.get(pk=order.pk)
    assert order.step_deadline == later
    assert OrderStage.objects.get(order=order, ended_at__isnull=True).deadline == later


def test_attachments_are_stored_once(people: dict[str, Any]) -> None:
    data = order_data()
    files = [AttachmentData(name="现场.jpg", content=b"\xff\xd8photo"), AttachmentData(name="b.pdf", content=b"%PDF")]
    order = services.order_receive(actor=people["upstream01"], data=data, channel="api", attachments=files).order
    again = services.order_receive(actor=people["upstream01"], data=data, channel="api", attachments=files[:1])
    assert again.outcome == "unchanged"
    assert OrderAttachment.objects.filter(order=order).count() == 2
    stored = OrderAttachment.objects.get(order=order, name="现场.jpg")
    assert stored.content_type == "image/jpeg" and stored.size == 7


def test_an_anonymous_order_keeps_no_petitioner(people: dict[str, Any]) -> None:
    order = push(people, anonymous=True)
    assert order.anonymous and not order.petitioner_phone and not order.petitioner_phone_masked
    assert raw_columns(order) == ("", "", "")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"order_type": "gossip"}, "order_type"),
        ({"urgency_class": "soon"}, "urgency_class"),
        ({"source_system": "province"}, "source_system"),
        ({"content": "  "}, "content"),
        ({"upstream_number": ""}, "upstream_number"),
        ({"received_at": dt.datetime(2026, 3, 2, 9, 0)}, "received_at"),
        ({"petitioner_phone": "call me"}, "petitioner_phone"),
        ({"town_code": "999999999999"}, "town_code"),
    ],
)
def test_bad_orders_are_refused_field_by_field(people: dict[str, Any], overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(OrderInvalid) as refused:
        services.order_receive(actor=people["upstream01"], data=order_data(**overrides), channel="api")
    assert field in (refused.value.details or {})
    assert not HotlineOrder.objects.exists()


def test_only_upstream_pushes_and_only_the_center_enters_by_hand(people: dict[str, Any]) -> None:
    with pytest.raises(OrderForbidden):
        services.order_receive(actor=people["center01"], data=order_data(), channel="api")
    for name in ("grid01", "dept01", "leader01", "super01", "admin"):
        with pytest.raises(OrderForbidden):
            services.order_receive(actor=people[name], data=order_data(), channel="manual")
    manual = services.order_receive(actor=people["center01"], data=order_data(), channel="manual")
    assert manual.outcome == "created" and manual.order.channel == "manual"
    assert manual.order.created_by == people["center01"]


def test_an_upstream_account_over_several_towns_must_name_the_town(people: dict[str, Any]) -> None:
    town = Area.objects.get(level=AreaLevel.TOWN)
    other = Area.objects.create(code=town.code[:6] + "199000", name="另一镇", level=AreaLevel.TOWN, parent=town.parent)
    assert town.parent is not None
    Area.objects.filter(pk=other.pk).update(path=f"{town.parent.path}{other.pk}/")
    with pytest.raises(OrderInvalid) as refused:
        services.order_receive(actor=people["upstream01"], data=order_data(), channel="api")
    assert "town_code" in (refused.value.details or {})
    named = services.order_receive(actor=people["upstream01"], data=order_data(town_code=other.code), channel="api")
    assert named.order.town_id == other.pk
    # The center of Taiping does not see the other town's order, and cannot enter one there.
    with pytest.raises(OrderNotFound):
        act(people, named.order, "acknowledge", "center01")
    with pytest.raises(OrderForbidden):
        services.order_receive(actor=people["center01"], data=order_data(town_code=other.code), channel="manual")


# --- the flow ---------------------------------------------------------------------------


def test_the_whole_flow_goes_upstream_through_the_outbox_without_the_petitioner(people: dict[str, Any]) -> None:
    order = push(people)
    act(people, order, "acknowledge", "center01")
    act(people, order, "instruct", "leader01", **INSTRUCT)
    act(people, order, "draft_reply", "dept02", text="初稿")
    act(people, order, "reject_draft", "center01", comment="请写明处理时间")
    act(people, order, "draft_reply", "dept02", **DRAFT)
    order = act(people, order, "approve_reply", "center01")
    assert order.status == "replied" and order.reply_text == DRAFT["text"] and order.reject_count == 1
    assert order.ack_on_time is True and order.reply_on_time is True
    assert order.lead_department is not None and order.lead_department.code == "urban_mgmt"
    assert [d.code for d in order.cooperating_departments.all()] == ["traffic_police"]
    kinds = list(UpstreamMessage.objects.filter(order=order).order_by("id").values_list("kind", flat=True))
    assert kinds == ["acknowledge", "reply"]
    for message in UpstreamMessage.objects.filter(order=order):
        assert PHONE not in str(message.payload) and NAME not in str(message.payload)
    order = event(people, order, "close", event_id="e-1")
    assert order.status == "closed" and order.closed_at is not None and order.next_alert_at is None
    actions = list(order.events.values_list("action", flat=True))
    assert actions == [
        "receive",
        "acknowledge",
        "instruct",
        "draft_reply",
        "reject_draft",
        "draft_reply",
        "approve_reply",
        "close",
    ]
    steps = list(order.stages.values_list("step", flat=True))
    assert steps == ["acknowledge", "instruct", "draft", "approve", "draft", "approve"]
    assert not order.stages.filter(ended_at__isnull=True).exists()


def test_a_stale_version_is_a_conflict_and_writes_nothing(people: dict[str, Any]) -> None:
    order = push(people)
    with pytest.raises(OrderConflict) as refused:
        act(people, order, "acknowledge", "center01", version=order.version + 1)
    assert refused.value.code == "version_conflict"
    assert HotlineOrder.objects.get(pk=order.pk).status == "received"


def test_required_inputs_are_asked_for(people: dict[str, Any]) -> None:
    order = build(people, "acknowledged")
    with pytest.raises(OrderInvalid) as refused:
        act(people, order, "instruct", "leader01", instruction="", departments=["urban_mgmt"])
    assert "instruction" in (refused.value.details or {})
    with pytest.raises(OrderInvalid) as refused:
        act(people, order, "instruct", "leader01", instruction="办理", departments=["nowhere"])
    assert "departments" in (refused.value.details or {})
    with pytest.raises(OrderInvalid) as refused:
        act(people, order, "return_upstream", "center01", reason="不归我们管")
    assert "basis" in (refused.value.details or {})
    with pytest.raises(OrderInvalid) as refused:
        act(people, order, "request_extension", "center01", reason="需要时间", until=order.reply_deadline)
    assert "until" in (refused.value.details or {})


def test_an_order_needing_field_work_waits_for_its_case(people: dict[str, Any]) -> None:
    order = build(people, "instructed")
    grid = home_grid(people["grid01"])
    order = act(people, order, "create_case", "center01", grid_id=grid.pk)
    case = order.case
    assert case is not None and case.source == Source.HOTLINE and case.grid_id == grid.pk
    assert case.party_phone == "" and case.party_name == "" and PHONE not in case.description
    assert order.area_path == grid.path
    with pytest.raises(OrderConflict) as refused:
        act(people, order, "draft_reply", "dept02", **DRAFT)
    assert refused.value.code == "case_open"
    assert services.case_result(order)["open"] is True  # type: ignore[index]
    # A second order about the same problem links to the same case.
    other = build(people, "instructed")
    other = act(people, other, "link_case", "center01", case_id=case.pk)
    assert case.hotline_orders.count() == 2
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("register", "center01", {}),
        ("dispatch", "center01", {"departments": ["urban_mgmt"]}),
        ("acknowledge", "dept02", {}),
        ("report_back", "dept02", {"result": "排水管道已疏通"}),
        ("close", "center01", {}),
    ]
    for step, by, extra in steps:
        case_services.case_act(case.pk, step, actor=people[by], **extra)
    order = HotlineOrder.objects.get(pk=order.pk)
    result = services.case_result(order)
    assert result is not None and result["open"] is False and result["result"] == "排水管道已疏通"
    assert act(people, order, "draft_reply", "dept02", text=result["result"]).status == "drafted"
    # Closing the case put a line on both orders' timelines and told the lead department of
    # each order still waiting for its reply.
    for linked in (order, other):
        assert OrderEvent.objects.filter(order=linked, action="case_closed", data__case=case.pk).count() == 1
    waiting = HotlineOrder.objects.get(pk=other.pk)
    assert waiting.status == "instructed"
    lead_users = services.recipient_ids(waiting, services.Party.LEAD_DEPARTMENT)
    assert (
        lead_users
        and Notification.objects.filter(
            kind="hotline.case_closed", recipient_id__in=lead_users, object_id=str(other.pk)
        ).exists()
    )


def test_a_case_to_link_must_be_visible_and_in_the_town(people: dict[str, Any]) -> None:
    order = build(people, "acknowledged")
    with pytest.raises(OrderInvalid):
        act(people, order, "link_case", "center01", case_id=999_999)
    with pytest.raises(OrderInvalid):
        act(people, order, "create_case", "center01", grid_id=None)
    case = open_case(people)
    order = act(people, order, "link_case", "center01", case_id=case.pk)
    order = act(people, order, "unlink_case", "center01")
    assert order.case is None
    assert list(order.events.values_list("action", flat=True))[-2:] == ["link_case", "unlink_case"]


# --- upstream events --------------------------------------------------------------------


def test_a_dissatisfied_call_back_reopens_the_order_for_a_new_reply(people: dict[str, Any]) -> None:
    order = build(people, "replied")
    order = event(people, order, "callback", satisfaction="dissatisfied", solved=False, event_id="cb-1")
    assert order.status == "instructed" and order.reopen_count == 1
    assert order.satisfaction == "dissatisfied" and order.solved is False and order.callback_at is not None
    assert order.step == "draft" and order.reply_deadline is not None and order.reply_deadline > timezone.now()
    last = order.events.order_by("-id").first()
    assert last is not None and (last.action, last.origin, last.from_status) == ("callback", "upstream", "replied")
    # The same event again has no second effect.
    again = event(people, order, "callback", satisfaction="dissatisfied", solved=False, event_id="cb-1")
    assert again.reopen_count == 1 and again.events.filter(action="callback").count() == 1
    assert act(people, order, "draft_reply", "dept02", text="重新办理").status == "drafted"


def test_a_satisfied_call_back_is_recorded_and_upstream_closes(people: dict[str, Any]) -> None:
    order = build(people, "replied")
    order = event(people, order, "callback", satisfaction="basically_satisfied", solved=True)
    assert order.status == "replied" and order.satisfaction == "basically_satisfied" and order.solved is True
    order = event(people, order, "close")
    assert order.status == "closed"
    with pytest.raises(OrderConflict):
        event(people, order, "close")
    reopened = event(people, order, "reopen", deadline=timezone.now() + dt.timedelta(days=3))
    assert reopened.status == "instructed" and reopened.reopen_count == 1 and reopened.closed_at is None


def test_reminders_and_supervision_from_upstream_are_counted_and_notified(people: dict[str, Any]) -> None:
    order = build(people, "instructed")
    order = event(people, order, "remind")
    order = event(people, order, "supervise", comment="请加快办理")
    assert (order.reminder_count, order.supervision_count, order.status) == (1, 1, "instructed")
    dept = Notification.objects.filter(recipient=people["dept02"], kind="hotline.upstream_remind")
    assert dept.count() == 1
    assert Notification.objects.filter(recipient=people["leader01"], kind="hotline.upstream_supervise").exists()


def test_an_extension_is_requested_then_answered_by_upstream(people: dict[str, Any]) -> None:
    order = build(people, "instructed")
    old_deadline = order.reply_deadline
    assert old_deadline is not None
    until = old_deadline + dt.timedelta(days=5)
    order = act(people, order, "request_extension", "dept02", reason="需协调交警", until=until)
    assert order.pending_extension is not None
    assert UpstreamMessage.objects.filter(order=order, kind="extension_request").count() == 1
    with pytest.raises(OrderConflict):
        act(people, order, "request_extension", "center01", reason="再延", until=until)
    order = event(people, order, "extension_answer", approved=True)
    assert order.pending_extension is None and order.extension_count == 1
    assert order.reply_deadline == until and order.step_deadline == until
    assert OrderStage.objects.get(order=order, ended_at__isnull=True).extended
    with pytest.raises(OrderConflict) as refused:
        event(people, order, "extension_answer", approved=True)
    assert refused.value.code == "no_extension_pending"


def test_a_refused_extension_keeps_the_deadline(people: dict[str, Any]) -> None:
    order = build(people, "instructed_extension")
    deadline = order.reply_deadline
    order = event(people, order, "extension_answer", approved=False)
    assert order.pending_extension is None and order.extension_count == 0 and order.reply_deadline == deadline


def test_only_upstream_reports_events_and_bad_ones_are_refused(people: dict[str, Any]) -> None:
    order = build(people, "replied")
    with pytest.raises(OrderForbidden):
        services.order_event(order_id=order.pk, actor=people["center01"], event_type="close", data={})
    with pytest.raises(OrderInvalid):
        event(people, order, "explode")
    with pytest.raises(OrderInvalid):
        event(people, order, "callback", satisfaction="meh")
    with pytest.raises(OrderConflict):
        event(people, build(people, "instructed"), "callback", satisfaction="satisfied")


# --- privacy ----------------------------------------------------------------------------


REVEAL_COMPLAINT = {
    "center01": True,
    "leader01": True,
    "dept02": False,  # the lead department of a complaint: only with a grant
    "dept01": False,
    "super01": False,
    "admin": False,
    "upstream01": False,
}


@pytest.mark.parametrize(("user", "allowed"), list(REVEAL_COMPLAINT.items()))
def test_who_may_reveal_a_complaints_petitioner(people: dict[str, Any], user: str, allowed: bool) -> None:
    order = build(people, "instructed")
    assert can_reveal(people[user], order) is allowed
    if allowed:
        shown = services.petitioner_reveal(order_id=order.pk, actor=people[user])
        assert (shown.name, shown.phone, shown.address) == (NAME, PHONE, ADDRESS)
        audit = AuditEvent.objects.get(action="hotline.petitioner_reveal", actor=people[user])
        assert audit.success and audit.object_id == str(order.pk) and PHONE not in str(audit.data)
        assert order.events.filter(action="reveal", actor=people[user]).exists()
    else:
        with pytest.raises(OrderForbidden):
            services.petitioner_reveal(order_id=order.pk, actor=people[user])
        assert not order.events.filter(action="reveal").exists()


def test_departments_see_the_petitioner_of_a_help_request(people: dict[str, Any]) -> None:
    order = push(people, order_type="help")
    act(people, order, "acknowledge", "center01")
    order = act(people, order, "instruct", "leader01", **INSTRUCT)
    assert can_reveal(people["dept02"], order) and can_reveal(people["dept01"], order)
    assert not can_reveal(people["grid01"], order)


def test_the_center_grants_a_department_the_identity_of_one_complaint(people: dict[str, Any]) -> None:
    order = build(people, "instructed")
    lead_id = order.lead_department_id
    assert lead_id is not None
    with pytest.raises(OrderForbidden):
        services.identity_grant(order_id=order.pk, department_id=lead_id, actor=people["leader01"], reason="需要")
    with pytest.raises(OrderInvalid):
        services.identity_grant(order_id=order.pk, department_id=lead_id, actor=people["center01"], reason="")
    grant = services.identity_grant(
        order_id=order.pk, department_id=lead_id, actor=people["center01"], reason="需当面核实"
    )
    again = services.identity_grant(order_id=order.pk, department_id=lead_id, actor=people["center01"], reason="再次")
    assert grant.pk == again.pk and IdentityGrant.objects.filter(order=order).count() == 1
    assert can_reveal(people["dept02"], order) and not can_reveal(people["dept01"], order)
    assert AuditEvent.objects.filter(action="hotline.identity_grant").count() == 1
    assert services.petitioner_reveal(order_id=order.pk, actor=people["dept02"]).phone == PHONE


def test_a_refused_reveal_is_audited_as_a_failure(people: dict[str, Any]) -> None:
    order = build(people, "instructed")
    with pytest.raises(OrderForbidden):
        services.petitioner_reveal(order_id=order.pk, actor=people["dept02"])
    refusal = AuditEvent.objects.get(action="hotline.petitioner_reveal", actor=people["dept02"])
    assert refusal.success is False and not order.events.filter(action="reveal").exists()
    with pytest.raises(OrderNotFound):
        services.petitioner_reveal(order_id=order.pk, actor=people["grid01"])


def test_notifications_carry_only_masked_data(people: dict[str, Any]) -> None:
    order = build(people, "drafted")
    act(people, order, "reject_draft", "center01", comment="补充")
    bodies = [(notice.title, notice.body) for notice in Notification.objects.all()]
    assert bodies
    assert all(PHONE not in f"{title} {body}" and NAME not in f"{title} {body}" for title, body in bodies)
    assert any("138****8888" in body for _title, body in bodies)
