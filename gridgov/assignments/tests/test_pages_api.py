"""The leaders' tasks' pages and API: the board's counts open their lists, the create form (by
hand, from a document, from a resolution), a step posted from the task's page answered as every
workflow's page, the inbox section beside the cases, the cockpit's tiles, the home panel, the
Excel export; the API's list, create, actions and errors."""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.assignments.models import Assignment, AssignmentFile, PartStatus
from gridgov.meetings import services as meetings

from .helpers import client_for, department_of, give, parts, village_of

pytestmark = pytest.mark.django_db


def test_the_board_counts_by_state_and_light_and_each_count_opens_its_list(people: dict[str, Any]) -> None:
    task = give(people)
    other = give(people, title="防汛物资排查", cooperating=[])
    lead = parts(task)["lead"]
    client_for(people["dept01"])
    from gridgov.assignments import services

    services.part_act(actor=people["dept01"], pk=lead.pk, action="accept")
    page = client_for(people["leader01"]).get("/assignments/")
    assert page.status_code == 200
    board = page.context["board"]
    # Accepted by its lead owner, the first task is in progress; the other waits for acceptance.
    assigned = next(row for row in board if row["status"] == "assigned")
    working = next(row for row in board if row["status"] == "in_progress")
    assert assigned["total"] == 1 and working["total"] == 1
    green = next(cell for cell in assigned["lights"] if cell["light"] == "green")
    assert green["count"] == 1
    listed = client_for(people["leader01"]).get(green["url"])
    assert {row["item"].pk for row in listed.context["items"]} == {other.pk}
    assert 'data-testid="completion"' in page.content.decode()


def test_owners_see_their_tasks_in_their_inbox_beside_their_cases(people: dict[str, Any]) -> None:
    task = give(people)
    inbox = client_for(people["dept01"]).get("/cases/department/")
    assert inbox.status_code == 200
    body = inbox.content.decode()
    assert 'data-testid="inbox-section-assignments"' in body and task.title in body
    village = client_for(people["gridlead01"]).get("/cases/village/").content.decode()
    assert task.title in village
    assert task.title in client_for(people["dept02"]).get("/cases/department/").content.decode()
    assert task.title not in client_for(people["grid01"]).get("/").content.decode()


def test_the_cockpit_shows_the_tasks_by_light_and_the_overdue_owners(people: dict[str, Any]) -> None:
    give(people)
    page = client_for(people["leader01"]).get("/cases/cockpit/")
    labels = [tile.label for tile in [*page.context["extra"], *page.context["other"]]]
    assert any("领导交办" in label or "Leaders' tasks" in label for label in labels)


def test_the_cockpit_says_when_it_shows_the_first_overdue_owners_only(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridgov.assignments import navigation

    task = give(people)
    past = timezone.now() - dt.timedelta(days=2)
    task.parts.update(deadline=past, warn_at=past - dt.timedelta(days=1))  # all three owners late
    monkeypatch.setattr(navigation, "COCKPIT_OWNERS", 2)
    page = client_for(people["leader01"]).get("/cases/cockpit/")
    owners = [tile for tile in page.context["other"] if tile.label.startswith("超期交办事项：")]
    assert len(owners) == 2
    assert owners[0].note == (
        "按承办单位计（一件事项有多个承办单位时各计一次）：超期最多的前 2 个单位（共 3 个），其余 1 个见全部超期事项"
    )
    assert owners[0].note_url == navigation.list_url(light="red") and not owners[1].note
    body = page.content.decode()
    assert 'data-testid="tile-note"' in body
    assert client_for(people["leader01"]).get(owners[0].note_url).status_code == 200  # the leader opens it
    monkeypatch.setattr(navigation, "COCKPIT_OWNERS", 3)  # all shown: nothing to say
    page = client_for(people["leader01"]).get("/cases/cockpit/")
    assert not any(tile.note for tile in page.context["other"])


def test_the_home_panel_tells_an_owner_of_open_tasks(people: dict[str, Any]) -> None:
    give(people)
    body = client_for(people["dept01"]).get("/").content.decode()
    assert 'data-testid="panel-assignments"' in body


def test_a_refused_form_asks_for_its_files_again(people: dict[str, Any]) -> None:
    # A browser keeps no chosen file across a refused page: the files were gone without a word.
    answer = client_for(people["leader01"]).post(
        "/assignments/new/",
        {
            "title": "",
            "requirement": "每日巡查",
            "lead": f"department:{department_of(people['dept01'])}",
            "deadline": (timezone.localdate() + dt.timedelta(days=20)).isoformat(),
            "priority": "high",
            "attachments": [SimpleUploadedFile("通知.pdf", b"%PDF-1.4 notice", content_type="application/pdf")],
        },
    )
    assert answer.status_code == 422 and "请重新选择文件" in answer.content.decode()
    assert not Assignment.objects.exists()


def test_a_task_is_given_through_the_form_with_a_document(people: dict[str, Any]) -> None:
    client = client_for(people["leader01"])
    form = client.get("/assignments/new/")
    assert form.status_code == 200
    answer = client.post(
        "/assignments/new/",
        {
            "title": "秸秆禁烧巡查",
            "requirement": "每日巡查",
            "lead": f"department:{department_of(people['dept01'])}",
            "cooperating": [f"village:{village_of(people)}"],
            "deadline": (timezone.localdate() + dt.timedelta(days=20)).isoformat(),
            "priority": "high",
            "document_number": "太政办〔2026〕40号",
            "attachments": [SimpleUploadedFile("通知.pdf", b"%PDF-1.4 notice", content_type="application/pdf")],
        },
    )
    task = Assignment.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/assignments/{task.pk}/"
    assert task.source == "document" and AssignmentFile.objects.filter(assignment=task).count() == 1
    bad = client.post("/assignments/new/", {"title": "", "requirement": "", "lead": "center"})
    assert bad.status_code == 422


def test_a_task_taken_over_from_a_meeting_resolution_links_to_it(people: dict[str, Any]) -> None:
    meeting = meetings.meeting_plan(
        actor=people["center01"],
        area_code=Assignment._meta.apps.get_model("areas", "Area").objects.get(code=village_of(people)).parent.code,
        title="民情分析会",
        starts_at=timezone.now(),
        place="镇政府",
        chair_id=people["leader01"].pk,
        invitee_ids=[],
    )
    meetings.meeting_act(actor=people["center01"], pk=meeting.pk, action="hold")
    resolution = meetings.resolution_add(
        actor=people["center01"],
        meeting_id=meeting.pk,
        text="对独居老人开展入户走访",
        kind="task",
        village_code=village_of(people),
        deadline=timezone.localdate() + dt.timedelta(days=7),
    )
    client = client_for(people["leader01"])
    form = client.get(f"/assignments/new/?resolution={resolution.pk}")
    assert form.status_code == 200 and form.context["form"].initial["lead"] == f"village:{village_of(people)}"
    from gridgov.assignments import services

    task = services.assignment_from_resolution(actor=people["leader01"], resolution_id=resolution.pk)
    assert task.resolution == resolution and task.source == "resolution"
    assert 'data-testid="resolution-link"' in client.get(f"/assignments/{task.pk}/").content.decode()
    meeting_page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert f"/assignments/{task.pk}/" in meeting_page
    from gridgov.core.errors import Conflict

    with pytest.raises(Conflict):
        services.assignment_from_resolution(actor=people["leader01"], resolution_id=resolution.pk)
    # From now on the task carries it: the resolution's own steps are refused, even posted directly.
    assert meetings.RESOLUTIONS.allowed_actions(resolution, people["gridlead01"]) == []
    with pytest.raises(Conflict) as refused:
        meetings.resolution_act(
            actor=people["gridlead01"], pk=resolution.pk, action="report", inputs={"report": "已完成"}
        )
    assert refused.value.code == "taken_over"


def test_a_step_posted_from_the_page_is_answered_like_every_workflows(people: dict[str, Any]) -> None:
    task = give(people)
    lead = parts(task)["lead"]
    client = client_for(people["dept01"])
    page = client.get(f"/assignments/{task.pk}/")
    assert 'data-testid="action-accept"' in page.content.decode()
    url = f"/assignments/parts/{lead.pk}/act/accept/"
    assert client.post(url, {"version": lead.version}).status_code == 302
    stale = client.post(url, {"version": lead.version})
    assert stale.status_code == 409
    progress = client.post(
        f"/assignments/parts/{lead.pk}/act/progress/",
        {"version": lead.version + 1, "comment": "", "percent": 20},
    )
    assert progress.status_code == 422
    done = client.post(
        f"/assignments/parts/{lead.pk}/act/progress/",
        {
            "version": lead.version + 1,
            "comment": "已排查20家",
            "percent": 20,
            "attachments": [SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff jpeg", content_type="image/jpeg")],
        },
    )
    assert done.status_code == 302
    lead.refresh_from_db()
    assert lead.percent == 20 and AssignmentFile.objects.filter(part=lead).count() == 1
    refused = client_for(people["dept02"]).post(f"/assignments/parts/{lead.pk}/act/submit/", {"comment": "x"})
    assert refused.status_code == 403
    hidden = client_for(people["grid01"]).post(f"/assignments/parts/{lead.pk}/act/submit/", {"comment": "x"})
    assert hidden.status_code == 404
    supervise = client_for(people["super01"]).post(
        f"/assignments/{task.pk}/act/supervise/", {"version": task.version, "comment": "请说明进度"}
    )
    assert supervise.status_code == 302


def test_the_export_is_a_formula_safe_workbook(people: dict[str, Any]) -> None:
    give(people, title="=HYPERLINK(1)")
    answer = client_for(people["center01"]).get("/assignments/export.xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet.cell(row=2, column=1).value == "'=HYPERLINK(1)"
    assert client_for(people["dept01"]).get("/assignments/export.xlsx").status_code == 403


def test_the_api_lists_creates_and_acts(people: dict[str, Any]) -> None:
    leader = client_for(people["leader01"])
    created = leader.post(
        "/api/v1/assignments",
        {
            "title": "信访积案化解",
            "requirement": "逐案包案化解",
            "lead": f"department:{department_of(people['dept01'])}",
            "deadline": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
            "files": [{"name": "方案.docx", "content_base64": base64.b64encode(b"PK\x03\x04 docx").decode()}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    part = body["parts"][0]
    assert body["source"] == "document" and len(body["files"]) == 1 and part["allowed_actions"] == []
    owner = client_for(people["dept01"])
    listed = owner.get("/api/v1/assignments?mine=true").json()
    assert [item["id"] for item in listed] == [body["id"]]
    accepted = owner.post(
        f"/api/v1/assignments/parts/{part['id']}/accept", {"version": part["version"]}, content_type="application/json"
    )
    assert accepted.status_code == 200 and accepted.json()["parts"][0]["status"] == PartStatus.IN_PROGRESS
    stale = owner.post(
        f"/api/v1/assignments/parts/{part['id']}/progress",
        {"version": part["version"], "comment": "x"},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    missing = owner.post(f"/api/v1/assignments/parts/{part['id']}/progress", {}, content_type="application/json")
    assert missing.status_code == 422
    reported = owner.post(
        f"/api/v1/assignments/parts/{part['id']}/progress",
        {"comment": "化解2件", "percent": 30},
        content_type="application/json",
    )
    assert reported.status_code == 200
    progress = owner.get(f"/api/v1/assignments/{body['id']}/progress").json()
    assert [event["comment"] for event in progress] == ["化解2件"]
    forbidden = client_for(people["dept02"]).post(
        f"/api/v1/assignments/parts/{part['id']}/submit", {"comment": "x"}, content_type="application/json"
    )
    assert forbidden.status_code == 404
    refused = client_for(people["center01"]).post(
        f"/api/v1/assignments/parts/{part['id']}/approve", {}, content_type="application/json"
    )
    assert refused.status_code == 403
    bad = leader.get("/api/v1/assignments?light=purple")
    assert bad.status_code == 422
