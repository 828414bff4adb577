"""Stored files in an S3-compatible object store (MinIO, Ceph, a cloud's), still encrypted at rest.

Selected by ``MEDIA_S3_BUCKET`` (config/settings.py; docs/deployment.md, "Several machines"):
web processes and workers on several machines then share the stored files without a shared
folder. The object store holds only ciphertext (:class:`gridgov.core.filecrypt.EncryptedStorageMixin`
over django-storages' ``S3Storage``): its operators, its backups and anyone who reads a bucket
get nothing readable without ``GRIDGOV_FIELD_KEYS``.

Files are still served by the application after its visibility check, decrypted in memory and
streamed (as from the file system). They are never redirected to a signed URL of the store: the
store would hand out ciphertext, and a URL that works for minutes for whoever holds it would
bypass the check and the audit of each download. So objects are private (no ACL, no public
URL), and nginx needs no route to the store.

django-storages with boto3 is needed only here: ``requirements/object-storage.txt``.
"""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage

from .filecrypt import EncryptedStorageMixin


class EncryptedS3Storage(EncryptedStorageMixin, S3Storage):  # type: ignore[misc]  # S3Storage is untyped
    """django-storages' S3 storage with every object's content encrypted."""

    def __init__(self, **settings: Any) -> None:
        # Private objects: no ACL granting reads, no public URLs, a name is never reused.
        settings.setdefault("default_acl", None)
        settings.setdefault("querystring_auth", True)
        settings.setdefault("file_overwrite", False)
        super().__init__(**settings)

    def url(self, name: str | None, parameters: Any = None, expire: Any = None, http_method: Any = None) -> str:
        raise ValueError("stored files are encrypted: they are served by the application, never by URL")
