"""The unread count behind the bell in the page header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


@dataclass(frozen=True)
class Unread:
    count: int

    def __bool__(self) -> bool:
        return self.count > 0

    def __str__(self) -> str:
        return "99+" if self.count > 99 else str(self.count)


def unread(request: HttpRequest) -> dict[str, Any]:
    """``notify_unread``: one COUNT query, run only when a page shows it, and only for a
    signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notify_unread": SimpleLazyObject(lambda: Unread(unread_count(user)))}
