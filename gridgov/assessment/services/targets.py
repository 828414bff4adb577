"""Who a scheme assesses in a town (grid workers, grid leaders, villages, departments), and the
target of a key in a period.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from django.db.models import Q

from gridgov.areas.models import Area, AreaLevel
from gridgov.people.models import DepartmentKind, Role
from gridgov.people.selectors import active_departments, area_role_assignments, display_name

from ..indicators import Target
from ..models import Period, TargetType


def targets_of(town: Area, target_type: str, key: str = "") -> list[Target]:
    """Everyone a scheme of ``target_type`` assesses in ``town``, in a stable order (only the
    one whose key is ``key``, when given)."""
    kind, _sep, value = key.partition(":")
    inside = Q(area__path__startswith=town.path)
    if kind == "user":
        inside &= Q(user_id=int(value) if value.isdigit() else 0)
    if target_type in (TargetType.GRID_WORKER, TargetType.GRID_LEADER):
        role = Role.GRID_WORKER if target_type == TargetType.GRID_WORKER else Role.GRID_LEADER
        by_user: dict[int, list[Any]] = {}
        users: dict[int, Any] = {}
        for assignment in area_role_assignments(role, inside & Q(user__is_active=True)).order_by("area__path"):
            by_user.setdefault(assignment.user_id, []).append(assignment.area)
            users[assignment.user_id] = assignment.user
        found = []
        for user_id, areas in by_user.items():
            if target_type == TargetType.GRID_WORKER:
                grids = [a for a in areas if a.level == AreaLevel.GRID]
            else:
                grids = list(Area.objects.current().filter(level=AreaLevel.GRID, parent__in=areas).order_by("code"))
            found.append(
                Target(
                    type=target_type,
                    key=f"user:{user_id}",
                    label=display_name(users[user_id]),
                    user_id=user_id,
                    area_id=areas[0].pk,
                    area_code=areas[0].code if len(areas) == 1 else "",
                    paths=tuple(a.path for a in areas),
                    grid_ids=tuple(g.pk for g in grids),
                )
            )
        return sorted(found, key=lambda t: (t.paths, t.key))
    if target_type == TargetType.VILLAGE:
        villages = Area.objects.current().filter(level=AreaLevel.VILLAGE, path__startswith=town.path).order_by("code")
        if kind == "area":
            villages = villages.filter(code=value)
        return [
            Target(
                type=target_type,
                key=f"area:{village.code}",
                label=village.name,
                area_id=village.pk,
                area_code=village.code,
                paths=(village.path,),
                grid_ids=tuple(
                    Area.objects.current().filter(level=AreaLevel.GRID, parent=village).values_list("pk", flat=True)
                ),
            )
            for village in villages
        ]
    above = [int(part) for part in town.path.strip("/").split("/") if part]
    # A village committee is a department in the register but is assessed as its village.
    departments = (
        active_departments()
        .exclude(kind=DepartmentKind.VILLAGE)
        .filter(Q(areas__path__startswith=town.path) | Q(areas__pk__in=above))
        .distinct()
        .order_by("sort_order", "code")
    )
    if kind == "dept":
        departments = departments.filter(code=value)
    return [
        Target(
            type=target_type,
            key=f"dept:{department.code}",
            label=department.name,
            department_id=department.pk,
            department_code=department.code,
        )
        for department in departments
    ]


KEY_KINDS: Final = {
    "user": (TargetType.GRID_WORKER, TargetType.GRID_LEADER),
    "area": (TargetType.VILLAGE,),
    "dept": (TargetType.DEPARTMENT,),
}


def target_of(period: Period, key: str) -> Target | None:
    """The target of ``key`` among those the period's schemes assess."""
    kinds = KEY_KINDS.get(key.partition(":")[0], ())
    for scheme in period.schemes.filter(target_type__in=kinds):
        for target in targets_of(period.town, scheme.target_type, key):
            if target.key == key:
                return target
    return None


def targets_by_key(period: Period, keys: Iterable[str]) -> dict[str, Target]:
    """The targets of ``keys`` among those the period's schemes assess (a key no scheme
    assesses is left out): :func:`target_of` for many keys, each scheme's targets read once
    (an assessor's table of fifty scores read them fifty times)."""
    wanted = set(keys)
    if len(wanted) == 1:
        key = next(iter(wanted))
        found = target_of(period, key)
        return {key: found} if found is not None else {}
    kinds = {kind for key in wanted for kind in KEY_KINDS.get(key.partition(":")[0], ())}
    targets: dict[str, Target] = {}
    for scheme in period.schemes.filter(target_type__in=kinds):  # in the order target_of reads them
        for target in targets_of(period.town, scheme.target_type):
            if target.key in wanted and target.key not in targets:
                targets[target.key] = target
    return targets
