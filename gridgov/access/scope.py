"""What a user may see: the one place that turns role assignments into a scope.

Every selector filters through :func:`scope_for`. A user's scope is a set of area subtrees
(by materialized path) plus a set of departments, or "everything" for administrators and
supervisors without an area. Objects outside the scope are answered as "not found" by the
callers (see ``docs/permissions.md``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from gridgov.areas.models import Area
from gridgov.core.tableversions import Cached
from gridgov.people.models import DESK_ROLES, Department, Role, RoleAssignment

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User

SCOPE_CACHE_ATTR = "_gridgov_scope"


@dataclass(frozen=True)
class Scope:
    """The areas and departments one user may see, computed once per request."""

    user_id: int | None
    roles: frozenset[str] = frozenset()
    everything: bool = False
    # Root areas of the user's subtrees (their paths); a subtree includes its root.
    area_paths: tuple[str, ...] = ()
    # Ids of every area above the roots (to see departments that serve a wider area).
    ancestor_area_ids: frozenset[int] = frozenset()
    department_ids: frozenset[int] = frozenset()
    assignments: tuple[tuple[str, int | None, int | None], ...] = field(default=())
    # Paths of the areas the user holds an area role over (not those served by departments),
    # sorted; read from the same query as ``assignments``.
    role_area_paths: tuple[str, ...] = ()
    # (role, area path) of each area role, for features that follow only some roles.
    role_paths: tuple[tuple[str, str], ...] = ()

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def paths_for_roles(self, *roles: str) -> list[str]:
        """Sorted paths of the areas over which the user holds one of ``roles``."""
        return sorted({path for role, path in self.role_paths if role in roles})

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.area_paths and not self.department_ids

    def area_q(self, prefix: str = "") -> Q:
        """A filter on any model with an area: ``prefix`` is the lookup to the Area, e.g.
        ``"grid__"``. Matches nothing for an empty scope."""
        if self.everything:
            return Q()
        query = Q(pk__in=[])
        for path in self.area_paths:
            query |= Q(**{f"{prefix}path__startswith": path})
        return query

    def roles_for_area(self, area: Area) -> set[str]:
        """The roles the user holds over ``area`` or one of its ancestors."""
        held: set[str] = set()
        ids = set(area.ancestor_ids())
        for role, area_id, _department_id in self.assignments:
            if (area_id is not None and area_id in ids) or (
                area_id is None and role in (Role.ADMIN, Role.SUPERVISOR, Role.UPSTREAM)
            ):
                held.add(role)
        return held


def _compute(user: AbstractBaseUser | AnonymousUser) -> Scope:
    if not user.is_authenticated:
        return Scope(user_id=None)
    rows = list(
        RoleAssignment.objects.filter(user_id=user.pk)
        .select_related("area")
        .values_list("role", "area_id", "area__path", "department_id")
    )
    roles = frozenset(role for role, *_rest in rows)
    everything = bool(getattr(user, "is_superuser", False))
    paths: set[str] = set()
    department_ids: set[int] = set()
    for role, area_id, area_path, department_id in rows:
        if role in (Role.ADMIN, Role.SUPERVISOR) and area_id is None:
            # The upstream machine account is not among them: it sees only the hotline orders
            # it sent (gridgov.hotline.access), nothing else.
            everything = True
        elif area_id is not None and role != Role.UPSTREAM:
            # An upstream machine account's area bounds its hotline orders only
            # (``Scope.paths_for_roles``), not what else of the town it sees: nothing.
            paths.add(area_path)
        if department_id is not None:
            department_ids.add(department_id)
    if department_ids:
        # A department handler sees the areas their departments serve.
        served = Area.objects.filter(departments__id__in=department_ids).values_list("path", flat=True)
        paths.update(served)
    roots = _outermost(paths)
    ancestor_ids: set[int] = set()
    for path in roots:
        ancestor_ids.update(int(part) for part in path.strip("/").split("/")[:-1] if part)
    return Scope(
        user_id=int(user.pk) if user.pk is not None else None,
        roles=roles | ({Role.ADMIN} if getattr(user, "is_superuser", False) else set()),
        everything=everything,
        area_paths=tuple(sorted(roots)),
        ancestor_area_ids=frozenset(ancestor_ids),
        department_ids=frozenset(department_ids),
        assignments=tuple((role, area_id, department_id) for role, area_id, _path, department_id in rows),
        role_area_paths=tuple(sorted({path for _role, area_id, path, _d in rows if area_id is not None and path})),
        role_paths=tuple((role, path) for role, area_id, path, _d in rows if area_id is not None and path),
    )


def _outermost(paths: set[str]) -> list[str]:
    """Drop paths inside another path of the set: ``/1/5/`` covers ``/1/5/23/``."""
    kept: list[str] = []
    for path in sorted(paths, key=len):
        if not any(path.startswith(outer) for outer in kept):
            kept.append(path)
    return kept


# Scopes by user, kept per process while the role assignments, the areas' paths, the areas
# departments serve and the users' flags stay as they are (the ``people`` version: see
# gridgov/core/tableversions.py and migration people/0006). A scope is immutable.
_SCOPES: Cached[Scope] = Cached("people")


def scope_for(user: User | AnonymousUser) -> Scope:
    """The user's scope, cached on the user object for the rest of the request (and in the
    process while the tables it is read from stay as they are)."""
    cached = getattr(user, SCOPE_CACHE_ATTR, None)
    if cached is None:
        if user.is_authenticated and user.pk is not None:
            key = (user.pk, bool(getattr(user, "is_superuser", False)))
            cached = _SCOPES.lookup(key, lambda: _compute(user))
        else:
            cached = _compute(user)
        with contextlib.suppress(AttributeError):  # AnonymousUser may refuse attributes on some versions
            setattr(user, SCOPE_CACHE_ATTR, cached)
    return cached


def forget_scope(user: object) -> None:
    """Drop the cached scope (after the user's role assignments changed)."""
    if hasattr(user, SCOPE_CACHE_ATTR):
        delattr(user, SCOPE_CACHE_ATTR)


def visible_areas(user: User | AnonymousUser) -> QuerySet[Area]:
    """Current areas the user may see."""
    scope = scope_for(user)
    return Area.objects.current().filter(scope.area_q())


def visible_departments(user: User | AnonymousUser) -> QuerySet[Department]:
    """Departments the user may see: their own, and those serving any area that overlaps
    the user's subtrees (inside them, or above them such as a district-wide body)."""
    scope = scope_for(user)
    if scope.everything:
        return Department.objects.all()
    query = Q(pk__in=scope.department_ids)
    for path in scope.area_paths:
        query |= Q(areas__path__startswith=path)
    if scope.ancestor_area_ids:
        query |= Q(areas__id__in=scope.ancestor_area_ids)
    return Department.objects.filter(query).distinct()


def uses_desk(user: User | AnonymousUser) -> bool:
    """Whether ``user`` works at the center's desk (:data:`~gridgov.people.models.DESK_ROLES`),
    or is a superuser."""
    return scope_for(user).has_role(*DESK_ROLES) or bool(getattr(user, "is_superuser", False))
