"""Load the Taiping demo data through the services, in one transaction. Idempotent.

The first run creates the areas, departments, categories, accounts and roles; a second run
finds everything in place and writes nothing (no rows, no audit events). Accounts that
already exist are left as they are: their password and profile are never reset.

The demo password lives in ``password.txt`` beside this module and nowhere else in the code
(the Makefile prints it from there). The accounts it opens are known to anyone who has read
the README, so the loader refuses to run unless ``DEBUG`` is on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from gridgov.areas.models import Area
from gridgov.areas.services import areas_import
from gridgov.categories.seed import SeedReport, seed_categories
from gridgov.people.models import Department, Role
from gridgov.people.services import department_save, role_assign, user_create

from .places import places_load
from .taiping import TOWN_CODE, DemoData, DemoPerson, generate

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEMO_PASSWORD: Final = (Path(__file__).with_name("password.txt")).read_text(encoding="utf-8").strip()


class DemoRefused(Exception):
    """The demo data must not go into this database."""


@dataclass
class DemoReport:
    areas_created: int = 0
    areas_updated: int = 0
    departments_changed: int = 0
    categories: SeedReport = field(default_factory=SeedReport)
    users_created: int = 0
    roles_created: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.areas_created
            or self.areas_updated
            or self.departments_changed
            or self.categories.created
            or self.categories.updated
            or self.users_created
            or self.roles_created
        )


def check_allowed(*, allow_production_db: bool = False) -> None:
    """Refuse unless ``DEBUG`` is on or the caller explicitly allows it."""
    if not settings.DEBUG and not allow_production_db:
        raise DemoRefused(
            "The demo data creates accounts with a published password; it is loaded only with DEBUG on. "
            "Pass --allow-production-db to load it into a training or staging database anyway."
        )


@transaction.atomic
def load_demo(
    *, actor: User | None = None, allow_production_db: bool = False, data: DemoData | None = None
) -> DemoReport:
    """Create what is missing of the Taiping demo data. Raises :class:`DemoRefused` when
    ``DEBUG`` is off and ``allow_production_db`` is not given."""
    check_allowed(allow_production_db=allow_production_db)
    data = data or generate()
    report = DemoReport()

    imported = areas_import(actor=actor, collection=data.collection)
    report.areas_created, report.areas_updated = imported.created, imported.updated
    areas = {area.code: area for area in Area.objects.current().filter(code__in=[a.code for a in data.areas])}
    places_load(actor=actor, town=areas[TOWN_CODE])

    departments: dict[str, Department] = {}
    for item in data.departments:
        department, changed = department_save(
            actor=actor,
            code=item.code,
            name=item.name,
            kind=item.kind,
            areas=[areas[code] for code in item.areas],
            phone=item.phone,
            sort_order=item.sort_order,
        )
        departments[item.code] = department
        report.departments_changed += int(changed)

    report.categories = seed_categories(actor=actor)

    User = get_user_model()
    existing = set(
        User.objects.filter(username__in=[p.username for p in data.people]).values_list("username", flat=True)
    )
    for person in data.people:
        if person.username in existing:
            user = User.objects.get(username=person.username)
        else:
            user = _create_user(actor, person)
            report.users_created += 1
        for role in person.roles:
            _assignment, created = role_assign(
                actor=actor,
                user=user,
                role=role.role,
                area=areas[role.area_code] if role.area_code else None,
                department=departments[role.department_code] if role.department_code else None,
            )
            report.roles_created += int(created)
    return report


def _create_user(actor: User | None, person: DemoPerson) -> User:
    return user_create(
        actor=actor,
        username=person.username,
        # Generated staff get no usable password: they fill staff notices and lists; the
        # named accounts are the ones to log in with.
        password=DEMO_PASSWORD if person.named else None,
        full_name=person.full_name,
        phone=person.phone,
        title=person.title,
        duties=person.duties,
        is_staff=person.is_staff,
        is_superuser=person.is_superuser,
    )


def accounts_block(data: DemoData | None = None) -> str:
    """The named accounts, their roles and the password: printed after loading."""
    data = data or generate()
    labels = dict(Role.choices)
    lines = ["Demo accounts (all with the password below):"]
    for person in data.people:
        if not person.named:
            continue
        roles = []
        for role in person.roles:
            target = ""
            if role.area_code:
                target = data.area(role.area_code).name
            elif role.department_code:
                target = next(d.name for d in data.departments if d.code == role.department_code)
            roles.append(f"{labels[role.role]}{f' ({target})' if target else ''}")
        lines.append(f"  {person.username:<11} {', '.join(str(role) for role in roles)}")
    lines.append(f"Demo password: {DEMO_PASSWORD}")
    return "\n".join(lines)
