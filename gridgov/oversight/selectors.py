"""Reads of the discipline office: its towns, their thresholds, the console's figures, the
supervision notices and the accountability records, each inside what the viewer may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area, AreaLevel
from gridgov.cases.selectors import cases_visible
from gridgov.core.errors import NotFound
from gridgov.hotline.selectors import orders_visible
from gridgov.people.models import Role
from gridgov.people.selectors import display_name

from . import registry
from .models import Accountability, RuleSetting, SupervisionNotice
from .registry import Context, Rule

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


# --- the office -----------------------------------------------------------------------------------


def is_office(user: User | AnonymousUser) -> bool:
    """Whether the user works for the discipline office (holds the supervisor's role)."""
    return getattr(user, "is_authenticated", False) and scope_for(user).has_role(Role.SUPERVISOR)


def office_towns(user: User | AnonymousUser) -> list[Area]:
    """The towns the user oversees: every town for a supervisor without an area, else the
    towns containing (or under) their areas."""
    if not is_office(user):
        return []
    scope = scope_for(user)
    towns = list(Area.objects.current().filter(level=AreaLevel.TOWN).order_by("code"))
    rows = [area_id for role, area_id, _d in scope.assignments if role == Role.SUPERVISOR]
    if any(area_id is None for area_id in rows):
        return towns
    paths = scope.paths_for_roles(Role.SUPERVISOR)
    return [town for town in towns if any(path.startswith(town.path) or town.path.startswith(path) for path in paths)]


def office_town(user: User | AnonymousUser, code: str = "") -> Area:
    """The town the office's page is about: ``code``, or the user's first town; 404 else."""
    towns = office_towns(user)
    if not towns:
        raise NotFound(_("Not found."))
    if not code:
        return towns[0]
    for town in towns:
        if town.code == code:
            return town
    raise NotFound(_("Not found."))


def is_office_over(user: User | AnonymousUser, town_id: int) -> bool:
    return any(town.pk == town_id for town in office_towns(user))


# --- thresholds -----------------------------------------------------------------------------------


def setting_of(town: Area) -> RuleSetting | None:
    return RuleSetting.objects.filter(town=town).first()


def values_of(town: Area) -> dict[str, int]:
    """The town's thresholds: what it set, the defaults for the rest."""
    values = registry.defaults()
    setting = setting_of(town)
    if setting is not None:
        for code, value in setting.values.items():
            if code in values:
                values[code] = int(value)
    return values


def disabled_of(town: Area) -> set[str]:
    setting = setting_of(town)
    return set(setting.disabled) if setting is not None else set()


def context_for(user: User | AnonymousUser, town: Area, now: dt.datetime | None = None) -> Context:
    return Context(viewer=user, town=town, values=values_of(town), now=now or timezone.now())


@dataclass(frozen=True)
class Figure:
    rule: Rule
    count: int
    definition: str


def figures(context: Context) -> list[Figure]:
    """The count of every rule the town keeps on (the count of the list the rule opens)."""
    off = disabled_of(context.town)
    return [
        Figure(rule, rule.queryset(context).count(), rule.describe(context.values))
        for rule in registry.rules()
        if rule.code not in off
    ]


def rule_get(code: str) -> Rule:
    found = registry.rule(code)
    if found is None:
        raise NotFound(_("No such rule."), code="not_found")
    return found


# --- supervision notices --------------------------------------------------------------------------


def supervisions_visible(user: User | AnonymousUser) -> QuerySet[SupervisionNotice]:
    """The office sees the notices of its towns; anyone else sees the notices on the cases and
    orders they see (as they see the case's ``supervise`` step on its timeline)."""
    if not getattr(user, "is_authenticated", False):
        return SupervisionNotice.objects.none()
    mine = Q(case__in=cases_visible(user).values("pk")) | Q(order__in=orders_visible(user).values("pk"))
    towns = [town.pk for town in office_towns(user)]
    if towns:
        mine |= Q(town_id__in=towns)
    return SupervisionNotice.objects.filter(mine).select_related("case", "order", "issued_by__profile", "town")


def supervision_get(user: User | AnonymousUser, pk: int) -> SupervisionNotice:
    found = supervisions_visible(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such supervision notice."))
    return found


# --- accountability -------------------------------------------------------------------------------


def accountability_visible(user: User | AnonymousUser) -> QuerySet[Accountability]:
    """Accountability records are the discipline office's: those of its towns."""
    towns = [town.pk for town in office_towns(user)]
    if not towns:
        return Accountability.objects.none()
    return Accountability.objects.filter(town_id__in=towns).select_related(
        "town", "target_user__profile", "target_department", "target_village", "decided_by__profile"
    )


def accountability_get(user: User | AnonymousUser, pk: int) -> Accountability:
    found = accountability_visible(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such accountability record."))
    return found


def accountability_in(town: Area, start: dt.date, end: dt.date) -> QuerySet[Accountability]:
    """The accountability decisions of ``town`` taken from ``start`` to ``end`` (whole local
    days, inclusive): what the assessment's period reports read. Not scoped: the caller decides
    who may read its report."""
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone)
    return (
        Accountability.objects.filter(town=town, decided_at__gte=since, decided_at__lt=until)
        .select_related("target_user__profile", "target_department", "target_village", "decided_by__profile")
        .prefetch_related("cases", "orders")
    )


def target_name(record: Accountability) -> str:
    if record.target_user is not None:
        return display_name(record.target_user)
    if record.target_department is not None:
        return record.target_department.name
    if record.target_village is not None:
        return record.target_village.name
    return ""


def evidence_links(record: Accountability) -> list[tuple[str, str]]:
    """The evidence as (number, page) pairs: each case and order opens its own page."""
    links = [(case.number, reverse("cases:detail", args=[case.pk])) for case in record.cases.all()]
    links += [(order.upstream_number, reverse("hotline:detail", args=[order.pk])) for order in record.orders.all()]
    return links


def evidence_numbers(record: Accountability) -> list[str]:
    numbers: list[Any] = [case.number for case in record.cases.all()]
    numbers += [order.upstream_number for order in record.orders.all()]
    return numbers
