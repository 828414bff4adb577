"""GET /categories: the classification tree."""

from __future__ import annotations

import pytest

from gridgov.categories.models import Category, CategoryTimeLimit
from gridgov.people.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    roads = DepartmentFactory(code="roads")
    parking = Category.objects.create(code="parking", name="Parking", sort_order=1)
    minor = Category.objects.create(
        code="parking.illegal",
        name="Illegal parking",
        parent=parking,
        default_department=roads,
        self_handle_allowed=True,
        filing_condition="A car blocks the road.",
    )
    CategoryTimeLimit.objects.create(category=minor, urgency="normal", stage="handle", amount=3, unit="working_days")
    CategoryTimeLimit.objects.create(category=minor, urgency="urgent", stage="handle", amount=4, unit="working_hours")
    Category.objects.create(code="parking.old", name="Old", parent=parking, is_active=False)
    Category.objects.create(code="retired", name="Retired", is_active=False)
    Category.objects.create(code="env", name="Environment", sort_order=2)


def test_categories_need_authentication(client, tree):
    assert client.get("/api/v1/categories").status_code == 401


def test_categories_are_the_active_tree_with_time_limits(client, tree, django_user_model):
    client.force_login(django_user_model.objects.create_user("anyone"))
    body = client.get("/api/v1/categories").json()
    assert [major["code"] for major in body] == ["parking", "env"]
    assert body[1]["children"] == []
    assert body[0]["children"] == [
        {
            "code": "parking.illegal",
            "name": "Illegal parking",
            "default_department": "roads",
            "self_handle_allowed": True,
            "verification_required": True,
            "result_photo_required": True,
            "verify_photo_required": True,
            "filing_condition": "A car blocks the road.",
            "closing_condition": "",
            "time_limits": [
                {"urgency": "normal", "stage": "handle", "amount": 3, "unit": "working_days"},
                {"urgency": "urgent", "stage": "handle", "amount": 4, "unit": "working_hours"},
            ],
        }
    ]


def test_the_category_tree_takes_a_fixed_number_of_queries(
    client, tree, django_user_model, django_assert_max_num_queries
):
    client.force_login(django_user_model.objects.create_user("anyone"))
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/categories").status_code == 200
