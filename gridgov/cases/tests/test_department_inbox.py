"""The department inbox: filters, search, sorting by deadline, pages, the finished tab with
its history, and batch acknowledgement through the workflow engine (each case on its own)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from gridgov.cases import services, views_inbox
from gridgov.cases.models import Case, CaseEvent, Status
from gridgov.cases.tests.loop_helpers import action_photo
from gridgov.cases.tests.test_views_field import client_for, dispatched

pytestmark = pytest.mark.django_db

URL = reverse("cases:department")


def numbers(response) -> list[str]:
    return [card.case.number for card in response.context["cards"]]


def test_the_inbox_filters_by_status_village_category_and_text(people: dict[str, Any]):
    first = dispatched(people, people["grid01"], "traffic_police")
    second = dispatched(people, people["grid02"], "traffic_police")
    services.case_act(second.pk, "acknowledge", actor=people["dept01"])
    client = client_for(people["dept01"])
    assert set(numbers(client.get(URL))) == {first.number, second.number}
    assert numbers(client.get(URL, {"status": Status.IN_PROGRESS})) == [second.number]
    assert numbers(client.get(URL, {"text": first.number})) == [first.number]
    assert numbers(client.get(URL, {"category": "no.such"})) == numbers(client.get(URL))  # ignored, not an error
    assert numbers(client.get(URL, {"category": "parking"})) != []
    assert first.grid is not None and first.grid.parent is not None
    village = first.grid.parent.code
    by_village = numbers(client.get(URL, {"village": village}))
    assert first.number in by_village
    assert all(Case.objects.get(number=n).area_path.startswith(first.grid.parent.path) for n in by_village)
    assert numbers(client.get(URL, {"light": "red"})) == []


def test_the_inbox_sorts_by_deadline_and_pages(people: dict[str, Any], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(views_inbox, "PAGE_SIZE", 2)
    cases = [dispatched(people, people["grid01"], "traffic_police") for _ in range(3)]
    services.case_act(cases[0].pk, "acknowledge", actor=people["dept01"])  # a later (handling) deadline
    client = client_for(people["dept01"])
    first_page = client.get(URL)
    deadlines = [card.case.stage_deadline for card in first_page.context["cards"]]
    assert deadlines == sorted(deadlines) and len(deadlines) == 2
    assert 'data-testid="pager"' in first_page.content.decode()
    second_page = client.get(URL, {"page": 2})
    assert numbers(second_page) == [cases[0].number]
    latest = client.get(URL, {"sort": "-deadline"})
    assert numbers(latest)[0] == cases[0].number


def test_batch_acknowledge_acts_on_each_case_and_tells_each_result(people: dict[str, Any]):
    first = dispatched(people, people["grid01"], "traffic_police")
    second = dispatched(people, people["grid01"], "traffic_police")
    client = client_for(people["dept01"])
    page = client.get(URL).content.decode()
    found = re.search(r'id="batch-form".*?name="idempotency_key" value="(\w+)"', page, re.S)
    assert found is not None
    key = found.group(1)
    # Meanwhile someone acknowledges the second case: the batch still does the first.
    services.case_act(second.pk, "acknowledge", actor=people["dept01"])
    data = {"batch": "acknowledge", "cases": [first.pk, second.pk], "idempotency_key": key}
    response = client.post(URL, data, follow=True)
    html = response.content.decode()
    first.refresh_from_db()
    assert first.status == Status.IN_PROGRESS
    assert first.number in html and second.number in html
    texts = [str(m) for m in response.context["messages"]]
    assert any("已受理 1" in t or first.number in t for t in texts)
    assert any(second.number in t and "未受理" in t for t in texts)
    # The same batch sent again (the back button) acts once.
    client.post(URL, data)
    assert CaseEvent.objects.filter(case=first, action="acknowledge").count() == 1


def test_batch_acknowledge_cannot_reach_cases_of_another_department(people: dict[str, Any]):
    theirs = dispatched(people, people["grid01"], "urban_mgmt")
    client_for(people["dept01"]).post(URL, {"batch": "acknowledge", "cases": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.status == Status.DISPATCHED


def test_the_finished_tab_lists_what_the_department_handled_with_its_stage_history(people: dict[str, Any]):
    case = dispatched(people, people["grid01"], "traffic_police")
    services.case_act(case.pk, "acknowledge", actor=people["dept01"])
    services.case_act(
        case.pk, "report_back", actor=people["dept01"], result="已劝离占道车辆", photos_in=action_photo("report_back")
    )
    open_one = dispatched(people, people["grid01"], "traffic_police")
    client = client_for(people["dept01"])
    response = client.get(URL, {"tab": "finished"})
    html = response.content.decode()
    assert [c.number for c in response.context["finished"]] == [case.number]
    assert open_one.number not in html
    history = re.search(r'data-testid="stage-history">(.*?)</ol>', html, re.S)
    assert history is not None and history.group(1).count("<li>") == 2  # acknowledge and handle
    assert case.number not in numbers(client.get(URL))
