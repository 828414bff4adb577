"""One read of the cached tables' versions a request (gridgov/core/tableversions.py,
``request_scope``): committing tests, apart from the module of the demo's transaction."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from gridgov.categories.models import Category
from gridgov.categories.selectors import category_by_code
from gridgov.core import tableversions
from gridgov.core.middleware import RequestVersionsMiddleware
from gridgov.core.tableversions import current


@pytest.mark.django_db(transaction=True)
def test_a_request_reads_the_versions_once_until_it_writes():
    # (Committing: inside the tests' own transaction every ask reads its version, as in any
    # transaction.)
    category = Category.objects.create(code="rv.once", name="读一次")
    category_by_code(category.code)
    with tableversions.request_scope(), CaptureQueriesContext(connection) as queries:
        category_by_code(category.code)
        category_by_code(category.code)
        assert current("people") is not None  # another group's, from the same statement
        assert [query["sql"] for query in queries.captured_queries] == [
            "SELECT name, version FROM gridgov_table_version"
        ]
        # A write (of this request, through any path) and the next ask reads them again: the
        # cache follows it within the request.
        Category.objects.filter(pk=category.pk).update(is_active=False)
        assert category_by_code(category.code).is_active is False
        with connection.cursor() as cursor:
            cursor.execute("UPDATE categories_category SET is_active = %s WHERE id = %s", [True, category.pk])
        assert category_by_code(category.code).is_active is True
        with transaction.atomic():
            Category.objects.filter(pk=category.pk).update(name="请求里改的")
            assert category_by_code(category.code).name == "请求里改的"
        assert category_by_code(category.code).name == "请求里改的"
    # Outside a request each ask reads its own group's version, as before.
    with CaptureQueriesContext(connection) as queries:
        current("categories")
        current("categories")
    assert len(queries.captured_queries) == 2


@pytest.mark.django_db(transaction=True)
def test_a_write_a_request_rolls_back_is_not_served_after_it():
    """The end of a transaction runs no statement the request's scope sees: versions read
    inside it (after its write) must not be reused once it has rolled back."""
    category = Category.objects.create(code="rv.back", name="原来的")
    seen: dict[str, str] = {}

    def name() -> str:
        found = category_by_code(category.code)
        assert found is not None
        return found.name

    def view(request: Any) -> HttpResponse:
        seen["before"] = name()
        try:
            with transaction.atomic():
                Category.objects.filter(pk=category.pk).update(name="撤销的")
                seen["inside"] = name()
                raise RuntimeError
        except RuntimeError:
            pass
        seen["after"] = name()
        return HttpResponse("ok")

    RequestVersionsMiddleware(view)(RequestFactory().get("/"))
    assert seen == {"before": "原来的", "inside": "撤销的", "after": "原来的"}
