"""Idempotency keys of the case loop: a client's key for one write (a report, an action, added
photos) makes a retry of the same request return the first outcome instead of doing it again.

A key is used once per user, whatever it was used for; the same key with a different request
is refused (422 on ``idempotency_key``). Action and photo keys are looked up after the case's
row lock, so a concurrent retry waits for the first request and then finds its key.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Final

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from gridgov.core.inserts import insert

from ..models import Case, CaseEvent, IdempotencyKey

if TYPE_CHECKING:
    from django.contrib.auth.models import User

KEY_MAX: Final = 64
KEY_REUSED: Final = _("This idempotency key was already used for a different request. Use a new key.")
REPORT_KEY_REUSED: Final = _("This idempotency key was already used for a different report. Use a new key.")


def fingerprint(*parts: Any) -> str:
    """What identifies one request for its idempotency key (not the photos' files: a retry may
    send them again or not)."""
    canonical = json.dumps([str(part).strip() if part is not None else None for part in parts], ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def key_clean(idempotency_key: str | None) -> str | None:
    """The key stripped, or None when none was sent; a blank or too long key is refused."""
    if idempotency_key is None:
        return None
    key = idempotency_key.strip()
    if not key or len(key) > KEY_MAX:
        raise ValidationError({"idempotency_key": [_("The idempotency key must be 1 to 64 characters.")]})
    return key


def created_before(actor: User, key: str, digest: str) -> Case | None:
    """The case an earlier request with this key created, or None; a different report under
    the same key (or a key already used for an action) is refused."""
    # Only a few columns: the (rare) hit loads the case; the miss stays an index read.
    row = IdempotencyKey.objects.filter(user=actor, key=key).values_list("case_id", "fingerprint", "action").first()
    if row is None:
        return None
    case_id, stored, used_for = row
    if used_for or (stored and digest and stored != digest):
        raise ValidationError({"idempotency_key": [REPORT_KEY_REUSED]})
    return Case.objects.get(pk=case_id)


def replayed(actor: User, key: str, *, case_id: int, action: str, digest: str) -> IdempotencyKey | None:
    """The stored use of ``key`` when it was this same action on this same case with the same
    body (a retry), None when the key is new; any other earlier use is refused (422).

    Callers hold the case's row lock, so a concurrent retry waits here for the first request's
    commit and then finds its key."""
    stored = IdempotencyKey.objects.filter(user=actor, key=key).first()
    if stored is None:
        return None
    if (stored.case_id, stored.action, stored.fingerprint) != (case_id, action, digest):
        raise ValidationError({"idempotency_key": [KEY_REUSED]})
    return stored


def remember(actor: User, key: str, *, case: Case, action: str, digest: str, event: CaseEvent) -> None:
    """Store the key with the action, in the action's transaction."""
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                user=actor, key=key, case=case, action=action, event=event, fingerprint=digest
            )
    except IntegrityError:
        # Used meanwhile by a request on another case (same-case retries wait on the row
        # lock): the whole action is rolled back.
        raise ValidationError({"idempotency_key": [KEY_REUSED]}) from None


def remember_creation(actor: User, key: str, *, case: Case, digest: str) -> None:
    """Store the key of a creation (``action`` empty), in the creating transaction; a
    concurrent retry fails on the unique key and finds the case (see ``case_create``)."""
    insert(IdempotencyKey(user=actor, key=key, case=case, fingerprint=digest))
