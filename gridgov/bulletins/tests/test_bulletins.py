"""The monthly bulletin: its digits are the indices' (a month built through the services), the
three documents print them, the worker generates and files them, a rewrite prints the same
digits, the schedule makes one per town and village on the first working day, and only the
readers of the statistics of the area get it."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook
from PIL import ImageFile

from gridgov.areas.models import Area, AreaLevel
from gridgov.bulletins import documents, services
from gridgov.bulletins.figures import compute
from gridgov.bulletins.models import Bulletin, BulletinStatus
from gridgov.cases.models import Case
from gridgov.cases.tests.test_indices import EXPECTED_MARCH, month  # noqa: F401 - the hand-built March
from gridgov.cases.tests.test_stats_pages import check_every_link
from gridgov.core.errors import Conflict, Forbidden
from gridgov.core.models import AuditEvent

MARCH = dt.date(2026, 3, 1)
SENTENCE = "本月受理 5 件，应办结 5 件，办结 4 件，办结率 80.0%，按期办结 4 件，按期办结率 80.0%"


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF's objects with its compressed streams (object streams included) inflated."""
    found = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            found.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return b"\n".join(found)


def town() -> Area:
    return Area.objects.current().get(level=AreaLevel.TOWN)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Any:
    """``with committed(): ...`` runs what waited for the commit (the worker's task, eager in
    tests) when the block ends, as a real commit would; the test's transaction never commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def placeholder_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """The schedule's tests make a bulletin for the town and each village: their documents are
    placeholders (the documents have tests of their own), not thirteen Word, PDF and Excel files."""
    for writer in ("write_docx", "write_pdf", "write_xlsx"):
        monkeypatch.setattr(documents, writer, lambda figures, name=writer: name.encode())


@pytest.fixture
def march(month: dict[str, Case]) -> dict[str, Any]:  # noqa: F811 - the imported fixture
    return compute(town(), MARCH)


def test_the_bulletins_digits_are_the_indices(march: dict[str, Any], month: dict[str, Case]) -> None:  # noqa: F811
    for code, (num, den, value) in EXPECTED_MARCH.items():
        if code in march["cases"]:
            assert (march["cases"][code]["num"], march["cases"][code]["den"], march["cases"][code]["value"]) == (
                num,
                den,
                value,
            ), code
    # Due 5 (A B C D I), closed on time 4: B is the one not closed on time, and listed.
    assert march["cases"]["not_closed_on_time"]["num"] == 1 == march["overdue_total"]
    assert [row["number"] for row in march["overdue"]] == [month["B"].number]
    police = next(row for row in march["departments"] if row["code"] == "traffic_police")
    assert police["figures"]["due"]["num"] == 5 and police["rank"] == 1
    assert march["categories"][0]["reported"] == 7
    assert march["cases_previous"]["reported"]["num"] == 1  # I, reported in February
    assert march["hotline"]["received"] == 0 and march["hotline"]["rates"]["response"]["value"] is None


def test_the_villages_add_up_to_the_town_with_cases_filed_at_a_village(month: dict[str, Case]) -> None:  # noqa: F811
    """A case filed at a village without a grid (a ledger row naming only a village) is in its
    village's row: the villages' rows add up to the town."""
    case = Case.objects.select_related("grid__parent").get(pk=month["B"].pk)
    assert case.grid is not None and case.grid.parent is not None
    village = case.grid.parent
    case.area_path, case.grid = village.path, None
    case.save()
    figures = compute(town(), MARCH)
    row = next(row for row in figures["villages"] if row["code"] == village.code)
    for code, value in row["figures"].items():
        if value.get("den") is None:
            assert sum(r["figures"][code]["num"] for r in figures["villages"]) == figures["cases"][code]["num"], code
    assert row["figures"]["due"]["num"] == figures["cases"]["due"]["num"] == 5  # B among them


def test_the_three_documents_print_the_digits(march: dict[str, Any]) -> None:
    word = Document(io.BytesIO(documents.write_docx(march)))
    text = "\n".join(paragraph.text for paragraph in word.paragraphs)
    assert "网格化服务管理月度通报" in text and SENTENCE in text
    assert "12345 热线本月受理工单 0 件" in text
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    assert "80.0%" in cells and any(name.startswith("按期") for name in cells)

    pdf = documents.write_pdf(march)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # WeasyPrint's import does not weaken the photo checks
    objects = pdf_objects(pdf)
    assert pdf.startswith(b"%PDF") and b"/FontFile" in objects  # the font is embedded
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+Noto[-\w]*CJK", objects)  # a subset of Noto CJK

    book_bytes = documents.write_xlsx(march)
    book = load_workbook(io.BytesIO(book_bytes))
    assert book.sheetnames[0] == "通报"
    first = [row[0] for row in book["通报"].iter_rows(values_only=True) if row and row[0]]
    assert any(SENTENCE in str(value) for value in first)
    departments = book["部门"]
    header = [cell.value for cell in departments[1]]
    assert "按期结案率 (%)" in header
    assert departments.cell(row=2, column=header.index("按期结案率 (%)") + 1).value == 80.0  # a number
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    with zipfile.ZipFile(io.BytesIO(book_bytes)) as archive:
        assert any(name.startswith("xl/charts/chart") for name in archive.namelist())


def test_a_hostile_name_is_no_formula_in_the_workbook(march: dict[str, Any]) -> None:
    march["categories"][0]["name"] = '=HYPERLINK("http://x")'
    book = load_workbook(io.BytesIO(documents.write_xlsx(march)))
    values = [cell.value for row in book["高发问题"].iter_rows() for cell in row]
    assert '\'=HYPERLINK("http://x")' in values


@pytest.mark.usefixtures("month")
def test_generated_through_the_page_filed_and_downloaded(people: dict[str, Any], committed: Any) -> None:
    client = client_for(people["center01"])
    with committed():
        response = client.post(reverse("bulletins:list"), {"area": town().code, "month": "2026-03"})
    assert response.status_code == 302
    bulletin = Bulletin.objects.get()
    assert bulletin.status == BulletinStatus.DONE and bulletin.revision == 1  # the worker ran (eager)
    assert bulletin.figures["cases"]["closed"]["num"] == 4
    for extension in ("docx", "pdf", "xlsx"):
        name = getattr(bulletin, extension).name
        assert name and default_storage.exists(name)
        download = client.get(reverse("bulletins:download", args=[bulletin.pk, extension]))
        assert download.status_code == 200 and download["Content-Disposition"].endswith(f"%EF%BC%89.{extension}")
    assert AuditEvent.objects.filter(action="bulletin.download").count() == 3
    assert list(
        AuditEvent.objects.filter(object_id=str(bulletin.pk), action__startswith="bulletin.")
        .order_by("pk")
        .values_list("action", flat=True)
    )[:2] == ["bulletin.request", "bulletin.complete"]

    page = client.get(reverse("bulletins:detail", args=[bulletin.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and SENTENCE in html
    # Every number of the bulletin's page opens the list of the cases it counts.
    assert check_every_link(client, html, minimum=30) > 15


@pytest.mark.usefixtures("month")
def test_written_again_from_the_frozen_figures_the_same_digits(people: dict[str, Any], committed: Any) -> None:
    center = people["center01"]
    with committed():
        bulletin = services.bulletin_request(actor=center, area_code=town().code, month=MARCH)
    bulletin.refresh_from_db()
    frozen = bulletin.figures
    old_pdf = bulletin.pdf.name
    Case.objects.update(closed_on_time=False)  # whatever happens to the cases later
    with committed():
        services.bulletin_act(actor=center, pk=bulletin.pk, action="rewrite")
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.DONE and bulletin.figures == frozen
    assert bulletin.pdf.name != old_pdf and not default_storage.exists(old_pdf)
    with bulletin.docx.open("rb") as handle:
        assert SENTENCE in "\n".join(p.text for p in Document(handle).paragraphs)


@pytest.mark.usefixtures("month")
def test_a_new_revision_recomputes_to_the_same_case_digits(people: dict[str, Any], committed: Any) -> None:
    center = people["center01"]
    with committed():
        first = services.bulletin_request(actor=center, area_code=town().code, month=MARCH)
        second = services.bulletin_request(actor=center, area_code=town().code, month=MARCH)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.revision, second.revision) == (1, 2)
    assert first.figures["cases"] == second.figures["cases"]


@pytest.mark.usefixtures("month")
def test_a_failure_is_kept_with_its_reason_and_can_be_retried(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch, committed: Any
) -> None:
    def broken(figures: dict[str, Any]) -> bytes:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(documents, "write_pdf", broken)
    center = people["center01"]
    with committed():
        bulletin = services.bulletin_request(actor=center, area_code=town().code, month=MARCH)
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.FAILED and "RuntimeError" in bulletin.error
    assert not bulletin.docx.name
    for extension in ("docx", "pdf", "xlsx"):  # nothing half-done is left on disk
        assert not default_storage.exists(f"bulletins/2026/{town().code}-2026-03-r1.{extension}")
    monkeypatch.undo()
    with committed():
        page = client_for(center).post(reverse("bulletins:action", args=[bulletin.pk, "retry"]))
    assert page.status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.DONE and bulletin.error == ""


def test_bad_input_is_refused_with_the_field(people: dict[str, Any]) -> None:
    client = client_for(people["center01"])
    future = client.post(reverse("bulletins:list"), {"area": town().code, "month": "2999-01"})
    assert future.status_code == 422 and "这个月还没有开始" in future.content.decode()
    bad = client.post(reverse("bulletins:list"), {"area": town().code, "month": "March"})
    assert bad.status_code == 422
    api = client.post("/api/v1/bulletins", {"area": town().code, "month": "2026/03"}, content_type="application/json")
    assert api.status_code == 422 and api.json()["error"]["details"]["month"]
    api = client.post("/api/v1/bulletins", {"area": "nowhere", "month": "2026-03"}, content_type="application/json")
    assert api.status_code == 422 and api.json()["error"]["details"]["area"]
    assert not Bulletin.objects.exists()


@pytest.mark.usefixtures("month")
def test_the_api_generates_and_serves_the_documents(people: dict[str, Any], committed: Any) -> None:
    client = client_for(people["leader01"])
    with committed():
        created = client.post(
            "/api/v1/bulletins", {"area": town().code, "month": "2026-03"}, content_type="application/json"
        )
    assert created.status_code == 202, created.content
    pk = created.json()["id"]
    detail = client.get(f"/api/v1/bulletins/{pk}").json()
    assert detail["status"] == "done" and detail["progress"]["percent"] == 100
    assert detail["figures"]["cases"]["closure_rate"] == {"num": 4, "den": 5, "value": 80.0}
    pdf = client.get(detail["documents"]["pdf"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/api/v1/bulletins/{pk}/file.exe").status_code == 404
    assert [item["id"] for item in client.get("/api/v1/bulletins", {"month": "2026-03"}).json()] == [pk]


@pytest.mark.usefixtures("month")
def test_only_the_readers_of_the_statistics_get_bulletins(people: dict[str, Any]) -> None:
    bulletin = services.bulletin_request(actor=people["center01"], area_code=town().code, month=MARCH)
    for name in ("grid01", "dept01", "gridlead01"):
        client = client_for(people[name])
        assert client.get(reverse("bulletins:list")).status_code == 403, name
        assert client.get(reverse("bulletins:detail", args=[bulletin.pk])).status_code == 404, name
        assert client.get(reverse("bulletins:download", args=[bulletin.pk, "pdf"])).status_code == 404, name
        assert client.get(f"/api/v1/bulletins/{bulletin.pk}").status_code == 404, name
        assert (
            client.post(
                "/api/v1/bulletins", {"area": town().code, "month": "2026-03"}, content_type="application/json"
            ).status_code
            == 403
        )
    supervisor = client_for(people["super01"])
    assert supervisor.get(reverse("bulletins:detail", args=[bulletin.pk])).status_code == 200


@pytest.mark.usefixtures("month")
def test_the_discipline_supervisor_reads_bulletins_and_checks_but_makes_none(people: dict[str, Any]) -> None:
    """Read access to everything (the supervisor's role), no generating or checking."""
    bulletin = services.bulletin_request(actor=people["center01"], area_code=town().code, month=MARCH)
    client = client_for(people["super01"])
    page = client.get(reverse("bulletins:list"))
    assert page.status_code == 200 and 'data-testid="bulletin-form"' not in page.content.decode()
    assert client.get(reverse("bulletins:detail", args=[bulletin.pk])).status_code == 200
    assert client.post(reverse("bulletins:list"), {"area": town().code, "month": "2026-03"}).status_code == 403
    body = {"area": town().code, "month": "2026-03"}
    answer = client.post("/api/v1/bulletins", body, content_type="application/json")
    assert answer.status_code == 403
    with pytest.raises(Forbidden):
        services.bulletin_request(actor=people["super01"], area_code=town().code, month=MARCH)
    checks = client.get(reverse("bulletins:checks"))
    assert checks.status_code == 200 and 'data-testid="check-form"' not in checks.content.decode()
    assert not services.may_issue(people["super01"])
    assert all(services.may_issue(people[name]) for name in ("center01", "leader01"))


@pytest.mark.usefixtures("placeholder_documents")
def test_the_schedule_makes_last_months_bulletins_once_on_the_first_working_day(
    people: dict[str, Any], committed: Any
) -> None:
    # 1 May 2026 is Labour Day; the first working day of May 2026 is 6 May (after the holiday).
    first = services.first_workday(dt.date(2026, 5, 1))
    assert first > dt.date(2026, 5, 1)
    assert services.schedule_monthly(first - dt.timedelta(days=1)) == 0
    with committed():
        made = services.schedule_monthly(first)
    villages = Area.objects.current().filter(level=AreaLevel.VILLAGE).count()
    assert made == 1 + villages
    assert services.schedule_monthly(first) == 0  # once
    assert set(Bulletin.objects.values_list("month", flat=True)) == {dt.date(2026, 4, 1)}
    assert Bulletin.objects.filter(status=BulletinStatus.DONE, scheduled=True).count() == made
    village = Bulletin.objects.filter(area__level=AreaLevel.VILLAGE).first()
    assert village is not None and village.figures["villages"] == []


def test_the_headings_count_in_chinese_numerals(march: dict[str, Any]) -> None:
    # They went 一、二、三、 then 4、5、6、 (a number put in "%(n)s、").
    numbers = [section.title.split("、")[0] for section in documents.outline(march).sections]
    assert numbers == ["一", "二", "三", "四", "五", "六"][: len(numbers)] and len(numbers) >= 5
    without = documents.outline({**march, "villages": []})
    assert [section.title.split("、")[0] for section in without.sections] == ["一", "二", "三", "四", "五"]


def test_a_month_not_yet_ended_says_so(march: dict[str, Any]) -> None:
    assert "本月未结束" not in documents.outline(march).subtitle
    march["computed_at"] = "2026-03-20T10:00:00+08:00"
    assert "（截至 2026-03-20，本月未结束）" in documents.outline(march).subtitle


@pytest.mark.usefixtures("month")
def test_a_bulletin_no_worker_took_may_be_retried_and_starts_from_nothing(
    people: dict[str, Any], committed: Any
) -> None:
    center = people["center01"]
    bulletin = services.bulletin_request(actor=center, area_code=town().code, month=MARCH)  # never delivered
    services.progress_set(bulletin.pk, "store")
    with pytest.raises(Conflict):
        services.bulletin_act(actor=center, pk=bulletin.pk, action="retry")  # still fresh
    Bulletin.objects.filter(pk=bulletin.pk).update(queued_at=timezone.now() - dt.timedelta(minutes=16))
    with committed():
        services.bulletin_act(actor=center, pk=bulletin.pk, action="retry")
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.DONE
    with committed():
        services.bulletin_act(actor=center, pk=bulletin.pk, action="rewrite")
        queued = Bulletin.objects.get(pk=bulletin.pk)
        assert services.progress(queued)["percent"] in (0, 100)  # not the last run's 80 %


@pytest.mark.usefixtures("placeholder_documents")
def test_a_missed_first_working_day_is_caught_up(people: dict[str, Any], committed: Any) -> None:
    first = services.first_workday(dt.date(2026, 5, 1))
    with committed():
        made = services.schedule_monthly(first + dt.timedelta(days=2))
    assert made > 0 and services.schedule_monthly(first + dt.timedelta(days=3)) == 0


@pytest.mark.usefixtures("month")
def test_the_page_reads_without_guessing(people: dict[str, Any], committed: Any) -> None:
    """Each section's text stands under its heading; cases due with no lead department, a list cut
    to its first rows and the average hours say what they are."""
    client = client_for(people["center01"])
    with committed():
        client.post(reverse("bulletins:list"), {"area": town().code, "month": "2026-03"})
    bulletin = Bulletin.objects.get()
    figures = bulletin.figures
    figures["cases"]["due"]["num"] += 2  # two cases due with no lead department
    first = figures["overdue"][0]
    figures["overdue"] = [{**first, "number": f"{first['number']}-{n}"} for n in range(12)]
    figures["overdue_total"] = 13
    figures["cases"]["handling_hours"].update({"value": 13.25, "den": 4})
    Bulletin.objects.filter(pk=bulletin.pk).update(figures=figures)  # a month as the walkthrough saw it

    text = documents.outline(figures)
    department = text.sections[1]
    assert department.title == "二、部门办理情况及排名"
    assert "本月应办结的 7 件案件中，2 件没有牵头部门" in " ".join(department.paragraphs)
    assert "平均处置时长（工作小时）" in [row[0] for row in text.sections[0].tables[0].rows]

    html = client.get(reverse("bulletins:detail", args=[bulletin.pk])).content.decode()
    summary = html[html.index('data-testid="bulletin-text"') : html.index('id="key-title"')]
    # The ranking's caption follows its section's heading, not the overview's last paragraph.
    assert re.search(r"<h3[^>]*>二、部门办理情况及排名</h3>\s*<p>按按期办结率排名", summary)
    row = html[html.index('data-testid="bulletin-no-department"') :]
    assert "无牵头部门" in row and "<td>2</td>" in row and "全镇合计 7 件" in row
    assert "按办理时限先后列出前 10 件" in html
    assert html.count(first["number"] + "-") == 10
    assert re.search(r"13\.3 工作小时 <span[^>]*>\(<a[^>]*>按 4 件案件平均</a>\)", html)
