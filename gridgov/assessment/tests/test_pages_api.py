"""The pages and the API of the assessment, per role: the center computes with a progress bar,
publishes, the worker sees only their own breakdown and appeals, the discipline office decides,
the documents are written (Word read back, Excel formula-safe)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from docx import Document
from openpyxl import load_workbook

from gridgov.assessment import services
from gridgov.assessment.models import Period
from gridgov.cases.tests.loop_helpers import build, report

from .helpers import compute, ended, result_of, this_month, worker_scheme

pytestmark = pytest.mark.usefixtures("taiping")


def client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def api(user: Any) -> Client:
    from gridgov.people.services import token_issue

    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def computed(people: dict[str, Any]) -> Period:
    build(people, "registered")
    report(people, by="grid02", where="grid02")
    period = this_month(people, worker_scheme(people))
    services.manual_score_set(
        actor=people["center01"],
        period_id=period.pk,
        target_key=f"user:{people['grid02'].pk}",
        item_code="conduct",
        score="27",
        evidence='=HYPERLINK("http://x")',
    )
    services.entry_add(
        actor=people["center01"],
        period_id=period.pk,
        target_key=f"user:{people['grid01'].pk}",
        kind="bonus",
        points="2",
        reason="协助处置突发火情",
    )
    return compute(people, period)


def test_the_center_sees_the_ranking_and_the_worker_sees_nothing_before_publication(people: dict[str, Any]) -> None:
    period = computed(people)
    page = client(people["center01"]).get(f"/assessment/{period.pk}/")
    assert page.status_code == 200
    assert 'data-testid="ranking-grid_worker"' in page.content.decode()
    assert client(people["grid02"]).get(f"/assessment/{period.pk}/").status_code == 404
    other = result_of(period, people["grid02"])
    assert client(people["grid01"]).get(f"/assessment/results/{other.pk}/").status_code == 404
    assert api(people["grid01"]).get(f"/api/v1/assessment/results/{other.pk}").status_code == 404


def test_after_publication_a_worker_opens_their_breakdown_and_the_cases_behind_a_score(
    people: dict[str, Any],
) -> None:
    period = computed(people)
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    mine = result_of(period, people["grid01"])
    other = result_of(period, people["grid02"])
    worker = client(people["grid01"])
    page = worker.get(f"/assessment/results/{mine.pk}/").content.decode()
    assert 'data-testid="breakdown"' in page and 'data-testid="appeal-form"' in page
    listed = worker.get(f"/assessment/results/{mine.pk}/reports/den/").content.decode()
    assert "/cases/" in listed  # the frozen cases open where the worker may see them
    assert worker.get(f"/assessment/results/{other.pk}/").status_code == 404
    ranking = worker.get(f"/assessment/{period.pk}/").content.decode()
    assert other.label not in ranking and mine.label in ranking
    body = api(people["grid01"]).get(f"/api/v1/assessment/periods/{period.pk}").json()
    assert [r["id"] for r in body["results"]] == [mine.pk]
    detail = api(people["grid01"]).get(f"/api/v1/assessment/results/{mine.pk}").json()
    lines = {line["code"]: line for line in detail["lines"]}
    assert lines["reports"]["den"] == 1 and lines["reports"]["objects"]["den"][0][1].startswith(("SJ", "E", "2"))
    assert detail["bonus"] == "2.00"


def test_an_appeal_through_the_api_is_decided_by_the_discipline_office(people: dict[str, Any]) -> None:
    period = ended(computed(people))
    api(people["center01"]).post(f"/api/v1/assessment/periods/{period.pk}/publish", {}, content_type="application/json")
    mine = result_of(period, people["grid01"])
    answer = api(people["grid01"]).post(
        f"/api/v1/assessment/results/{mine.pk}/appeal",
        json.dumps({"reason": "本月请假已报备", "item": "conduct"}),
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    appeal = answer.json()
    assert appeal["allowed_actions"] == ["withdraw"]
    refused = api(people["super01"]).post(
        f"/api/v1/assessment/appeals/{appeal['id']}/propose",
        json.dumps({"decision": "upheld", "opinion": "x", "delta": "2"}),
        content_type="application/json",
    )
    assert refused.status_code == 403
    proposed = api(people["center01"]).post(
        f"/api/v1/assessment/appeals/{appeal['id']}/propose",
        json.dumps({"decision": "upheld", "opinion": "手续齐全", "delta": "2"}),
        content_type="application/json",
    )
    assert proposed.json()["status"] == "proposed"
    page = client(people["super01"]).get("/assessment/appeals/")
    assert page.status_code == 200 and 'data-testid="appeal-agree"' in page.content.decode()
    assert "同意并办结" in page.content.decode()  # the action's label, not its code
    decided = api(people["super01"]).post(
        f"/api/v1/assessment/appeals/{appeal['id']}/agree", {}, content_type="application/json"
    )
    assert decided.json()["status"] == "decided"
    after = api(people["grid01"]).get(f"/api/v1/assessment/results/{mine.pk}").json()
    assert after["adjustment"] == "2.00"
    bad = api(people["grid01"]).post(
        f"/api/v1/assessment/results/{mine.pk}/appeal", json.dumps({"reason": ""}), content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"]


def test_computing_from_the_page_shows_the_progress_bar_while_the_worker_runs(
    people: dict[str, Any], monkeypatch: Any
) -> None:
    monkeypatch.setattr(services.periods, "enqueue", lambda pk: None)  # the worker has not started
    period = this_month(people, worker_scheme(people))
    center = client(people["center01"])
    center.post(f"/assessment/{period.pk}/act/compute/")
    page = center.get(f"/assessment/{period.pk}/").content.decode()
    assert 'data-testid="assessment-progress"' in page
    services.progress_set(period.pk, 3, 12)
    part = center.get(f"/assessment/{period.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert 'value="25"' in part
    assert client(people["grid01"]).post(f"/assessment/{period.pk}/act/compute/").status_code == 404


def test_the_documents_are_written_and_the_workbook_is_formula_safe(people: dict[str, Any]) -> None:
    period = computed(people)
    services.sanctions_propose(
        actor=people["center01"], period_id=period.pk, target_type="grid_worker", top=1, bottom=0
    )
    center = client(people["center01"])
    word = center.get(f"/assessment/{period.pk}/results.docx")
    assert word.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(word.content)).paragraphs)
    assert period.title in text and "网格员月度考核" in text
    book = load_workbook(io.BytesIO(center.get(f"/assessment/{period.pk}/results.xlsx").content))
    cells = [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value]
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)
    assert client(people["grid01"]).get(f"/assessment/{period.pk}/results.docx").status_code == 404


def test_the_scheme_editor_saves_a_scheme_and_shows_a_bad_weight_in_chinese(people: dict[str, Any]) -> None:
    center = client(people["center01"])
    town = services.managed_towns(people["center01"]).get()
    data = {
        "town": town.code,
        "family": "dept-monthly",
        "name": "部门月度考核",
        "target_type": "department",
        "bonus_cap": "3",
        "penalty_cap": "5",
        "code_0": "closure",
        "label_0": "按期办结率",
        "kind_0": "auto",
        "indicator_0": "on_time_closure_rate",
        "weight_0": "60",
        "rule_0": ">=95:100, >=85:80, else:40",
        "no_data_0": "full",
        "code_1": "rework",
        "label_1": "返工率",
        "kind_1": "auto",
        "indicator_1": "rework_rate",
        "weight_1": "30",
        "rule_1": "20-0",
        "no_data_1": "full",
    }
    refused = center.post("/assessment/schemes/new/", data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 422
    assert client(people["grid01"]).get("/assessment/schemes/new/").status_code == 403
    data.update({"code_2": "service", "label_2": "服务态度", "kind_2": "manual", "weight_2": "10", "no_data_2": "zero"})
    assert center.post("/assessment/schemes/new/", data).status_code == 302
    scheme = services.schemes_visible(people["center01"]).get(family="dept-monthly")
    rules = {item.code: item.rule for item in scheme.items.all()}
    assert rules["rework"] == {"type": "linear", "low": 20.0, "high": 0.0}
    assert rules["closure"]["steps"] == [[95.0, 100.0], [85.0, 80.0]]
