"""Shared helpers of the leaders' tasks' tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.utils import timezone

from gridgov.areas.models import AreaLevel
from gridgov.assignments import services
from gridgov.assignments.models import Assignment
from gridgov.cases.tests.loop_helpers import home_grid
from gridgov.people.models import RoleAssignment


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def department_of(user: Any) -> str:
    found = RoleAssignment.objects.filter(user=user).exclude(department=None).select_related("department").first()
    assert found is not None and found.department is not None
    return found.department.code


def village_of(people: dict[str, Any]) -> str:
    area = home_grid(people["grid01"]).parent
    assert area is not None and area.level == AreaLevel.VILLAGE
    return area.code


def give(people: dict[str, Any], by: str = "leader01", **extra: Any) -> Assignment:
    """A task of the leader for dept01's department (lead), dept02's and village 1 (cooperating)."""
    values: dict[str, Any] = {
        "title": "燃气安全隐患排查整治",
        "requirement": "对辖区餐饮场所燃气使用开展一次全面排查，建立台账，限期整改。",
        "lead": f"department:{department_of(people['dept01'])}",
        "cooperating": [f"department:{department_of(people['dept02'])}", f"village:{village_of(people)}"],
        "deadline": timezone.localdate() + dt.timedelta(days=14),
        **extra,
    }
    if by != "leader01" and "leader_id" not in extra:
        values["leader_id"] = people["leader01"].pk
    return services.assignment_create(actor=people[by], **values)


def parts(assignment: Assignment) -> dict[str, Any]:
    """The task's parts by owner kind and lead: ``lead``, ``dept2``, ``village``."""
    found = {}
    for part in assignment.parts.select_related("department", "area").order_by("-lead", "id"):
        name = "lead" if part.lead else "village" if part.owner_kind == "village" else "dept2"
        found[name] = part
    return found
