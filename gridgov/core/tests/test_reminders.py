"""Reminders spaced out (issue 13, item 15): the same person reminds the same case or order at
most once per interval; others still may; the refusal is a 429 with when to try again, on the
API and on the page; nothing is written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.cases import services as case_services
from gridgov.cases.models import Case, CaseEvent
from gridgov.cases.tests.loop_helpers import build
from gridgov.core.errors import Throttled
from gridgov.hotline import services as order_services
from gridgov.hotline.models import HotlineOrder, OrderEvent
from gridgov.hotline.tests.core_helpers import order_data
from gridgov.people.services import token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _interval(settings):
    settings.GRIDGOV_REMIND_INTERVAL_MINUTES = 60


def test_a_second_reminder_within_the_hour_is_refused_and_writes_nothing(people: dict[str, Any]) -> None:
    case = build(people, "in_progress")
    now = timezone.now()
    case_services.case_act(case.pk, "remind", actor=people["center01"], at=now)
    with pytest.raises(Throttled) as refused:
        case_services.case_act(case.pk, "remind", actor=people["center01"], at=now + dt.timedelta(minutes=20))
    assert refused.value.code == "remind_too_soon"
    assert refused.value.details is not None
    assert 39 * 60 <= refused.value.details["retry_after_seconds"] <= 40 * 60
    assert Case.objects.get(pk=case.pk).reminder_count == 1
    assert CaseEvent.objects.filter(case=case, action="remind").count() == 1
    # Another person may; the same one again after the hour.
    case_services.case_act(case.pk, "remind", actor=people["leader01"], at=now + dt.timedelta(minutes=21))
    case_services.case_act(case.pk, "remind", actor=people["center01"], at=now + dt.timedelta(minutes=61))
    assert Case.objects.get(pk=case.pk).reminder_count == 3


def test_the_api_answers_429_with_the_wait_and_the_page_keeps_the_text(people: dict[str, Any], client) -> None:
    case = build(people, "in_progress")
    user = people["center01"]
    _token, raw = token_issue(actor=user, user=user, name="t")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    url = f"/api/v1/cases/{case.pk}/actions/remind"
    assert api.post(url, {}, content_type="application/json").status_code == 200
    again = api.post(url, {}, content_type="application/json")
    assert again.status_code == 429
    body = again.json()["error"]
    assert body["code"] == "remind_too_soon" and body["details"]["retry_after_seconds"] > 0
    client.force_login(user)
    page = client.post(reverse("cases:act", args=[case.pk, "remind"]), {"comment": "请尽快处理", "version": 99})
    assert page.status_code in (409, 429)
    fresh = Case.objects.get(pk=case.pk)
    page = client.post(
        reverse("cases:act", args=[case.pk, "remind"]), {"comment": "请尽快处理", "version": fresh.version}
    )
    assert page.status_code == 429
    assert "请尽快处理" in page.content.decode()


def test_an_order_is_reminded_once_an_hour_by_the_same_person(people: dict[str, Any]) -> None:
    order = order_services.order_receive(actor=people["upstream01"], data=order_data(), channel="api").order
    center = people["center01"]
    order_services.order_act(order_id=order.pk, action="acknowledge", actor=center)
    order_services.order_act(
        order_id=order.pk, action="instruct", actor=people["leader01"], instruction="请核实", departments=["urban_mgmt"]
    )
    order_services.order_act(order_id=order.pk, action="remind", actor=center)
    with pytest.raises(Throttled):
        order_services.order_act(order_id=order.pk, action="remind", actor=center)
    assert HotlineOrder.objects.get(pk=order.pk).reminder_count == 1
    assert OrderEvent.objects.filter(order=order, action="remind").count() == 1
