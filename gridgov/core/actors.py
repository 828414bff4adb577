"""Who acts on a service: the actor as it is stored on rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def signed_in(actor: User | AnonymousUser | None) -> User | None:
    """The actor as a user row to point at (``None`` for the system or an anonymous visitor)."""
    if actor is None or not actor.is_authenticated:
        return None
    return cast("User", actor)
