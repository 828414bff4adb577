"""Factories for users, departments and role assignments."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from gridgov.people.models import Department, DepartmentKind, RoleAssignment, StaffProfile

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(TEST_PASSWORD)


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    full_name = factory.Sequence(lambda n: f"Staff {n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"Department {n}")
    kind = DepartmentKind.TOWN_OFFICE


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = "grid_worker"
    area = None
    department = None
