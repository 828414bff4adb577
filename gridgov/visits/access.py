"""Who sees a grid's basic data and visits, and who may reveal a household's details.

Basic data is never visible outside the grid's scope: a grid worker sees their own grids, a
grid leader or village staff their villages, the center, town leaders and supervisors their
towns, administrators (and supervisors without an area) everything. A department's handler
sees none of it, though departments see the areas they serve for cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django.db.models import Q
from django.utils.translation import gettext

from gridgov.access.scope import scope_for
from gridgov.cases.access import mask_name, mask_phone
from gridgov.hotline.access import mask_address
from gridgov.people.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from .models import Household, Unit

__all__ = ["mask_address", "mask_care", "mask_name", "mask_phone"]


def mask_care(tags: list[str]) -> str:
    """A household's care tags masked (issue 15): that it has some ("关怀对象 ●●"), never which."""
    return gettext("Cared for ●●") if tags else ""


VIEW_ROLES: Final = (
    Role.GRID_WORKER,
    Role.GRID_LEADER,
    Role.VILLAGE_STAFF,
    Role.CENTER_OPERATOR,
    Role.TOWN_LEADER,
    Role.SUPERVISOR,
)
# Who may see a household's head and phone (or a unit's contact) in full, each time audited.
REVEAL_ROLES: Final = frozenset(
    {Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_STAFF, Role.CENTER_OPERATOR, Role.TOWN_LEADER}
)
# Who edits and imports basic data (over their areas).
EDIT_ROLES: Final = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_STAFF, Role.CENTER_OPERATOR})
# Who records visits.
VISIT_ROLES: Final = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_STAFF})


def area_q(user: User | AnonymousUser, roles: tuple[str, ...] | frozenset[str] = VIEW_ROLES) -> Q:
    """A filter on any model with ``area_path`` for the areas where ``user`` holds one of
    ``roles`` (nothing for a stranger, everything for administrators)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    scope = scope_for(user)
    if scope.everything:
        return Q()
    query = Q(pk__in=[])
    for path in scope.paths_for_roles(*roles):
        query |= Q(area_path__startswith=path)
    return query


def holds_over(user: User | AnonymousUser, area_path: str, roles: frozenset[str]) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    scope = scope_for(user)
    return any(area_path.startswith(path) for path in scope.paths_for_roles(*roles))


def may_view(user: User | AnonymousUser, area_path: str) -> bool:
    return scope_for(user).everything or holds_over(user, area_path, frozenset(VIEW_ROLES))


def may_reveal(user: User | AnonymousUser, obj: Household | Unit) -> bool:
    return holds_over(user, obj.area_path, REVEAL_ROLES)


def may_visit(user: User | AnonymousUser, area_path: str) -> bool:
    """Whether the user records visits in this area (the service decides again)."""
    return holds_over(user, area_path, VISIT_ROLES)


def may_edit(user: User | AnonymousUser, area_path: str) -> bool:
    """The grid's own staff, its village, the town's center, and the administrator; never a
    discipline supervisor, who reads everything and changes nothing."""
    return is_administrator(user) or holds_over(user, area_path, EDIT_ROLES)


def may_edit_somewhere(user: User | AnonymousUser) -> bool:
    """Whether the user edits the basic data of any grid (the new-record and import pages)."""
    return is_administrator(user) or scope_for(user).has_role(*EDIT_ROLES)


def is_administrator(user: User | AnonymousUser) -> bool:
    scope = scope_for(user)
    return scope.everything and scope.has_role(Role.ADMIN)
