"""One object per form sent: a service that creates something from a form with a one-time key
(:class:`gridgov.core.forms.OneTimeKeyMixin`) calls :func:`create_once`, and the same form sent
twice, even at the same moment, makes one object. The key sent again with other content is
refused (the form renews its key and keeps what was typed), never answered with the first
object and never dropped silently."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from .forms import ONE_TIME_KEY
from .models import SubmissionKey

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

Made = TypeVar("Made", bound=models.Model)


def fingerprint(values: Any) -> str:
    """A digest of what was sent (any JSON-able value; others by their text)."""
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def create_once(
    *,
    key: str | None,
    user: User | AnonymousUser | None,
    kind: str,
    sent: Any,
    create: Callable[[], Made],
    model: type[Made],
) -> tuple[Made, bool]:
    """``create()`` once for ``key``; ``(object, created)``. Without a key it simply creates.
    ``sent`` is what the form carried (its fingerprint tells a repeat from another request)."""
    if not key:
        return create(), True
    owner = _owner(user)
    digest = fingerprint(sent)
    earlier = _earlier(owner, key)
    if earlier is not None:
        return _replay(earlier, kind, digest, model), False
    try:
        with transaction.atomic():
            # The key first: a second request with it waits here (PostgreSQL) or fails at once.
            row = SubmissionKey.objects.create(user=owner, key=key[:64], kind=kind, fingerprint=digest)
            made = create()
            row.object_id = made.pk
            row.save(update_fields=["object_id"])
    except IntegrityError:
        earlier = _earlier(owner, key)
        if earlier is None:
            raise
        return _replay(earlier, kind, digest, model), False
    return made, True


def made_before(
    *, key: str | None, user: User | AnonymousUser | None, kind: str, sent: Any, model: type[Made]
) -> Made | None:
    """The object the same form made before (``None`` the first time): for a service that has
    to skip its limits for a form sent again; a key sent again with other content is refused."""
    earlier = _earlier(_owner(user), key) if key else None
    return _replay(earlier, kind, fingerprint(sent), model) if earlier is not None else None


def _owner(user: User | AnonymousUser | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


def _earlier(owner: Any, key: str) -> SubmissionKey | None:
    rows = SubmissionKey.objects.filter(key=key[:64])
    rows = rows.filter(user=owner) if owner is not None else rows.filter(user__isnull=True)
    return rows.first()


def _replay(earlier: SubmissionKey, kind: str, digest: str, model: type[Made]) -> Made:
    found = model._default_manager.filter(pk=earlier.object_id).first() if earlier.kind == kind else None
    if found is None or earlier.fingerprint != digest:
        raise ValidationError(
            {ONE_TIME_KEY: [_("This form was already sent with other content. Check it and send it again.")]}
        )
    return found
