"""Satisfaction call-backs (回访) after a case closes: who is called back, the answers, a
dissatisfied answer reopening the case, the queue, the page and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from gridgov.cases.models import STATUS_STAGE, Case, CaseEvent, Satisfaction, Status
from gridgov.cases.selectors import CaseFilters, Queue, apply_filters, cases_visible
from gridgov.cases.services import CaseConflict, CaseForbidden
from gridgov.core.errors import Invalid

from .loop_helpers import act, build

pytestmark = pytest.mark.django_db


def _closed_with_party(people: dict[str, Any], phone: str = "13900001111") -> Case:
    case = build(people, "closed")
    Case.objects.filter(pk=case.pk).update(party_name="王五", party_phone=phone)
    case.refresh_from_db()
    return case


def _queue(people: dict[str, Any]) -> list[int]:
    user = people["center01"]
    query = apply_filters(user, cases_visible(user), CaseFilters(queue=Queue.CALLBACK))
    return list(query.values_list("pk", flat=True))


def test_a_satisfied_answer_is_recorded_and_the_case_stays_closed(people):
    case = _closed_with_party(people)
    closed_at = case.closed_at
    assert _queue(people) == [case.pk]
    done = act(people, case, "callback", "center01", satisfaction=Satisfaction.BASICALLY_SATISFIED, comment="")
    assert done.status == Status.CLOSED and done.closed_at == closed_at
    assert done.satisfaction == Satisfaction.BASICALLY_SATISFIED and done.callback_count == 1
    assert done.callback_at is not None
    event = CaseEvent.objects.filter(case=case, action="callback").get()
    assert event.data["satisfaction"] == "basically_satisfied"
    assert _queue(people) == []
    with pytest.raises(CaseConflict) as refused:
        act(people, done, "callback", "center01", satisfaction=Satisfaction.SATISFIED, comment="")
    assert refused.value.code == "callback_not_due"


def test_a_dissatisfied_answer_needs_the_reason_and_reopens_the_case(people):
    case = _closed_with_party(people)
    with pytest.raises(ValidationError) as missing:
        act(people, case, "callback", "center01", satisfaction=Satisfaction.DISSATISFIED, comment="")
    assert "comment" in missing.value.message_dict
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    reopened = act(people, case, "callback", "center01", satisfaction=Satisfaction.DISSATISFIED, comment="车辆仍在占道")
    assert reopened.status == Status.REGISTERED and reopened.closed_at is None
    assert reopened.reopen_count == 1 and reopened.satisfaction == Satisfaction.DISSATISFIED
    assert reopened.stage == STATUS_STAGE[Status.REGISTERED]
    # Handled again and closed again: due for a new call-back.
    for action, user, extra in (
        ("dispatch", "center01", {"departments": ["traffic_police"]}),
        ("acknowledge", "dept01", {}),
        ("report_back", "dept01", {"result": "已清理"}),
        ("verify_pass", "grid01", {}),
    ):
        reopened = act(people, reopened, action, user, **extra)
    assert reopened.status == Status.CLOSED
    assert _queue(people) == [case.pk]
    again = act(people, reopened, "callback", "center01", satisfaction=Satisfaction.SATISFIED, comment="")
    assert again.callback_count == 2 and again.satisfaction == Satisfaction.SATISFIED


def test_no_phone_no_call_back_and_only_the_center_calls(people):
    without = build(people, "closed")
    assert _queue(people) == []
    with pytest.raises(CaseConflict):
        act(people, without, "callback", "center01", satisfaction=Satisfaction.SATISFIED, comment="")
    case = _closed_with_party(people)
    for name in ("leader01", "dept01", "grid01"):
        with pytest.raises(CaseForbidden):
            act(people, case, "callback", name, satisfaction=Satisfaction.SATISFIED, comment="")
    with pytest.raises(ValidationError) as bad:
        act(people, case, "callback", "center01", satisfaction="great", comment="")
    assert "satisfaction" in bad.value.message_dict
    with pytest.raises(Invalid):
        act(people, case, "callback", "center01", comment="")


def test_the_case_page_offers_the_call_back_with_the_answers(client, people):
    case = _closed_with_party(people)
    client.force_login(people["center01"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'name="satisfaction"' in page and "basically_satisfied" in page
    workbench = client.get(reverse("cases:workbench") + "?queue=callback").content.decode()
    assert case.number in workbench
    response = client.post(
        reverse("cases:act", args=[case.pk, "callback"]),
        {"satisfaction": "satisfied", "version": case.version, "comment": ""},
    )
    assert response.status_code in (200, 302)
    assert Case.objects.get(pk=case.pk).satisfaction == Satisfaction.SATISFIED


def test_the_api_records_a_call_back(people):
    from django.test import Client

    from gridgov.people.services import token_issue

    case = _closed_with_party(people)
    _token, raw = token_issue(actor=people["center01"], user=people["center01"], name="t")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    url = f"/api/v1/cases/{case.pk}/actions/callback"
    refused = client.post(url, {"satisfaction": "dissatisfied"}, content_type="application/json")
    assert refused.status_code == 422
    done = client.post(url, {"satisfaction": "dissatisfied", "comment": "没有处理"}, content_type="application/json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "registered" and body["satisfaction"] == "dissatisfied" and body["callback_at"]
