"""The hotline pages: the workbench, the department inbox, the order page and its forms, the
manual entry form and the home panels, per role: what each shows and must not show."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.hotline.models import Channel, HotlineOrder, IdentityGrant, OrderEvent, OrderStatus

from .web_orders import FULL_PHONE, NAME, PHONE, act, drafted, instructed, receive

pytestmark = pytest.mark.django_db

BACKGROUND = {"X-GridGov-Background": "1"}


def login(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def detail_url(order: HotlineOrder) -> str:
    return reverse("hotline:detail", args=[order.pk])


def act_url(order: HotlineOrder, action: str) -> str:
    return reverse("hotline:act", args=[order.pk, action])


def count_of(html: str, queue: str) -> str | None:
    found = re.search(rf'data-queue="{queue}".*?queue-count">(\d+)<', html, re.S)
    return found.group(1) if found else None


def assert_no_full_phone(html: str) -> None:
    assert FULL_PHONE.search(html) is None, FULL_PHONE.search(html)
    assert NAME not in html


# --- the workbench -------------------------------------------------------------------------


def test_the_workbench_lists_the_towns_orders_masked_with_queue_counts(client, people):
    order = receive(people)
    response = login(client, people["center01"]).get(reverse("hotline:workbench"))
    assert response.status_code == 200
    html = response.content.decode()
    assert order.upstream_number in html
    assert count_of(html, "to_acknowledge") == "1"
    assert "138****8888" in html
    assert_no_full_phone(html)
    assert 'data-testid="new-order"' in html
    assert f'href="{reverse("hotline:import-list")}"' in html
    assert f'href="{reverse("hotline:stats")}"' in html
    assert f'href="{reverse("hotline:export")}"' in html


def test_the_workbench_filters_by_queue_status_type_and_text(client, people):
    first = receive(people, content="路灯不亮", order_type="help")
    second = receive(people, content="噪音扰民")
    act(second, "acknowledge", people["center01"])
    login(client, people["center01"])
    url = reverse("hotline:workbench")

    html = client.get(url, {"queue": "to_acknowledge"}).content.decode()
    assert first.upstream_number in html and second.upstream_number not in html
    html = client.get(url, {"status": "acknowledged"}).content.decode()
    assert second.upstream_number in html and first.upstream_number not in html
    html = client.get(url, {"order_type": "help"}).content.decode()
    assert first.upstream_number in html and second.upstream_number not in html
    html = client.get(url, {"text": "噪音"}).content.decode()
    assert second.upstream_number in html and first.upstream_number not in html
    html = client.get(url, {"text": second.upstream_number}).content.decode()
    assert second.upstream_number in html and first.upstream_number not in html
    html = client.get(url, {"period": "today"}).content.decode()
    assert first.upstream_number in html and second.upstream_number in html


def test_a_bad_filter_or_cursor_is_ignored_with_the_page_still_answering(client, people):
    order = receive(people)
    login(client, people["center01"])
    response = client.get(reverse("hotline:workbench"), {"status": "nonsense", "cursor": "%%%"})
    assert response.status_code == 200
    assert order.upstream_number in response.content.decode()


def test_the_background_refresh_answers_with_the_table_and_the_counts_only(client, people):
    order = receive(people, urgency_class="life_safety")
    login(client, people["center01"])
    response = client.get(reverse("hotline:workbench"), headers={"HX-Request": "true", **BACKGROUND})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert order.upstream_number in html
    assert 'id="order-tabs" hx-swap-oob="true"' in html
    assert 'data-testid="alarm"' in html
    # The first page polls itself every minute as a background request.
    assert 'hx-trigger="every 60s"' in html and "X-GridGov-Background" in html


def test_an_urgent_order_waiting_for_acknowledgement_gets_a_countdown_and_the_alarm(client, people):
    receive(people, urgency_class="utilities")
    receive(people, urgency_class="general")
    html = login(client, people["center01"]).get(reverse("hotline:workbench")).content.decode()
    assert html.count('data-testid="countdown"') == 1
    assert 'data-testid="alarm"' in html


def test_the_workbench_pages_with_a_cursor(client, people, monkeypatch):
    from gridgov.hotline import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    orders = [receive(people) for _ in range(3)]
    login(client, people["center01"])
    html = client.get(reverse("hotline:workbench")).content.decode()
    assert orders[2].upstream_number in html and orders[0].upstream_number not in html
    cursor = re.search(r'href="\?([^"]*cursor=[^"]+)"', html)
    assert cursor is not None
    html = client.get(reverse("hotline:workbench") + "?" + cursor.group(1).replace("&amp;", "&")).content.decode()
    assert orders[0].upstream_number in html and orders[2].upstream_number not in html
    assert "every 60s" not in html  # only the first page refreshes itself


def test_the_leader_sees_the_instruct_queue_and_supervisor_and_admin_read(client, people):
    order = receive(people)
    act(order, "acknowledge", people["center01"])
    html = login(client, people["leader01"]).get(reverse("hotline:workbench")).content.decode()
    assert count_of(html, "to_instruct") == "1"
    assert 'data-queue="to_acknowledge"' not in html
    assert 'data-testid="new-order"' not in html and 'data-testid="import-link"' not in html
    assert_no_full_phone(html)
    for name in ("super01", "admin"):
        html = login(client, people[name]).get(reverse("hotline:workbench")).content.decode()
        assert order.upstream_number in html
        assert_no_full_phone(html)


def test_the_workbench_costs_the_same_queries_for_more_rows(client, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, people["center01"])
    for _ in range(2):
        instructed(people)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("hotline:workbench")).status_code == 200
    for _ in range(4):
        instructed(people, departments=("traffic_police", "urban_mgmt"))
    with CaptureQueriesContext(connection) as more:
        assert client.get(reverse("hotline:workbench")).status_code == 200
    assert len(more.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("name", ["dept01", "grid01", "gridlead01"])
def test_the_workbench_is_refused_to_field_and_department_staff(client, people, name):
    response = login(client, people[name]).get(reverse("hotline:workbench"))
    assert response.status_code == 403


# --- the department inbox ------------------------------------------------------------------


def test_the_department_inbox_lists_its_orders_to_draft_and_rejected_ones(client, people):
    mine = instructed(people)
    other = instructed(people, departments=("traffic_police",))
    rejected = drafted(people)
    act(rejected, "reject_draft", people["center01"], comment="请补充处理时间")
    html = login(client, people["dept02"]).get(reverse("hotline:department")).content.decode()
    to_draft = html.split('data-testid="inbox-to_draft"')[1].split("</section>")[0]
    sent_back = html.split('data-testid="inbox-rejected"')[1].split("</section>")[0]
    assert mine.upstream_number in to_draft and rejected.upstream_number not in to_draft
    assert rejected.upstream_number in sent_back
    assert other.upstream_number not in html
    assert_no_full_phone(html)


def test_the_department_inbox_is_only_for_departments(client, people):
    assert login(client, people["center01"]).get(reverse("hotline:department")).status_code == 403


# --- the order page ------------------------------------------------------------------------


def test_the_center_sees_the_order_masked_with_a_reveal_button_and_its_actions(client, people):
    order = receive(people)
    html = login(client, people["center01"]).get(detail_url(order)).content.decode()
    assert order.content in html
    assert "138****8888" in html
    assert_no_full_phone(html)
    assert 'data-testid="reveal"' in html
    assert 'data-action="acknowledge"' in html
    assert 'data-action="return_upstream"' in html
    assert 'data-action="instruct"' not in html
    assert 'data-testid="timeline"' in html and 'data-event="receive"' in html
    assert 'data-testid="deliveries"' in html


def test_revealing_shows_the_petitioner_in_full_and_records_it(client, people):
    order = receive(people)
    login(client, people["center01"])
    response = client.post(reverse("hotline:reveal", args=[order.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert PHONE in html and NAME in html
    assert OrderEvent.objects.filter(order=order, action="reveal", actor=people["center01"]).exists()
    # The page itself shows the phone masked again.
    assert PHONE not in client.get(detail_url(order)).content.decode()


def test_a_department_never_sees_a_complainant_without_the_centers_grant(client, people):
    order = instructed(people)
    login(client, people["dept02"])
    html = client.get(detail_url(order)).content.decode()
    assert_no_full_phone(html)
    assert 'data-testid="reveal"' not in html
    assert 'data-testid="grant-form"' not in html
    assert client.post(reverse("hotline:reveal", args=[order.pk])).status_code == 403
    assert not OrderEvent.objects.filter(order=order, action="reveal").exists()

    # The center grants the identity to the lead department on the order page.
    login(client, people["center01"])
    html = client.get(detail_url(order)).content.decode()
    assert 'data-testid="grant-form"' in html
    response = client.post(
        reverse("hotline:grant", args=[order.pk]), {"department": "urban_mgmt", "reason": "需要上门核实"}
    )
    assert response.status_code == 302
    assert IdentityGrant.objects.filter(order=order, department__code="urban_mgmt").exists()

    login(client, people["dept02"])
    assert 'data-testid="reveal"' in client.get(detail_url(order)).content.decode()
    response = client.post(reverse("hotline:reveal", args=[order.pk]))
    assert PHONE in response.content.decode()


def test_a_department_may_see_the_petitioner_of_a_help_request(client, people):
    order = instructed(people, order_type="help")
    html = login(client, people["dept02"]).get(detail_url(order)).content.decode()
    assert_no_full_phone(html)
    assert 'data-testid="reveal"' in html


def test_an_order_outside_the_viewers_scope_is_not_found(client, people):
    order = receive(people)
    for name in ("dept01", "dept02", "grid01", "gridlead01"):
        assert login(client, people[name]).get(detail_url(order)).status_code == 404
    order = instructed(people)
    assert login(client, people["dept01"]).get(detail_url(order)).status_code == 404
    assert login(client, people["dept02"]).get(detail_url(order)).status_code == 200


@pytest.mark.parametrize("name", ["leader01", "super01", "admin", "dept02"])
def test_no_page_shows_the_full_phone_to_a_viewer_who_did_not_reveal(client, people, name):
    order = drafted(people)
    login(client, people[name])
    pages = [detail_url(order), reverse("home")]
    if name == "dept02":
        pages.append(reverse("hotline:department"))
    else:
        pages += [reverse("hotline:workbench"), reverse("hotline:workbench") + "?queue=all"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_full_phone(response.content.decode())


def test_the_whole_flow_through_the_order_page(client, people):
    order = receive(people)
    center, leader, department = people["center01"], people["leader01"], people["dept02"]

    login(client, center)
    response = client.post(act_url(order, "acknowledge"), {"version": order.version})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.ACKNOWLEDGED

    login(client, leader)
    html = client.get(detail_url(order)).content.decode()
    assert 'data-action="instruct"' in html
    response = client.post(
        act_url(order, "instruct"),
        {
            "version": order.version,
            "instruction": "请城管中队牵头处理",
            "lead": "urban_mgmt",
            "cooperating": ["traffic_police"],
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.INSTRUCTED
    assert order.lead_department.code == "urban_mgmt"
    assert [d.code for d in order.cooperating_departments.all()] == ["traffic_police"]

    login(client, department)
    html = client.get(detail_url(order)).content.decode()
    assert 'data-action="draft_reply"' in html
    response = client.post(act_url(order, "draft_reply"), {"version": order.version, "text": "已疏通。"})
    assert response.status_code == 302

    login(client, center)
    order.refresh_from_db()
    # Rejecting needs a comment: 422, nothing changes.
    response = client.post(act_url(order, "reject_draft"), {"version": order.version, "comment": ""})
    assert response.status_code == 422
    assert 'class="field-error"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFTED
    response = client.post(act_url(order, "reject_draft"), {"version": order.version, "comment": "请写明处理结果"})
    assert response.status_code == 302

    login(client, department)
    order.refresh_from_db()
    html = client.get(detail_url(order)).content.decode()
    assert "已疏通。" in html  # the rejected draft is offered again for editing
    response = client.post(
        act_url(order, "draft_reply"), {"version": order.version, "text": "已疏通排水管道，积水已清除。"}
    )
    assert response.status_code == 302

    login(client, center)
    order.refresh_from_db()
    html = client.get(detail_url(order)).content.decode()
    assert "已疏通排水管道" in html and 'data-action="approve_reply"' in html
    response = client.post(act_url(order, "approve_reply"), {"version": order.version})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.REPLIED
    html = client.get(detail_url(order)).content.decode()
    assert 'data-testid="no-actions"' in html or 'data-action="approve_reply"' not in html
    actions = list(order.events.values_list("action", flat=True))
    assert actions[:1] == ["receive"]
    assert {"acknowledge", "instruct", "draft_reply", "reject_draft", "approve_reply"} <= set(actions)


def test_an_action_that_is_not_the_viewers_move_is_refused_with_403(client, people):
    order = receive(people)
    response = login(client, people["leader01"]).post(act_url(order, "acknowledge"), {"version": order.version})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED


def test_a_stale_version_answers_409_and_keeps_the_text(client, people):
    order = receive(people)
    act(order, "acknowledge", people["center01"])
    order.refresh_from_db()
    stale = order.version - 1
    response = login(client, people["leader01"]).post(
        act_url(order, "instruct"), {"version": stale, "instruction": "请尽快处理", "lead": "urban_mgmt"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="conflict"' in html
    assert "请尽快处理" in html
    assert f'name="version" value="{order.version}"' in html
    order.refresh_from_db()
    assert order.status == OrderStatus.ACKNOWLEDGED


def test_an_action_in_the_wrong_status_answers_409(client, people):
    order = receive(people)
    act(order, "acknowledge", people["center01"])
    response = login(client, people["center01"]).post(act_url(order, "acknowledge"), {})
    assert response.status_code == 409
    assert 'data-testid="conflict"' in response.content.decode()


def test_an_unknown_action_is_not_found(client, people):
    order = receive(people)
    assert login(client, people["center01"]).post(act_url(order, "explode"), {}).status_code == 404


def test_returning_upstream_needs_reason_and_basis(client, people):
    order = receive(people)
    login(client, people["center01"])
    response = client.post(act_url(order, "return_upstream"), {"reason": "不属于本镇职责"})
    assert response.status_code == 422
    response = client.post(
        act_url(order, "return_upstream"), {"reason": "不属于本镇职责", "basis": "《天津市政务服务便民热线管理办法》"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.RETURNED_UPSTREAM


def test_the_center_creates_a_case_and_the_draft_waits_for_it(client, people):
    from gridgov.areas.models import Area, AreaLevel

    order = instructed(people)
    grid = Area.objects.current().filter(level=AreaLevel.GRID).order_by("code").first()
    login(client, people["center01"])
    html = client.get(detail_url(order)).content.decode()
    assert 'data-action="create_case"' in html and 'data-action="link_case"' in html
    response = client.post(act_url(order, "create_case"), {"version": order.version, "grid": grid.code})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.case is not None
    html = client.get(detail_url(order)).content.decode()
    assert reverse("cases:detail", args=[order.case_id]) in html

    # The department's draft is refused while the case is open.
    login(client, people["dept02"])
    response = client.post(act_url(order, "draft_reply"), {"version": order.version, "text": "已处理"})
    assert response.status_code == 409
    assert "已处理" in response.content.decode()
    html = client.get(reverse("hotline:department")).content.decode()
    waiting = html.split('data-testid="inbox-awaiting_case"')[1].split("</section>")[0]
    assert order.upstream_number in waiting


def test_linking_an_unknown_case_number_is_a_field_error(client, people):
    order = instructed(people)
    response = login(client, people["center01"]).post(
        act_url(order, "link_case"), {"version": order.version, "case_number": "NO-SUCH"}
    )
    assert response.status_code == 422
    assert 'class="field-error"' in response.content.decode()


# --- manual entry --------------------------------------------------------------------------


def entry(**overrides: Any) -> dict[str, Any]:
    values = {
        "source_system": "city",
        "upstream_number": "TJ12345-0001",
        "received_at": "2026-03-02T09:30",
        "order_type": "help",
        "urgency_class": "general",
        "content": "家中停水两天",
        "petitioner_name": NAME,
        "petitioner_phone": PHONE,
        "petitioner_address": "太平镇",
    }
    values.update(overrides)
    return values


def test_the_center_enters_an_order_by_hand(client, people):
    login(client, people["center01"])
    assert client.get(reverse("hotline:new")).status_code == 200
    response = client.post(reverse("hotline:new"), entry())
    assert response.status_code == 302
    order = HotlineOrder.objects.get(upstream_number="TJ12345-0001")
    assert response["Location"] == detail_url(order)
    assert order.channel == Channel.MANUAL
    assert order.petitioner_phone == PHONE
    assert order.petitioner_phone_masked == "138****8888"
    # The same order again is not entered twice.
    response = client.post(reverse("hotline:new"), entry())
    assert response.status_code == 302
    assert HotlineOrder.objects.filter(upstream_number="TJ12345-0001").count() == 1


def test_an_anonymous_order_keeps_no_petitioner(client, people):
    login(client, people["center01"])
    response = client.post(reverse("hotline:new"), entry(anonymous="on"))
    assert response.status_code == 302
    order = HotlineOrder.objects.get(upstream_number="TJ12345-0001")
    assert order.anonymous and order.petitioner_phone == ""


def test_bad_entry_input_answers_422_with_field_errors(client, people):
    login(client, people["center01"])
    response = client.post(reverse("hotline:new"), entry(content="", received_at="yesterday"))
    assert response.status_code == 422
    assert response.content.decode().count('class="field-error"') >= 2
    assert not HotlineOrder.objects.exists()


def test_every_field_error_shows_in_one_round(client, people):
    """The form runs the service's checks: a bad phone and a deadline before the received time
    are reported with a future received time, not after it is corrected."""
    login(client, people["center01"])
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("hotline:new"),
        entry(received_at=future, petitioner_phone="138abc", upstream_deadline="2026-03-01T09:00", content=""),
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert set(errors) == {"received_at", "petitioner_phone", "content"}
    # With a received time that parses, the deadline is checked against it in the same round.
    response = client.post(
        reverse("hotline:new"), entry(petitioner_phone="138abc", upstream_deadline="2026-03-01T09:00")
    )
    assert set(response.context["form"].errors) == {"petitioner_phone", "upstream_deadline"}
    assert not HotlineOrder.objects.exists()


@pytest.mark.parametrize("name", ["leader01", "dept01", "super01", "grid01"])
def test_only_the_center_enters_orders(client, people, name):
    assert login(client, people[name]).get(reverse("hotline:new")).status_code == 403
    assert login(client, people[name]).post(reverse("hotline:new"), entry()).status_code == 403
    assert not HotlineOrder.objects.exists()


# --- navigation and home panels ------------------------------------------------------------


def test_the_home_page_shows_each_roles_hotline_panel_and_link(client, people):
    receive(people)
    acknowledged = receive(people)
    act(acknowledged, "acknowledge", people["center01"])
    instructed(people)

    html = login(client, people["center01"]).get(reverse("home")).content.decode()
    assert 'data-panel="hotline-center"' in html and count_of(html, "to_acknowledge") == "1"
    assert f'href="{reverse("hotline:workbench")}"' in html

    html = login(client, people["leader01"]).get(reverse("home")).content.decode()
    assert 'data-panel="hotline-leader"' in html and count_of(html, "to_instruct") == "1"

    html = login(client, people["dept02"]).get(reverse("home")).content.decode()
    assert 'data-panel="hotline-department"' in html and count_of(html, "to_draft") == "1"
    assert f'href="{reverse("hotline:department")}"' in html

    html = login(client, people["grid01"]).get(reverse("home")).content.decode()
    assert "hotline-" not in html
