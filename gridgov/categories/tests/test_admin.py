"""The categories admin writes through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.categories.models import Category, CategoryTimeLimit
from gridgov.categories.seed import seed_categories
from gridgov.categories.services import category_save
from gridgov.core.models import AuditEvent
from gridgov.people.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def inline_management(prefix: str = "time_limits", total: int = 0, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_the_list_filters_by_level_and_major_class(admin_client):
    seed_categories(actor=None)
    url = reverse("admin:categories_category_changelist")
    assert admin_client.get(url).status_code == 200
    response = admin_client.get(url, {"level": "major"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 8
    parking = Category.objects.get(code="parking")
    response = admin_client.get(url, {"major": str(parking.pk)})
    assert response.context["cl"].result_count == parking.children.count()


def test_adding_a_minor_class_with_time_limits_goes_through_the_service(admin_client):
    parking, _ = category_save(actor=None, code="parking", name="交通秩序")
    department = DepartmentFactory(code="traffic_police")
    data = {
        "code": "parking.minor",
        "name": "违规停车劝导",
        "parent": str(parking.pk),
        "default_department": str(department.pk),
        "self_handle_allowed": "on",
        "verification_required": "on",
        "filing_condition": "机动车违停",
        "closing_condition": "车辆已驶离",
        "sort_order": "10",
        "is_active": "on",
        **inline_management(total=2),
        "time_limits-0-urgency": "normal",
        "time_limits-0-stage": "handle",
        "time_limits-0-amount": "1",
        "time_limits-0-unit": "working_days",
        "time_limits-1-urgency": "urgent",
        "time_limits-1-stage": "handle",
        "time_limits-1-amount": "2",
        "time_limits-1-unit": "working_hours",
    }

    response = admin_client.post(reverse("admin:categories_category_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    minor = Category.objects.get(code="parking.minor")
    assert minor.self_handle_allowed and minor.default_department == department
    assert CategoryTimeLimit.objects.filter(category=minor).count() == 2
    actions = list(AuditEvent.objects.filter(object_id=str(minor.pk)).values_list("action", flat=True))
    assert "categories.category_create" in actions
    assert all(event.actor is not None for event in AuditEvent.objects.filter(object_id=str(minor.pk)))


def test_a_change_that_breaks_the_rules_is_shown_on_the_form(admin_client):
    data = {
        "code": "parking",
        "name": "交通秩序",
        "parent": "",
        "default_department": "",
        "self_handle_allowed": "on",
        "verification_required": "on",
        "filing_condition": "",
        "closing_condition": "",
        "sort_order": "10",
        "is_active": "on",
        **inline_management(),
    }
    response = admin_client.post(reverse("admin:categories_category_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Category.objects.exists()


def test_removing_a_time_limit_in_the_admin_replaces_the_set(admin_client):
    parking, _ = category_save(actor=None, code="parking", name="交通秩序")
    minor, _ = category_save(
        actor=None,
        code="parking.minor",
        name="违规停车劝导",
        parent=parking,
        time_limits=[("normal", "handle", 1, "working_days"), ("urgent", "handle", 2, "working_hours")],
    )
    limits = list(minor.time_limits.order_by("urgency"))
    data = {
        "name": "违规停车劝导",
        "default_department": "",
        "verification_required": "on",
        "filing_condition": "",
        "closing_condition": "",
        "sort_order": "0",
        "is_active": "on",
        **inline_management(total=2, initial=2),
    }
    for index, limit in enumerate(limits):
        data |= {
            f"time_limits-{index}-id": str(limit.pk),
            f"time_limits-{index}-category": str(minor.pk),
            f"time_limits-{index}-urgency": limit.urgency,
            f"time_limits-{index}-stage": limit.stage,
            f"time_limits-{index}-amount": str(limit.amount),
            f"time_limits-{index}-unit": limit.unit,
        }
    data["time_limits-1-DELETE"] = "on"

    response = admin_client.post(reverse("admin:categories_category_change", args=[minor.pk]), data)

    assert response.status_code == 302
    assert list(minor.time_limits.values_list("urgency", flat=True)) == ["normal"]
    event = AuditEvent.objects.order_by("id").last()
    assert event.action == "categories.category_update"
    assert event.data["changed"] == {"time_limits": [["normal", "handle", 1, "working_days"]]}


def test_categories_cannot_be_deleted_in_the_admin_only_deactivated(admin_client):
    parking, _ = category_save(actor=None, code="parking", name="交通秩序")
    response = admin_client.post(
        reverse("admin:categories_category_changelist"),
        {"action": "deactivate", "_selected_action": [str(parking.pk)]},
    )
    assert response.status_code == 302
    parking.refresh_from_db()
    assert not parking.is_active
    assert admin_client.get(reverse("admin:categories_category_delete", args=[parking.pk])).status_code == 403


def test_time_limits_on_a_major_class_are_refused_on_the_form(admin_client):
    data = {
        "code": "parking",
        "name": "交通秩序",
        "parent": "",
        "default_department": "",
        "verification_required": "on",
        "filing_condition": "",
        "closing_condition": "",
        "sort_order": "10",
        "is_active": "on",
        **inline_management(total=1),
        "time_limits-0-urgency": "normal",
        "time_limits-0-stage": "handle",
        "time_limits-0-amount": "1",
        "time_limits-0-unit": "working_days",
    }
    response = admin_client.post(reverse("admin:categories_category_add"), data)
    assert response.status_code == 200
    assert not Category.objects.exists()


def test_the_change_pages_of_a_major_and_a_minor_class_open(admin_client):
    seed_categories(actor=None)
    major = Category.objects.get(code="parking")
    minor = Category.objects.get(code="parking.minor")
    assert admin_client.get(reverse("admin:categories_category_change", args=[major.pk])).status_code == 200
    response = admin_client.get(reverse("admin:categories_category_change", args=[minor.pk]))
    assert response.status_code == 200
    assert "time_limits-TOTAL_FORMS" in response.content.decode()
    assert admin_client.get(reverse("admin:categories_category_add")).status_code == 200
