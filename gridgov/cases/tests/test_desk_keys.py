"""Every form of the desk carries a one-time key: a form sent twice (the back button, a double
click) does its write once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from gridgov.cases import services
from gridgov.cases.models import Case, CaseAttachment, CaseEvent
from gridgov.cases.tests.test_views_center import grid_of, report
from gridgov.cases.tests.test_views_field import client_for, photo

pytestmark = pytest.mark.django_db


def key_of(html: str, form_marker: str = "") -> str:
    start = html.index(form_marker) if form_marker else 0
    found = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html[start:])
    assert found, "the form carries no one-time key"
    return found.group(1)


def new_case_data(people: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        "category": "parking.long_term",
        "description": "市民来电：小区门口车辆占道",
        "grid": grid_of(people["grid01"]).code,
        "urgency": "normal",
        "source": "center",
        "idempotency_key": key,
    }


def test_the_centers_form_sent_twice_makes_one_case(people):
    client = client_for(people["center01"])
    page = client.get(reverse("cases:new")).content.decode()
    key = key_of(page, 'data-testid="new-case-form"')
    assert key != key_of(client.get(reverse("cases:new")).content.decode(), 'data-testid="new-case-form"')
    first = client.post(reverse("cases:new"), new_case_data(people, key))
    again = client.post(reverse("cases:new"), new_case_data(people, key), follow=True)
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert first["Location"] == reverse("cases:detail", args=[case.pk])
    assert "该上报已提交过" in again.content.decode()


def test_the_centers_form_sent_again_with_other_content_gets_a_new_key_and_says_so(people):
    client = client_for(people["center01"])
    key = key_of(client.get(reverse("cases:new")).content.decode(), 'data-testid="new-case-form"')
    client.post(reverse("cases:new"), new_case_data(people, key))
    changed = {**new_case_data(people, key), "description": "另一件事：路灯不亮"}
    response = client.post(reverse("cases:new"), changed)
    assert response.status_code == 422 and Case.objects.count() == 1
    assert key_of(response.content.decode(), 'data-testid="new-case-form"') != key


def test_an_action_form_sent_twice_acts_once(people):
    case = report(people)
    client = client_for(people["center01"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    key = key_of(page, 'data-testid="action-register"')
    url = reverse("cases:act", args=[case.pk, "register"])
    data = {"version": case.version, "comment": "", "idempotency_key": key}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 302  # the same answer, nothing done again
    assert CaseEvent.objects.filter(case=case, action="register").count() == 1


def test_added_photos_sent_twice_are_stored_once(people):
    case = report(people)
    client = client_for(people["center01"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    key = key_of(page, 'data-testid="photo-add"')
    url = reverse("cases:photos", args=[case.pk])
    for _ in range(2):
        response = client.post(url, {"photos": [photo()], "comment": "现场", "idempotency_key": key})
        assert response.status_code == 302
    assert CaseAttachment.objects.filter(case=case).count() == 1


def test_an_inbox_acknowledge_sent_twice_acts_once(people):
    case = report(people)
    services.case_act(case.pk, "register", actor=people["center01"])
    case = services.case_act(case.pk, "dispatch", actor=people["center01"], departments=["traffic_police"])
    client = client_for(people["dept01"])
    page = client.get(reverse("cases:department")).content.decode()
    key = key_of(page, f'data-case="{case.number}"')
    data = {"case": case.pk, "version": case.version, "action": "acknowledge", "idempotency_key": key}
    assert client.post(reverse("cases:department"), data).status_code == 302
    assert client.post(reverse("cases:department"), data).status_code == 302
    assert CaseEvent.objects.filter(case=case, action="acknowledge").count() == 1
