"""Stored files encrypted at rest (issue 13, item 6).

Case photos, hotline attachments, import and reconciliation workbooks and staff photos can
identify people; the default storage (``STORAGES["default"]``) writes every file encrypted with
AES-256-GCM under a key derived from the first key of ``GRIDGOV_FIELD_KEYS`` (the same keys as
the encrypted columns, so one rotation covers both) and decrypts it when the application opens
it. Whoever copies the media folder or a backup of it gets ciphertext.

A stored file is ``MAGIC`` (8 bytes), the key's id (8 bytes), a random nonce (12 bytes), then the
ciphertext with its 16-byte tag. Files stored before encryption (no ``MAGIC``) are read as they
are until ``rotate_keys`` encrypts them. A file is held in memory while it is encrypted or
decrypted: uploads are bounded (15 MB photos, 10 MB workbooks), which keeps that small.

Files are only ever served by the application's views after a visibility check, never by the web
server from the media folder (which would hand out ciphertext anyway). The encryption is a mixin
(:class:`EncryptedStorageMixin`) over any Django storage: the file system's by default, an
S3-compatible object store with ``MEDIA_S3_BUCKET`` (:mod:`gridgov.core.objectstorage`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from .crypto import DecryptionError, configured_keys

MAGIC = b"GGFILE1\n"
KEY_ID_BYTES = 8
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = len(MAGIC) + KEY_ID_BYTES + NONCE_BYTES
# What encryption adds to a file's size.
OVERHEAD = HEADER_BYTES + TAG_BYTES


@dataclass(frozen=True)
class FileKey:
    id: bytes
    cipher: AESGCM


@lru_cache(maxsize=16)
def _file_key(field_key: bytes) -> FileKey:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"gridgov:file-encryption").derive(field_key)
    return FileKey(hashlib.sha256(b"gridgov:file-key-id:" + raw).digest()[:KEY_ID_BYTES], AESGCM(raw))


def file_keys() -> list[FileKey]:
    """The file keys, newest first (derived from ``GRIDGOV_FIELD_KEYS``)."""
    return [_file_key(key) for key in configured_keys()]


def is_encrypted(data: bytes) -> bool:
    return data[: len(MAGIC)] == MAGIC


def key_id_of(data: bytes) -> bytes | None:
    """The id of the key a stored file is encrypted under (``None``: not encrypted)."""
    return data[len(MAGIC) : len(MAGIC) + KEY_ID_BYTES] if is_encrypted(data) else None


def encrypt_bytes(plain: bytes) -> bytes:
    key = file_keys()[0]
    nonce = os.urandom(NONCE_BYTES)
    return MAGIC + key.id + nonce + key.cipher.encrypt(nonce, plain, None)


def decrypt_bytes(stored: bytes) -> bytes:
    """The clear content of a stored file (a file stored before encryption comes back as it is)."""
    if not is_encrypted(stored):
        return stored
    wanted = key_id_of(stored)
    nonce = stored[len(MAGIC) + KEY_ID_BYTES : HEADER_BYTES]
    for key in file_keys():
        if key.id == wanted:
            try:
                return key.cipher.decrypt(nonce, stored[HEADER_BYTES:], None)
            except Exception as exc:  # InvalidTag: altered or truncated on disk
                raise DecryptionError("the stored file was altered") from exc
    raise DecryptionError("the file was encrypted with a key that is not configured")


def _read_all(content: Any) -> bytes:
    if isinstance(content, File):
        return b"".join(content.chunks())  # from the start
    with contextlib.suppress(AttributeError, OSError, ValueError):
        content.seek(0)
    data = content.read()
    return data if isinstance(data, bytes) else data.encode()


class EncryptedStorageMixin:
    """Every file's content encrypted (see the module), over any Django storage: put it before
    the storage class (``class EncryptedS3Storage(EncryptedStorageMixin, S3Storage)``). The
    storage below only ever sees ciphertext; :meth:`raw_bytes` and :meth:`replace_raw` reach it
    for key rotation."""

    def _save(self, name: str, content: Any) -> str:
        saved: str = super()._save(name, ContentFile(encrypt_bytes(_read_all(content))))  # type: ignore[misc]
        return saved

    def _open(self, name: str, mode: str = "rb") -> File[Any]:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("an encrypted file is written whole through save(), not opened for writing")
        return ContentFile(decrypt_bytes(self.raw_bytes(name)), name=name)

    def size(self, name: str) -> int:
        stored = self.raw_bytes(name)
        return len(stored) - OVERHEAD if is_encrypted(stored) else len(stored)

    def raw_bytes(self, name: str) -> bytes:
        """The stored bytes as the storage below holds them (key rotation, tests)."""
        with super()._open(name, "rb") as raw:  # type: ignore[misc]
            return _read_all(raw)

    def replace_raw(self, name: str, data: bytes) -> None:
        """Write ``data`` over the stored file under the same name (key rotation)."""
        super()._save(name, ContentFile(data))  # type: ignore[misc]


class EncryptedFileSystemStorage(EncryptedStorageMixin, FileSystemStorage):
    """The file system storage, with every file's content encrypted (see the module)."""

    def size(self, name: str) -> int:
        stored = FileSystemStorage.size(self, name)
        with open(self.path(name), "rb") as raw:
            head = raw.read(len(MAGIC))
        return stored - OVERHEAD if head == MAGIC else stored

    def raw_bytes(self, name: str) -> bytes:
        """The stored bytes as they are on disk (for key rotation and tests)."""
        with open(self.path(name), "rb") as raw:
            return raw.read()

    def replace_raw(self, name: str, data: bytes) -> None:
        """Write ``data`` over the stored file atomically (same name, same permissions)."""
        path = self.path(name)
        temporary = f"{path}.rotating"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, self.file_permissions_mode or 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)


def encrypts(storage: Any) -> bool:
    """Whether a storage (an instance or a class) encrypts what it stores."""
    kind = storage if isinstance(storage, type) else storage.__class__  # through a lazy default_storage
    return issubclass(kind, EncryptedStorageMixin)
