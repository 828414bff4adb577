"""The historical ledger import: parsing, a file of good, doubtful and refused rows end to end
(counts and notes), re-import, a number taken by a live case, the statistics of an imported
month, scoping, and the pages."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from gridgov.areas.models import Area, AreaLevel
from gridgov.cases import indices
from gridgov.cases.indices import Period
from gridgov.cases.models import Case, CaseEvent, CaseStage, Status
from gridgov.categories.models import Stage
from gridgov.categories.selectors import active_minors, time_limit_amount
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.tables import ValueProblem
from gridgov.ledger import parse, services
from gridgov.ledger.models import LedgerImport, LedgerStatus
from gridgov.people.models import Department
from gridgov.workcalendar import calendar

pytestmark = pytest.mark.django_db

HEADER = [
    "案件编号",
    "上报时间",
    "立案时间",
    "派遣时间",
    "处置时间",
    "核查时间",
    "结案时间",
    "问题类型",
    "所属网格",
    "处置部门",
    "问题描述",
    "处置结果",
]
MARCH = Period.month(2026, 3)


def at(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour, minute))


def text(moment: dt.datetime | None) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def workbook(rows: list[list[Any]], title: str = "太平镇历史案件台账") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


QUEUED: list[Any] = []


@pytest.fixture(autouse=True)
def _commits(monkeypatch: pytest.MonkeyPatch) -> None:
    """What waits for the commit (the worker's tasks) is queued and run by :func:`committed`,
    as after a commit (the test's own transaction never commits)."""
    QUEUED.clear()
    monkeypatch.setattr("django.db.transaction.on_commit", lambda function, *args, **kwargs: QUEUED.append(function))


def committed() -> None:
    while QUEUED:
        QUEUED.pop(0)()


@pytest.fixture
def town(taiping: None) -> Area:
    return Area.objects.current().get(level=AreaLevel.TOWN, code="120116104000")


@pytest.fixture
def things(town: Area) -> dict[str, Any]:
    category = next(c for c in active_minors() if time_limit_amount(c.pk, "normal", Stage.HANDLE))
    grid = Area.objects.current().filter(level=AreaLevel.GRID, path__startswith=town.path).order_by("code").first()
    department = Department.objects.filter(is_active=True).order_by("code").first()
    assert grid is not None and department is not None
    return {"category": category, "grid": grid, "department": department}


def good_row(number: str, things: dict[str, Any], *, day: int = 2, late: bool = False) -> list[Any]:
    reported = at(day, 9)
    handled = at(day + 20, 10) if late else at(day, 15)
    return [
        number,
        text(reported),
        text(at(day, 9, 30)),
        text(at(day, 10)),
        text(handled),
        text(handled + dt.timedelta(hours=1)),
        text(handled + dt.timedelta(hours=1)),
        things["category"].name,
        things["grid"].name,
        things["department"].name,
        "路灯不亮",
        "已修复",
    ]


def ledger_rows(things: dict[str, Any]) -> list[list[Any]]:
    doubtful = good_row("L-0004", things, day=5)
    doubtful[6] = ""  # no close time: the last time is taken
    doubtful[7] = "不存在的分类"  # unknown category: the fallback
    doubtful[8] = "火星村"  # unknown place: the town
    doubtful[2] = text(at(4, 8))  # registered before it was reported
    no_number = good_row("", things)
    no_time = ["L-0006", "", "", "", "", "", "", things["category"].name, "", "", "无时间", ""]
    return [
        good_row("L-0001", things, day=2),
        good_row("L-0002", things, day=3),
        good_row("L-0003", things, day=4, late=True),
        doubtful,
        no_number,
        no_time,
    ]


def run_import(user: Any, town: Area, content: bytes, name: str = "ledger.xlsx") -> LedgerImport:
    job = services.ledger_upload(actor=user, town=town, name=name, content=content)
    committed()
    job.refresh_from_db()
    assert job.status == LedgerStatus.UPLOADED, job.error
    services.ledger_map(actor=user, job_id=job.pk, mapping=job.mapping)
    services.ledger_start(actor=user, job_id=job.pk)
    committed()
    job.refresh_from_db()
    return job


# --- parsing -----------------------------------------------------------------------------------


def test_on_time_flag_reads_words_and_a_lateness_column() -> None:
    assert parse.parse_on_time("按时") is True
    assert parse.parse_on_time("超期") is False
    assert parse.parse_on_time("") is None
    assert parse.parse_on_time("是", "是否超期") is False
    with pytest.raises(ValueProblem):
        parse.parse_on_time("也许")


def test_a_row_is_refused_only_without_number_or_any_time() -> None:
    columns = ["编号", "上报时间", "结案时间"]
    mapping = {"number": "编号", "reported_at": "上报时间", "closed_at": "结案时间"}
    now = at(30)
    assert not parse.parse_row(3, ["", "2026-03-02 09:00", ""], mapping, columns, now=now).valid
    assert not parse.parse_row(4, ["A1", "", "不是时间"], mapping, columns, now=now).valid
    row = parse.parse_row(5, ["A2", "", "2026-03-05 10:00"], mapping, columns, now=now)
    assert row.valid
    assert row.values["reported_at"] == row.values["closed_at"] == at(5, 10)
    assert [n["code"] for n in row.review] == [parse.Code.REPORTED_MISSING]
    row = parse.parse_row(6, ["A3", "2026-03-05 10:00", "2027-01-01"], mapping, columns, now=now)
    assert [n["code"] for n in row.review] == [parse.Code.TIME_FUTURE]


def test_a_time_before_2000_and_a_number_a_spreadsheet_may_have_rounded_are_imported_noted() -> None:
    columns = ["编号", "上报时间", "结案时间"]
    mapping = {"number": "编号", "reported_at": "上报时间", "closed_at": "结案时间"}
    now = at(30)
    row = parse.parse_row(3, ["A4", "1900-01-01 08:00", "2026-03-05 10:00"], mapping, columns, now=now)
    assert row.valid and [n["code"] for n in row.review] == [parse.Code.TIME_EARLY]
    assert row.values["reported_at"].year == 1900  # kept as written
    row = parse.parse_row(4, [12345678901234567890, "2026-03-05 09:00", "2026-03-05 10:00"], mapping, columns, now=now)
    assert row.valid and [n["code"] for n in row.review] == [parse.Code.NUMBER_IMPRECISE]
    row = parse.parse_row(5, [20260305001, "2026-03-05 09:00", "2026-03-05 10:00"], mapping, columns, now=now)
    assert row.valid and not row.review and row.number == "20260305001"


def test_a_file_without_known_titles_is_refused_naming_the_titles_it_needs() -> None:
    from gridgov.core import tables

    with pytest.raises(tables.ImportFileError) as refused:
        tables.detect_header([["a", "b"], ["1", "2"]], parse.ALIASES)
    assert "案件编号" in str(refused.value) and "30" in str(refused.value)


def test_known_headers_are_suggested() -> None:
    from gridgov.core import tables

    mapping = tables.suggest_mapping(HEADER, None, parse.FIELDS, parse.ALIASES)
    assert mapping["number"] == "案件编号"
    assert mapping["closed_at"] == "结案时间"
    assert mapping["area"] == "所属网格"
    assert tables.detect_header([["标题"], HEADER], parse.ALIASES) == 1


def test_repeated_numbers_are_suffixed() -> None:
    rows = [parse.LedgerRow(row=n, values={"number": "X"}) for n in (1, 2, 3)]
    parse.number_repeats(rows)
    assert [r.number for r in rows] == ["X", "X-2", "X-3"]
    assert rows[1].review[0]["code"] == parse.Code.NUMBER_REPEATED


# --- a whole ledger ------------------------------------------------------------------------------


def test_preview_counts_new_flagged_and_refused(people: dict[str, Any], town: Area, things: dict[str, Any]) -> None:
    user = people["center01"]
    job = services.ledger_upload(actor=user, town=town, name="ledger.xlsx", content=workbook(ledger_rows(things)))
    committed()
    job.refresh_from_db()
    assert job.header_row == 2 and job.total_rows == 6
    services.ledger_map(actor=user, job_id=job.pk, mapping=job.mapping)
    preview = services.build_preview(LedgerImport.objects.get(pk=job.pk))
    assert preview.counts == {"new": 4, "again": 0, "flagged": 1, "refused": 2}
    assert Case.objects.filter(imported=True).count() == 0  # a preview writes nothing


def test_import_writes_closed_cases_with_events_stages_and_notes(
    people: dict[str, Any], town: Area, things: dict[str, Any]
) -> None:
    job = run_import(people["center01"], town, workbook(ledger_rows(things)))
    assert job.status == LedgerStatus.DONE
    assert (job.created_count, job.updated_count, job.unchanged_count, job.refused_count) == (4, 0, 0, 2)
    assert job.review_count == 1
    outcomes = {entry["row"]: entry["outcome"] for entry in job.report}
    assert outcomes == {3: "created", 4: "created", 5: "created", 6: "created", 7: "refused", 8: "refused"}

    case = Case.objects.get(number="L-0001")
    assert case.imported and case.import_review == []
    assert case.status == Status.CLOSED and case.closed_at == at(2, 16)
    assert case.grid_id == things["grid"].pk and case.lead_department_id == things["department"].pk
    assert case.category_id == things["category"].pk
    assert list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("action", flat=True)) == [
        "report",
        "register",
        "dispatch",
        "report_back",
        "verify_pass",
    ]
    assert all(e.actor_id is None and e.data["ledger"]["import"] == job.pk for e in case.events.all())
    stages = {s.stage: s for s in CaseStage.objects.filter(case=case)}
    assert set(stages) == {Stage.REGISTER, Stage.DISPATCH, Stage.HANDLE, Stage.VERIFY}
    amount, unit = time_limit_amount(case.category_id, case.urgency, Stage.HANDLE) or (0, "")
    assert stages[Stage.HANDLE].deadline == calendar.deadline(at(2, 10), amount, unit)
    assert case.due_at == stages[Stage.HANDLE].deadline
    assert case.handled_on_time is True and case.closed_on_time is True

    late = Case.objects.get(number="L-0003")
    assert late.handled_on_time is False and late.closed_on_time is False

    doubtful = Case.objects.get(number="L-0004")
    codes = {note["code"] for note in doubtful.import_review}
    assert codes == {"closed_missing", "category_unknown", "area_unknown", "time_order"}
    assert doubtful.grid_id is None and doubtful.area_path == town.path
    assert doubtful.closed_at == at(5, 16)
    # Refusals say why.
    refused = [entry for entry in job.report if entry["outcome"] == "refused"]
    assert [entry["errors"][0]["field"] for entry in refused] == ["number", "reported_at"]


def test_statistics_of_an_imported_month_equal_the_hand_count(
    people: dict[str, Any], town: Area, things: dict[str, Any]
) -> None:
    rows = [good_row(f"S-{n}", things, day=2 + n) for n in range(3)] + [good_row("S-9", things, day=5, late=True)]
    run_import(people["center01"], town, workbook(rows))
    figures = indices.figures(Case.objects.filter(imported=True), MARCH)
    # Four cases reported in March; three handled within the calendar's limit, one 20 days late.
    assert figures["reported"].num == 4
    assert figures["closed"].num == 4 and figures["closed_on_time"].num == 3
    rate = figures["on_time_closure_rate"]
    assert (rate.num, rate.den, rate.value) == (3, 4, 75.0)
    rate = figures["on_time_handling_rate"]
    assert (rate.num, rate.den, rate.value) == (3, 4, 75.0)


def test_a_case_filed_at_a_village_has_no_grid_and_the_village_table_is_the_same_rolled_up(
    people: dict[str, Any], town: Area, things: dict[str, Any]
) -> None:
    village = things["grid"].parent
    rows = [good_row("V-1", things, day=3), good_row("V-2", things, day=4)]
    rows[1][8] = village.name  # the ledger names only the village
    run_import(people["center01"], town, workbook(rows))
    filed = Case.objects.get(number="V-2")
    assert filed.grid_id is None and filed.area_path == village.path  # in the village's totals, no grid's row
    cases = Case.objects.all()
    for period in (MARCH, Period(dt.date(2026, 3, 2), dt.date(2026, 3, 10))):
        live = [(r.key, r.figures.by_code) for r in indices.grouped(cases, period, "village", None, ["reported"])]
        rolled = indices.grouped(cases, period, "village", None, ["reported"], scope=Q())
        assert [(r.key, r.figures.by_code) for r in rolled] == live
        assert indices.figures(cases, period, indices.Dimensions(area=village.code), ["reported"]).by_code == (
            indices.figures(cases, period, indices.Dimensions(area=village.code), ["reported"], scope=Q()).by_code
        )


def test_the_migration_takes_the_village_out_of_the_grid_of_cases_imported_before(
    people: dict[str, Any], town: Area, things: dict[str, Any]
) -> None:
    import importlib

    from django.apps import apps as django_apps

    from gridgov.cases import rollups

    village = things["grid"].parent
    row = good_row("V-3", things, day=3)
    row[8] = village.name
    run_import(people["center01"], town, workbook([row]))
    Case.objects.filter(number="V-3").update(grid=village)  # as the import wrote it before
    rollups.rebuild()
    importlib.import_module("gridgov.cases.migrations.0022_ledger_cases_without_a_village_grid").forwards(
        django_apps, None
    )
    filed = Case.objects.get(number="V-3")
    assert filed.grid_id is None and filed.area_path == village.path
    assert rollups.check().differences == {}


def test_importing_again_changes_nothing_and_an_edit_updates(
    people: dict[str, Any], town: Area, things: dict[str, Any]
) -> None:
    rows = ledger_rows(things)
    run_import(people["center01"], town, workbook(rows))
    before = Case.objects.filter(imported=True).count()
    again = run_import(people["center01"], town, workbook(rows))
    assert (again.created_count, again.updated_count, again.unchanged_count, again.refused_count) == (0, 0, 4, 2)
    assert Case.objects.filter(imported=True).count() == before
    rows[0][11] = "已修复并回访"
    edited = run_import(people["center01"], town, workbook(rows))
    assert (edited.created_count, edited.updated_count, edited.unchanged_count) == (0, 1, 3)
    assert Case.objects.filter(imported=True).count() == before
    assert CaseEvent.objects.filter(case__number="L-0001", action="report").count() == 1


def test_a_number_of_a_live_case_is_imported_under_a_derived_number(
    people: dict[str, Any], town: Area, things: dict[str, Any]
) -> None:
    live = Case.objects.create(
        number="L-0001",
        town=town,
        area_path=town.path,
        category=things["category"],
        description="live",
        reported_at=at(1),
    )
    job = run_import(people["center01"], town, workbook([good_row("L-0001", things)]))
    assert job.created_count == 1 and job.review_count == 1
    imported = Case.objects.get(number="L-0001-H")
    assert imported.imported and imported.import_review[0]["code"] == "number_taken"
    live.refresh_from_db()
    assert not live.imported
    again = run_import(people["center01"], town, workbook([good_row("L-0001", things)]))
    assert again.unchanged_count == 1 and Case.objects.filter(number__startswith="L-0001").count() == 2


# --- scoping -----------------------------------------------------------------------------------


def test_only_the_center_of_the_town_sees_and_runs_a_job(
    people: dict[str, Any], town: Area, things: dict[str, Any]
) -> None:
    content = workbook([good_row("P-1", things)])
    with pytest.raises(Forbidden):
        services.ledger_upload(actor=people["grid01"], town=town, name="l.xlsx", content=content)
    job = services.ledger_upload(actor=people["center01"], town=town, name="l.xlsx", content=content)
    with pytest.raises(Forbidden):
        services.ledger_map(actor=people["grid01"], job_id=job.pk, mapping={})
    other = Area.objects.create(code="120116999000", name="别镇", level=AreaLevel.TOWN, parent=town.parent)
    LedgerImport.objects.filter(pk=job.pk).update(town=other)
    with pytest.raises(NotFound):
        services.ledger_start(actor=people["center01"], job_id=job.pk)
    with pytest.raises(Forbidden):
        services.ledger_upload(actor=people["center01"], town=other, name="l.xlsx", content=content)


# --- pages ---------------------------------------------------------------------------------------


def test_the_pages_take_a_ledger_from_upload_to_report(
    client: Any, people: dict[str, Any], town: Area, things: dict[str, Any]
) -> None:
    client.force_login(people["center01"])
    assert client.get(reverse("ledger:list")).status_code == 200
    upload = io.BytesIO(workbook(ledger_rows(things)))
    upload.name = "ledger.xlsx"
    response = client.post(reverse("ledger:list"), {"town": town.pk, "file": upload})
    assert response.status_code == 302
    committed()
    job = LedgerImport.objects.get()
    page = client.get(reverse("ledger:mapping", args=[job.pk]))
    assert page.status_code == 200 and "案件编号" in page.content.decode()
    form = {name: job.mapping.get(name, "") for name in parse.FIELD_NAMES}
    assert client.post(reverse("ledger:mapping", args=[job.pk]), form).status_code == 302
    page = client.get(reverse("ledger:preview", args=[job.pk]))
    assert page.status_code == 200 and "L-0004" in page.content.decode()
    assert client.post(reverse("ledger:start", args=[job.pk])).status_code == 302
    committed()
    assert client.get(reverse("ledger:progress", args=[job.pk])).json()["percent"] == 100
    page = client.get(reverse("ledger:detail", args=[job.pk]))
    assert page.status_code == 200 and "L-0004" in page.content.decode()
    rows = page.context["report"]
    job.refresh_from_db()
    refused = client.get(reverse("ledger:detail", args=[job.pk]), {"show": "refused"}).context["report"]
    review = client.get(reverse("ledger:detail", args=[job.pk]), {"show": "review"}).context["report"]
    assert [row["row"] for row in refused] == [row["row"] for row in rows if row["outcome"] == "refused"]
    assert len(refused) == job.refused_count > 0 and len(review) == job.review_count > 0
    assert all(row["review"] for row in review)
    report = client.get(reverse("ledger:report", args=[job.pk]))
    assert report.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(report.content))
    assert any("L-0004" in str(cell.value) for row in book.active.iter_rows() for cell in row)
    client.force_login(people["grid01"])
    assert client.get(reverse("ledger:detail", args=[job.pk])).status_code == 403


def test_the_workbench_filters_imported_cases_and_the_case_page_shows_the_notes(
    client: Any, people: dict[str, Any], town: Area, things: dict[str, Any]
) -> None:
    from gridgov.cases.selectors import CaseFilters, apply_filters

    run_import(people["center01"], town, workbook(ledger_rows(things)))
    user = people["center01"]
    imported = apply_filters(user, Case.objects.all(), CaseFilters(imported="imported"))
    review = apply_filters(user, Case.objects.all(), CaseFilters(imported="imported_review"))
    assert imported.count() == 4
    assert list(review.values_list("number", flat=True)) == ["L-0004"]
    client.force_login(user)
    page = client.get(reverse("cases:workbench"), {"imported": "imported_review"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "L-0004" in content and "L-0001" not in content
    case = Case.objects.get(number="L-0004")
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-testid="case-imported"' in content and "火星村" in content


def test_the_demo_ledger_fills_the_six_months_before_the_live_history(taiping: None) -> None:
    from gridgov.demo.ledger import load_demo_ledger

    made = load_demo_ledger(allow_production_db=True)
    committed()
    job = LedgerImport.objects.get()
    assert job.status == LedgerStatus.DONE
    assert made == 198 and job.refused_count == 2
    assert 0 < job.review_count < 40
    oldest = Case.objects.filter(imported=True).order_by("reported_at").first()
    newest = Case.objects.filter(imported=True).order_by("-reported_at").first()
    assert oldest is not None and newest is not None
    assert newest.reported_at < timezone.now() - dt.timedelta(days=182)
    assert oldest.reported_at >= timezone.now() - dt.timedelta(days=365)
    assert load_demo_ledger(allow_production_db=True) == 0  # once


def test_the_mapping_samples_show_people_masked(people: dict[str, Any], town: Area, things: dict[str, Any]) -> None:
    """An old ledger's reporter columns are not imported, but the mapping page shows samples of
    every column: names, phones and identity numbers there are masked like everywhere else."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([*HEADER, "上报人姓名", "联系电话", "备注"])
    sheet.append([*good_row("L-0001", things), "王建国", "138 1234 5678", "110101199003071234"])
    out = io.BytesIO()
    book.save(out)
    job = services.ledger_upload(actor=people["center01"], town=town, name="ledger.xlsx", content=out.getvalue())
    committed()
    samples = services.job_columns(LedgerImport.objects.get(pk=job.pk)).samples

    assert samples["上报人姓名"] == ["王**"]
    assert samples["联系电话"] == ["138****5678"]
    assert samples["备注"] == ["110****1234"]
    assert samples["问题描述"] == ["路灯不亮"]  # the rest as written
