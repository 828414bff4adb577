"""Regression tests of the review: scope of intake updates, and other fixes."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.hotline import services
from gridgov.hotline.errors import OrderError
from gridgov.hotline.models import HotlineOrder, OrderEvent

from .import_setup import make_town, order_data

pytestmark = pytest.mark.django_db


def test_a_center_of_another_town_cannot_overwrite_an_order_by_entering_its_number() -> None:
    world = make_town()
    first = services.order_receive(
        actor=world.users["center"], data=order_data("REV-1", world.town), channel="manual"
    ).order
    changed = order_data(
        "REV-1", world.other_town, content="改写的内容", petitioner_phone="13700000000", petitioner_name="王五"
    )
    with pytest.raises(OrderError) as refused:
        services.order_receive(actor=world.users["other_center"], data=changed, channel="manual")
    assert refused.value.status in (404, 409)
    order = HotlineOrder.objects.get(pk=first.pk)
    assert order.content == "路灯不亮"
    assert order.petitioner_phone == "13900001234"
    assert order.update_count == 0
    assert not OrderEvent.objects.filter(order=order, action="upstream_update").exists()


def test_an_imported_export_is_deleted_once_its_rows_are_in(django_capture_on_commit_callbacks: Any) -> None:
    from django.core.cache import cache

    from gridgov.hotline.importing import services as imports
    from gridgov.hotline.models import ImportJob, ImportStatus

    from .import_setup import messy_workbook, upload

    cache.clear()
    world = make_town()
    center = world.users["center"]
    job = upload(center, world.town, messy_workbook())
    imports.import_map(actor=center, job_id=job.pk, mapping=job.mapping)
    stored = ImportJob.objects.get(pk=job.pk).file
    assert stored.name and stored.storage.exists(stored.name)
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_start(actor=center, job_id=job.pk)
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == ImportStatus.DONE
    assert job.report and job.created_count > 0
    assert not job.file.name
    assert not stored.storage.exists(stored.name)
