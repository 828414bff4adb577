"""Who sees what: the towns a user runs or reads, the results, periods, schemes, appeals and
rewards and penalties they see, and the period a manager locks to score it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.core.errors import Forbidden, NotFound
from gridgov.people.models import Role

from ..models import Appeal, Period, Result, Sanction, SanctionStatus, Scheme, TargetType
from .common import MANAGER_ROLES, READER_ROLES, SEEN_BY_ASSESSED, VILLAGE_ROLES

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def towns_with(user: User | AnonymousUser, roles: Iterable[str]) -> QuerySet[Area]:
    """The towns over which ``user`` holds one of ``roles`` (a superuser: every town)."""
    wanted = set(roles)
    towns = areas_visible(user).filter(level=AreaLevel.TOWN)
    if getattr(user, "is_superuser", False):
        return towns
    scope = scope_for(user)
    return towns.filter(pk__in=[town.pk for town in towns if scope.roles_for_area(town) & wanted])


def managed_towns(user: User | AnonymousUser) -> QuerySet[Area]:
    return towns_with(user, MANAGER_ROLES)


def read_towns(user: User | AnonymousUser) -> QuerySet[Area]:
    return towns_with(user, READER_ROLES)


def is_manager(user: User | AnonymousUser, town_id: int) -> bool:
    return managed_towns(user).filter(pk=town_id).exists()


def own_results_q(user: User | AnonymousUser) -> Q:
    """The results that are the user's own: as a person, as a village's leader or staff, as a
    department's handler."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    scope = scope_for(user)
    villages = [area for role, area, _d in scope.assignments if role in VILLAGE_ROLES and area]
    mine = Q(user_id=user.pk, target_type__in=(TargetType.GRID_WORKER, TargetType.GRID_LEADER))
    mine |= Q(target_type=TargetType.VILLAGE, area_id__in=villages)
    if scope.department_ids:
        mine |= Q(target_type=TargetType.DEPARTMENT, department_id__in=scope.department_ids)
    return mine


def led_results_q(user: User | AnonymousUser) -> Q:
    """The results of the grid workers a grid leader leads: those of the grids of their villages
    (a grid leader follows their workers' results with them; the workers' appeals, rewards and
    penalties stay theirs and the center's)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    led = Q(pk__in=[])
    for path in scope_for(user).paths_for_roles(Role.GRID_LEADER):
        led |= Q(target_type=TargetType.GRID_WORKER, area__path__startswith=path)
    return led


def seen_results_q(user: User | AnonymousUser) -> Q:
    """The results the assessed see once published: their own, and a grid leader's workers'."""
    return own_results_q(user) | led_results_q(user)


def results_visible(user: User | AnonymousUser) -> QuerySet[Result]:
    """Every result of the town for its readers (any snapshot); for the assessed their own (and a
    grid leader's workers'), of the snapshot in force of a published or final period."""
    if not getattr(user, "is_authenticated", False):
        return Result.objects.none()
    readable = Q(snapshot__period__town__in=read_towns(user).values("pk"))
    published = Q(snapshot__period__status__in=SEEN_BY_ASSESSED, snapshot__period__current_id=F("snapshot_id"))
    return Result.objects.filter(readable | (published & seen_results_q(user))).select_related(
        "snapshot__period", "scheme"
    )


def periods_visible(user: User | AnonymousUser) -> QuerySet[Period]:
    """Every period of the reader's towns; for the assessed, the published and final periods in
    which they have a result."""
    if not getattr(user, "is_authenticated", False):
        return Period.objects.none()
    mine = Result.objects.filter(seen_results_q(user), snapshot__period__status__in=SEEN_BY_ASSESSED).values(
        "snapshot__period_id"
    )
    query = Q(town__in=read_towns(user).values("pk")) | Q(pk__in=mine)
    return Period.objects.filter(query).select_related("town", "current")


def period_get(user: User | AnonymousUser, pk: int) -> Period:
    try:
        return periods_visible(user).get(pk=pk)
    except Period.DoesNotExist:
        raise NotFound(_("No such assessment period.")) from None


def is_reader(user: User | AnonymousUser, period: Period) -> bool:
    return read_towns(user).filter(pk=period.town_id).exists()


def result_get(user: User | AnonymousUser, pk: int) -> Result:
    try:
        return results_visible(user).get(pk=pk)
    except Result.DoesNotExist:
        raise NotFound(_("No such result.")) from None


def schemes_visible(user: User | AnonymousUser) -> QuerySet[Scheme]:
    return Scheme.objects.filter(town__in=read_towns(user).values("pk")).select_related("town")


def scheme_get(user: User | AnonymousUser, pk: int) -> Scheme:
    try:
        return schemes_visible(user).get(pk=pk)
    except Scheme.DoesNotExist:
        raise NotFound(_("No such scheme.")) from None


def appeals_visible(user: User | AnonymousUser) -> QuerySet[Appeal]:
    if not getattr(user, "is_authenticated", False):
        return Appeal.objects.none()
    query = Q(period__town__in=read_towns(user).values("pk")) | Q(appellant_id=user.pk)
    return Appeal.objects.filter(query).select_related("result", "period", "appellant")


def appeal_get(user: User | AnonymousUser, pk: int) -> Appeal:
    try:
        return appeals_visible(user).get(pk=pk)
    except Appeal.DoesNotExist:
        raise NotFound(_("No such appeal.")) from None


def sanctions_visible(user: User | AnonymousUser) -> QuerySet[Sanction]:
    """The town's for its readers; the assessed see their own confirmed ones once published."""
    if not getattr(user, "is_authenticated", False):
        return Sanction.objects.none()
    own = Q(
        result__in=Result.objects.filter(own_results_q(user)).values("pk"),
        status=SanctionStatus.CONFIRMED,
        period__status__in=SEEN_BY_ASSESSED,
    )
    query = Q(period__town__in=read_towns(user).values("pk")) | own
    return Sanction.objects.filter(query).select_related("result", "period")


def sanction_get(user: User | AnonymousUser, pk: int) -> Sanction:
    try:
        return sanctions_visible(user).get(pk=pk)
    except Sanction.DoesNotExist:
        raise NotFound(_("No such reward or penalty.")) from None


def _locked_period(actor: User | AnonymousUser, period_id: int) -> Period:
    period = Period.objects.select_for_update().filter(pk=period_id, town__in=read_towns(actor).values("pk")).first()
    if period is None:
        raise NotFound(_("No such assessment period."))
    if not is_manager(actor, period.town_id):
        raise Forbidden(_("Only the center scores the assessment."))
    return period
