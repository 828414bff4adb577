"""Stored files in an object store (docs/deployment.md, "Several machines"): the encryption is a
mixin over any Django storage, so the store below only ever holds ciphertext; the S3 storage is
chosen by ``MEDIA_S3_BUCKET``. Tested over Django's in-memory storage (no network); the S3 class
itself only where django-storages is installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage

from gridgov.core.filecrypt import MAGIC, OVERHEAD, EncryptedFileSystemStorage, EncryptedStorageMixin, encrypts

ROOT = Path(__file__).resolve().parents[3]


class EncryptedMemoryStorage(EncryptedStorageMixin, InMemoryStorage):
    """An object store as the application sees one: names in, bytes out, nothing on disk."""


def _below(storage: EncryptedMemoryStorage, name: str) -> bytes:
    with InMemoryStorage._open(storage, name, "rb") as raw:  # type: ignore[attr-defined]
        return bytes(raw.read())


def test_the_store_below_holds_only_ciphertext() -> None:
    storage = EncryptedMemoryStorage()
    clear = b"petitioner's photo " * 100
    name = storage.save("cases/1/photo.jpg", ContentFile(clear))
    stored = _below(storage, name)
    assert stored.startswith(MAGIC) and clear not in stored
    with storage.open(name) as handle:
        assert handle.read() == clear
    assert storage.size(name) == len(clear)
    assert storage.raw_bytes(name) == stored and len(stored) == len(clear) + OVERHEAD


def test_key_rotation_rewrites_the_object_under_its_name() -> None:
    storage = EncryptedMemoryStorage()
    name = storage.save("imports/book.xlsx", ContentFile(b"workbook"))
    before = storage.raw_bytes(name)
    from gridgov.core.filecrypt import decrypt_bytes, encrypt_bytes

    storage.replace_raw(name, encrypt_bytes(decrypt_bytes(before)))
    assert storage.raw_bytes(name) != before  # a new nonce
    with storage.open(name) as handle:
        assert handle.read() == b"workbook"
    assert storage.listdir("imports")[1] == ["book.xlsx"]


def test_an_encrypted_file_is_never_opened_for_writing() -> None:
    storage = EncryptedMemoryStorage()
    name = storage.save("a.txt", ContentFile(b"x"))
    with pytest.raises(ValueError, match="written whole"):
        storage.open(name, "wb")


def test_which_storages_encrypt() -> None:
    assert encrypts(EncryptedFileSystemStorage) and encrypts(EncryptedMemoryStorage())
    assert not encrypts(InMemoryStorage())


def _storages_with(extra: dict[str, str]) -> Any:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIA_")}
    env.update({"GRIDGOV_TESTING": "1", "DJANGO_SETTINGS_MODULE": "config.settings", **extra})
    code = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES['default']))"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_media_s3_bucket_selects_the_encrypted_object_store() -> None:
    chosen = _storages_with(
        {
            "MEDIA_S3_BUCKET": "gridgov-media",
            "MEDIA_S3_ENDPOINT_URL": "https://minio.internal:9000",
            "MEDIA_S3_ADDRESSING_STYLE": "path",
        }
    )
    assert chosen["BACKEND"] == "gridgov.core.objectstorage.EncryptedS3Storage"
    assert chosen["OPTIONS"]["bucket_name"] == "gridgov-media"
    assert chosen["OPTIONS"]["endpoint_url"] == "https://minio.internal:9000"
    assert chosen["OPTIONS"]["addressing_style"] == "path"
    assert _storages_with({})["BACKEND"] == "gridgov.core.filecrypt.EncryptedFileSystemStorage"


def test_the_s3_storage_encrypts_and_never_hands_out_a_url() -> None:
    pytest.importorskip("storages.backends.s3", reason="django-storages is installed only for object storage")
    from gridgov.core.objectstorage import EncryptedS3Storage

    storage = EncryptedS3Storage(bucket_name="gridgov-media", endpoint_url="http://127.0.0.1:1")
    assert encrypts(storage)
    assert storage.default_acl is None and storage.file_overwrite is False
    with pytest.raises(ValueError, match="served by the application"):
        storage.url("cases/1/photo.jpg")


def test_through_an_s3_api_the_bucket_holds_ciphertext_and_the_app_reads_the_original(settings: Any) -> None:
    """Against moto's in-process S3 (no network), where moto is installed."""
    pytest.importorskip("storages.backends.s3", reason="django-storages is installed only for object storage")
    moto = pytest.importorskip("moto", reason="moto is not a dependency of the suite")
    import boto3

    from gridgov.core.objectstorage import EncryptedS3Storage

    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
        client.create_bucket(Bucket="gridgov-media")
        storage = EncryptedS3Storage(
            bucket_name="gridgov-media", region_name="us-east-1", access_key="k", secret_key="s", location="town"
        )
        clear = b"a case photo" * 50
        name = storage.save("cases/1/photo.jpg", ContentFile(clear))
        again = storage.save("cases/1/photo.jpg", ContentFile(b"another"))
        assert again != name  # never overwritten
        stored = client.get_object(Bucket="gridgov-media", Key=f"town/{name}")["Body"].read()
        assert stored.startswith(MAGIC) and clear not in stored
        grants = client.get_object_acl(Bucket="gridgov-media", Key=f"town/{name}")["Grants"]
        assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner's: no public read
        with storage.open(name) as handle:
            assert handle.read() == clear
        assert storage.size(name) == len(clear)
        from gridgov.core.filecrypt import decrypt_bytes, encrypt_bytes

        storage.replace_raw(name, encrypt_bytes(decrypt_bytes(storage.raw_bytes(name))))
        with storage.open(name) as handle:
            assert handle.read() == clear
        storage.delete(name)
        assert not storage.exists(name)
