"""One big upload cannot stall the town: the file is read in the worker, streaming, held to the
import's ceilings, and no write transaction is open while it is read, so other people's writes
go on meanwhile."""

from __future__ import annotations

import io
import sqlite3
import threading
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.utils import translation
from openpyxl import Workbook

from gridgov.core import uploads
from gridgov.core.audit import record
from gridgov.core.models import AuditEvent
from gridgov.hotline.importing import services, tasks
from gridgov.hotline.importing.services import read as read_module
from gridgov.hotline.models import ImportJob, ImportStatus

from .import_setup import make_town, upload

HEADER = ["工单编号", "来电时间", "诉求类型", "诉求内容", "联系电话"]


def big_workbook(rows: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append([f"BIG{n:07d}", "2026-03-05 10:00", "咨询", f"第{n}条诉求", "13812348888"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_file(rows: int) -> bytes:
    lines = [",".join(HEADER)] + [f"C{n:05d},2026-03-05 10:00,咨询,问路{n},13812348888" for n in range(rows)]
    return "\n".join(lines).encode()


@pytest.fixture(autouse=True)
def _chinese_and_clean_cache():
    cache.clear()
    with translation.override("zh-hans"):
        yield


# --- the ceilings ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_over_the_row_limit_is_refused_by_the_worker_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(services.mapping, "MAX_ROWS", 40)
    town = make_town()
    job = upload(town.users["center"], town.town, csv_file(41), "big.csv")
    assert job.status == ImportStatus.REFUSED
    assert "40" in job.error and "行" in job.error
    assert not job.file.name  # the upload is not kept
    ok = upload(town.users["center"], town.town, csv_file(40), "fits.csv")
    assert (ok.status, ok.total_rows) == (ImportStatus.UPLOADED, 40)


@pytest.mark.parametrize(
    ("limits", "content", "name", "words"),
    [
        (uploads.UploadLimits(max_columns=3), csv_file(2), "a.csv", "列"),
        (uploads.UploadLimits(max_cell_chars=10), csv_file(2), "a.csv", "字符"),
        (uploads.UploadLimits(max_total_chars=50), csv_file(20), "a.csv", "百万"),
        (uploads.UploadLimits(max_rows=5), csv_file(20), "a.csv", "行"),
        (uploads.UploadLimits(max_rows=5), big_workbook(20), "a.xlsx", "行"),
    ],
)
def test_each_ceiling_stops_the_reader_with_a_message_in_chinese(limits, content, name, words):
    with (
        translation.override("zh-hans"),
        pytest.raises(uploads.UploadRefused) as refused,
        uploads.open_table(io.BytesIO(content), name, limits) as reader,
    ):
        for _row in reader.rows():
            pass
    assert words in refused.value.message


def test_a_workbook_whose_parts_unpack_too_large_is_refused_before_reading():
    with translation.override("zh-hans"), pytest.raises(uploads.UploadRefused) as refused:
        uploads.check_workbook(io.BytesIO(big_workbook(200)), uploads.UploadLimits(max_part_bytes=100))
    assert "MB" in refused.value.message


def test_a_sheet_that_unpacks_too_large_is_refused_before_openpyxl_parses_it():
    # A sheet without a <dimension> is parsed whole by openpyxl before its first row: the
    # unpacked size of the sheet bounds that work.
    workbook = io.BytesIO(big_workbook(2_000))
    uploads.check_workbook(workbook, uploads.UploadLimits())
    with translation.override("zh-hans"), pytest.raises(uploads.UploadRefused) as refused:
        uploads.check_workbook(workbook, uploads.UploadLimits(max_sheet_bytes=50_000))
    assert "MB" in refused.value.message


def test_the_reader_streams_and_stops_at_the_limit_without_reading_the_rest():
    content = big_workbook(3000)
    limits = uploads.UploadLimits(max_rows=100)
    seen = 0
    with pytest.raises(uploads.UploadRefused), uploads.open_table(io.BytesIO(content), "a.xlsx", limits) as reader:
        for _row in reader.rows():
            seen += 1
    assert seen == 100


# --- 50,000 rows while others write ------------------------------------------------------------


def _file_backed_sqlite(tmp_path: Any, monkeypatch: Any) -> None:
    """Point new connections (other threads) at a file copy of the test database, as a server
    runs: the in-memory test database has other locking rules."""
    connection.ensure_connection()
    path = tmp_path / "gridgov.sqlite3"
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    settings = connections.settings["default"]
    monkeypatch.setitem(settings, "NAME", str(path))
    # A writer gives up after one second: a reader holding the write lock would make it fail.
    monkeypatch.setitem(settings, "OPTIONS", {**settings.get("OPTIONS", {}), "timeout": 1})


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_50000_row_workbook_is_refused_while_another_writer_goes_on(tmp_path, monkeypatch):
    town = make_town()
    center = town.users["center"]
    content = big_workbook(50_000)
    # The upload only stores the file; the reading is the worker's (run below in a thread).
    monkeypatch.setattr(tasks.read_import, "delay", lambda *args, **kwargs: None)
    job = services.import_upload(
        actor=center, town=town.town, source_system="district", name="big.xlsx", content=content
    )
    assert job.status == ImportStatus.READING
    if connection.vendor == "sqlite":
        _file_backed_sqlite(tmp_path, monkeypatch)

    reading = threading.Event()
    written = threading.Event()
    outcome: dict[str, Any] = {}
    real_progress = read_module.progress_set

    def progress(job_id: int, *, status: str, processed: int, total: int) -> None:
        real_progress(job_id, status=status, processed=processed, total=total)
        if status == ImportStatus.READING and processed and not reading.is_set():
            reading.set()  # well into the file: now another person writes
            written.wait(10)

    monkeypatch.setattr(read_module, "progress_set", progress)

    def worker() -> None:
        try:
            started = time.monotonic()
            outcome["job"] = services.import_read(job_id=job.pk)
            outcome["seconds"] = time.monotonic() - started
        except BaseException as error:  # reported to the test thread
            outcome["error"] = error
        finally:
            connections.close_all()

    def writer() -> None:
        try:
            with transaction.atomic():
                record(action="test.concurrent_write", actor=None, data={"while": "reading"})
            outcome["wrote"] = True
        except BaseException as error:
            outcome["write_error"] = error
        finally:
            connections.close_all()
            written.set()

    thread = threading.Thread(target=worker)
    thread.start()
    assert reading.wait(30), outcome
    other = threading.Thread(target=writer)
    other.start()
    other.join(10)
    thread.join(60)
    assert "error" not in outcome, outcome
    assert outcome.get("wrote"), outcome.get("write_error")
    done = outcome["job"]
    assert done.status == ImportStatus.REFUSED
    assert str(services.MAX_ROWS) in done.error
    assert outcome["seconds"] < 20

    def check() -> None:
        outcome["audited"] = AuditEvent.objects.filter(action="test.concurrent_write").count()
        outcome["stored"] = ImportJob.objects.get(pk=job.pk).status
        connections.close_all()

    checker = threading.Thread(target=check)  # reads the database the threads wrote
    checker.start()
    checker.join(10)
    assert (outcome["audited"], outcome["stored"]) == (1, ImportStatus.REFUSED)
