"""What the parts of the people's services share: the user model, whether the actor is the user
acted on, the audit action of a change to one's own rights, and the end of the access opened
without a second factor that has become required."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

from django.contrib.auth import get_user_model

from gridgov.core.actors import Actor
from gridgov.people.sessions import access_revoke

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()

SELF_GRANT = "people.self_grant"


def _is_self(actor: Actor, user: User) -> TypeGuard[User]:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.pk == user.pk


def _second_factor_now_required(actor: Actor, user: User) -> None:
    """``user`` now needs the second factor: sessions and tokens opened without it end."""
    access_revoke(actor=actor, user=user, reason="second_factor_required")
