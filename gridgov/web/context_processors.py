"""What every page of the shell needs: navigation, the user's name and roles, map settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from gridgov.access.scope import scope_for
from gridgov.people.models import Role
from gridgov.people.selectors import display_name

from .nav import NAV, entries_for, sections

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def role_labels(user: User | AnonymousUser) -> list[str]:
    """Labels of the roles the user holds, in the order of ``Role``."""
    held = scope_for(user).roles
    return [str(label) for value, label in Role.choices if value in held]


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    context: dict[str, Any] = {
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    if user is None or not user.is_authenticated:
        context.update({"nav": [], "nav_sections": [], "user_display_name": "", "user_role_labels": []})
        return context
    # Lazy: pages that never render the shell (the admin, the API) pay nothing.
    links = SimpleLazyObject(lambda: entries_for(user, NAV, request.path))
    context["nav"] = links
    context["nav_sections"] = SimpleLazyObject(lambda: sections(list(links)))
    context["user_display_name"] = SimpleLazyObject(lambda: display_name(user))
    context["user_role_labels"] = SimpleLazyObject(lambda: role_labels(user))
    return context
