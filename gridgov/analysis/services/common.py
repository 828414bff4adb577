"""What the parts of the weekly analyses share: the roles, the limits, the deadline of a week,
who sees which analysis and who holds a role over a grid.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Final

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.core.errors import NotFound
from gridgov.people.models import Role
from gridgov.people.selectors import role_holder_ids
from gridgov.workcalendar import calendar

from ..models import WeeklyAnalysis, WeeklyStatus
from ..transitions import WeeklyParty

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


# Who reads weekly analyses: the grid's people and the center's desk.
READER_ROLES: Final = frozenset(
    {
        Role.GRID_WORKER,
        Role.GRID_LEADER,
        Role.VILLAGE_STAFF,
        Role.CENTER_OPERATOR,
        Role.TOWN_LEADER,
        Role.SUPERVISOR,
        Role.ADMIN,
    }
)
CENTER_ROLES: Final = frozenset({Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.ADMIN})
TEXT_LIMIT: Final = 4000
COMMENT_LIMIT: Final = 1000
SUMMARY_EXCERPT: Final = 300
# How many grids' analyses a town's summary quotes (those with open problems).
TOWN_ANALYSES: Final = 30


def due_workdays() -> int:
    """Working days after the week's end by which the analysis is due (the end of that day)."""
    return int(getattr(settings, "GRIDGOV_WEEKLY_DUE_WORKDAYS", 1))


def due_of(week: dt.date) -> dt.datetime:
    """The deadline of the analysis of the week starting on ``week``: the end of the
    ``due_workdays()``-th working day after the week."""
    day = calendar.workday_after(week + dt.timedelta(days=6), due_workdays())
    end = calendar.working_periods()[-1][1]
    return timezone.make_aware(dt.datetime.combine(day, end))


def _paths_q(user: User | AnonymousUser) -> Q:
    scope = scope_for(user)
    if not scope.has_role(*READER_ROLES):
        return Q(pk__in=[])
    if scope.everything:
        return Q()
    found = Q(pk__in=[])
    for path in scope.area_paths:
        found |= Q(area_path__startswith=path)
    return found


def analyses_visible(user: User | AnonymousUser) -> QuerySet[WeeklyAnalysis]:
    return WeeklyAnalysis.objects.filter(_paths_q(user)).select_related("grid", "submitted_by")


def analysis_get(user: User | AnonymousUser, pk: int) -> WeeklyAnalysis:
    try:
        return analyses_visible(user).get(pk=pk)
    except WeeklyAnalysis.DoesNotExist:
        raise NotFound(_("No such weekly analysis.")) from None


def may_read(user: User | AnonymousUser) -> bool:
    return scope_for(user).has_role(*READER_ROLES)


def _parties(user: User | AnonymousUser, area: Area) -> set[str]:
    held = scope_for(user).roles_for_area(area)
    parties: set[str] = set()
    if Role.GRID_WORKER in held:
        parties.add(WeeklyParty.WORKER)
    if Role.GRID_LEADER in held:
        parties.add(WeeklyParty.LEADER)
    if held & CENTER_ROLES:
        parties.add(WeeklyParty.CENTER)
    return parties


def _holders(area: Area, roles: set[str]) -> list[User]:
    """The active users holding one of ``roles`` over ``area`` or an area above it."""
    ids = role_holder_ids(Q(role__in=roles, area_id__in=area.ancestor_ids()))
    return list(get_user_model().objects.filter(pk__in=ids))


OPEN: Final = (WeeklyStatus.DRAFT, WeeklyStatus.RETURNED)
