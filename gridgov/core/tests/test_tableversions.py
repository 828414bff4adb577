"""The per-process caches of rarely written tables (gridgov/core/tableversions.py): every way a
write can reach a watched table gives its group a new version, the caches follow at once, and
what they give is what the queries they replace give."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.access.scope import _compute, scope_for
from gridgov.categories.models import Category, CategoryTimeLimit
from gridgov.categories.selectors import category_by_code, category_ids, time_limit_amount
from gridgov.core import tableversions
from gridgov.core.tableversions import Cached, current
from gridgov.people import services as people_services
from gridgov.people.models import ApiToken, Role, RoleAssignment
from gridgov.people.selectors import role_holder_ids, role_holders
from gridgov.people.tests.factories import RoleAssignmentFactory, UserFactory

User = get_user_model()

pytestmark = pytest.mark.django_db


def _minor() -> Category:
    return Category.objects.filter(parent__isnull=False, is_active=True).order_by("code")[0]


def test_every_kind_of_write_gives_the_group_a_new_version(people):
    seen = {current("categories")}
    minor = _minor()

    def changed() -> None:
        version = current("categories")
        assert version is not None and version not in seen
        seen.add(version)

    minor.name = minor.name + "·"
    minor.save()
    changed()
    Category.objects.filter(pk=minor.pk).update(is_active=False)
    changed()
    limit = CategoryTimeLimit.objects.filter(category=minor).first()
    CategoryTimeLimit.objects.filter(pk=limit.pk).update(amount=limit.amount + 1)
    changed()
    limit.delete()
    changed()
    CategoryTimeLimit.objects.bulk_create([limit], ignore_conflicts=True)  # INSERT OR IGNORE on SQLite
    changed()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE categories_category SET sort_order = sort_order + 1 WHERE id = %s", [minor.pk])
    changed()


def test_an_update_of_a_column_the_caches_do_not_read_keeps_the_version(people):
    user = people["grid01"]
    token, _raw = people_services.token_issue(actor=None, user=user)
    before = (current("people"), current("tokens"))
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    assert (current("people"), current("tokens")) == before
    User.objects.filter(pk=user.pk).update(first_name="改")  # every other column counts
    assert current("tokens") != before[1]
    assert current("people") != before[0]


def test_a_rolled_back_write_never_brings_its_version_back(people):
    minor = _minor()
    before = current("categories")
    with transaction.atomic():
        Category.objects.filter(pk=minor.pk).update(name="回滚")
        inside = current("categories")
        # A cache built inside the transaction keeps its rows under that version.
        assert category_by_code(minor.code).name == "回滚"
        transaction.set_rollback(True)
    assert current("categories") == before
    assert category_by_code(minor.code).name == minor.name
    Category.objects.filter(pk=minor.pk).update(name="再改")
    assert current("categories") not in (before, inside)
    assert category_by_code(minor.code).name == "再改"


def test_a_cache_reads_only_the_version_while_it_stays(people):
    minor = _minor()
    category_by_code(minor.code)
    time_limit_amount(minor.pk, "normal", "register")
    with CaptureQueriesContext(connection) as queries:
        category_by_code(minor.code)
        time_limit_amount(minor.pk, "normal", "register")
    assert [query["sql"] for query in queries.captured_queries] == [
        "SELECT version FROM gridgov_table_version WHERE name = 'categories'"
    ] * 2


def test_without_its_row_a_group_is_never_cached(people):
    built = []
    cached: Cached[int] = Cached("nothing-here", lambda: built.append(1) or len(built))
    assert current("nothing-here") is None
    assert [cached.get(), cached.get()] == [1, 2]
    assert [cached.lookup("k", lambda: 5), cached.lookup("k", lambda: 6)] == [5, 6]


def test_a_database_without_the_table_is_never_cached(people, monkeypatch):
    tableversions.reset_all()
    monkeypatch.setattr(connection.introspection, "table_names", lambda *args, **kwargs: [])
    try:
        assert current("categories") is None
    finally:
        tableversions.reset_all()
    monkeypatch.undo()
    assert current("categories") is not None


def test_the_classification_follows_every_write_at_once(people):
    minor = _minor()
    found = category_by_code(minor.code)
    found.name = "调用方改了它"  # a copy: the process's own stays as it was
    assert category_by_code(minor.code).name == minor.name
    Category.objects.filter(pk=minor.pk).update(is_active=False)
    assert category_by_code(minor.code).is_active is False
    assert category_by_code("no-such-code") is None
    major = minor.parent
    assert sorted(category_ids(major.code)) == sorted(
        Category.objects.filter(Q(code=major.code) | Q(parent__code=major.code)).values_list("pk", flat=True)
    )
    assert category_ids("no-such-code") == []
    limit = CategoryTimeLimit.objects.filter(category=minor).first()
    assert time_limit_amount(minor.pk, limit.urgency, limit.stage) == (limit.amount, limit.unit)
    CategoryTimeLimit.objects.filter(pk=limit.pk).update(amount=limit.amount + 7)
    assert time_limit_amount(minor.pk, limit.urgency, limit.stage) == (limit.amount + 7, limit.unit)
    CategoryTimeLimit.objects.filter(pk=limit.pk).delete()
    assert time_limit_amount(minor.pk, limit.urgency, limit.stage) is None


def test_role_holders_give_what_the_query_gives(people):
    rng = random.Random(7)
    assignments = list(RoleAssignment.objects.values_list("area_id", "department_id"))
    areas = sorted({area for area, _d in assignments if area is not None})
    departments = sorted({department for _a, department in assignments if department is not None})
    roles = list(Role.values)
    # A user made inactive drops out of both.
    holder = RoleAssignment.objects.filter(area__isnull=False).order_by("pk").first()
    User.objects.filter(pk=holder.user_id).update(is_active=False)
    for _ in range(200):
        chosen = rng.sample(roles, rng.randint(1, 3))
        if rng.random() < 0.6:
            ids = rng.sample(areas, min(len(areas), rng.randint(1, 4)))
            expected = role_holder_ids(Q(role__in=chosen, area_id__in=ids))
            assert role_holders(chosen, area_ids=ids) == expected
        else:
            department = rng.choice(departments)
            expected = role_holder_ids(Q(role__in=chosen, department_id=department))
            assert role_holders(chosen, department_id=department) == expected
    assert holder.user_id not in role_holders([holder.role], area_ids=[holder.area_id])
    with pytest.raises(ValueError):
        role_holders([Role.GRID_WORKER])


def test_a_scope_follows_a_new_role_at_once(people):
    worker = people["grid01"]
    before = scope_for(User.objects.get(pk=worker.pk))
    assert before == _compute(worker)
    other = RoleAssignment.objects.filter(role=Role.GRID_WORKER).exclude(area_id__in=[]).exclude(user=worker)
    area = other.exclude(area__path__in=before.role_area_paths).first().area
    RoleAssignmentFactory(user=worker, role=Role.GRID_WORKER, area=area)
    after = scope_for(User.objects.get(pk=worker.pk))  # a new request: a new user object
    assert after != before
    assert after == _compute(User.objects.get(pk=worker.pk))
    assert area.path in after.role_area_paths


def test_a_token_revoked_by_any_write_is_refused_at_once(people):
    # (Expiry by time alone, with no write: gridgov/people/tests/test_services.py.)
    user = UserFactory()
    token, raw = people_services.token_issue(actor=None, user=user)
    assert people_services.token_lookup(raw).user.pk == user.pk
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())  # not through the service
    assert people_services.token_lookup(raw) is None
    second, raw2 = people_services.token_issue(actor=None, user=user)
    assert people_services.token_lookup(raw2) is not None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert people_services.token_lookup(raw2) is None
    User.objects.filter(pk=user.pk).update(is_active=True)
    assert people_services.token_lookup(raw2) is not None
    ApiToken.objects.filter(pk=second.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert people_services.token_lookup(raw2) is None
    assert people_services.token_lookup("not-a-token") is None


def test_a_token_lookup_gives_instances_of_its_own(people):
    user = UserFactory()
    _token, raw = people_services.token_issue(actor=None, user=user)
    first = people_services.token_lookup(raw)
    first.user.first_name = "改"
    second = people_services.token_lookup(raw)
    assert second is not first and second.user is not first.user
    assert second.user.first_name == user.first_name
    assert second.expires_at > timezone.now() - dt.timedelta(seconds=1)


def _triggers(table):
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE 'gridgov_v_%%'"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND name LIKE 'gridgov_v_%%'"
    with connection.cursor() as cursor:
        cursor.execute(sql, [table])
        return sorted(row[0] for row in cursor.fetchall())


def test_after_a_migration_took_the_triggers_away_migrate_puts_them_back(people):
    expected = _triggers("people_apitoken")
    assert expected
    on = " ON people_apitoken" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        for trigger in expected:  # what a table rebuilt (SQLite) or a DROP … CASCADE does
            cursor.execute(f"DROP TRIGGER {trigger}{on}")
    assert _triggers("people_apitoken") == []
    tableversions.reinstall(connection)  # what every migrate ends with (core's post_migrate)
    assert _triggers("people_apitoken") == expected
    token, _raw = people_services.token_issue(actor=None, user=people["grid01"])
    before = current("tokens")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert current("tokens") != before


def test_a_group_whose_migration_did_not_run_is_not_put_back(people):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM gridgov_table_version WHERE name = 'tokens'")
    tableversions.reinstall(connection)
    assert "tokens" not in tableversions.installed(connection)
    assert current("tokens") is None  # not cached


def test_a_column_added_later_counts(people):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the demo's deferred checks, before an ALTER
        cursor.execute("ALTER TABLE categories_category ADD COLUMN gridgov_extra integer")
    tableversions.reinstall(connection)  # SQLite lists the columns; PostgreSQL compares whole rows
    before = current("categories")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE categories_category SET gridgov_extra = 1")
    assert current("categories") != before


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_watched_column_can_change_its_type_on_postgresql(people):
    # The triggers name no column, so ALTER … TYPE is not refused.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE auth_user ALTER COLUMN first_name TYPE varchar(200)")
    before = current("tokens")
    User.objects.filter(pk=people["grid01"].pk).update(first_name="新")
    assert current("tokens") != before


def test_an_unknown_token_is_not_kept(people):
    from gridgov.people.services import _TOKENS

    for number in range(5):
        assert people_services.token_lookup(f"bogus-{number}") is None
    assert None not in _TOKENS._state[2].values()
    with CaptureQueriesContext(connection) as queries:
        people_services.token_lookup("bogus-again")
    assert len(queries) == 2  # the version, the token


def test_inside_a_transaction_every_ask_reads_its_version(people):
    # Once first: the process's first ask also looks the table up (a worker that begins with
    # this test counted that statement: a flaky failure under xdist on PostgreSQL).
    current("categories")
    with tableversions.request_scope(), CaptureQueriesContext(connection) as queries:
        current("categories")
        current("categories")
    assert len(queries.captured_queries) == 2


def test_a_request_sees_a_version_changed_before_it_began(people):
    minor = _minor()
    with tableversions.request_scope():
        before = current("categories")
    Category.objects.filter(pk=minor.pk).update(name="两次请求之间改的")
    with tableversions.request_scope():
        assert current("categories") != before
        assert category_by_code(minor.code).name == "两次请求之间改的"
