"""The import from upload to report, through the services: exact row-level outcomes of a messy
workbook and of a GBK CSV, all-or-nothing writes, progress while the transaction runs, the
remembered mapping and the audit row."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext

from gridgov.core.models import AuditEvent
from gridgov.hotline import services as order_services
from gridgov.hotline.importing import services
from gridgov.hotline.models import ColumnMapping, HotlineOrder, ImportJob, ImportStatus, OrderEvent

from .import_setup import (
    MESSY_EXPECTED_PREVIEW,
    gbk_csv,
    local,
    make_town,
    messy_workbook,
    order_data,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese_and_clean_cache():
    cache.clear()
    with translation.override("zh-hans"):
        yield
    # A claim a test planted ("another worker runs this job") must not outlive it: the job's id
    # comes again after the rollback, and a later module's import of that id would do nothing.
    cache.clear()


@pytest.fixture
def town() -> Any:
    return make_town()


def _known_orders(town: Any) -> None:
    """HL-900 as the file has it; HL-901 with other content (the file brings a new copy)."""
    center = town.users["center"]
    order_services.order_receive(actor=center, data=order_data("HL-900", town.town), channel="manual")
    order_services.order_receive(actor=center, data=order_data("HL-901", town.town), channel="manual")


def _uploaded(town: Any, content: bytes, name: str = "export.xlsx") -> ImportJob:
    return upload(town.users["center"], town.town, content, name)


def _run(town: Any, job: ImportJob, django_capture_on_commit_callbacks: Any) -> ImportJob:
    with django_capture_on_commit_callbacks(execute=True):
        services.import_start(actor=town.users["center"], job_id=job.pk)
    job.refresh_from_db()
    return job


def test_upload_detects_the_header_and_suggests_the_mapping(town):
    job = _uploaded(town, messy_workbook())
    assert job.status == ImportStatus.UPLOADED
    assert job.header_row == 4
    assert job.sheet == "工单导出"
    assert job.total_rows == 12  # two blank rows are not rows
    assert job.mapping == {
        "upstream_number": "工单编号",
        "received_at": "来电时间",
        "order_type": "诉求类型",
        "urgency_class": "紧急程度",
        "content": "诉求内容",
        "title": "标题",
        "upstream_category": "问题分类",
        "address": "事发地址",
        "upstream_deadline": "办结时限",
        "petitioner_name": "来电人",
        "petitioner_phone": "联系电话",
    }
    audit = AuditEvent.objects.get(action="hotline.import_upload")
    assert audit.data["rows"] == 12


def test_the_messy_workbook_previews_row_by_row(town):
    _known_orders(town)
    job = _uploaded(town, messy_workbook())
    job = services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    preview = services.build_preview(job)
    assert {row.row: (row.outcome, row.number) for row in preview.rows} == MESSY_EXPECTED_PREVIEW
    assert preview.counts == {"create": 7, "update": 1, "unchanged": 1, "skip": 3, "total": 12, "review": 2}
    rows = {row.row: row for row in preview.rows}
    # Each skipped row says why, field by field.
    assert [error["field"] for error in rows[9].errors] == ["received_at"]
    assert "2026-13-45 25:00" in rows[9].messages[0]
    assert [error["field"] for error in rows[10].errors] == ["upstream_number"]
    # An unknown type is no reason to drop an order: it comes in flagged, and says why.
    assert rows[11].errors == []
    assert [note.code for note in rows[11].review] == ["type_unknown"]
    assert "其他" in rows[11].review_messages[0]
    assert [note.code for note in rows[6].review] == ["urgency_approximate"]  # 紧急: which class?
    assert rows[12].duplicate_of == 5
    assert rows[12].errors[0]["field"] == "upstream_number"
    assert rows[14].changed == ["content"]
    # Values read from every format, merged cells, labels and phones.
    data = {row.number: row.data for row in preview.rows if row.data is not None}
    assert data["HL-001"].received_at == local(2026, 3, 5, 14, 30)
    assert data["HL-001"].upstream_deadline == local(2026, 3, 9, 23, 59, 59)
    assert data["HL-001"].petitioner_phone == "13812348888"
    assert data["HL-002"].received_at == local(2026, 3, 5, 14, 30)
    assert data["HL-002"].order_type == "complaint"
    assert data["HL-002"].urgency_class == "life_safety"
    assert data["HL-002"].petitioner_phone == "13900001111"
    assert data["HL-002"].upstream_deadline == local(2026, 3, 20, 23, 59, 59)
    assert data["HL-003"].received_at == local(2026, 3, 5, 14, 30)
    assert data["HL-003"].urgency_class == "general"
    assert data["HL-004"].received_at == local(2026, 3, 5, 14, 30)
    assert data["HL-004"].urgency_class == "utilities"
    assert data["HL-004"].upstream_deadline == local(2026, 3, 20, 23, 59, 59)
    assert data["HL-004"].petitioner_phone == "02223456789"
    assert data["HL-010"].received_at == local(2026, 3, 6, 0, 0)
    assert data["HL-010"].order_type == "report"
    assert data["HL-011"].upstream_category == "市容环境"  # merged over rows 16-17
    assert data["HL-011"].address == "太平街"
    assert data["HL-011"].order_type == "praise"
    # The table never carries a phone in clear.
    assert rows[5].phone_masked == "138****8888"
    assert rows[5].name_masked == "王*"


def test_the_messy_workbook_imports_with_exact_outcomes(town, django_capture_on_commit_callbacks):
    _known_orders(town)
    before = HotlineOrder.objects.count()
    job = _uploaded(town, messy_workbook())
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    job = _run(town, job, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, job.error
    assert (job.created_count, job.updated_count, job.unchanged_count, job.skipped_count) == (7, 1, 1, 3)
    assert job.review_count == 2
    assert job.processed_rows == job.total_rows == 12
    outcomes = {entry["row"]: (entry["outcome"], entry["number"]) for entry in job.report}
    assert outcomes == {
        5: ("created", "HL-001"),
        6: ("created", "HL-002"),
        7: ("created", "HL-003"),
        8: ("created", "HL-004"),
        9: ("skipped", "HL-005"),
        10: ("skipped", ""),
        11: ("created", "HL-007"),
        12: ("skipped", "HL-001"),
        13: ("unchanged", "HL-900"),
        14: ("updated", "HL-901"),
        16: ("created", "HL-010"),
        17: ("created", "HL-011"),
    }
    skipped = {entry["row"]: entry["errors"] for entry in job.report if entry["outcome"] == "skipped"}
    assert all(skipped.values()), "every skipped row says why"
    assert HotlineOrder.objects.count() == before + 7
    created = HotlineOrder.objects.get(upstream_number="HL-002")
    assert created.channel == "import"
    assert created.town == town.town
    assert created.petitioner_phone == "13900001111"
    assert created.petitioner_phone_masked == "139****1111"
    updated = HotlineOrder.objects.get(upstream_number="HL-901")
    assert updated.content == "路灯不亮，已经三天了"
    # The petitioner the file does not carry is kept (no address column in the file).
    assert updated.update_count == 1
    assert OrderEvent.objects.filter(order=updated, action="upstream_update").exists()
    assert "13812348888" not in str(job.report)
    audit = AuditEvent.objects.get(action="hotline.import", object_id=str(job.pk))
    assert audit.success
    assert audit.data["created"] == 7
    assert audit.data["updated"] == 1
    assert audit.data["unchanged"] == 1
    assert audit.data["skipped"] == 3
    progress = services.progress_get(job)
    assert progress["percent"] == 100
    assert progress["status"] == ImportStatus.DONE


def test_importing_the_same_file_again_changes_nothing(town, django_capture_on_commit_callbacks):
    job = _uploaded(town, messy_workbook())
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    _run(town, job, django_capture_on_commit_callbacks)
    count = HotlineOrder.objects.count()
    again = _uploaded(town, messy_workbook())
    services.import_map(actor=town.users["center"], job_id=again.pk, mapping=again.mapping)
    again = _run(town, again, django_capture_on_commit_callbacks)
    assert again.status == ImportStatus.DONE
    assert (again.created_count, again.updated_count, again.unchanged_count, again.skipped_count) == (0, 0, 9, 3)
    assert HotlineOrder.objects.count() == count


def test_a_row_failing_at_write_time_rolls_the_whole_import_back(town, django_capture_on_commit_callbacks, monkeypatch):
    _known_orders(town)
    before = HotlineOrder.objects.count()
    real = order_services.order_receive
    calls: list[str] = []

    def failing(**kwargs: Any) -> Any:
        calls.append(kwargs["data"].upstream_number)
        if kwargs["data"].upstream_number == "HL-004":
            raise order_services.OrderInvalid("写入失败", details={"content": ["模拟的错误"]})
        return real(**kwargs)

    monkeypatch.setattr(order_services, "order_receive", failing)
    job = _uploaded(town, messy_workbook())
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    job = _run(town, job, django_capture_on_commit_callbacks)

    assert calls == ["HL-001", "HL-002", "HL-003", "HL-004"]
    assert job.status == ImportStatus.FAILED
    assert "8" in job.error and "HL-004" in job.error and "写入失败" in job.error
    assert HotlineOrder.objects.count() == before
    assert not HotlineOrder.objects.filter(upstream_number__in=["HL-001", "HL-002", "HL-003"]).exists()
    assert HotlineOrder.objects.get(upstream_number="HL-901").content == "路灯不亮"
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 0)
    failed = [entry for entry in job.report if entry["outcome"] == "failed"]
    assert [entry["row"] for entry in failed] == [8]
    audit = AuditEvent.objects.get(action="hotline.import", object_id=str(job.pk))
    assert not audit.success
    assert services.progress_get(job)["status"] == ImportStatus.FAILED

    # Once the cause is gone, the same job can be run again.
    monkeypatch.setattr(order_services, "order_receive", real)
    job = _run(town, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE
    assert job.created_count == 7


def test_progress_is_visible_while_the_transaction_runs(town, django_capture_on_commit_callbacks, monkeypatch):
    real = order_services.order_receive
    seen: list[tuple[str, int, int]] = []

    def watching(**kwargs: Any) -> Any:
        job = ImportJob.objects.get(pk=job_id)
        progress = services.progress_get(job)
        seen.append((progress["status"], progress["processed"], progress["total"]))
        return real(**kwargs)

    monkeypatch.setattr(order_services, "order_receive", watching)
    job = _uploaded(town, messy_workbook())
    job_id = job.pk
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    _run(town, job, django_capture_on_commit_callbacks)
    # Nine writes; before each one the rows already done are counted (skipped rows included).
    assert [processed for _status, processed, _total in seen] == [0, 1, 2, 3, 6, 8, 9, 10, 11]
    assert {status for status, _p, _t in seen} == {ImportStatus.IMPORTING}
    assert {total for _s, _p, total in seen} == {12}


def test_the_mapping_is_remembered_per_source(town):
    job = _uploaded(town, messy_workbook())
    mapping = dict(job.mapping)
    mapping["title"] = "备注"  # an operator's own choice
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=mapping)
    remembered = ColumnMapping.objects.get(source_system="district")
    assert remembered.mapping["title"] == "备注"
    assert remembered.updated_by == town.users["center"]
    again = _uploaded(town, messy_workbook())
    assert again.mapping["title"] == "备注"
    city = upload(town.users["center"], town.town, messy_workbook(), "a.xlsx", source_system="city")
    assert city.mapping["title"] == "标题"


def test_an_incomplete_mapping_is_refused(town):
    job = _uploaded(town, messy_workbook())
    mapping = {name: column for name, column in job.mapping.items() if name != "received_at"}
    with pytest.raises(services.ImportRefused) as refused:
        services.import_map(actor=town.users["center"], job_id=job.pk, mapping=mapping)
    assert refused.value.status == 422
    assert "received_at" in refused.value.details
    with pytest.raises(services.ImportRefused):
        services.import_map(actor=town.users["center"], job_id=job.pk, mapping={**job.mapping, "title": "没有这一列"})
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED
    assert not ColumnMapping.objects.exists()


def test_another_header_row_can_be_chosen(town):
    job = _uploaded(town, messy_workbook())
    job = services.import_header(actor=town.users["center"], job_id=job.pk, header_row=5)
    assert job.header_row == 5
    assert services.job_columns(job).columns[1] == "HL-001"
    job = services.import_header(actor=town.users["center"], job_id=job.pk, header_row=4)
    assert job.mapping["upstream_number"] == "工单编号"


def test_a_gbk_csv_imports_with_exact_outcomes(town, django_capture_on_commit_callbacks):
    job = _uploaded(town, gbk_csv(), name="工单.csv")
    assert job.header_row == 1
    assert job.total_rows == 3
    assert job.mapping == {
        "upstream_number": "工单号",
        "received_at": "受理时间",
        "order_type": "工单类型",
        "urgency_class": "紧急程度",
        "content": "工单内容",
        "petitioner_name": "诉求人",
        "petitioner_phone": "联系电话",
        "petitioner_address": "联系地址",
    }
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    job = _run(town, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE, job.error
    assert {entry["row"]: (entry["outcome"], entry["number"]) for entry in job.report} == {
        2: ("created", "GB-001"),
        3: ("created", "GB-002"),
        5: ("skipped", "GB-003"),
    }
    order = HotlineOrder.objects.get(upstream_number="GB-001")
    assert order.urgency_class == "life_safety"
    assert order.received_at == local(2026, 3, 5, 8, 5)
    assert order.petitioner_phone == "13700001111"
    assert order.petitioner_address == "太平镇幸福村3排5号"
    assert order.content == "燃气泄漏求助"


def test_a_utf8_csv_with_bom_is_read(town):
    content = b"\xef\xbb\xbf" + "工单编号,来电时间,诉求类型,诉求内容\nU-1,2026-03-05 10:00,咨询,问路\n".encode()
    job = _uploaded(town, content, name="u.csv")
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    preview = services.build_preview(ImportJob.objects.get(pk=job.pk))
    assert [(row.outcome, row.number) for row in preview.rows] == [("create", "U-1")]


def test_an_order_of_another_town_is_not_touched(town, django_capture_on_commit_callbacks):
    other = town.users["other_center"]
    order_services.order_receive(actor=other, data=order_data("HL-001", town.other_town), channel="manual")
    job = _uploaded(town, messy_workbook())
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    preview = services.build_preview(ImportJob.objects.get(pk=job.pk))
    row = next(row for row in preview.rows if row.row == 5)
    assert row.outcome == "skip"
    assert gettext("This order belongs to another town; skipped.") in row.messages[0]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.pdf", b"%PDF", "Excel"),
        ("a.xlsx", b"broken", "Excel"),
        ("a.csv", b"", ""),
    ],
)
def test_unreadable_files_are_refused_and_nothing_is_stored(town, name, content, message):
    with pytest.raises(services.ImportRefused) as refused:
        _uploaded(town, content, name=name)
    assert refused.value.status == 422
    assert not ImportJob.objects.exists()


def test_a_file_the_worker_cannot_read_is_refused_with_the_reason_and_not_kept(town):
    """What only reading tells (here: no header row) is found by the worker: the job says why."""
    job = _uploaded(town, b"1,2,3\n4,5,6\n", name="a.csv")
    assert job.status == ImportStatus.REFUSED
    assert "标题" in job.error or "header" in job.error
    assert not job.file.name
    audit = AuditEvent.objects.get(action="hotline.import_upload", object_id=str(job.pk))
    assert not audit.success


def test_a_file_over_the_size_limit_is_refused(town, monkeypatch):
    monkeypatch.setattr(services.mapping, "MAX_BYTES", 100)
    with pytest.raises(services.ImportRefused) as refused:
        _uploaded(town, messy_workbook())
    assert "MB" in refused.value.message


def test_only_importers_of_the_town_may_upload_and_start(town, django_capture_on_commit_callbacks):
    for name in ("leader", "handler", "worker", "supervisor", "nobody"):
        with pytest.raises(services.ImportRefused) as refused:
            services.import_upload(
                actor=town.users[name], town=town.town, source_system="district", name="a.xlsx", content=b"x"
            )
        assert refused.value.status == 403
    with pytest.raises(services.ImportRefused) as refused:
        services.import_upload(
            actor=town.users["other_center"],
            town=town.town,
            source_system="district",
            name="a.xlsx",
            content=messy_workbook(),
        )
    assert refused.value.status == 403
    job = _uploaded(town, messy_workbook())
    with pytest.raises(services.ImportRefused) as refused:
        services.import_map(actor=town.users["other_center"], job_id=job.pk, mapping=job.mapping)
    assert refused.value.status == 404
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    with pytest.raises(services.ImportRefused) as refused:
        services.import_start(actor=town.users["other_center"], job_id=job.pk)
    assert refused.value.status == 404


def test_a_started_import_cannot_be_started_or_remapped_again(town, django_capture_on_commit_callbacks):
    job = _uploaded(town, messy_workbook())
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    job = _run(town, job, django_capture_on_commit_callbacks)
    with pytest.raises(services.ImportRefused) as refused:
        services.import_start(actor=town.users["center"], job_id=job.pk)
    assert refused.value.status == 409
    with pytest.raises(services.ImportRefused) as refused:
        services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    assert refused.value.status == 409


def test_a_task_delivered_twice_imports_once(town, django_capture_on_commit_callbacks):
    from gridgov.hotline.importing.tasks import run_import

    job = _uploaded(town, messy_workbook())
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    job = _run(town, job, django_capture_on_commit_callbacks)
    count = HotlineOrder.objects.count()
    assert run_import(job.pk, town.users["center"].pk) == ImportStatus.DONE
    assert HotlineOrder.objects.count() == count


def test_a_task_delivered_while_another_runs_the_job_does_nothing(town):
    job = _uploaded(town, messy_workbook())
    services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING)
    cache.add(f"{services.progress_key(job.pk)}:running", 1)
    job = services.import_run(job_id=job.pk, actor=town.users["center"])
    assert job.status == ImportStatus.IMPORTING
    assert not HotlineOrder.objects.filter(channel="import").exists()


def test_an_administrator_without_the_center_role_is_told_before_anything_is_queued(town):
    job = _uploaded(town, messy_workbook())
    services.import_map(actor=town.users["admin"], job_id=job.pk, mapping=job.mapping)
    with pytest.raises(services.ImportRefused) as refused:
        services.import_start(actor=town.users["admin"], job_id=job.pk)
    assert refused.value.status == 403
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
