"""The Taiping demo committed for a transactional test, and what a snapshot refuses (it is taken
outside any transaction, so these tests commit)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import authenticate, get_user_model

from gridgov.areas.locate import locate
from gridgov.demo.loader import DEMO_PASSWORD
from gridgov.people.models import StaffProfile
from gridgov.people.services import user_create
from gridgov.testing import snapshot
from gridgov.workcalendar.models import WorkingPeriod

from .test_fixtures import grid01_centre

User = get_user_model()


def test_a_committed_demo_takes_new_rows_after_its_keys(demo):
    assert demo == DEMO_PASSWORD
    assert authenticate(username="grid01", password=demo) is not None
    assert locate(*grid01_centre()) is not None
    newest = User.objects.order_by("-pk").first()
    newcomer = user_create(actor=None, username="newcomer", password="a-long-passphrase", full_name="新人")
    assert newcomer.pk > newest.pk


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_refuses_a_loader_that_changes_rows_it_did_not_add():
    period = WorkingPeriod.objects.create(start=dt.time(8), end=dt.time(9))

    def load() -> None:
        WorkingPeriod.objects.filter(pk=period.pk).update(end=period.end.replace(minute=1))

    with pytest.raises(snapshot.SnapshotError, match="changed or deleted rows of workcalendar_workingperiod"):
        snapshot.take(load)
    assert WorkingPeriod.objects.get(pk=period.pk).end == period.end


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_refuses_rows_that_point_outside_it():
    outsider = User.objects.create(username="outsider")

    def load() -> None:
        StaffProfile.objects.create(user=outsider, full_name="外人")

    with pytest.raises(snapshot.SnapshotError, match=r"people_staffprofile\.user_id points outside the snapshot"):
        snapshot.take(load)
    with pytest.raises(snapshot.SnapshotError, match="added no rows"):
        snapshot.take(lambda: None)
