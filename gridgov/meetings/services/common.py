"""What the parts of the meetings share: the roles, the limits, and who sees which meeting and
which resolution.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Final, TypeAlias

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.core.actors import Actor
from gridgov.core.errors import NotFound
from gridgov.people.models import Role

from ..models import Meeting, Resolution, ResolutionKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


CENTER_ROLES: Final = frozenset({Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.ADMIN})
VILLAGE_ROLES: Final = frozenset({Role.GRID_LEADER, Role.VILLAGE_STAFF})
READER_ROLES: Final = frozenset({*CENTER_ROLES, *VILLAGE_ROLES, Role.SUPERVISOR})
# Who opens the meetings' page: the readers, and the departments, whose part is the tasks the
# meetings give them (the page lists those for a department, with no meeting area of its own).
LIST_ROLES: Final = frozenset({*READER_ROLES, Role.DEPARTMENT_HANDLER})
LEVELS: Final = (AreaLevel.TOWN, AreaLevel.VILLAGE)
TEXT_LIMIT: Final = 20000
ITEM_LIMIT: Final = 200
# How far from today a meeting may be planned or recorded.
PLAN_WINDOW: Final = dt.timedelta(days=366)
AGENDA_ITEMS: Final = 30
PROPOSAL_WEEKS: Final = 4
HOTSPOT_DAYS: Final = 30


def meeting_areas(user: User | AnonymousUser) -> QuerySet[Area]:
    """The town and villages whose meetings ``user`` may plan and read."""
    if not scope_for(user).has_role(*READER_ROLES):
        return Area.objects.none()
    return areas_visible(user).filter(level__in=LEVELS)


def meetings_visible(user: User | AnonymousUser) -> QuerySet[Meeting]:
    """The meetings of the user's areas, and those the user chairs or is invited to."""
    if not getattr(user, "is_authenticated", False):
        return Meeting.objects.none()
    mine = Q(area__in=meeting_areas(user).values("pk")) | Q(invitees=user) | Q(chair=user)
    return Meeting.objects.filter(pk__in=Meeting.objects.filter(mine).values("pk")).select_related("area", "chair")


def meeting_get(user: User | AnonymousUser, pk: int) -> Meeting:
    try:
        return meetings_visible(user).get(pk=pk)
    except Meeting.DoesNotExist:
        raise NotFound(_("No such meeting.")) from None


def is_organiser(user: User | AnonymousUser, area: Area) -> bool:
    held = scope_for(user).roles_for_area(area)
    return bool(held & CENTER_ROLES) or (area.level == AreaLevel.VILLAGE and bool(held & VILLAGE_ROLES))


def _owner_q(user: User | AnonymousUser) -> Q:
    scope = scope_for(user)
    found = Q(pk__in=[])
    if scope.department_ids:
        found |= Q(department_id__in=scope.department_ids)
    village_ids = Area.objects.filter(
        pk__in=[area_id for role, area_id, _d in scope.assignments if role in VILLAGE_ROLES and area_id]
    ).values("pk")
    found |= Q(village_id__in=village_ids)
    return found


def resolutions_visible(user: User | AnonymousUser) -> QuerySet[Resolution]:
    """The resolutions of the meetings ``user`` sees, and those the user's department or
    village owns."""
    if not getattr(user, "is_authenticated", False):
        return Resolution.objects.none()
    mine = Q(meeting__in=meetings_visible(user).values("pk")) | (Q(kind=ResolutionKind.TASK) & _owner_q(user))
    return Resolution.objects.filter(mine).select_related("meeting", "department", "village", "case")


def resolutions_owned(user: User | AnonymousUser) -> QuerySet[Resolution]:
    return resolutions_visible(user).filter(Q(kind=ResolutionKind.TASK) & _owner_q(user))


MeetingActor: TypeAlias = Actor
