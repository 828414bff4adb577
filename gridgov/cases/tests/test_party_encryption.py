"""Case parties encrypted at rest (issue 13, item 6): the database holds tokens, never the name
or the phone; the code sees the clear text; masking, reveals and the call-back queue work as
before; the migration encrypts what was stored before."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from gridgov.cases import services
from gridgov.cases.models import Case
from gridgov.cases.selectors import callback_due_q
from gridgov.core.crypto import PREFIX

from .loop_helpers import grid_point

pytestmark = pytest.mark.django_db


def _stored(case_id: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT party_name, party_phone FROM cases_case WHERE id = %s", [case_id])
        return cursor.fetchone()


def test_the_database_holds_tokens_and_the_code_the_clear_text(people: dict[str, Any]) -> None:
    lat, lng = grid_point(people["grid01"])
    case, _created = services.case_create(
        actor=people["center01"],
        category="parking.minor",
        description="占道停车",
        lat=lat,
        lng=lng,
        party_kind="resident",
        party_name="王小明",
        party_phone="13900001234",
    )
    name, phone = _stored(case.pk)
    assert name.startswith(PREFIX) and phone.startswith(PREFIX)
    assert "王小明" not in name and "13900001234" not in phone
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.party_name, fresh.party_phone) == ("王小明", "13900001234")
    revealed = services.reveal_party(fresh, actor=people["center01"])
    assert revealed == {"party_name": "王小明", "party_phone": "13900001234"}


def test_an_empty_party_stays_empty_and_is_still_comparable(people: dict[str, Any]) -> None:
    lat, lng = grid_point(people["grid01"])
    case, _created = services.case_create(
        actor=people["center01"], category="parking.minor", description="占道停车", lat=lat, lng=lng
    )
    assert _stored(case.pk) == ("", "")
    assert not Case.objects.filter(callback_due_q(), pk=case.pk).exists()


def test_the_migration_encrypts_the_parties_stored_before(people: dict[str, Any]) -> None:
    from importlib import import_module

    from django.apps import apps

    lat, lng = grid_point(people["grid01"])
    case, _created = services.case_create(
        actor=people["center01"], category="parking.minor", description="占道停车", lat=lat, lng=lng
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET party_name = %s, party_phone = %s WHERE id = %s", ["李四", "13800000000", case.pk]
        )
    assert _stored(case.pk) == ("李四", "13800000000")
    migration = import_module("gridgov.cases.migrations.0008_party_encrypted")
    migration.encrypt_parties(apps, None)
    name, phone = _stored(case.pk)
    assert name.startswith(PREFIX) and phone.startswith(PREFIX)
    assert Case.objects.get(pk=case.pk).party_phone == "13800000000"
    migration.encrypt_parties(apps, None)  # again: still one layer
    assert Case.objects.get(pk=case.pk).party_name == "李四"


def test_stored_photos_are_readable_by_the_service_only(people: dict[str, Any], settings: Any, tmp_path: Any) -> None:
    import io
    import os
    import stat

    from PIL import Image

    from .loop_helpers import build

    settings.MEDIA_ROOT = str(tmp_path / "media")
    case = build(people, "in_progress")
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(buffer, "JPEG")
    buffer.seek(0)
    stored = services.attachments_add(case.pk, actor=people["dept01"], photos_in=[services.Photo(buffer)])[0]
    path = stored.file.path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    folder = os.path.dirname(path)
    while os.path.abspath(folder) != os.path.abspath(settings.MEDIA_ROOT):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
        folder = os.path.dirname(folder)
