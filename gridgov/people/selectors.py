"""Reads of the people app, scoped to what the viewer may see (``gridgov.access.scope``).

Other apps read departments and role assignments through the functions here, never through
the models' managers. The unscoped ones below (names by code, active departments, the holders
of roles) serve services and the rendering of stored codes, not lists a viewer browses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for, visible_departments
from gridgov.areas.models import Area
from gridgov.core.errors import Invalid
from gridgov.core.tableversions import Cached
from gridgov.people.models import ApiToken, Department, RoleAssignment

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
else:
    User = get_user_model()


def users_visible(viewer: User | AnonymousUser) -> QuerySet[User]:
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


def department_get(viewer: User | AnonymousUser, code: str) -> Department:
    """The department with ``code`` if the viewer may see it; ``Http404`` otherwise (the
    same answer as for a code that does not exist)."""
    return get_object_or_404(visible_departments(viewer), code=code)


def departments_visible(viewer: User | AnonymousUser) -> QuerySet[Department]:
    """Active departments the viewer may see, with their areas loaded."""
    return visible_departments(viewer).filter(is_active=True).prefetch_related("areas").order_by("sort_order", "code")


def scope_root_areas(viewer: User | AnonymousUser) -> QuerySet[Area]:
    """The roots of the viewer's area scope: the outermost areas they may see (the
    top-level areas for a user who sees everything)."""
    scope = scope_for(viewer)
    areas = Area.objects.current()
    if scope.everything:
        return areas.filter(parent__isnull=True)
    return areas.filter(path__in=scope.area_paths)


def user_departments(user: User | AnonymousUser) -> QuerySet[Department]:
    """The departments a user works for (through department roles; none for a visitor)."""
    if not user.is_authenticated:
        return Department.objects.none()
    return Department.objects.filter(role_assignments__user_id=user.pk).distinct().order_by("sort_order", "code")


def display_name(user: User) -> str:
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


def language_of(user: User) -> str:
    """The language a person reads in: the one they chose in the web UI (kept on their staff
    profile), else the installation's (``settings.LANGUAGE_CODE``). Reads ``user.profile``, so a
    caller rendering for many users selects the profiles with them."""
    try:
        chosen = str(user.profile.language or "")
    except (AttributeError, ObjectDoesNotExist):
        chosen = ""
    return chosen if chosen in dict(settings.LANGUAGES) else str(settings.LANGUAGE_CODE)


# --- departments and role holders, for services and for rendering stored codes ---------------


def active_departments() -> QuerySet[Department]:
    """The departments in service, in their display order."""
    return Department.objects.filter(is_active=True).order_by("sort_order", "name")


def departments_serving(area_ids: Iterable[int]) -> QuerySet[Department]:
    """The departments in service that serve one of ``area_ids`` (an area and those above it),
    in their display order."""
    return active_departments().filter(areas__id__in=list(area_ids)).distinct()


def active_departments_by_code(codes: Iterable[str]) -> dict[str, Department]:
    """The departments in service among ``codes``, by code (an unknown or retired code is
    left out: the caller says which are missing)."""
    wanted = set(codes)
    return {d.code: d for d in Department.objects.filter(code__in=wanted, is_active=True)} if wanted else {}


def lead_also_cooperating(name: str) -> str:
    return _("%(name)s is the lead department; it cannot also be a cooperating department.") % {"name": name}


def chosen_departments(codes: Iterable[str], field: str = "departments") -> list[Department]:
    """The departments of a dispatch or an instruction, lead first, each once (empty codes left
    out; none chosen: an empty list, for the caller to default or refuse). ``Invalid`` on
    ``field`` for a code not in service, and for the lead named again among the cooperating
    ones (it was dropped without a word); a cooperating one named twice means it once."""
    given = [str(code).strip() for code in codes if str(code).strip()]
    seen = list(dict.fromkeys(given))
    found = active_departments_by_code(seen)
    missing = [code for code in seen if code not in found]
    if missing:
        raise Invalid.field(field, _("Unknown department: %(codes)s") % {"codes": ", ".join(missing)})
    if seen and seen[0] in given[1:]:
        raise Invalid.field(field, lead_also_cooperating(found[seen[0]].name))
    return [found[code] for code in seen]


def active_department(pk: int) -> Department | None:
    return Department.objects.filter(pk=pk, is_active=True).first()


def department_by_code(code: str) -> Department | None:
    """The department with ``code``, in service or not."""
    return Department.objects.filter(code=code).first()


def department_id(code: str) -> int | None:
    return Department.objects.filter(code=code).values_list("pk", flat=True).first()


def led_or_cooperated_q(through: type[Model], owner: str, code: str, *, led: bool = True, cooperated: bool = True) -> Q:
    """The work (cases, orders) that the department ``code`` leads or cooperates on, as a
    condition on the work's own columns: ``through`` is the work's table of cooperating
    departments and ``owner`` its column naming the work. By the department's id, which an
    index of the work carries; through the code it was a join inside an ``OR`` that read
    every row of the work. ``led=False`` or ``cooperated=False`` leaves out that part (a
    count of the two parts as a ``UNION`` lets each use its own index)."""
    found = department_id(code)
    parts = []
    if found is not None and led:
        parts.append(Q(lead_department_id=found))
    if found is not None and cooperated:
        parts.append(Q(pk__in=through._default_manager.filter(department_id=found).values(owner)))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def department_code(pk: int) -> str | None:
    return Department.objects.filter(pk=pk).values_list("code", flat=True).first()


def department_names(codes: Iterable[str]) -> dict[str, str]:
    """The names of the departments with ``codes`` (stored in history rows), by code."""
    wanted = set(codes)
    return dict(Department.objects.filter(code__in=wanted).values_list("code", "name")) if wanted else {}


def department_names_by_id(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {pk for pk in ids if pk is not None}
    return dict(Department.objects.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}


def role_holder_ids(query: Q) -> list[int]:
    """Ids of the active users holding a role assignment that matches ``query`` (on the
    assignment's ``role``, ``area`` and ``department``), sorted, in one query."""
    assignments = RoleAssignment.objects.filter(query, user__is_active=True).order_by()
    return sorted(set(assignments.values_list("user_id", flat=True)))


# Who holds each role over each area and for each department (active users only), kept per
# process while the ``people`` version stays (gridgov/core/tableversions.py): every case
# notification asks who holds a role over an area or for a department.
@dataclass(frozen=True)
class _Holders:
    by_area: dict[tuple[str, int], tuple[int, ...]]
    by_department: dict[tuple[str, int], tuple[int, ...]]


def _holders_build() -> _Holders:
    by_area: dict[tuple[str, int], list[int]] = {}
    by_department: dict[tuple[str, int], list[int]] = {}
    rows = (
        RoleAssignment.objects.filter(user__is_active=True)
        .order_by()
        .values_list("user_id", "role", "area_id", "department_id")
    )
    for user_id, role, area_id, department_id in rows:
        if area_id is not None:
            by_area.setdefault((role, area_id), []).append(user_id)
        if department_id is not None:
            by_department.setdefault((role, department_id), []).append(user_id)
    return _Holders(
        {key: tuple(ids) for key, ids in by_area.items()}, {key: tuple(ids) for key, ids in by_department.items()}
    )


_HOLDERS: Cached[_Holders] = Cached("people", _holders_build)


def role_holders(
    roles: Iterable[str], *, area_ids: Iterable[int] | None = None, department_id: int | None = None
) -> list[int]:
    """Ids of the active users holding one of ``roles`` over one of ``area_ids``, or for
    ``department_id``, sorted: what :func:`role_holder_ids` gives for ``Q(role__in=roles,
    area_id__in=area_ids)`` or ``Q(role__in=roles, department_id=department_id)``, without a
    query while the role assignments stay as they are. Exactly one of the two is given."""
    if (area_ids is None) == (department_id is None):
        raise ValueError("give area_ids or department_id")
    holders = _HOLDERS.get()
    found: set[int] = set()
    for role in set(roles):
        if department_id is not None:
            found.update(holders.by_department.get((role, department_id), ()))
        else:
            for area_id in set(area_ids or ()):
                found.update(holders.by_area.get((role, area_id), ()))
    return sorted(found)


def area_role_assignments(role: str, query: Q | None = None) -> QuerySet[RoleAssignment]:
    """The assignments of ``role`` over an area (matching ``query`` when given, e.g. on
    ``area__path``), with their user, profile and area (the patrols' day view)."""
    assignments = RoleAssignment.objects.filter(role=role, area__isnull=False)
    if query is not None:
        assignments = assignments.filter(query)
    return assignments.select_related("user", "user__profile", "area")


def roles_of(user: User) -> QuerySet[RoleAssignment]:
    """The user's role assignments with their area and department."""
    return (
        RoleAssignment.objects.filter(user_id=user.pk)
        .select_related("area", "department")
        .order_by("role", "area__code", "department__code")
    )


def role_assignments(query: Q) -> QuerySet[RoleAssignment]:
    """The role assignments that match ``query`` (on the assignment and its user), with their
    user, profile and area; for features that list role holders, e.g. the staff public notice."""
    return RoleAssignment.objects.filter(query).select_related("user__profile", "area")
