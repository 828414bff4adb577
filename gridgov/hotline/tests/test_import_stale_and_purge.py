"""A run whose worker died (no progress for ten minutes) can be reset to the preview by a center
operator; the stored files of imports never brought in are deleted after 7 days (failed ones
after 30) by a daily task."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.hotline.importing import services
from gridgov.hotline.importing.tasks import purge_files
from gridgov.hotline.models import HotlineOrder, ImportJob, ImportStatus

from .import_setup import make_town, messy_workbook, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def town() -> Any:
    return make_town()


def _previewed(town: Any) -> ImportJob:
    job = upload(town.users["center"], town.town, messy_workbook())
    return services.import_map(actor=town.users["center"], job_id=job.pk, mapping=job.mapping)


def _started(town: Any) -> ImportJob:
    """A started job whose task never ran (the on-commit hand-over is not executed)."""
    job = _previewed(town)
    services.import_start(actor=town.users["center"], job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING
    return job


def _stall(job: ImportJob, minutes: int = 11) -> None:
    """The worker stopped ``minutes`` ago after three rows."""
    then = timezone.now() - dt.timedelta(minutes=minutes)
    ImportJob.objects.filter(pk=job.pk).update(started_at=then - dt.timedelta(minutes=1))
    cache.set(
        services.progress_key(job.pk),
        {"status": ImportStatus.IMPORTING, "processed": 3, "total": 12, "at": then.isoformat()},
    )
    cache.set(f"{services.progress_key(job.pk)}:running", 1)
    job.refresh_from_db()


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- stale runs --------------------------------------------------------------------------------


def test_progress_carries_its_time_and_a_fresh_run_is_not_stale(town):
    job = _started(town)
    progress = cache.get(services.progress_key(job.pk))
    assert progress["at"]
    assert not services.job_stale(job)
    with pytest.raises(services.ImportRefused) as refused:
        services.import_reset(actor=town.users["center"], job_id=job.pk)
    assert refused.value.status == 409
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING


def test_a_stalled_run_is_reset_to_the_preview_with_an_audit_row_and_can_run_again(
    town, django_capture_on_commit_callbacks
):
    job = _started(town)
    _stall(job)
    assert services.job_stale(job)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.import_reset(actor=town.users["center"], job_id=job.pk)
    assert job.status == ImportStatus.PREVIEWED
    assert cache.get(services.progress_key(job.pk)) is None
    assert cache.get(f"{services.progress_key(job.pk)}:running") is None
    audit = AuditEvent.objects.get(action="hotline.import_reset", object_id=str(job.pk))
    assert audit.data["processed"] == 3 and audit.data["stalled_since"]
    # Started again, it runs (the dead worker's claim is gone).
    with django_capture_on_commit_callbacks(execute=True):
        services.import_start(actor=town.users["center"], job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert HotlineOrder.objects.filter(channel="import").count() == job.created_count + job.updated_count


def test_a_run_without_any_progress_in_the_cache_is_stale_ten_minutes_after_its_start(town):
    job = _started(town)
    cache.clear()
    assert not services.job_stale(job)
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - dt.timedelta(minutes=11))
    job.refresh_from_db()
    assert services.job_stale(job)


@pytest.mark.parametrize(("who", "status"), [("admin", 403), ("other_center", 404), ("handler", 403), ("leader", 403)])
def test_only_a_center_operator_of_the_town_resets(town, who, status):
    job = _started(town)
    _stall(job)
    with pytest.raises(services.ImportRefused) as refused:
        services.import_reset(actor=town.users[who], job_id=job.pk)
    assert refused.value.status == status
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING
    assert not AuditEvent.objects.filter(action="hotline.import_reset").exists()


def test_a_finished_or_previewed_job_cannot_be_reset(town):
    job = _previewed(town)
    with pytest.raises(services.ImportRefused) as refused:
        services.import_reset(actor=town.users["center"], job_id=job.pk)
    assert refused.value.status == 409


def test_a_worker_that_finishes_after_the_reset_writes_nothing(town, monkeypatch):
    job = _started(town)
    real = services.progress_set

    def reset_meanwhile(job_id: int, *, status: str, processed: int, total: int) -> None:
        real(job_id, status=status, processed=processed, total=total)
        if processed == total:  # the last row is written: the job was reset and started again
            ImportJob.objects.filter(pk=job_id).update(started_at=timezone.now() + dt.timedelta(seconds=5))

    monkeypatch.setattr(services.run, "progress_set", reset_meanwhile)
    finished = services.import_run(job_id=job.pk, actor=town.users["center"])
    assert not HotlineOrder.objects.filter(channel="import").exists()
    assert finished.status == ImportStatus.IMPORTING  # neither done nor failed: the new run owns it
    assert not AuditEvent.objects.filter(action="hotline.import").exists()


def test_the_job_page_offers_the_reset_to_the_center_only_when_stalled(town):
    job = _started(town)
    center = client_for(town.users["center"])
    page = center.get(reverse("hotline:import-detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-stale"' not in page
    _stall(job)
    page = center.get(reverse("hotline:import-detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-stale"' in page and 'data-testid="import-reset"' in page
    admin_page = client_for(town.users["admin"]).get(reverse("hotline:import-detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-stale"' in admin_page and 'data-testid="import-reset"' not in admin_page
    response = center.post(reverse("hotline:import-reset", args=[job.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("hotline:import-preview", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    # Once more: no longer importing.
    assert center.post(reverse("hotline:import-reset", args=[job.pk])).status_code == 409
    assert (
        client_for(town.users["other_center"]).post(reverse("hotline:import-reset", args=[job.pk])).status_code == 404
    )


# --- old files ---------------------------------------------------------------------------------


def _aged(job: ImportJob, *, days: int, status: str, finished: bool = False) -> ImportJob:
    moment = timezone.now() - dt.timedelta(days=days)
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, created_at=moment, finished_at=moment if finished else None
    )
    job.refresh_from_db()
    return job


def test_files_of_jobs_never_imported_go_after_7_days_and_of_failed_ones_after_30(
    town, django_capture_on_commit_callbacks
):
    old_upload = _aged(_previewed(town), days=8, status=ImportStatus.UPLOADED)
    old_preview = _aged(_previewed(town), days=8, status=ImportStatus.PREVIEWED)
    young_preview = _aged(_previewed(town), days=6, status=ImportStatus.PREVIEWED)
    old_failure = _aged(_previewed(town), days=31, status=ImportStatus.FAILED, finished=True)
    young_failure = _aged(_previewed(town), days=29, status=ImportStatus.FAILED, finished=True)
    running = _aged(_previewed(town), days=40, status=ImportStatus.IMPORTING)
    gone = [old_upload, old_preview, old_failure]
    kept = [young_preview, young_failure, running]
    names = {job.pk: job.file.name for job in gone + kept}
    storage = old_upload.file.storage
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_files() == 3
    for job in gone:
        job.refresh_from_db()
        assert job.file.name == ""
        assert not storage.exists(names[job.pk])
    for job in kept:
        job.refresh_from_db()
        assert job.file.name == names[job.pk]
        assert storage.exists(names[job.pk])
    audit = AuditEvent.objects.get(action="hotline.import_files_purged")
    assert sorted(audit.data["jobs"]) == sorted(job.pk for job in gone)
    # Nothing left to do the next day.
    assert services.purge_files() == 0


def test_a_job_whose_file_was_deleted_says_so_and_cannot_start(town, django_capture_on_commit_callbacks):
    job = _aged(_previewed(town), days=8, status=ImportStatus.PREVIEWED)
    with django_capture_on_commit_callbacks(execute=True):
        services.purge_files()
    with pytest.raises(services.ImportRefused) as refused:
        services.import_start(actor=town.users["center"], job_id=job.pk)
    assert refused.value.status == 409
    center = client_for(town.users["center"])
    assert center.get(reverse("hotline:import-preview", args=[job.pk])).status_code == 410
    assert center.get(reverse("hotline:import-mapping", args=[job.pk])).status_code == 410
    failed = _aged(_previewed(town), days=31, status=ImportStatus.FAILED, finished=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.purge_files()
    page = center.get(reverse("hotline:import-detail", args=[failed.pk])).content.decode()
    assert 'data-testid="import-file-gone"' in page


def test_the_purge_runs_daily_from_beat():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("importing.tasks.purge_files")]
    assert entries == [{"task": "gridgov.hotline.importing.tasks.purge_files", "schedule": 86400.0}]
