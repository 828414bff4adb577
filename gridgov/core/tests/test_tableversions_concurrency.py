"""Two administrative transactions that write watched tables of two groups in opposite orders
do not deadlock on the groups' version rows (PostgreSQL, real threads): the first to write any
watched table holds every group's row to its commit, the other waits before it takes anything
else (gridgov/core/tableversions.py)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.utils import timezone

from gridgov.core.audit import record
from gridgov.people.models import ApiToken, Role, RoleAssignment
from gridgov.people.tests.factories import UserFactory

User = get_user_model()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent PostgreSQL transactions")
@pytest.mark.django_db(transaction=True)
def test_two_groups_written_in_opposite_orders_do_not_deadlock() -> None:
    first: Any = UserFactory()
    second: Any = UserFactory()
    token = ApiToken.objects.create(user=first, key_hash="h" * 64, prefix="hhhhhhhh", expires_at=timezone.now())
    other = ApiToken.objects.create(user=second, key_hash="k" * 64, prefix="kkkkkkkk", expires_at=timezone.now())
    a_wrote = threading.Event()
    errors: list[BaseException] = []

    def a() -> None:  # people, then the audit chain, then tokens (as role_assign does)
        try:
            with transaction.atomic():
                RoleAssignment.objects.create(user=first, role=Role.SUPERVISOR)
                record(action="test.a")  # the audit chain's lock, to the commit
                a_wrote.set()
                threading.Event().wait(0.5)  # the other transaction writes its token meanwhile
                ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def b() -> None:  # tokens only, then the audit chain (as a token's revocation does)
        try:
            a_wrote.wait(timeout=30)
            with transaction.atomic():
                ApiToken.objects.filter(pk=other.pk).update(revoked_at=timezone.now())
                record(action="test.b")
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert ApiToken.objects.filter(pk__in=[token.pk, other.pk], revoked_at__isnull=False).count() == 2
