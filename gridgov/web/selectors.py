"""Reads behind the web shell's pages, scoped through ``gridgov.access.scope``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Sum
from django.utils import timezone

from gridgov.access.scope import scope_for, visible_areas, visible_departments
from gridgov.areas.models import AreaLevel
from gridgov.people.models import Role
from gridgov.people.selectors import roles_of
from gridgov.workcalendar import calendar

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# The home page lists at most this many departments by name (the count is always exact).
DEPARTMENTS_LISTED = 12


@dataclass(frozen=True)
class RoleLine:
    """One role the user holds, and over what (an area or department name, or empty)."""

    role: str
    label: str
    target: str


@dataclass(frozen=True)
class ChartBar:
    code: str
    name: str
    households: int


@dataclass
class HomeSummary:
    """What the home page shows of the user's scope."""

    roles: list[RoleLine] = field(default_factory=list)
    everything: bool = False
    has_role: bool = False
    villages: int = 0
    grids: int = 0
    households: int = 0
    departments: int = 0
    department_names: list[str] = field(default_factory=list)
    # Households per village (or per grid when the scope holds one village at most).
    chart_level: str = AreaLevel.VILLAGE
    chart: list[ChartBar] = field(default_factory=list)

    @property
    def role_codes(self) -> set[str]:
        return {line.role for line in self.roles}


def user_roles(user: User | AnonymousUser) -> list[RoleLine]:
    """The user's role assignments with the name of their area or department."""
    if not user.is_authenticated:
        return []
    labels = dict(Role.choices)
    lines = []
    for row in roles_of(user):
        target = row.area.name if row.area else (row.department.name if row.department else "")
        lines.append(RoleLine(role=row.role, label=str(labels.get(row.role, row.role)), target=target))
    if getattr(user, "is_superuser", False) and not any(line.role == Role.ADMIN for line in lines):
        lines.append(RoleLine(role=Role.ADMIN, label=str(labels[Role.ADMIN]), target=""))
    return lines


def home_summary(user: User | AnonymousUser) -> HomeSummary:
    """Counts of the areas and departments the user may see, and households per village."""
    scope = scope_for(user)
    summary = HomeSummary(roles=user_roles(user), everything=scope.everything)
    summary.has_role = bool(scope.roles)
    if scope.is_empty:
        return summary

    areas = visible_areas(user)
    counts = dict(areas.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    summary.villages = counts.get(AreaLevel.VILLAGE, 0)
    summary.grids = counts.get(AreaLevel.GRID, 0)

    grids = areas.filter(level=AreaLevel.GRID)
    per_village = list(
        grids.values("parent__code", "parent__name").annotate(households=Sum("households")).order_by("parent__code")
    )
    if per_village:
        summary.households = sum(int(row["households"] or 0) for row in per_village)
        if len(per_village) > 1:
            summary.chart = [
                ChartBar(row["parent__code"], row["parent__name"], int(row["households"] or 0)) for row in per_village
            ]
        else:
            summary.chart_level = AreaLevel.GRID
            summary.chart = [
                ChartBar(code, name, households)
                for code, name, households in grids.order_by("code").values_list("code", "name", "households")
            ]
    else:
        # No grids drawn yet: the villages' own figures.
        villages = areas.filter(level=AreaLevel.VILLAGE).order_by("code")
        rows = list(villages.values_list("code", "name", "households"))
        summary.households = sum(households for _code, _name, households in rows)
        summary.chart = [ChartBar(code, name, households) for code, name, households in rows]

    departments = visible_departments(user).filter(is_active=True).order_by("sort_order", "code")
    summary.departments = departments.count()
    summary.department_names = list(departments.values_list("name", flat=True)[:DEPARTMENTS_LISTED])
    return summary


def missing_calendar_year(user: User | AnonymousUser) -> int | None:
    """For administrators: the year whose official holiday schedule is missing, else ``None``."""
    if not scope_for(user).has_role(Role.ADMIN):
        return None
    return calendar.next_year_missing()


# Who follows the town's deadlines and is told when they are provisional (administrators get
# ``missing_calendar_year``, with a link to load the schedule).
PROVISIONAL_NOTICE_ROLES = (Role.CENTER_OPERATOR, Role.TOWN_LEADER)


@dataclass(frozen=True)
class ProvisionalYear:
    year: int
    next: bool  # next year (else the current year)


def provisional_calendar_year(user: User | AnonymousUser, today: dt.date | None = None) -> ProvisionalYear | None:
    """For center operators and town leaders: the provisional year their deadlines reach into
    (the current one, or next year from 1 November), else ``None``."""
    if not scope_for(user).has_role(*PROVISIONAL_NOTICE_ROLES):
        return None
    today = today or timezone.localdate()
    year = calendar.provisional_year_ahead(today)
    return ProvisionalYear(year=year, next=year > today.year) if year is not None else None
