"""Who sees a leader's task and who acts on it.

- The center's operators and the town's leaders see every task of their town, discipline
  supervisors (and administrators) every task, or those of their area.
- A department handler sees the tasks with a part for their department; a village's grid
  leader and staff the tasks with a part for their village; a center operator those with a
  part for the center of their town (besides all of the town's).
- Everyone else sees none (404).

An owner of a part acts on it; the assigning leader decides on it; a town leader of the town
or a discipline supervisor issues supervision notices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django.db.models import Q, QuerySet

from gridgov.access.scope import Scope, scope_for
from gridgov.people.models import Role

from .models import Assignment, AssignmentPart, OwnerKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area

TOWN_ROLES: Final = frozenset({Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.ADMIN})
READ_ALL_ROLES: Final = frozenset({*TOWN_ROLES, Role.SUPERVISOR})
VILLAGE_ROLES: Final = frozenset({Role.GRID_LEADER, Role.VILLAGE_STAFF})
OWNER_ROLES: Final = frozenset({Role.DEPARTMENT_HANDLER, Role.CENTER_OPERATOR, *VILLAGE_ROLES})
READER_ROLES: Final = frozenset({*READ_ALL_ROLES, *OWNER_ROLES})
# Who may give a task: a town leader (in their own name) or, on a leader's behalf, the
# center's operators; administrators too.
CREATOR_ROLES: Final = frozenset({Role.TOWN_LEADER, Role.CENTER_OPERATOR, Role.ADMIN})
SUPERVISOR_ROLES: Final = frozenset({Role.TOWN_LEADER, Role.SUPERVISOR, Role.ADMIN})


def _area_ids(scope: Scope, roles: frozenset[str]) -> list[int]:
    return sorted({area_id for role, area_id, _d in scope.assignments if role in roles and area_id is not None})


def town_q(user: User | AnonymousUser) -> Q:
    """The tasks of the towns ``user`` reads whole (center, leaders, supervisors with an area;
    those who see everything are answered by :func:`assignments_visible`)."""
    scope = scope_for(user)
    found = Q(pk__in=[])
    for path in scope.paths_for_roles(*READ_ALL_ROLES):
        found |= Q(area_path__startswith=path)
    return found


def owned_parts_q(user: User | AnonymousUser, prefix: str = "") -> Q:
    """The parts ``user``'s department, village or center owns (``prefix``: the lookup to the
    part, e.g. ``"parts__"``)."""
    scope = scope_for(user)
    found = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    if scope.department_ids and scope.has_role(Role.DEPARTMENT_HANDLER):
        found |= Q(**{f"{prefix}department_id__in": sorted(scope.department_ids)})
    villages = _area_ids(scope, VILLAGE_ROLES)
    if villages:
        found |= Q(**{f"{prefix}owner_kind": OwnerKind.VILLAGE, f"{prefix}area_id__in": villages})
    towns = _area_ids(scope, frozenset({Role.CENTER_OPERATOR}))
    if towns:
        found |= Q(**{f"{prefix}owner_kind": OwnerKind.CENTER, f"{prefix}area_id__in": towns})
    return found


def assignments_visible(user: User | AnonymousUser) -> QuerySet[Assignment]:
    if not getattr(user, "is_authenticated", False) or not may_read(user):
        return Assignment.objects.none()
    found = Assignment.objects.select_related("town", "leader__profile")
    if scope_for(user).everything:
        return found.all()
    owned = AssignmentPart.objects.filter(owned_parts_q(user)).values("assignment_id")
    # (An empty Q() or'ed with another is the other: "everything" is answered above.)
    return found.filter(town_q(user) | Q(pk__in=owned))


def parts_visible(user: User | AnonymousUser) -> QuerySet[AssignmentPart]:
    return AssignmentPart.objects.filter(assignment__in=assignments_visible(user).values("pk")).select_related(
        "assignment", "department", "area"
    )


def parts_owned(user: User | AnonymousUser) -> QuerySet[AssignmentPart]:
    """The parts the user's unit owns (their inbox), whatever else they see."""
    if not getattr(user, "is_authenticated", False):
        return AssignmentPart.objects.none()
    return AssignmentPart.objects.filter(owned_parts_q(user)).select_related("assignment", "department", "area")


def may_read(user: User | AnonymousUser) -> bool:
    return scope_for(user).has_role(*READER_ROLES) or bool(getattr(user, "is_superuser", False))


def reads_town(user: User | AnonymousUser) -> bool:
    """Whether ``user`` reads whole towns' tasks (the board, the statistics)."""
    return scope_for(user).has_role(*READ_ALL_ROLES) or bool(getattr(user, "is_superuser", False))


def owns(user: User | AnonymousUser, part: AssignmentPart) -> bool:
    scope = scope_for(user)
    if part.department_id is not None:
        return part.department_id in scope.department_ids and scope.has_role(Role.DEPARTMENT_HANDLER)
    if part.owner_kind == OwnerKind.VILLAGE:
        return part.area_id in _area_ids(scope, VILLAGE_ROLES)
    return part.area_id in _area_ids(scope, frozenset({Role.CENTER_OPERATOR}))


def is_leader(user: User | AnonymousUser, assignment: Assignment) -> bool:
    """The assigning leader, or an administrator over the town, decides on the parts."""
    if user.pk is not None and user.pk == assignment.leader_id:
        return True
    return Role.ADMIN in scope_for(user).roles_for_area(assignment.town) or bool(getattr(user, "is_superuser", False))


def may_supervise(user: User | AnonymousUser, town: Area) -> bool:
    return bool(scope_for(user).roles_for_area(town) & SUPERVISOR_ROLES) or bool(getattr(user, "is_superuser", False))


def may_create(user: User | AnonymousUser, town: Area) -> bool:
    return bool(scope_for(user).roles_for_area(town) & CREATOR_ROLES) or bool(getattr(user, "is_superuser", False))


def issues_for_leader(user: User | AnonymousUser, assignment: Assignment) -> bool:
    """A center operator of the task's town, for a task the center gave in a leader's name:
    the center edits or cancels it on the leader's behalf, as it gave it."""
    if assignment.created_by_id == assignment.leader_id:
        return False
    return Role.CENTER_OPERATOR in scope_for(user).roles_for_area(assignment.town)
