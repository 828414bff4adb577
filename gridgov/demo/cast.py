"""The people and places of one town that the demo's cases are drawn from.

:class:`Cast` reads them from the database (roles over areas and departments), so the case
generator works on any town with grids, grid workers, a center and departments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gridgov.areas.models import Area, AreaLevel
from gridgov.categories.models import Category
from gridgov.people.models import Department, Role, RoleAssignment

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass
class Cast:
    """The people and places of one town that cases are drawn from."""

    town: Area
    grids: list[Area]
    grid_weights: list[float]
    grid_workers: dict[int, list[User]]
    village_of_grid: dict[int, int]
    village_names: dict[int, str]
    grid_leaders: dict[int, list[User]]
    village_people: dict[int, list[User]]
    center: list[User]
    leaders: list[User]  # town leaders and discipline supervisors (reminders, supervision notices)
    town_leaders: list[User]
    handlers: dict[int, list[User]]
    departments: list[Department]
    categories: list[Category]
    category_weights: list[float]
    self_handle_categories: list[Category]
    no_verification_categories: list[Category]

    @classmethod
    def load(cls, town_code: str | None = None) -> Cast:
        towns = Area.objects.current().filter(level=AreaLevel.TOWN)
        town = towns.filter(code=town_code).first() if town_code else towns.order_by("code").first()
        if town is None:
            raise ValueError(f"no current town {town_code or ''}".strip())
        grids = list(Area.objects.current().filter(level=AreaLevel.GRID, path__startswith=town.path).order_by("code"))
        assignments = list(
            RoleAssignment.objects.filter(user__is_active=True).select_related("user", "area").order_by("user_id")
        )
        by_role: dict[str, list[RoleAssignment]] = {}
        for assignment in assignments:
            by_role.setdefault(assignment.role, []).append(assignment)
        grid_ids = {grid.pk for grid in grids}
        grid_workers = _users_by(
            by_role.get(Role.GRID_WORKER, []), lambda a: a.area_id if a.area_id in grid_ids else None
        )
        grids = [grid for grid in grids if grid.pk in grid_workers and grid.center_lat is not None]
        if not grids:
            raise ValueError(f"the town {town.code} has no grid with a grid worker")
        village_of_grid = {grid.pk: grid.parent_id or town.pk for grid in grids}
        village_names = dict(Area.objects.filter(pk__in=set(village_of_grid.values())).values_list("pk", "name"))
        grid_leaders = _users_by(by_role.get(Role.GRID_LEADER, []), lambda a: a.area_id)
        village_people = _users_by(
            [*by_role.get(Role.GRID_LEADER, []), *by_role.get(Role.VILLAGE_STAFF, [])], lambda a: a.area_id
        )

        def of_town(role: str) -> list[User]:
            return [a.user for a in by_role.get(role, []) if a.area is not None and a.area.path == town.path]

        center = of_town(Role.CENTER_OPERATOR)
        if not center:
            raise ValueError(f"the town {town.code} has no center operator")
        town_leaders = of_town(Role.TOWN_LEADER)
        leaders = town_leaders + [a.user for a in by_role.get(Role.SUPERVISOR, []) if a.area_id is None]
        handlers = _users_by(by_role.get(Role.DEPARTMENT_HANDLER, []), lambda a: a.department_id)
        departments = list(Department.objects.filter(pk__in=list(handlers), is_active=True).order_by("code"))
        categories = list(
            Category.objects.filter(
                parent__isnull=False, is_active=True, default_department_id__in=[d.pk for d in departments]
            )
            .select_related("parent")
            .order_by("code")
        )
        if not categories:
            raise ValueError("no active minor category has a department with a handler")

        # Named accounts (those with a usable password) get more of the cases, so that the
        # people one logs in as have full inboxes.
        def named(users: list[User]) -> bool:
            return any(user.has_usable_password() for user in users)

        named_grids = {grid_id for grid_id, users in grid_workers.items() if named(users)}
        named_departments = {department for department, users in handlers.items() if named(users)}
        return cls(
            town=town,
            grids=grids,
            grid_weights=[8.0 if grid.pk in named_grids else 1.0 for grid in grids],
            grid_workers=grid_workers,
            village_of_grid=village_of_grid,
            village_names=village_names,
            grid_leaders=grid_leaders,
            village_people=village_people,
            center=center,
            leaders=leaders or center,
            town_leaders=town_leaders,
            handlers=handlers,
            departments=departments,
            categories=categories,
            category_weights=[4.0 if c.default_department_id in named_departments else 1.0 for c in categories],
            self_handle_categories=[c for c in categories if c.self_handle_allowed],
            no_verification_categories=[c for c in categories if not c.verification_required],
        )


def _users_by(
    assignments: Iterable[RoleAssignment], key: Callable[[RoleAssignment], int | None]
) -> dict[int, list[User]]:
    """The users of ``assignments`` grouped by ``key`` (an assignment whose key is None is left
    out), in the assignments' order."""
    grouped: dict[int, list[User]] = {}
    for assignment in assignments:
        value = key(assignment)
        if value is not None:
            grouped.setdefault(value, []).append(assignment.user)
    return grouped
