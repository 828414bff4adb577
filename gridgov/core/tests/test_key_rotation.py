"""Key rotation (issue 13, item 6): with a new key put first, `rotate_keys` re-encrypts every
encrypted column (petitioners, case parties) under it, after which the old key can go (but the
oldest, which keys the digests); `--check` counts; the rotation is audited and can run again."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from gridgov.cases.models import Case
from gridgov.cases.tests.loop_helpers import build
from gridgov.core.crypto import _fernet
from gridgov.core.keyrotation import rotation_status
from gridgov.core.models import AuditEvent
from gridgov.hotline import services as order_services
from gridgov.hotline.models import HotlineOrder
from gridgov.hotline.tests.core_helpers import order_data

pytestmark = pytest.mark.django_db


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_a_new_key_first_then_rotate_moves_every_value_under_it(people: dict[str, Any], settings: Any) -> None:
    old, new = _key(), _key()
    settings.GRIDGOV_FIELD_KEYS = [old]
    _fernet.cache_clear()
    case = build(people, "closed")
    Case.objects.filter(pk=case.pk).update(party_name="王五", party_phone="13900001111")
    order = order_services.order_receive(actor=people["upstream01"], data=order_data(), channel="api").order
    settings.GRIDGOV_FIELD_KEYS = [new, old]
    status = rotation_status()
    assert status.stale["cases.case.party_phone"] == 1
    assert status.stale["hotline.hotlineorder.petitioner_phone"] >= 1
    with pytest.raises(SystemExit) as checked:
        call_command("rotate_keys", "--check")
    assert checked.value.code == 2
    call_command("rotate_keys")
    assert sum(rotation_status().stale.values()) == 0
    event = AuditEvent.objects.get(action="crypto.key_rotate")
    assert event.data["rewritten"]["cases.case.party_phone"] == 1 and event.success
    # The new key alone opens everything (the digests are keyed by the oldest: keep it listed last).
    settings.GRIDGOV_FIELD_KEYS = [new]
    assert Case.objects.get(pk=case.pk).party_phone == "13900001111"
    assert HotlineOrder.objects.get(pk=order.pk).petitioner_phone
    call_command("rotate_keys")  # again: nothing to do
    assert AuditEvent.objects.filter(action="crypto.key_rotate").count() == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT party_phone FROM cases_case WHERE id = %s", [case.pk])
        assert "13900001111" not in cursor.fetchone()[0]


def test_a_value_no_key_opens_is_reported_and_fails_the_command(people: dict[str, Any], settings: Any) -> None:
    settings.GRIDGOV_FIELD_KEYS = [_key()]
    case = build(people, "closed")
    Case.objects.filter(pk=case.pk).update(party_phone="13900001111")
    settings.GRIDGOV_FIELD_KEYS = [_key()]
    with pytest.raises(SystemExit) as failed:
        call_command("rotate_keys")
    assert failed.value.code == 1
    assert rotation_status().unreadable["cases.case.party_phone"] == 1
