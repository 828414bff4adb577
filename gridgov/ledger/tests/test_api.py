"""The ledger import's API: upload, mapping with samples, preview, confirm, row report (JSON and
Excel), through the same services as the pages; the center only, another town's job not found."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.test import Client

from gridgov.areas.models import Area
from gridgov.cases.models import Case
from gridgov.ledger.models import LedgerImport
from gridgov.ledger.tests.test_ledger import (  # noqa: F401 (fixtures)
    _commits,
    committed,
    ledger_rows,
    things,
    town,
    workbook,
)
from gridgov.people.services import token_issue

pytestmark = pytest.mark.django_db


def api(user: Any) -> Client:
    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def upload(client: Client, area: Area, content: bytes, name: str = "ledger.xlsx") -> Any:
    handle = io.BytesIO(content)
    handle.name = name
    return client.post("/api/v1/ledger/imports", {"town": area.code, "file": handle})


def test_a_ledger_from_upload_to_report(people: dict[str, Any], town: Area, things: dict[str, Any]) -> None:  # noqa: F811
    center = api(people["center01"])
    answer = upload(center, town, workbook(ledger_rows(things)))
    assert answer.status_code == 202 and answer.json()["status"] == "reading"
    job_id = answer.json()["id"]
    committed()
    base = f"/api/v1/ledger/imports/{job_id}"
    job = center.get(base).json()
    assert job["status"] == "uploaded" and job["mapping"]["number"] == "案件编号"
    assert center.get(f"{base}/preview").json()["error"]["code"] == "wrong_status"
    columns = center.get(f"{base}/columns").json()
    assert "案件编号" in columns["columns"] and columns["samples"]["案件编号"][0] == "L-0001"
    assert {field["name"]: field["column"] for field in columns["fields"]}["number"] == "案件编号"
    bad = center.post(f"{base}/mapping", {"mapping": {"number": "没有这一列"}}, content_type="application/json")
    assert bad.status_code == 422 and "number" in bad.json()["error"]["details"]
    mapped = center.post(f"{base}/mapping", {"mapping": job["mapping"]}, content_type="application/json")
    assert mapped.status_code == 200 and mapped.json()["status"] == "previewed"
    preview = center.get(f"{base}/preview").json()
    assert preview["counts"] == {"new": 4, "again": 0, "flagged": 1, "refused": 2}
    assert preview["rows"][0]["reasons"] or preview["rows"][0]["review"]  # problems first
    assert not Case.objects.filter(imported=True).exists()  # the preview writes nothing
    started = center.post(f"{base}/start")
    assert started.status_code == 202 and started.json()["status"] == "importing"
    committed()
    done = center.get(base).json()
    assert (done["status"], done["created"], done["refused"], done["percent"]) == ("done", 4, 2, 100)
    report = center.get(f"{base}/report").json()
    assert {row["outcome"] for row in report} == {"created", "refused"}
    assert any(row["number"] == "L-0004" and row["review"] for row in report)
    book = openpyxl.load_workbook(io.BytesIO(center.get(f"{base}/report/xlsx").content))
    assert any("L-0004" in str(cell.value) for row in book.active.iter_rows() for cell in row)
    assert Case.objects.filter(imported=True).count() == 4
    # Confirming again is refused by the workflow (a done import does not start again).
    assert center.post(f"{base}/start").status_code == 409
    assert [row["id"] for row in center.get("/api/v1/ledger/imports").json()] == [job_id]


def test_only_the_center_and_bad_files(people: dict[str, Any], town: Area, things: dict[str, Any]) -> None:  # noqa: F811
    center = api(people["center01"])
    job_id = upload(center, town, workbook(ledger_rows(things))).json()["id"]
    worker = api(people["grid01"])
    assert worker.get("/api/v1/ledger/imports").json()["error"]["code"] == "forbidden"
    assert worker.get(f"/api/v1/ledger/imports/{job_id}").status_code == 404
    assert upload(worker, town, workbook(ledger_rows(things))).status_code == 403
    assert center.get("/api/v1/ledger/imports/999999").status_code == 404
    refused = upload(center, town, b"not a workbook", name="ledger.pdf")
    assert refused.status_code == 422 and "file" in refused.json()["error"]["details"]
    other = upload(center, Area(code="nowhere"), workbook(ledger_rows(things)))
    assert other.status_code == 422 and "town" in other.json()["error"]["details"]
    assert LedgerImport.objects.count() == 1
