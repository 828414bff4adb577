"""A small area tree and one account per role, shared by the web tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from gridgov.areas.tests.factories import make_tree
from gridgov.people.models import Role
from gridgov.people.tests.factories import (
    DepartmentFactory,
    RoleAssignmentFactory,
    StaffProfileFactory,
    UserFactory,
)


@dataclass
class World:
    town: Any
    villages: list[Any]
    grids: list[Any]
    department: Any
    users: dict[str, Any]


def make_world() -> World:
    _district, town, villages, grids = make_tree(villages=2, grids_per_village=2)
    department: Any = DepartmentFactory(code="traffic", name="交警太平中队")
    department.areas.set([town])
    users: dict[str, Any] = {}

    def person(username: str, full_name: str, role: str | None, **kwargs: Any) -> Any:
        user = UserFactory(username=username, is_staff=kwargs.pop("is_staff", False))
        StaffProfileFactory(user=user, full_name=full_name)
        if role:
            RoleAssignmentFactory(user=user, role=role, **kwargs)
        users[username] = user
        return user

    person("admin", "系统管理员", Role.ADMIN, is_staff=True)
    person("center01", "任宇", Role.CENTER_OPERATOR, area=town)
    person("grid01", "王芳", Role.GRID_WORKER, area=grids[0])
    person("dept01", "李强", Role.DEPARTMENT_HANDLER, department=department)
    person("super01", "赵敏", Role.SUPERVISOR)
    person("norole", "张三", None)
    return World(town=town, villages=villages, grids=grids, department=department, users=users)


@pytest.fixture
def world(db) -> World:
    return make_world()
