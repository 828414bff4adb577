"""load_demo: the named accounts, idempotency, and the refusal without DEBUG."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Max

from gridgov.areas.models import Area, AreaLevel
from gridgov.categories.models import Category, CategoryTimeLimit
from gridgov.core.models import AuditEvent
from gridgov.demo.loader import DEMO_PASSWORD, DemoRefused, load_demo
from gridgov.demo.taiping import TOWN_CODE, generate
from gridgov.people.models import Department, Role, RoleAssignment, StaffProfile

pytestmark = pytest.mark.django_db
User = get_user_model()

NAMED = [
    "admin",
    "center01",
    "leader01",
    "dept01",
    "dept02",
    "gridlead01",
    "grid01",
    "grid02",
    "super01",
    "sysadmin01",
    "security01",
    "audit01",
    "upstream01",
]


@pytest.fixture
def loaded(settings):
    settings.DEBUG = True
    return load_demo()


def roles_of(username: str) -> list[RoleAssignment]:
    return list(RoleAssignment.objects.filter(user__username=username).select_related("area", "department"))


def test_the_password_is_long_enough():
    assert len(DEMO_PASSWORD) >= 12


def test_every_named_account_exists_with_its_role_and_the_demo_password(loaded):
    for username in NAMED:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username

    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert [(a.role, a.area) for a in roles_of("admin")] == [(Role.ADMIN, None)]

    town = Area.objects.current().get(code=TOWN_CODE)
    assert [(a.role, a.area) for a in roles_of("center01")] == [(Role.CENTER_OPERATOR, town)]
    assert [(a.role, a.area) for a in roles_of("leader01")] == [(Role.TOWN_LEADER, town)]
    assert [(a.role, a.department.code) for a in roles_of("dept01")] == [(Role.DEPARTMENT_HANDLER, "traffic_police")]
    assert [(a.role, a.department.code) for a in roles_of("dept02")] == [(Role.DEPARTMENT_HANDLER, "urban_mgmt")]
    assert [(a.role, a.area, a.department) for a in roles_of("super01")] == [(Role.SUPERVISOR, None, None)]
    assert [(a.role, a.area, a.department) for a in roles_of("upstream01")] == [(Role.UPSTREAM, None, None)]
    for username, role in (
        ("sysadmin01", Role.SYSTEM_ADMIN),
        ("security01", Role.SECURITY_ADMIN),
        ("audit01", Role.AUDIT_ADMIN),
    ):
        assert [(a.role, a.area, a.department) for a in roles_of(username)] == [(role, None, None)]
        assert User.objects.get(username=username).is_staff

    village1 = Area.objects.current().filter(level=AreaLevel.VILLAGE).order_by("code").first()
    assert [(a.role, a.area) for a in roles_of("gridlead01")] == [(Role.GRID_LEADER, village1)]

    (grid01,) = roles_of("grid01")
    assert grid01.role == Role.GRID_WORKER
    first_grid = Area.objects.current().filter(parent=village1).order_by("code").first()
    assert grid01.area == first_grid
    assert grid01.area.code == village1.code + "01"

    (grid02,) = roles_of("grid02")
    assert grid02.role == Role.GRID_WORKER and grid02.area.level == AreaLevel.GRID
    assert grid02.area.parent != village1


def test_the_whole_demo_is_loaded(loaded):
    data = generate()
    assert Area.objects.current().count() == len(data.areas)
    assert Area.objects.current().filter(level=AreaLevel.GRID).count() >= 40
    assert Department.objects.count() == len(data.departments)
    traffic_police = Department.objects.get(code="traffic_police")
    assert list(traffic_police.areas.values_list("code", flat=True)) == [TOWN_CODE]
    assert Category.objects.get(code="parking.long_term").default_department == traffic_police
    assert Category.objects.get(code="parking.minor").self_handle_allowed
    assert User.objects.count() == len(data.people)
    assert StaffProfile.objects.get(user__username="grid01").full_name
    # Generated staff cannot log in until someone gives them a password.
    assert not User.objects.get(username="gw0102").has_usable_password()
    assert loaded.changed and loaded.users_created == len(data.people)


def test_a_second_run_changes_nothing(loaded):
    counts = {
        model: model.objects.count()
        for model in (Area, Department, Category, CategoryTimeLimit, User, StaffProfile, RoleAssignment, AuditEvent)
    }
    area_updated = Area.objects.aggregate(latest=Max("updated_at"))["latest"]
    passwords = dict(User.objects.values_list("username", "password"))

    report = load_demo()

    assert not report.changed
    assert {model: model.objects.count() for model in counts} == counts
    assert Area.objects.aggregate(latest=Max("updated_at"))["latest"] == area_updated
    assert dict(User.objects.values_list("username", "password")) == passwords


def test_an_existing_account_is_not_reset(settings):
    settings.DEBUG = True
    from gridgov.people.services import user_create

    user_create(actor=None, username="center01", password="another-long-passphrase", full_name="原有用户")
    load_demo()
    user = User.objects.get(username="center01")
    assert user.check_password("another-long-passphrase")
    assert user.profile.full_name == "原有用户"
    assert roles_of("center01")[0].role == Role.CENTER_OPERATOR


def test_the_loader_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(DemoRefused):
        load_demo()
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo", stdout=StringIO())
    assert not User.objects.exists()
    assert not Area.objects.exists()


def test_the_command_loads_with_the_explicit_flag_and_prints_the_accounts(settings):
    settings.DEBUG = False
    out = StringIO()
    # A short history: the full one (300 cases, 300 orders, six weeks of analyses) takes most of a
    # minute, and the histories' own tests (test_demo_cases, test_hotline_demo) play every scenario.
    call_command(
        "load_demo",
        "--allow-production-db",
        *("--cases", "5", "--ledger", "5", "--hotline", "5", "--weeks", "1"),
        stdout=out,
    )
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    for username in NAMED:
        assert username in text
    assert "Demo cases created: 5 cases" in text
    assert "Demo hotline orders created: 5 orders" in text
    assert "Historical ledger imported: 5 closed cases" in text
    assert "Staff photos drawn: 102" in text
    assert "Demo patrols recorded:" in text
    assert "Weekly analyses generated: 51 " in text  # one week of the demo's 51 grids
    out = StringIO()
    call_command("load_demo", "--allow-production-db", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert "Staff photos" not in out.getvalue() and "patrols" not in out.getvalue()
    assert "Cases already exist: no demo cases added." in out.getvalue()
    assert "Hotline orders already exist: no demo orders added." in out.getvalue()
