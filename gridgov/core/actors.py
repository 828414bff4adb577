"""Who acts on a service: the actor as it is stored on rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, cast

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Who acts on a service: a signed-in user, an anonymous visitor (refused by most services), or
# ``None`` for the system itself (a sweep, a migration, the demo loader).
Actor: TypeAlias = "User | AnonymousUser | None"


def signed_in(actor: Actor) -> User | None:
    """The actor as a user row to point at (``None`` for the system or an anonymous visitor)."""
    if actor is None or not actor.is_authenticated:
        return None
    return cast("User", actor)


def signed_in_user(actor: Actor) -> User:
    """The signed-in user behind a page that needs one (``login_required``): refused with
    ``PermissionDenied`` (403) for anyone else."""
    user = signed_in(actor)
    if user is None:
        raise PermissionDenied
    return user
