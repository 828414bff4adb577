"""Reads of the people app, scoped to what the viewer may see (``gridgov.access.scope``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from gridgov.access.scope import scope_for, visible_departments
from gridgov.areas.models import Area
from gridgov.people.models import ApiToken, Department

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()


def users_visible(viewer: Any) -> QuerySet[User]:
    """Staff the viewer may see: those holding a role over an area inside the viewer's
    scope, or in a department the viewer may see, and the viewer themself."""
    scope = scope_for(viewer)
    users = User.objects.select_related("profile")
    if scope.everything:
        return users.all()
    if scope.user_id is None:
        return users.none()
    query = Q(pk=scope.user_id)
    for path in scope.area_paths:
        query |= Q(role_assignments__area__path__startswith=path)
    department_ids = visible_departments(viewer).values("pk")
    query |= Q(role_assignments__department__in=department_ids)
    return users.filter(pk__in=User.objects.filter(query).values("pk"))


def department_get(viewer: Any, code: str) -> Department:
    """The department with ``code`` if the viewer may see it; ``Http404`` otherwise (the
    same answer as for a code that does not exist)."""
    return get_object_or_404(visible_departments(viewer), code=code)


def departments_visible(viewer: Any) -> QuerySet[Department]:
    """Active departments the viewer may see, with their areas loaded."""
    return visible_departments(viewer).filter(is_active=True).prefetch_related("areas").order_by("sort_order", "code")


def scope_root_areas(viewer: Any) -> QuerySet[Area]:
    """The roots of the viewer's area scope: the outermost areas they may see (the
    top-level areas for a user who sees everything)."""
    scope = scope_for(viewer)
    areas = Area.objects.current()
    if scope.everything:
        return areas.filter(parent__isnull=True)
    return areas.filter(path__in=scope.area_paths)


def user_departments(user: Any) -> QuerySet[Department]:
    """The departments a user works for (through department roles)."""
    return Department.objects.filter(role_assignments__user=user).distinct().order_by("sort_order", "code")


def display_name(user: Any) -> str:
    """The staff profile's full name, else Django's full name, else the username."""
    try:
        full_name = user.profile.full_name
    except ObjectDoesNotExist:  # a user without a staff profile
        full_name = ""
    return str(full_name or user.get_full_name() or user.get_username())


def bearer_token(request: HttpRequest) -> ApiToken | None:
    """The token a request authenticated with, if it used one."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def language_of(user: Any) -> str:
    """The language a person reads in: the one they chose in the web UI (kept on their staff
    profile), else the installation's (``settings.LANGUAGE_CODE``). Reads ``user.profile``, so a
    caller rendering for many users selects the profiles with them."""
    try:
        chosen = str(user.profile.language or "")
    except (AttributeError, ObjectDoesNotExist):
        chosen = ""
    return chosen if chosen in dict(settings.LANGUAGES) else str(settings.LANGUAGE_CODE)
