"""Who may see a hotline order, how an actor relates to one, who may reveal the petitioner.

Orders are visible to the center operators, town leaders and discipline supervisors of their
town (an area role over the town or above it), to the departments that lead or cooperate on
them, to the upstream system account and administrators (whole installation, or their area).
Grid staff do not see orders (the field work is a linked case).

The petitioner's name, phone and address are shown masked everywhere; :func:`can_reveal` says
who may see them in full (each reveal is recorded by ``services.petitioner_reveal``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from django.db.models import Q

from gridgov.access.scope import scope_for
from gridgov.cases.access import mask_name, mask_phone
from gridgov.people.models import Role
from gridgov.people.selectors import role_holder_ids

from .models import HotlineOrder, IdentityGrant, OrderType
from .transitions import Party

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Area roles that see the orders of their town (or of every town under their area).
# The upstream machine account is one of them for orders only: the district's system sees the
# district's orders (sent by it, or typed in by a town from its phone call) and nothing else of a
# town (no case, photo or patrol: ``access.scope`` gives it no "everything").
ORDER_AREA_ROLES: Final = frozenset(
    {Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.SUPERVISOR, Role.UPSTREAM, Role.ADMIN}
)
# Roles that may reveal the petitioner of their town's orders.
REVEAL_ROLES: Final = frozenset({Role.CENTER_OPERATOR, Role.TOWN_LEADER})
# Types whose petitioner a department sees only with the center's grant.
PROTECTED_TYPES: Final = frozenset({OrderType.COMPLAINT, OrderType.REPORT})

__all__ = [
    "can_reveal",
    "mask_address",
    "mask_name",
    "mask_phone",
    "parties_of",
    "recipient_ids",
    "recipients",
    "visible_q",
]


def _area_paths(user: User | AnonymousUser) -> list[str]:
    """Paths of the areas over which the user holds a role that sees orders."""
    return scope_for(user).paths_for_roles(*ORDER_AREA_ROLES)


def sees_everything(user: User | AnonymousUser) -> bool:
    scope = scope_for(user)
    if getattr(user, "is_superuser", False):
        return True
    return any(area_id is None and role in ORDER_AREA_ROLES for role, area_id, _d in scope.assignments)


def visible_q(user: User | AnonymousUser | None) -> Q:
    """A filter on HotlineOrder for what ``user`` may see (nothing for a stranger)."""
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    if sees_everything(user):
        return Q()
    query = Q(pk__in=[])
    for path in _area_paths(user):
        query |= Q(area_path__startswith=path)
    departments = sorted(scope_for(user).department_ids)
    if departments:
        query |= Q(lead_department_id__in=departments)
        through = HotlineOrder.cooperating_departments.through
        query |= Q(pk__in=through.objects.filter(department_id__in=departments).values("hotlineorder_id"))
    return query


def ancestor_ids(order: HotlineOrder) -> set[int]:
    return {int(part) for part in order.area_path.strip("/").split("/") if part}


def _party_q(order: HotlineOrder, party: Party) -> Q | None:
    """The role assignments standing in ``party`` for the order (``None``: nobody)."""
    if party == Party.CENTER:
        return Q(role=Role.CENTER_OPERATOR, area_id__in=sorted(ancestor_ids(order)))
    if party == Party.LEADER:
        return Q(role=Role.TOWN_LEADER, area_id__in=sorted(ancestor_ids(order)))
    if party == Party.LEAD_DEPARTMENT:
        if order.lead_department_id is None:
            return None
        return Q(role=Role.DEPARTMENT_HANDLER, department_id=order.lead_department_id)
    if party == Party.DEPARTMENT:
        through = HotlineOrder.cooperating_departments.through
        cooperating = through.objects.filter(hotlineorder_id=order.pk).values("department_id")
        return Q(role=Role.DEPARTMENT_HANDLER, department_id__in=cooperating)
    return None  # upstream hears through its own outbox


def recipients(order: HotlineOrder, parties: Iterable[Party]) -> list[int]:
    """Ids of the active users standing in any of ``parties`` for the order, sorted (one
    query, none when no party can have anyone)."""
    query: Q | None = None
    for party in dict.fromkeys(parties):
        wanted = _party_q(order, party)
        if wanted is not None:
            query = wanted if query is None else query | wanted
    if query is None:
        return []
    return role_holder_ids(query)


def recipient_ids(order: HotlineOrder, party: Party) -> list[int]:
    """Ids of the active users standing in ``party`` for the order (one query)."""
    return recipients(order, [party])


def roles_over(user: User | AnonymousUser, order: HotlineOrder) -> set[str]:
    """The area roles the user holds over the order's town (or an area above it)."""
    ids = ancestor_ids(order)
    return {role for role, area_id, _d in scope_for(user).assignments if area_id is not None and area_id in ids}


def cooperating_ids(order: HotlineOrder) -> set[int]:
    cached = getattr(order, "_prefetched_objects_cache", {}).get("cooperating_departments")
    if cached is not None:
        return {d.pk for d in cached}
    return set(order.cooperating_departments.values_list("pk", flat=True))


def parties_of(user: User | AnonymousUser, order: HotlineOrder) -> set[Party]:
    """Every relation the user has to the order (see :class:`Party`)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    roles = roles_over(user, order)
    parties: set[Party] = set()
    if Role.CENTER_OPERATOR in roles:
        parties.add(Party.CENTER)
    if Role.TOWN_LEADER in roles:
        parties.add(Party.LEADER)
    departments = scope_for(user).department_ids
    if departments:
        if order.lead_department_id is not None and order.lead_department_id in departments:
            parties.add(Party.LEAD_DEPARTMENT)
        if departments & cooperating_ids(order):
            parties.add(Party.DEPARTMENT)
    return parties


def is_upstream(user: User | AnonymousUser) -> bool:
    return getattr(user, "is_authenticated", False) and scope_for(user).has_role(Role.UPSTREAM)


def can_reveal(user: User | AnonymousUser, order: HotlineOrder) -> bool:
    """May the user see the order's petitioner in full?

    Center operators and town leaders of the order's town: yes. A handler of the lead or a
    cooperating department: for complaints and reports only with an :class:`IdentityGrant`
    of the center to their department, otherwise yes. Everybody else: never."""
    if not getattr(user, "is_authenticated", False):
        return False
    if roles_over(user, order) & REVEAL_ROLES:
        return True
    departments = scope_for(user).department_ids
    if not departments:
        return False
    mine = set()
    if order.lead_department_id is not None and order.lead_department_id in departments:
        mine.add(order.lead_department_id)
    mine |= departments & cooperating_ids(order)
    if not mine:
        return False
    if order.order_type not in PROTECTED_TYPES:
        return True
    return IdentityGrant.objects.filter(order=order, department_id__in=sorted(mine)).exists()


def mask_address(address: str) -> str:
    """``天津市滨海新区太平镇幸福村3排5号`` → ``天津市滨海新区****``: the first part only."""
    address = address.strip()
    if not address:
        return ""
    keep = min(len(address) // 2, 8)
    return address[:keep] + "****"


def masked_petitioner(name: str, phone: str, address: str) -> tuple[str, str, str]:
    return mask_name(name), mask_phone(phone), mask_address(address)
