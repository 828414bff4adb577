"""Second-factor secrets at rest (issue 13, item 6).

django-otp keeps an authenticator's TOTP secret (``TOTPDevice.key``, hex) and the recovery codes
(``StaticToken.token``) as plain columns of its own tables. Here:

- the TOTP secret is stored encrypted (AES-256-GCM under a key derived from the first field key,
  ``e1:`` + base64 of the key's id, the nonce and the ciphertext with its tag: 75 characters for
  django-otp's 20-byte secrets, within the column's 80); a device is decrypted when loaded and
  encrypted again before each save, so django-otp's own code sees the hex secret it expects;
- a recovery code is stored as a keyed digest (the first 16 hex digits of an HMAC under the
  digest key), never the code: :func:`recovery_stored` turns the code the user types into what
  is looked up.

``rotate_keys`` re-encrypts the TOTP secrets with everything else (the digests are keyed by the
oldest field key, which rotation keeps). Migration ``people/0005`` converted the rows stored
before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from functools import lru_cache
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gridgov.core.crypto import DecryptionError, configured_keys, digest
from gridgov.core.keyrotation import Report

PREFIX: Final = "e1:"
KEY_ID_BYTES: Final = 4
NONCE_BYTES: Final = 12
# A recovery code's stored digest fits django-otp's 16-character column.
RECOVERY_DIGEST_CHARS: Final = 16


@lru_cache(maxsize=16)
def _key(field_key: bytes) -> tuple[bytes, AESGCM]:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"gridgov:otp-secret").derive(field_key)
    return hashlib.sha256(b"gridgov:otp-key-id:" + raw).digest()[:KEY_ID_BYTES], AESGCM(raw)


def _keys() -> list[tuple[bytes, AESGCM]]:
    return [_key(key) for key in configured_keys()]


def encrypt_secret(hex_key: str) -> str:
    if not hex_key or hex_key.startswith(PREFIX):
        return hex_key
    key_id, cipher = _keys()[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = cipher.encrypt(nonce, binascii.unhexlify(hex_key), None)
    return PREFIX + base64.urlsafe_b64encode(key_id + nonce + sealed).decode()


def decrypt_secret(stored: str) -> str:
    """The hex secret (a secret stored before encryption comes back as it is)."""
    if not stored or not stored.startswith(PREFIX):
        return stored
    data = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode())
    key_id = data[:KEY_ID_BYTES]
    nonce = data[KEY_ID_BYTES : KEY_ID_BYTES + NONCE_BYTES]
    sealed = data[KEY_ID_BYTES + NONCE_BYTES :]
    for candidate_id, cipher in _keys():
        if candidate_id == key_id:
            try:
                return binascii.hexlify(cipher.decrypt(nonce, sealed, None)).decode()
            except Exception as exc:  # InvalidTag
                raise DecryptionError("the stored secret was altered") from exc
    raise DecryptionError("the secret was encrypted with a key that is not configured")


def under_first_key(stored: str) -> bool:
    if not stored.startswith(PREFIX):
        return False
    data = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode())
    return data[:KEY_ID_BYTES] == _keys()[0][0]


def recovery_stored(code: str) -> str:
    """What is stored for (and looked up with) a recovery code."""
    return digest(code.strip().lower(), "otp-recovery")[:RECOVERY_DIGEST_CHARS]


# --- the devices' signals --------------------------------------------------------------------


def device_loaded(sender: Any, instance: Any, **kwargs: Any) -> None:
    """After a TOTP device is read: the hex secret django-otp works with."""
    key = instance.__dict__.get("key")
    if key and key.startswith(PREFIX):
        instance.key = decrypt_secret(key)


def device_saving(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Before a TOTP device is written: its secret encrypted (put back after the write)."""
    instance._clear_key = instance.key
    instance.key = encrypt_secret(instance.key)


def device_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    clear = instance.__dict__.pop("_clear_key", None)
    if clear is not None:
        instance.key = clear


# --- rotation --------------------------------------------------------------------------------


def rotate_secrets(report: Report, *, write: bool) -> None:
    """The TOTP secrets not under the first key (or stored before encryption) re-encrypted."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    label = "otp_totp.totpdevice.key"
    report.start(label)
    rows = TOTPDevice.objects.order_by("pk").values_list("pk", "key")
    for pk, stored in rows.iterator(chunk_size=500):
        if not stored:
            continue
        clear = report.reopen(label, stored, current=under_first_key, decrypt=decrypt_secret)
        if write and clear is not None:
            TOTPDevice.objects.filter(pk=pk, key=stored).update(key=encrypt_secret(clear))
