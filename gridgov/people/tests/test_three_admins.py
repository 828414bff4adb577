"""Separation of duties (MLPS level 3): the system administrator runs accounts and settings,
the security administrator grants rights, the audit administrator reads the audit log and
nothing else; nobody but a superuser changes their own rights, and a superuser who does is
recorded and the security administrators are told."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from gridgov.access.scope import scope_for
from gridgov.core.audit import record
from gridgov.core.models import AuditEvent
from gridgov.notify.models import Notification
from gridgov.people import services
from gridgov.people.models import RoleAssignment
from gridgov.people.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def holder(username: str, role: str):
    user = services.user_create(actor=None, username=username, password=TEST_PASSWORD, full_name=username)
    services.role_assign(actor=None, user=user, role=role)
    return user


@pytest.fixture
def admins(world):
    record(action="test.something_happened")
    return {
        "system": holder("sys01", "system_admin"),
        "security": holder("sec01", "security_admin"),
        "audit": holder("aud01", "audit_admin"),
        "root": services.user_create(
            actor=None, username="root", password=TEST_PASSWORD, is_staff=True, is_superuser=True
        ),
    }


def as_user(client, user):
    client.force_login(user)
    return client


AUDIT_LIST = "/admin/core/auditevent/"


@pytest.mark.parametrize(
    ("who", "url", "allowed"),
    [
        ("system", "/admin/auth/user/", True),
        ("system", "/admin/auth/user/add/", True),
        ("system", "/admin/areas/area/", True),
        ("system", "/admin/categories/category/", True),
        ("system", "/admin/workcalendar/calendarday/", True),
        ("system", "/admin/people/department/add/", True),
        ("system", "/admin/people/roleassignment/add/", False),
        ("system", "/admin/auth/group/", False),
        ("system", "/admin/people/loginthrottle/", False),
        ("system", AUDIT_LIST, False),
        ("system", "/admin/cases/case/", False),
        ("security", "/admin/people/roleassignment/add/", True),
        ("security", "/admin/auth/group/add/", True),
        ("security", "/admin/people/loginthrottle/", True),
        ("security", "/admin/auth/user/", True),
        ("security", "/admin/auth/user/add/", False),
        ("security", "/admin/areas/area/", False),
        ("security", AUDIT_LIST, False),
        ("audit", AUDIT_LIST, True),
        ("audit", "/admin/auth/user/", False),
        ("audit", "/admin/people/roleassignment/", False),
        ("audit", "/admin/areas/area/", False),
        ("root", AUDIT_LIST, False),
        ("root", "/admin/people/roleassignment/add/", True),
    ],
)
def test_each_administrator_opens_only_their_own_pages(client, admins, who, url, allowed):
    response = as_user(client, admins[who]).get(url)
    assert (response.status_code == 200) is allowed, (who, url, response.status_code)


def test_the_audit_log_is_read_only_even_for_its_reader(client, admins):
    event = AuditEvent.objects.first()
    client = as_user(client, admins["audit"])
    assert client.get(f"/admin/core/auditevent/{event.pk}/change/").status_code == 200
    assert client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_administrators_see_no_cases_or_areas_of_the_town(admins):
    for who in ("system", "security", "audit"):
        assert scope_for(admins[who]).is_empty


def test_the_system_administrator_cannot_grant_rights_in_the_user_form(client, admins, world):
    response = as_user(client, admins["system"]).get(f"/admin/auth/user/{world.users['worker'].pk}/change/")
    form = response.context["adminform"].form
    assert "is_superuser" not in form.fields and "groups" not in form.fields
    assert "email" in form.fields


def test_the_security_administrator_edits_rights_not_the_account(client, admins, world):
    response = as_user(client, admins["security"]).get(f"/admin/auth/user/{world.users['worker'].pk}/change/")
    form = response.context["adminform"].form
    assert "is_superuser" in form.fields and "groups" in form.fields
    assert "email" not in form.fields and "is_active" not in form.fields
    assert (
        as_user(client, admins["security"]).get(f"/admin/auth/user/{world.users['worker'].pk}/password/").status_code
        == 403
    )


def test_group_changes_in_the_user_form_are_audited(client, admins, world):
    group = Group.objects.create(name="hotline-desk")
    worker = world.users["worker"]
    services.user_set_access(actor=admins["security"], user=worker, groups=[group])
    event = AuditEvent.objects.get(action="people.access_change")
    assert event.actor == admins["security"]
    assert event.data["groups"] == {"added": ["hotline-desk"], "removed": []}


def test_one_person_holds_one_administrator_role(admins):
    with pytest.raises(ValidationError):
        services.role_assign(actor=admins["root"], user=admins["security"], role="audit_admin")


def test_an_administrator_role_is_held_over_nothing(world, admins):
    with pytest.raises(ValidationError):
        services.role_assign(actor=admins["root"], user=world.users["nobody"], role="audit_admin", area=world.town)


def test_an_administrator_role_makes_the_holder_staff(world):
    user = world.users["nobody"]
    assert not user.is_staff
    services.role_assign(actor=None, user=user, role="audit_admin")
    user.refresh_from_db()
    assert user.is_staff


def test_nobody_but_a_superuser_changes_their_own_roles(admins, world):
    security = admins["security"]
    with pytest.raises(ValidationError):
        services.role_assign(actor=security, user=security, role="grid_worker", area=world.grids[0])
    with pytest.raises(ValidationError):
        services.role_revoke(actor=security, assignment=security.role_assignments.get())
    with pytest.raises(ValidationError):
        services.user_update(actor=security, user=security, is_superuser=True)
    group = Group.objects.create(name="g")
    with pytest.raises(ValidationError):
        services.user_set_access(actor=security, user=security, groups=[group])


def test_the_admin_refuses_a_security_administrator_granting_themself_a_role(client, admins, world):
    security = admins["security"]
    response = as_user(client, security).post(
        "/admin/people/roleassignment/add/", {"user": security.pk, "role": "grid_worker", "area": world.grids[0].pk}
    )
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(user=security, role="grid_worker").exists()


def test_a_superuser_giving_itself_a_role_is_recorded_and_the_security_administrators_told(admins, world):
    root = admins["root"]
    assignment, _created = services.role_assign(actor=root, user=root, role="town_leader", area=world.town)
    event = AuditEvent.objects.get(action="people.self_grant")
    assert event.actor == root and event.data["role"] == "town_leader"
    notice = Notification.objects.get(kind="security.self_grant")
    assert notice.recipient == admins["security"]
    assert "root" in notice.title
    assert notice.url.endswith(f"/roleassignment/{assignment.pk}/change/")


def test_without_a_security_administrator_the_other_superusers_are_told(world):
    root = services.user_create(actor=None, username="root", password=TEST_PASSWORD, is_staff=True, is_superuser=True)
    other = services.user_create(actor=None, username="root2", password=TEST_PASSWORD, is_superuser=True)
    services.role_assign(actor=root, user=root, role="supervisor")
    assert list(Notification.objects.filter(kind="security.self_grant").values_list("recipient", flat=True)) == [
        other.pk
    ]
