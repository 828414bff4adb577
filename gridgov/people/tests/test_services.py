"""Services of the people app: users, departments, roles, tokens."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from gridgov.access.scope import scope_for
from gridgov.areas.tests.factories import make_tree
from gridgov.core.models import AuditEvent
from gridgov.people import services
from gridgov.people.models import ApiToken, RoleAssignment, StaffProfile
from gridgov.people.tests.factories import TEST_PASSWORD, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# --- users ---


def test_user_create_makes_a_user_with_a_profile_and_an_audit_row():
    admin = UserFactory(username="boss")
    user = services.user_create(
        actor=admin, username="zhang", password=TEST_PASSWORD, full_name="张三", phone="13800000000", title="网格员"
    )
    assert user.check_password(TEST_PASSWORD)
    profile = StaffProfile.objects.get(user=user)
    assert (profile.full_name, profile.phone, profile.title) == ("张三", "13800000000", "网格员")
    event = AuditEvent.objects.get(action="people.user_create")
    assert event.actor == admin
    assert event.object_id == str(user.pk)


def test_user_create_without_password_leaves_it_unusable():
    user = services.user_create(actor=None, username="machine", password=None)
    assert not user.has_usable_password()


def test_user_create_refuses_an_existing_username():
    services.user_create(actor=None, username="li", password=TEST_PASSWORD)
    with pytest.raises(ValidationError) as error:
        services.user_create(actor=None, username="li", password=TEST_PASSWORD)
    assert "username" in error.value.message_dict


@pytest.mark.parametrize("password", ["short", "123456789012345", "password1234"])
def test_user_create_refuses_a_weak_password(password):
    with pytest.raises(ValidationError) as error:
        services.user_create(actor=None, username="wang", password=password)
    assert "password" in error.value.message_dict
    assert not StaffProfile.objects.exists()


def test_user_update_changes_profile_and_account_fields():
    user = services.user_create(actor=None, username="zhao", password=None, full_name="Zhao")
    services.user_update(actor=None, user=user, full_name="赵四", email="z@example.org")
    user.refresh_from_db()
    assert user.email == "z@example.org"
    assert user.profile.full_name == "赵四"
    assert audit_actions()[-1] == "people.user_update"


def test_user_update_without_changes_writes_no_audit_row():
    user = services.user_create(actor=None, username="zhao", password=None, full_name="Zhao")
    before = AuditEvent.objects.count()
    services.user_update(actor=None, user=user, full_name="Zhao")
    assert AuditEvent.objects.count() == before


def test_user_update_refuses_unknown_fields():
    user = services.user_create(actor=None, username="zhao", password=None)
    with pytest.raises(TypeError):
        services.user_update(actor=None, user=user, username="other")


def test_deactivating_a_user_revokes_their_tokens():
    user = services.user_create(actor=None, username="zhao", password=None)
    _token, raw = services.token_issue(actor=None, user=user)
    services.user_update(actor=None, user=user, is_active=False)
    assert services.token_authenticate(raw) is None
    assert ApiToken.objects.get().revoked_at is not None


def test_user_set_password_validates_and_audits():
    user = services.user_create(actor=None, username="qian", password=None)
    with pytest.raises(ValidationError):
        services.user_set_password(actor=None, user=user, password="123")
    services.user_set_password(actor=None, user=user, password=TEST_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    assert audit_actions()[-1] == "people.password_set"


# --- departments ---


def test_department_save_creates_then_reports_no_change_on_the_same_input():
    _district, _town, villages, _grids = make_tree()
    department, changed = services.department_save(
        actor=None, code="roads", name="Roads", kind="town_office", areas=[villages[0], villages[1]]
    )
    assert changed
    count = AuditEvent.objects.count()
    again, changed = services.department_save(
        actor=None, code="roads", name="Roads", kind="town_office", areas=[villages[1], villages[0]]
    )
    assert (again.pk, changed) == (department.pk, False)
    assert AuditEvent.objects.count() == count


def test_department_save_updates_fields_and_areas():
    _district, town, villages, _grids = make_tree()
    services.department_save(actor=None, code="roads", name="Roads", kind="town_office", areas=[villages[0]])
    department, changed = services.department_save(
        actor=None, code="roads", name="Roads office", kind="town_office", areas=[town], phone="110"
    )
    assert changed
    assert (department.name, department.phone) == ("Roads office", "110")
    assert list(department.areas.all()) == [town]
    assert audit_actions()[-1] == "people.department_update"


def test_department_save_refuses_an_unknown_kind():
    with pytest.raises(ValidationError):
        services.department_save(actor=None, code="x", name="X", kind="ministry")


# --- roles ---


def test_a_grid_worker_role_needs_a_grid():
    _district, _town, villages, grids = make_tree()
    user = UserFactory()
    with pytest.raises(ValidationError):
        services.role_assign(actor=None, user=user, role="grid_worker")
    with pytest.raises(ValidationError):
        services.role_assign(actor=None, user=user, role="grid_worker", area=villages[0])
    assignment, created = services.role_assign(actor=None, user=user, role="grid_worker", area=grids[0])
    assert created and assignment.area == grids[0]


@pytest.mark.parametrize(("role", "level"), [("grid_leader", 2), ("village_staff", 2), ("center_operator", 1)])
def test_area_roles_need_an_area_of_their_level(role, level):
    district, town, villages, grids = make_tree()
    by_level = [district, town, villages[0], grids[0]]
    user = UserFactory()
    for index, area in enumerate(by_level):
        if index == level:
            services.role_assign(actor=None, user=user, role=role, area=area)
        else:
            with pytest.raises(ValidationError):
                services.role_assign(actor=None, user=user, role=role, area=area)


def test_a_department_handler_needs_a_department_and_no_area():
    _district, town, _villages, _grids = make_tree()
    department = DepartmentFactory()
    user = UserFactory()
    with pytest.raises(ValidationError):
        services.role_assign(actor=None, user=user, role="department_handler")
    with pytest.raises(ValidationError):
        services.role_assign(actor=None, user=user, role="department_handler", department=department, area=town)
    _assignment, created = services.role_assign(actor=None, user=user, role="department_handler", department=department)
    assert created


def test_supervisor_admin_and_upstream_take_an_optional_area_but_no_department():
    _district, town, _villages, _grids = make_tree()
    user = UserFactory()
    for role in ("supervisor", "admin", "upstream"):
        assert services.role_assign(actor=None, user=user, role=role)[1]
        assert services.role_assign(actor=None, user=user, role=role, area=town)[1]
        with pytest.raises(ValidationError):
            services.role_assign(actor=None, user=user, role=role, department=DepartmentFactory())


def test_an_unknown_role_is_refused():
    with pytest.raises(ValidationError):
        services.role_assign(actor=None, user=UserFactory(), role="king")


def test_role_assign_is_idempotent():
    _district, town, _villages, _grids = make_tree()
    user = UserFactory()
    first, created = services.role_assign(actor=None, user=user, role="town_leader", area=town)
    count = AuditEvent.objects.count()
    again, created_again = services.role_assign(actor=None, user=user, role="town_leader", area=town)
    assert created and not created_again
    assert again.pk == first.pk
    assert AuditEvent.objects.count() == count
    # Also for roles without area or department (NULLs compare equal in the lookup).
    assert services.role_assign(actor=None, user=user, role="supervisor")[1]
    assert not services.role_assign(actor=None, user=user, role="supervisor")[1]
    assert RoleAssignment.objects.filter(user=user).count() == 2


def test_role_assign_and_revoke_forget_the_cached_scope():
    _district, town, _villages, _grids = make_tree()
    user = UserFactory()
    assert scope_for(user).is_empty
    assignment, _ = services.role_assign(actor=None, user=user, role="town_leader", area=town)
    assert scope_for(user).area_paths == (town.path,)
    services.role_revoke(actor=None, assignment=assignment)
    assert scope_for(user).is_empty
    assert audit_actions()[-1] == "people.role_revoke"


# --- tokens ---


def test_token_issue_stores_only_the_hash_and_a_prefix(settings, clock):
    settings.API_TOKEN_TTL_SECONDS = 3600
    user = UserFactory()
    token, raw = services.token_issue(actor=None, user=user, name="phone")
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:8]
    assert raw not in str(AuditEvent.objects.get(action="people.token_issue").data)
    assert token.expires_at == clock.now + __import__("datetime").timedelta(seconds=3600)


def test_token_authenticate_returns_the_user_of_a_usable_token():
    user = UserFactory()
    _token, raw = services.token_issue(actor=None, user=user)
    assert services.token_authenticate(raw) == user
    assert services.token_authenticate(raw + "x") is None
    assert services.token_authenticate("") is None


def test_an_expired_token_is_refused(clock):
    user = UserFactory()
    _token, raw = services.token_issue(actor=None, user=user, ttl_seconds=60)
    clock.advance(seconds=59)
    assert services.token_authenticate(raw) == user
    clock.advance(seconds=2)
    assert services.token_authenticate(raw) is None


def test_a_revoked_token_is_refused():
    user = UserFactory()
    token, raw = services.token_issue(actor=None, user=user)
    services.token_revoke(actor=user, token=token)
    assert services.token_authenticate(raw) is None
    assert audit_actions()[-1] == "people.token_revoke"


def test_a_token_of_an_inactive_user_is_refused():
    user = UserFactory()
    _token, raw = services.token_issue(actor=None, user=user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert services.token_authenticate(raw) is None


def test_last_used_at_is_written_at_most_once_a_minute(clock):
    user = UserFactory()
    token, raw = services.token_issue(actor=None, user=user)
    services.token_authenticate(raw)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first == clock.now
    clock.advance(seconds=30)
    services.token_authenticate(raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    clock.advance(seconds=31)
    services.token_authenticate(raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == clock.now


@pytest.mark.django_db
def test_the_database_refuses_a_duplicate_role_without_a_target_on_every_backend():
    user = UserFactory(username="dup-check")
    RoleAssignment.objects.create(user=user, role="supervisor")
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role="supervisor")
