"""A small world for the statistics and export tests: one town, two departments, the people
who look at the figures, and orders written straight to the table with exactly the flags a
test needs (the services' own timing is tested by the core tests)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any, cast

from django.utils import timezone

from gridgov.areas.tests.factories import make_tree
from gridgov.cases.access import mask_name, mask_phone
from gridgov.hotline.models import HotlineOrder, OrderStatus, OrderType
from gridgov.people.models import Department, Role
from gridgov.people.tests.factories import DepartmentFactory, RoleAssignmentFactory, UserFactory

_numbers = itertools.count(1)


@dataclass
class World:
    town: Any
    grids: list[Any]
    roads: Department
    water: Department
    users: dict[str, Any]


def make_world() -> World:
    _district, town, _villages, grids = make_tree(villages=1, grids_per_village=1)
    roads = cast(Department, DepartmentFactory(code="roads", name="Roads office"))
    water = cast(Department, DepartmentFactory(code="water", name="Water office"))
    users: dict[str, Any] = {}

    def person(name: str, role: str, *, area: Any = None, department: Any = None) -> None:
        user = UserFactory(username=name)
        RoleAssignmentFactory(user=user, role=role, area=area, department=department)
        users[name] = user

    person("center", Role.CENTER_OPERATOR, area=town)
    person("leader", Role.TOWN_LEADER, area=town)
    person("roads_handler", Role.DEPARTMENT_HANDLER, department=roads)
    person("water_handler", Role.DEPARTMENT_HANDLER, department=water)
    person("supervisor", Role.SUPERVISOR)
    person("worker", Role.GRID_WORKER, area=grids[0])
    person("upstream", Role.UPSTREAM)
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    RoleAssignmentFactory(user=admin, role=Role.ADMIN)
    users["admin"] = admin
    return World(town=town, grids=grids, roads=roads, water=water, users=users)


def local(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def make_order(world: World, arrived_at: dt.datetime, **fields: Any) -> HotlineOrder:
    """An order arrived at ``arrived_at``; ``fields`` set anything else (status, flags, …)."""
    name = fields.pop("petitioner_name", "张三丰")
    phone = fields.pop("petitioner_phone", "13812348888")
    values: dict[str, Any] = {
        "source_system": "district",
        "upstream_number": f"T{next(_numbers):06d}",
        "town": world.town,
        "area_path": world.town.path,
        "order_type": OrderType.HELP,
        "content": "路灯不亮",
        "received_at": arrived_at - dt.timedelta(minutes=5),
        "arrived_at": arrived_at,
        "status": OrderStatus.RECEIVED,
        "petitioner_name": name,
        "petitioner_phone": phone,
        "petitioner_name_masked": mask_name(name),
        "petitioner_phone_masked": mask_phone(phone),
    }
    values.update(fields)
    return HotlineOrder.objects.create(**values)
