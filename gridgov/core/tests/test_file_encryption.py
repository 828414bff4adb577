"""Stored files encrypted at rest (issue 13, item 6): what a copy of the media folder holds is
ciphertext; the application reads and serves the original bytes; a key rotation re-encrypts the
files with the columns and encrypts the files stored before encryption."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.test import Client

from gridgov.cases import services
from gridgov.cases.models import CaseAttachment
from gridgov.cases.tests.loop_helpers import jpeg, report
from gridgov.core.crypto import DecryptionError, _fernet
from gridgov.core.filecrypt import MAGIC, EncryptedFileSystemStorage, file_keys, key_id_of
from gridgov.core.keyrotation import rotation_status
from gridgov.people.services import token_issue

pytestmark = pytest.mark.django_db


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _photo(people: dict[str, Any]) -> tuple[CaseAttachment, bytes]:
    case = report(people)
    original = jpeg((10, 120, 200), (320, 240)).getvalue()
    stored = services.attachments_add(
        case.pk, actor=people["grid01"], photos_in=[services.Photo(ContentFile(original))]
    )
    return stored[0], original


def _served(user: Any, attachment: CaseAttachment) -> bytes:
    _token, raw = token_issue(actor=user, user=user, name="test")
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get(
        f"/api/v1/cases/attachments/{attachment.pk}/original"
    )
    assert response.status_code == 200
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_the_default_storage_encrypts() -> None:
    assert isinstance(default_storage, EncryptedFileSystemStorage)


def test_a_photo_is_ciphertext_on_disk_and_the_original_when_served(people: dict[str, Any]) -> None:
    attachment, original = _photo(people)
    storage = attachment.file.storage
    on_disk = storage.raw_bytes(attachment.file.name)  # type: ignore[attr-defined]
    assert on_disk.startswith(MAGIC) and original not in on_disk and b"\xff\xd8\xff" not in on_disk[:64]
    assert key_id_of(on_disk) == file_keys()[0].id
    assert _served(people["grid01"], attachment) == original
    assert storage.size(attachment.file.name) == len(original)
    with attachment.file.open("rb") as handle:
        assert handle.read() == original
    # The worker's thumbnail is made from the decrypted photo and stored encrypted too.
    attachment.refresh_from_db()
    if attachment.thumbnail:
        assert storage.raw_bytes(attachment.thumbnail.name).startswith(MAGIC)  # type: ignore[attr-defined]


def test_an_altered_file_is_refused_not_served_as_garbage(people: dict[str, Any]) -> None:
    attachment, _original = _photo(people)
    storage = attachment.file.storage
    data = bytearray(storage.raw_bytes(attachment.file.name))  # type: ignore[attr-defined]
    data[-1] ^= 0xFF
    storage.replace_raw(attachment.file.name, bytes(data))  # type: ignore[attr-defined]
    with pytest.raises(DecryptionError):
        storage.open(attachment.file.name).read()


def test_rotation_moves_files_under_the_new_key_and_encrypts_files_stored_before(
    people: dict[str, Any], settings: Any
) -> None:
    old, new = _key(), _key()
    settings.GRIDGOV_FIELD_KEYS = [old]
    _fernet.cache_clear()
    attachment, original = _photo(people)
    # A photo stored before files were encrypted: the plain bytes on disk.
    legacy, legacy_original = _photo(people)
    plain = FileSystemStorage(location=settings.MEDIA_ROOT)
    plain.delete(legacy.file.name)
    plain.save(legacy.file.name, ContentFile(legacy_original))
    assert _served(people["grid01"], legacy) == legacy_original

    settings.GRIDGOV_FIELD_KEYS = [new, old]
    status = rotation_status()
    assert status.stale["cases.caseattachment.file (files)"] == 2
    with pytest.raises(SystemExit) as checked:
        call_command("rotate_keys", "--check")
    assert checked.value.code == 2
    call_command("rotate_keys")
    assert rotation_status().stale["cases.caseattachment.file (files)"] == 0
    storage = attachment.file.storage
    for item in (attachment, legacy):
        assert key_id_of(storage.raw_bytes(item.file.name)) == file_keys()[0].id  # type: ignore[attr-defined]
        assert os.stat(storage.path(item.file.name)).st_mode & 0o777 == 0o600

    # The new key alone opens them.
    settings.GRIDGOV_FIELD_KEYS = [new]
    assert _served(people["grid01"], attachment) == original
    assert _served(people["grid01"], legacy) == legacy_original


def test_an_altered_photo_is_not_found_not_an_error_page(people: dict[str, Any], client: Any) -> None:
    attachment, _original = _photo(people)
    storage = attachment.file.storage
    data = bytearray(storage.raw_bytes(attachment.file.name))  # type: ignore[attr-defined]
    data[-1] ^= 0xFF
    storage.replace_raw(attachment.file.name, bytes(data))  # type: ignore[attr-defined]
    _token, raw = token_issue(actor=people["grid01"], user=people["grid01"], name="test")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    assert api.get(f"/api/v1/cases/attachments/{attachment.pk}/original").status_code == 404
    client.force_login(people["grid01"])
    assert client.get(f"/cases/attachments/{attachment.pk}/original/").status_code == 404
