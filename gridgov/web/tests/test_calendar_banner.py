"""The home page's banner while a year's holiday schedule is provisional, role by role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.people.models import Role
from gridgov.people.tests.factories import RoleAssignmentFactory, StaffProfileFactory, UserFactory
from gridgov.workcalendar import calendar
from gridgov.workcalendar.services import official_year_load

pytestmark = pytest.mark.django_db

BANNER = 'data-testid="calendar-provisional"'
ADMIN_BANNER = 'data-testid="calendar-warning"'
NEXT_YEAR = "明年（2027年）的放假安排尚未导入，明年的期限按法定节假日推算，可能变化。"


@pytest.fixture(autouse=True)
def _fresh_calendar():
    calendar.reset()
    yield
    calendar.reset()


def on(monkeypatch, day: dt.date) -> None:
    """Today is ``day`` (in the project's time zone)."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: day)


def home(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


@pytest.fixture
def leader(world):
    user = UserFactory(username="leader01")
    StaffProfileFactory(user=user, full_name="刘洋")
    RoleAssignmentFactory(user=user, role=Role.TOWN_LEADER, area=world.town)
    return user


@pytest.mark.parametrize("username", ["center01", "leader01"])
def test_center_operators_and_town_leaders_are_told_from_november_while_next_year_is_provisional(
    client, world, leader, monkeypatch, username
):
    user = leader if username == "leader01" else world.users[username]
    on(monkeypatch, dt.date(2026, 10, 31))
    assert BANNER not in home(client, user)
    on(monkeypatch, dt.date(2026, 11, 1))
    html = home(client, user)
    assert BANNER in html
    assert NEXT_YEAR in html
    assert ADMIN_BANNER not in html and "/admin/" not in html


@pytest.mark.parametrize("username", ["grid01", "dept01", "super01", "norole"])
def test_other_roles_get_no_banner(client, world, monkeypatch, username):
    on(monkeypatch, dt.date(2026, 11, 1))
    html = home(client, world.users[username])
    assert BANNER not in html and ADMIN_BANNER not in html


def test_the_banner_goes_once_next_year_is_loaded_and_comes_back_for_the_year_after(client, world, monkeypatch):
    official_year_load(actor=None, year=2027, holidays=[(dt.date(2027, 2, 8), "春节")], workdays=[])
    on(monkeypatch, dt.date(2026, 11, 1))
    assert BANNER not in home(client, world.users["center01"])
    on(monkeypatch, dt.date(2027, 11, 1))
    assert "明年（2028年）的放假安排尚未导入" in home(client, world.users["center01"])


def test_a_provisional_current_year_is_told_all_year(client, world, monkeypatch):
    on(monkeypatch, dt.date(2027, 3, 1))
    html = home(client, world.users["center01"])
    assert "今年（2027年）的放假安排尚未导入，今年的期限按法定节假日推算，可能变化。" in html


def test_the_administrator_gets_the_banner_with_the_link_to_load_the_schedule(client, world, monkeypatch):
    on(monkeypatch, dt.date(2026, 11, 1))
    html = home(client, world.users["admin"])
    assert ADMIN_BANNER in html and BANNER not in html
    assert (
        "尚未导入2027年的法定节假日安排，2027年的办理时限暂按法定节假日推算（尚无调休安排），导入后将重新计算。" in html
    )
    assert reverse("admin:workcalendar_calendaryear_changelist") in html
