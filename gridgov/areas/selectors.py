"""Reads of the areas app that depend on the user, scoped through ``gridgov.access.scope``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from gridgov.access.scope import visible_areas

from .models import Area

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def areas_visible(
    user: User | AnonymousUser, level: str | None = None, parent_code: str | None = None
) -> QuerySet[Area]:
    """Current areas the user may see, optionally one level or the children of one area."""
    areas = visible_areas(user).select_related("parent")
    if level:
        areas = areas.filter(level=level)
    if parent_code:
        areas = areas.filter(parent__code=parent_code, parent__valid_to__isnull=True)
    return areas.order_by("code")


def area_get(user: User | AnonymousUser, code: str) -> Area:
    """The current area with ``code``; raises ``Area.DoesNotExist`` when it is outside the
    user's scope, the same as when it does not exist."""
    return visible_areas(user).select_related("parent").get(code=code)
