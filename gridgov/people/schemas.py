"""A person as the APIs answer them: the username and the display name."""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

from ninja import Schema

from .selectors import display_name

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class PersonOut(Schema):
    username: str
    name: str


@overload
def person_out(user: User) -> PersonOut: ...


@overload
def person_out(user: User | None) -> PersonOut | None: ...


def person_out(user: User | None) -> PersonOut | None:
    """``user`` as ``{username, name}`` (``None`` for nobody, e.g. an upstream event)."""
    if user is None:
        return None
    return PersonOut(username=user.get_username(), name=display_name(user))
