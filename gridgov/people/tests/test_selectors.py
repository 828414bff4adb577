"""The people selectors other apps read departments and role holders through, and the rule that
they do (no other app queries the Department or RoleAssignment managers itself)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db.models import Q

from gridgov.people import selectors
from gridgov.people.tests.factories import DepartmentFactory, RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db

GRIDGOV = Path(__file__).resolve().parents[2]
# The people app owns the models; access computes scopes from them (people's selectors build on
# access); the demo writes its own rows; tests may set up anything.
OWNERS = {"people", "access", "demo"}


def test_active_departments_by_code_leave_out_unknown_and_retired_codes():
    roads = DepartmentFactory(code="roads", name="Roads")
    DepartmentFactory(code="old", name="Old", is_active=False)

    assert selectors.active_departments_by_code(["roads", "old", "nope"]) == {"roads": roads}
    assert selectors.active_departments_by_code([]) == {}
    assert selectors.active_department(roads.pk) == roads


def test_names_ids_and_codes_of_departments_read_back_whatever_their_state():
    water = DepartmentFactory(code="water", name="Water", is_active=False)

    assert selectors.department_names(["water", "nope"]) == {"water": "Water"}
    assert selectors.department_names_by_id([water.pk, None]) == {water.pk: "Water"}
    assert selectors.department_id("water") == water.pk
    assert selectors.department_code(water.pk) == "water"
    assert selectors.department_by_code("nope") is None


def test_role_holders_are_the_active_users_matching_once_each_sorted():
    roads = DepartmentFactory(code="roads")
    first = RoleAssignmentFactory(role="department_handler", department=roads).user
    second = RoleAssignmentFactory(role="department_handler", department=roads).user
    RoleAssignmentFactory(user=first, role="supervisor")
    gone = UserFactory(is_active=False)
    RoleAssignmentFactory(user=gone, role="department_handler", department=roads)

    wanted = Q(role="department_handler", department_id=roads.pk) | Q(role="supervisor")

    assert selectors.role_holder_ids(wanted) == sorted([first.pk, second.pk])


def test_no_other_app_queries_departments_or_role_assignments_itself():
    pattern = re.compile(r"\b(Department|RoleAssignment)\.objects\b")
    offenders = [
        f"{path.relative_to(GRIDGOV)}:{number}"
        for path in sorted(GRIDGOV.rglob("*.py"))
        if path.relative_to(GRIDGOV).parts[0] not in OWNERS and "tests" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offenders == []
