"""Encryption of personal data at rest, and the keyed digests that let it be searched.

Fields such as a petitioner's name and phone are stored as Fernet tokens (AES-128-CBC with an
HMAC-SHA256) under the keys in ``settings.GRIDGOV_FIELD_KEYS``: the first key encrypts, every
key decrypts, so a key can be rotated by putting the new one first (see docs/deployment.md).
In production the keys come from the environment (``GRIDGOV_FIELD_KEYS``); without them only a
development key derived from ``SECRET_KEY`` is used, and the system check refuses that when
DEBUG is off.

Equality search over encrypted values (the same caller phoning twice) uses :func:`digest`, a
keyed HMAC of the normalised value, never the clear text. Its key is derived from the OLDEST
configured key, so putting a new key in front keeps existing digests valid; retiring the oldest
key means recomputing the digests (and re-encrypting the values) first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "enc1:"


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


def _derived_key(secret: str, purpose: str) -> bytes:
    raw = hashlib.sha256(f"gridgov:{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(raw)


def configured_keys() -> list[bytes]:
    """The Fernet keys in use, newest first (a development key when none is configured)."""
    keys = [k.strip().encode() for k in getattr(settings, "GRIDGOV_FIELD_KEYS", []) if k.strip()]
    return keys or [_derived_key(settings.SECRET_KEY, "field-encryption")]


def using_development_key() -> bool:
    return not [k for k in getattr(settings, "GRIDGOV_FIELD_KEYS", []) if k.strip()]


@lru_cache(maxsize=8)
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def _cipher() -> MultiFernet:
    return _fernet(tuple(configured_keys()))


def encrypt(value: str) -> str:
    """``value`` encrypted under the first key; the empty string stays empty."""
    if not value:
        return ""
    return PREFIX + _cipher().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    """The clear text of a stored value (values written before encryption pass through)."""
    if not stored or not stored.startswith(PREFIX):
        return stored or ""
    try:
        return _cipher().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("the value was encrypted with a key that is not configured") from exc


def digest(value: str, purpose: str = "default") -> str:
    """A keyed HMAC-SHA256 of ``value`` (hex), for equality search without the clear text."""
    if not value:
        return ""
    key = hashlib.sha256(b"digest:" + configured_keys()[-1]).digest()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]  # generic only in the stubs
    """A text field stored encrypted; Python code sees the clear text.

    It cannot be filtered or ordered on (the stored tokens are randomised); keep a masked copy
    and, where needed, a :func:`digest` beside it.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        if isinstance(value, str) and value.startswith(PREFIX):
            return value
        return encrypt(str(value))
