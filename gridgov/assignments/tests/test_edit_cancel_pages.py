"""The leader's edit and cancel on the task's page and in the API, the cancelled task in the
lists and the Excel, and the task sheet (交办单) as Word and PDF, scoped like the page."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from gridgov.assignments import services
from gridgov.assignments.models import AssignmentEvent, AssignmentStatus, PartStatus
from gridgov.core.models import AuditEvent
from gridgov.people.services import token_issue

from .helpers import client_for, department_of, give, parts, village_of

pytestmark = pytest.mark.django_db


def test_the_leader_edits_the_task_from_its_page(people: dict[str, Any]) -> None:
    task = give(people)
    client = client_for(people["leader01"])
    page = client.get(f"/assignments/{task.pk}/").content.decode()
    assert 'data-testid="action-edit"' in page and 'data-testid="action-cancel"' in page
    assert (
        'data-testid="action-edit"' not in client_for(people["dept01"]).get(f"/assignments/{task.pk}/").content.decode()
    )
    url = f"/assignments/{task.pk}/act/edit/"
    village = f"village:{village_of(people)}"
    dept2 = f"department:{department_of(people['dept02'])}"
    day = timezone.localdate() + dt.timedelta(days=30)
    missing = client.post(url, {"version": task.version, "priority": "urgent", "cooperating": [dept2, village]})
    assert missing.status_code == 422
    assert "这个字段是必填项" in missing.content.decode() or "必填" in missing.content.decode()
    done = client.post(
        url,
        {
            "version": task.version,
            "requirement": task.requirement,
            "priority": "urgent",
            "deadline": day.isoformat(),
            "cooperating": [dept2],
            "comment": "村里已另行部署",
        },
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.priority == "urgent" and timezone.localdate(task.deadline) >= day
    assert parts(task)["village"].status == PartStatus.CANCELLED
    page = client.get(f"/assignments/{task.pk}/").content.decode()
    assert "村里已另行部署" in page and "→" in page
    stale = client.post(url, {"version": task.version - 1, "priority": "high", "comment": "x", "cooperating": [dept2]})
    assert stale.status_code == 409
    nothing = client.post(url, {"version": task.version, "comment": "x", "cooperating": [dept2]})
    assert nothing.status_code == 422
    assert client_for(people["dept01"]).post(url, {"version": task.version, "comment": "x"}).status_code == 403
    assert client_for(people["grid01"]).post(url, {"version": task.version, "comment": "x"}).status_code == 404


def test_a_cancelled_task_shows_as_cancelled_in_the_page_list_and_excel(people: dict[str, Any]) -> None:
    task = give(people)
    client = client_for(people["leader01"])
    url = f"/assignments/{task.pk}/act/cancel/"
    assert client.post(url, {"version": task.version, "comment": ""}).status_code == 422
    assert client.post(url, {"version": task.version, "comment": "上级已统一部署"}).status_code == 302
    task.refresh_from_db()
    assert task.status == AssignmentStatus.CANCELLED
    page = client.get(f"/assignments/{task.pk}/").content.decode()
    assert 'data-testid="cancelled"' in page and 'data-testid="action-' not in page
    listed = client.get("/assignments/?status=cancelled").content.decode()
    assert task.title in listed
    book = load_workbook(io.BytesIO(client_for(people["center01"]).get("/assignments/export.xlsx").content))
    values = [cell.value for row in book.active.iter_rows() for cell in row]
    assert "Cancelled" in values or "已撤销" in values
    inbox = client_for(people["dept01"]).get("/assignments/?mine=1")
    assert inbox.status_code == 200


def test_the_api_edits_and_cancels(people: dict[str, Any]) -> None:
    task = give(people)
    _token, raw = token_issue(actor=people["leader01"], user=people["leader01"], name="t")
    headers = {"Authorization": f"Bearer {raw}"}
    api = Client(headers=headers)
    day = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    answer = api.post(
        f"/api/v1/assignments/{task.pk}/edit",
        {"version": task.version, "comment": "调整期限", "deadline": day, "priority": "high"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["priority"] == "high" and "edit" in body["allowed_actions"]
    assert any(event["action"] == "edit" for event in body["history"])
    stale = api.post(
        f"/api/v1/assignments/{task.pk}/edit",
        {"version": task.version, "comment": "x", "priority": "urgent"},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    removed = api.post(
        f"/api/v1/assignments/{task.pk}/edit",
        {"version": body["version"], "comment": "x", "cooperating": []},
        content_type="application/json",
    )
    assert removed.status_code == 200
    assert sorted(part["status"] for part in removed.json()["parts"]) == ["assigned", "cancelled", "cancelled"]
    cancelled = api.post(
        f"/api/v1/assignments/{task.pk}/cancel",
        {"version": removed.json()["version"], "comment": "撤销"},
        content_type="application/json",
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancelled_at"]
    _t, owner = token_issue(actor=people["dept01"], user=people["dept01"], name="t")
    refused = Client(headers={"Authorization": f"Bearer {owner}"}).post(
        f"/api/v1/assignments/{task.pk}/cancel", {"comment": "x"}, content_type="application/json"
    )
    assert refused.status_code == 403


def test_the_task_sheet_is_word_and_pdf_for_those_who_see_the_task(people: dict[str, Any]) -> None:
    task = give(people)
    lead = parts(task)["lead"]
    services.part_act(actor=people["dept01"], pk=lead.pk, action="accept")
    services.part_act(
        actor=people["dept01"], pk=lead.pk, action="progress", inputs={"comment": "已排查餐饮场所二十家", "percent": 30}
    )
    services.task_act(actor=people["super01"], pk=task.pk, action="supervise", inputs={"comment": "请加快整改进度"})
    services.task_act(actor=people["dept01"], pk=task.pk, action="reply_supervision", inputs={"comment": "已加派人手"})
    client = client_for(people["dept01"])
    page = client.get(f"/assignments/{task.pk}/").content.decode()
    assert f"/assignments/{task.pk}/sheet.docx" in page and f"/assignments/{task.pk}/sheet.pdf" in page
    docx = client.get(f"/assignments/{task.pk}/sheet.docx")
    assert docx.status_code == 200
    document = Document(io.BytesIO(docx.content))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "燃气安全隐患排查整治" in text and "对辖区餐饮场所燃气使用" in text
    assert "已排查餐饮场所二十家" in cells and "请加快整改进度" in cells and "已加派人手" in cells
    assert lead.owner_name in cells
    pdf = client.get(f"/assignments/{task.pk}/sheet.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="assignment.sheet", object_id=str(task.pk)).count() == 2
    assert client_for(people["grid02"]).get(f"/assignments/{task.pk}/sheet.docx").status_code == 404
    assert client.get(f"/assignments/{task.pk}/sheet.txt").status_code == 404
    _t, raw = token_issue(actor=people["dept01"], user=people["dept01"], name="t")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    assert api.get(f"/api/v1/assignments/{task.pk}/sheet.pdf").content.startswith(b"%PDF")
    assert AssignmentEvent.objects.filter(assignment=task).exists()
