"""Key rotation of the personal data encrypted at rest (issue 13, item 6).

Every column stored through :class:`gridgov.core.crypto.EncryptedTextField` (hotline
petitioners, case parties, anything added later: the columns are found from the models, not
listed) is re-encrypted under the first configured key, a batch of rows per short
transaction, so the rotation can run on a live system and be run again after an interruption.
Every stored file of a file field (photos, attachments, workbooks, staff photos; encrypted by
:mod:`gridgov.core.filecrypt`) is re-encrypted the same way, and a file stored before
encryption is encrypted, each replaced atomically on disk.
Once it is done the older keys decrypt nothing and can be taken out of ``GRIDGOV_FIELD_KEYS``,
except the oldest, from which the search digests are derived (docs/deployment.md).

:func:`rotation_status` counts, without writing, the values not yet under the first key (and
those no configured key opens)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from .audit import record
from .crypto import PREFIX, EncryptedTextField, configured_keys, decrypt, encrypt
from .filecrypt import decrypt_bytes, encrypt_bytes, encrypts, file_keys, key_id_of

BATCH = 500
T = TypeVar("T", str, bytes)
# Further walks of secrets kept in other apps' tables (e.g. the second-factor secrets of
# gridgov.people), registered by those apps: each is called with the report and ``write``.
EXTRA_WALKS: list[Callable[..., None]] = []


@dataclass
class Column:
    model: type[models.Model]
    names: list[str]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


@dataclass
class Report:
    """Per column (``app.model.field``): values found, values (re)written, values not under the
    first key, values no configured key opens."""

    values: dict[str, int] = field(default_factory=dict)
    rewritten: dict[str, int] = field(default_factory=dict)
    stale: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)

    def start(self, key: str) -> None:
        self.values[key] = self.rewritten[key] = self.stale[key] = self.unreadable[key] = 0

    def reopen(self, key: str, stored: T, *, current: Callable[[T], bool], decrypt: Callable[[T], T]) -> T | None:
        """Count one stored value of ``key``; answer its clear content when it is to be
        re-encrypted (not under the first key, and some configured key opens it), else None.
        Counted as rewritten: the caller writes it (a check only resets the counts)."""
        self.values[key] += 1
        if current(stored):
            return None
        self.stale[key] += 1
        try:
            clear = decrypt(stored)
        except Exception:
            self.unreadable[key] += 1
            return None
        self.rewritten[key] += 1
        return clear


def encrypted_columns() -> list[Column]:
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append(Column(model, names))
    return found


def _raw_rows(column: Column, after: int) -> list[tuple[object, ...]]:
    """The stored tokens (not decrypted) of the next batch: ``(pk, token, token, …)``."""
    query = column.model._default_manager.filter(pk__gt=after).order_by("pk")
    stored = [Cast(name, output_field=models.TextField()) for name in column.names]
    annotations = {f"raw_{name}": expression for name, expression in zip(column.names, stored, strict=True)}
    return list(query.annotate(**annotations).values_list("pk", *annotations)[:BATCH])


def _under_first_key(token: str, first: Fernet) -> bool:
    try:
        first.decrypt(token[len(PREFIX) :].encode())
    except InvalidToken:
        return False
    return True


def rotation_status() -> Report:
    """What a rotation would do, nothing written."""
    return _walk(write=False)


def rotate_keys(*, actor: object = None) -> Report:
    """Re-encrypt every encrypted value under the first key; one audit row ``crypto.key_rotate``."""
    report = _walk(write=True)
    record(
        action="crypto.key_rotate",
        actor=actor,  # type: ignore[arg-type]
        object_type="crypto.keys",
        data={"keys": len(configured_keys()), "rewritten": report.rewritten, "unreadable": report.unreadable},
        success=not any(report.unreadable.values()),
    )
    return report


def _walk(*, write: bool) -> Report:
    report = Report()
    first = Fernet(configured_keys()[0])
    for column in encrypted_columns():
        for name in column.names:
            report.start(f"{column.label}.{name}")
        after = 0
        while rows := _raw_rows(column, after):
            changes: list[tuple[object, dict[str, str]]] = []
            for pk, *tokens in rows:
                values: dict[str, str] = {}
                for name, token in zip(column.names, tokens, strict=True):
                    text = str(token or "")
                    if not text:
                        continue
                    clear = report.reopen(
                        f"{column.label}.{name}",
                        text,
                        current=lambda t: t.startswith(PREFIX) and _under_first_key(t, first),
                        decrypt=decrypt,
                    )
                    if clear is not None:
                        values[name] = encrypt(clear)
                if values:
                    changes.append((pk, values))
            if write and changes:
                with transaction.atomic():
                    for pk, values in changes:
                        column.model._default_manager.filter(pk=pk).update(**values)
            after = int(rows[-1][0])  # type: ignore[call-overload]
    _walk_files(report, write=write)
    for walk in EXTRA_WALKS:
        walk(report, write=write)
    if not write:
        report.rewritten = dict.fromkeys(report.rewritten, 0)
    return report


def file_columns() -> list[Column]:
    """The file fields whose storage encrypts (gridgov.core.filecrypt)."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField) and encrypts(f.storage)]
        if names:
            found.append(Column(model, names))
    return found


def _walk_files(report: Report, *, write: bool) -> None:
    """Stored files: those not under the first key (or stored before encryption) re-encrypted,
    each replaced atomically on disk; a file missing on disk is not counted."""
    first = file_keys()[0].id
    for column in file_columns():
        for name in column.names:
            key = f"{column.label}.{name} (files)"
            report.start(key)
            storage = column.model._meta.get_field(name).storage  # type: ignore[union-attr]
            rows = column.model._default_manager.exclude(**{name: ""}).exclude(**{f"{name}__isnull": True})
            for stored_name in rows.values_list(name, flat=True).iterator(chunk_size=BATCH):
                if not stored_name or not storage.exists(stored_name):
                    continue
                raw = storage.raw_bytes(stored_name)
                clear = report.reopen(key, raw, current=lambda r: key_id_of(r) == first, decrypt=decrypt_bytes)
                if write and clear is not None:
                    storage.replace_raw(stored_name, encrypt_bytes(clear))
