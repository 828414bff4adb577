"""The people admin writes through the services."""

from __future__ import annotations

import pytest
from django.forms import FileField

from gridgov.core.models import AuditEvent
from gridgov.people import services
from gridgov.people.models import ApiToken, Department, RoleAssignment
from gridgov.people.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    root = services.user_create(actor=None, username="root", password=TEST_PASSWORD, is_staff=True, is_superuser=True)
    client.force_login(root)
    client.root = root
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        "/admin/people/department/",
        "/admin/people/department/add/",
        "/admin/people/roleassignment/",
        "/admin/people/roleassignment/add/",
        "/admin/people/apitoken/",
        "/admin/people/apitoken/issue/",
    ],
)
def test_admin_pages_open(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_the_user_change_page_shows_profile_and_roles(admin_client, world):
    response = admin_client.get(f"/admin/auth/user/{world.users['leader'].pk}/change/")
    assert response.status_code == 200
    assert b"role_assignments" in response.content
    assert b"profile" in response.content


def test_adding_a_user_in_the_admin_goes_through_user_create(admin_client):
    response = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "newbie",
            "full_name": "新人",
            "phone": "13900000000",
            "usable_password": "true",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="people.user_create", data__username="newbie")
    assert event.actor == admin_client.root
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="newbie")
    assert user.profile.full_name == "新人"
    assert user.check_password(TEST_PASSWORD)


def test_adding_a_role_with_an_area_of_the_wrong_level_shows_an_error(admin_client, world):
    response = admin_client.post(
        "/admin/people/roleassignment/add/",
        {"user": world.users["nobody"].pk, "role": "grid_worker", "area": world.town.pk},
    )
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(user=world.users["nobody"]).exists()


def test_adding_and_deleting_a_role_in_the_admin_is_audited(admin_client, world):
    response = admin_client.post(
        "/admin/people/roleassignment/add/",
        {"user": world.users["nobody"].pk, "role": "grid_worker", "area": world.grids[1].pk},
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=world.users["nobody"])
    assert AuditEvent.objects.filter(action="people.role_assign", object_id=str(assignment.pk)).exists()
    response = admin_client.post(f"/admin/people/roleassignment/{assignment.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEvent.objects.filter(action="people.role_revoke", object_id=str(assignment.pk)).exists()


def test_saving_a_department_in_the_admin_goes_through_department_save(admin_client, world):
    response = admin_client.post(
        "/admin/people/department/add/",
        {
            "code": "fire",
            "name": "Fire",
            "kind": "outside_body",
            "areas": [world.town.pk],
            "sort_order": 3,
            "is_active": "on",
            "phone": "119",
        },
    )
    assert response.status_code == 302
    fire = Department.objects.get(code="fire")
    assert list(fire.areas.all()) == [world.town]
    assert AuditEvent.objects.filter(action="people.department_create", object_id=str(fire.pk)).exists()


def test_the_issue_view_shows_the_raw_token_once_for_an_upstream_account(admin_client, world):
    upstream = world.users["upstream"]
    response = admin_client.post("/admin/people/apitoken/issue/", {"user": upstream.pk, "name": "hotline", "days": 30})
    assert response.status_code == 200
    raw = response.context["raw_token"]
    assert raw and raw.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    assert services.token_authenticate(raw) == upstream


def test_the_issue_view_offers_only_upstream_accounts(admin_client, world):
    response = admin_client.post(
        "/admin/people/apitoken/issue/", {"user": world.users["worker"].pk, "name": "x", "days": 30}
    )
    assert response.context["raw_token"] is None
    assert not ApiToken.objects.exists()


def test_the_revoke_action_revokes_through_the_service(admin_client, world):
    token, raw = services.token_issue(actor=None, user=world.users["upstream"])
    response = admin_client.post("/admin/people/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert services.token_authenticate(raw) is None
    assert AuditEvent.objects.filter(action="people.token_revoke", actor=admin_client.root).exists()


def test_the_admin_login_uses_the_lockout(client, world):
    for _ in range(5):
        client.post("/admin/login/", {"username": "root-less", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "root-less", "password": "wrong"})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="auth.login_locked", data__channel="admin").exists()


def change_form_data(response) -> dict:
    """The POST data of an admin change page as it was rendered (forms and inlines)."""
    data: dict = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        forms.extend(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or isinstance(field, FileField):
                continue
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif field.disabled:
                continue
            else:
                data[key] = value
    return data


def test_editing_a_user_in_the_admin_writes_profile_and_roles_through_the_services(admin_client, world):
    leader = world.users["leader"]
    url = f"/admin/auth/user/{leader.pk}/change/"
    data = change_form_data(admin_client.get(url))
    data["profile-0-full_name"] = "王网格长"
    data["email"] = "leader@example.org"
    # Add a grid worker role over grid 1-2 in the empty extra row.
    total = int(data["role_assignments-TOTAL_FORMS"])
    data["role_assignments-TOTAL_FORMS"] = str(total + 1)
    data[f"role_assignments-{total}-role"] = "grid_worker"
    data[f"role_assignments-{total}-area"] = str(world.grids[1].pk)
    data[f"role_assignments-{total}-user"] = str(leader.pk)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    leader.refresh_from_db()
    assert leader.email == "leader@example.org"
    assert leader.profile.full_name == "王网格长"
    assert set(leader.role_assignments.values_list("role", flat=True)) == {"grid_leader", "grid_worker"}
    assert AuditEvent.objects.filter(action="people.user_update", object_id=str(leader.pk)).count() == 2
    assert AuditEvent.objects.filter(
        action="people.role_assign", data__user=leader.pk, data__role="grid_worker"
    ).exists()


def test_removing_a_role_in_the_user_admin_revokes_it(admin_client, world):
    leader = world.users["leader"]
    url = f"/admin/auth/user/{leader.pk}/change/"
    data = change_form_data(admin_client.get(url))
    data["role_assignments-0-DELETE"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert not leader.role_assignments.exists()
    assert AuditEvent.objects.filter(action="people.role_revoke", data__user=leader.pk).exists()
