"""Review findings: each test failed before the fix."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gridgov.assessment import services
from gridgov.assessment.models import Result
from gridgov.core.errors import Conflict, Invalid

from .helpers import compute, ended, result_of, town
from .test_pages_api import computed

pytestmark = pytest.mark.usefixtures("taiping")


def test_bad_period_form_inputs_are_refused_not_a_server_error(people: dict[str, Any]) -> None:
    center = Client(raise_request_exception=False)
    center.force_login(people["center01"])
    for data in (
        {"town": town().code, "kind": "month", "start": "2026-13", "appeal_days": "5"},
        {"town": town().code, "kind": "month", "start": "2026-02-30", "appeal_days": "5"},
        {"town": town().code, "kind": "month", "start": "2026-06", "appeal_days": "abc"},
    ):
        answer = center.post("/assessment/", data)
        assert answer.status_code == 422, data
        assert data["start"] in answer.content.decode()
    period = computed(people)
    answer = center.post(f"/assessment/{period.pk}/sanctions/", {"target_type": "grid_worker", "top": "x"})
    assert answer.status_code == 422


def test_a_period_of_year_one_is_refused(people: dict[str, Any]) -> None:
    import datetime as dt

    from .helpers import worker_scheme

    worker_scheme(people)
    with pytest.raises(Invalid):
        services.period_create(actor=people["center01"], town_code=town().code, kind="year", start=dt.date(1, 1, 1))
    with pytest.raises(Invalid):
        services.period_create(actor=people["center01"], town_code=town().code, kind="year", start=dt.date(9999, 12, 1))


def test_an_upheld_appeal_cannot_lift_a_total_above_the_scale(people: dict[str, Any]) -> None:
    period = computed(people)
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    mine = result_of(period, people["grid01"])
    appeal = services.appeal_submit(actor=people["grid01"], result_id=mine.pk, reason="x")
    with pytest.raises(Invalid):
        services.appeal_act(
            actor=people["center01"],
            pk=appeal.pk,
            action="propose",
            inputs={"decision": "upheld", "delta": "100", "opinion": "x"},
        )
        services.appeal_act(actor=people["super01"], pk=appeal.pk, action="agree", inputs={})
        total = Result.objects.get(pk=mine.pk).total
        assert total <= 100 + 3, total  # the scheme's bonus cap is 3


def test_publishing_after_a_score_changed_since_computing_is_refused(people: dict[str, Any]) -> None:
    period = computed(people)
    services.manual_score_set(
        actor=people["center01"],
        period_id=period.pk,
        target_key=f"user:{people['grid02'].pk}",
        item_code="conduct",
        score="0",
        evidence="复核后改为0分",
    )
    with pytest.raises(Conflict):
        services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")


def test_a_bad_weight_in_the_scheme_editor_is_a_422_not_a_500(people: dict[str, Any]) -> None:
    center = Client(raise_request_exception=False)
    center.force_login(people["center01"])
    for weight in ("abc", "NaN"):
        answer = center.post(
            "/assessment/schemes/new/",
            {
                "town": town().code,
                "family": "f",
                "name": "n",
                "target_type": "grid_worker",
                "bonus_cap": "5",
                "penalty_cap": "10",
                "label_0": "工作表现",
                "kind_0": "manual",
                "weight_0": weight,
            },
        )
        assert answer.status_code == 422, weight


def test_an_upheld_appeal_cannot_take_an_item_below_zero(people: dict[str, Any]) -> None:
    period = computed(people)
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    mine = result_of(period, people["grid01"])
    appeal = services.appeal_submit(actor=people["grid01"], result_id=mine.pk, reason="x", item_code="conduct")
    with pytest.raises(Invalid):
        services.appeal_act(
            actor=people["center01"],
            pk=appeal.pk,
            action="propose",
            inputs={"decision": "upheld", "delta": "-1", "opinion": "x"},
        )


def test_publishing_after_an_entry_was_withdrawn_is_refused_until_computed_again(people: dict[str, Any]) -> None:
    period = computed(people)
    entry = period.entries.get()
    services.entry_withdraw(actor=people["center01"], pk=entry.pk)
    with pytest.raises(Conflict):
        services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    period = compute(people, period, "recompute", reason="撤回加分")
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")


def test_village_committees_are_assessed_as_villages_not_as_departments(people: dict[str, Any]) -> None:
    from gridgov.people.models import Department, DepartmentKind

    assert Department.objects.filter(kind=DepartmentKind.VILLAGE, is_active=True).exists()
    departments = services.targets_of(town(), "department")
    assert departments
    codes = {t.department_code for t in departments}
    assert not codes & set(Department.objects.filter(kind=DepartmentKind.VILLAGE).values_list("code", flat=True))
    assert services.targets_of(town(), "village")


def test_the_schemes_page_shows_the_rules_in_words(people: dict[str, Any]) -> None:
    from .helpers import worker_scheme

    worker_scheme(people)
    center = Client()
    center.force_login(people["center01"])
    page = center.get("/assessment/schemes/").content.decode()
    assert "{&#x27;type&#x27;" not in page and "{'type'" not in page
    assert "60%" in page and "≥90%" in page


def test_patrol_coverage_states_a_mean_with_its_numerator_and_denominator(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from django.utils import timezone

    from gridgov.areas.models import Area, AreaLevel

    from .. import indicators

    grids = list(Area.objects.current().filter(level=AreaLevel.GRID).order_by("path")[:2])
    monkeypatch.setattr(indicators, "standard_of", lambda grid: object())
    shares = {grids[0].pk: 0.964, grids[1].pk: 0.5}
    monkeypatch.setattr(indicators, "patrol_coverage", lambda grid, month, worker: shares[grid.pk])
    target = indicators.Target(
        type="grid_leader", key="x", label="x", grid_ids=tuple(g.pk for g in grids), paths=tuple(g.path for g in grids)
    )
    today = timezone.localdate()
    window = indicators.Window(today.replace(day=1), today.replace(day=1), timezone.now() - dt.timedelta(0))
    measure = indicators.patrols_measure(target, window, {})
    assert measure is not None
    assert (measure.value, measure.num, measure.den) == (73.2, 146.4, 2)


def test_a_workers_patrol_coverage_links_the_patrol_list_of_the_period(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from .. import indicators
    from .helpers import WORKER_ITEMS, ended, this_month, worker_scheme

    monkeypatch.setattr(indicators, "standard_of", lambda grid: object())
    monkeypatch.setattr(indicators, "patrol_coverage", lambda grid, month, worker: 0.964)
    patrol = {
        "code": "patrol",
        "label": "巡查覆盖率",
        "kind": "auto",
        "indicator": "patrol_coverage",
        "weight": 30,
        "rule": {"type": "linear", "low": 60, "high": 100},
    }
    items = [WORKER_ITEMS[0], patrol, WORKER_ITEMS[2]]
    period = compute(people, this_month(people, worker_scheme(people, items)))
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    mine = result_of(period, people["grid01"])
    worker = Client()
    worker.force_login(people["grid01"])
    page = worker.get(f"/assessment/results/{mine.pk}/").content.decode()
    assert f"/patrols/?date_from={period.start.isoformat()}" in page
    assert "worker=grid01" in page
    line = next(i for i in mine.breakdown["items"] if i["code"] == "patrol")
    assert line["value"] == 96.4 and line["den"] >= 1 and line["num"] == round(96.4 * line["den"], 1)


def test_the_appeals_list_names_the_item_and_links_the_files(people: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .helpers import ended

    period = computed(people)
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    mine = result_of(period, people["grid01"])
    services.appeal_submit(
        actor=people["grid01"],
        result_id=mine.pk,
        reason="签到表漏记",
        item_code="conduct",
        files=[SimpleUploadedFile("sign.pdf", b"%PDF-1.4 x")],
    )
    center = Client()
    center.force_login(people["center01"])
    page = center.get("/assessment/appeals/").content.decode()
    assert "工作表现" in page and "sign.pdf" in page and "/assessment/files/" in page


def test_the_workbooks_empty_sheets_say_so(people: dict[str, Any]) -> None:
    import io

    from openpyxl import load_workbook

    from .. import documents

    period = computed(people)
    book = load_workbook(io.BytesIO(documents.write_xlsx(period)))
    for sheet in book.worksheets[-2:]:
        rows = [row for row in sheet.iter_rows(values_only=True) if any(v not in (None, "") for v in row)]
        assert len(rows) == 2, sheet.title
        assert rows[1][0], sheet.title


def test_the_publish_refusal_after_a_change_is_in_chinese(people: dict[str, Any]) -> None:
    from .helpers import ended

    period = ended(computed(people))
    services.entry_withdraw(actor=people["center01"], pk=period.entries.get().pk)
    center = Client()
    center.force_login(people["center01"])
    answer = center.post(f"/assessment/{period.pk}/act/publish/", {"version": str(period.version)})
    assert answer.status_code == 409
    assert "有改动未重新计算，请先重新计算" in answer.content.decode()


def test_the_home_page_shows_the_workers_published_result_with_the_appeal_deadline(people: dict[str, Any]) -> None:
    from .helpers import ended

    period = computed(people)
    worker = Client()
    worker.force_login(people["grid01"])
    assert 'data-testid="panel-assessment"' not in worker.get("/").content.decode()
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    period.refresh_from_db()
    page = worker.get("/").content.decode()
    mine = result_of(period, people["grid01"])
    assert 'data-testid="panel-assessment"' in page and f"/assessment/results/{mine.pk}/" in page
    assert period.appeal_until is not None
    assert timezone_local(period.appeal_until) in page


def timezone_local(at: Any) -> str:
    from django.utils import timezone

    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"
