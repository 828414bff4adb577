"""Who may see a case, how an actor relates to one, who may reveal personal data.

Cases are visible through area roles (a grid worker sees the grid's cases, a grid leader the
village's, the center and town leaders the town's, a supervisor or administrator without an
area everything), through departments (the cases a department leads or cooperates on; not
every case in the areas the department serves), and to their reporter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from gridgov.access.scope import scope_for
from gridgov.people.models import Role

from .models import Case
from .transitions import Party

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Roles allowed to see the involved resident's name and phone in full (each reveal is logged).
REVEAL_ROLES = frozenset({Role.CENTER_OPERATOR, Role.TOWN_LEADER})


def area_paths(user: User | AnonymousUser) -> tuple[str, ...]:
    """Paths of the areas the user holds an area role over (not those a department serves)."""
    return scope_for(user).role_area_paths


def visible_q(user: User | AnonymousUser) -> Q:
    """A filter on Case for what ``user`` may see (matches nothing for a stranger)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    scope = scope_for(user)
    if scope.everything:
        return Q()
    query = Q(reporter_id=user.pk)
    for path in area_paths(user):
        query |= Q(area_path__startswith=path)
    if scope.department_ids:
        departments = sorted(scope.department_ids)
        query |= Q(lead_department_id__in=departments)
        through = Case.cooperating_departments.through
        query |= Q(pk__in=through.objects.filter(department_id__in=departments).values("case_id"))
    return query


def may_see(user: User | AnonymousUser, case: Case) -> bool:
    """Whether ``user`` may see ``case``: :func:`visible_q` for one case already read (its
    columns checked here; a query only for a department that cooperates without leading)."""
    if not getattr(user, "is_authenticated", False):
        return False
    scope = scope_for(user)
    if scope.everything or case.reporter_id == user.pk:
        return True
    if any(case.area_path.startswith(path) for path in area_paths(user)):
        return True
    if not scope.department_ids:
        return False
    if case.lead_department_id in scope.department_ids:
        return True
    through = Case.cooperating_departments.through
    return through.objects.filter(case_id=case.pk, department_id__in=sorted(scope.department_ids)).exists()


def rollup_scope(user: User | AnonymousUser) -> Q | None:
    """What ``user`` may see (:func:`visible_q`) as a filter on ``area_path`` alone, which the
    statistics' rollups can apply; None when it is not one: the user sees cases through a
    department, or reported a case outside their areas."""
    if not getattr(user, "is_authenticated", False):
        return None
    scope = scope_for(user)
    if scope.everything:
        return Q()
    if scope.department_ids:
        return None
    areas = Q(pk__in=[])
    for path in area_paths(user):
        areas |= Q(area_path__startswith=path)
    if Case.objects.filter(reporter_id=user.pk).exclude(areas).exists():
        return None
    return areas


def ancestor_ids(case: Case) -> set[int]:
    return {int(part) for part in case.area_path.strip("/").split("/") if part}


def roles_over(user: User | AnonymousUser, case: Case) -> set[str]:
    """The area roles the user holds over the case's area (or an area above it)."""
    scope = scope_for(user)
    ids = ancestor_ids(case)
    held: set[str] = set()
    for role, area_id, _department_id in scope.assignments:
        if (area_id is not None and area_id in ids) or (area_id is None and role == Role.SUPERVISOR):
            held.add(role)
    return held


def parties_of(user: User | AnonymousUser, case: Case) -> set[Party]:
    """Every relation the user has to the case (see :class:`Party`)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    scope = scope_for(user)
    roles = roles_over(user, case)
    parties: set[Party] = set()
    if Role.CENTER_OPERATOR in roles:
        parties.add(Party.CENTER)
    if roles & {Role.TOWN_LEADER, Role.SUPERVISOR}:
        parties.add(Party.LEADER)
    if Role.GRID_LEADER in roles:
        parties.add(Party.VILLAGE_LEADER)
    if roles & {Role.GRID_LEADER, Role.VILLAGE_STAFF}:
        parties.add(Party.VILLAGE)
    if Role.GRID_WORKER in roles and case.grid_id is not None:
        # Only the grid's own worker: a worker of the town's other grids is not related.
        grid_roles = {
            role for role, area_id, _d in scope.assignments if area_id == case.grid_id and role == Role.GRID_WORKER
        }
        if grid_roles:
            parties.add(Party.GRID_WORKER)
    if case.lead_department_id is not None and case.lead_department_id in scope.department_ids:
        parties.add(Party.LEAD_DEPARTMENT)
    if case.handled_by_village:
        if Party.VILLAGE in parties:
            parties.add(Party.HANDLER)
    elif Party.LEAD_DEPARTMENT in parties:
        parties.add(Party.HANDLER)
    return parties


def can_reveal(user: User | AnonymousUser, case: Case) -> bool:
    """May the user see the involved party's name and phone in full?"""
    if not getattr(user, "is_authenticated", False):
        return False
    if case.reporter_id is not None and case.reporter_id == user.pk:
        return True
    return bool(roles_over(user, case) & REVEAL_ROLES)


def mask_phone(phone: str) -> str:
    """``13812348888`` → ``138****8888``; short numbers keep only their last two digits."""
    digits = phone.strip()
    if not digits:
        return ""
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask_name(name: str) -> str:
    """``张三丰`` → ``张**``; a unit's name keeps its first two characters."""
    name = name.strip()
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    keep = 1 if len(name) <= 4 else 2
    return name[:keep] + "*" * (len(name) - keep)
