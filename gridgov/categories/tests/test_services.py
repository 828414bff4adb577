"""category_save and category_deactivate: validation, idempotency, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gridgov.categories.models import Category, CategoryTimeLimit
from gridgov.categories.services import category_deactivate, category_save
from gridgov.core.models import AuditEvent
from gridgov.people.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

LIMITS = [
    ("normal", "register", 30, "working_minutes"),
    ("normal", "handle", 3, "working_days"),
    ("urgent", "handle", 4, "working_hours"),
]


def make_major(code: str = "parking", name: str = "交通秩序") -> Category:
    category, _changed = category_save(actor=None, code=code, name=name)
    return category


def test_a_major_and_a_minor_class_are_created_with_an_audit_row_each():
    department = DepartmentFactory(code="traffic_police")
    major = make_major()
    minor, changed = category_save(
        actor=None,
        code="parking.minor",
        name="违规停车劝导",
        parent=major,
        default_department=department,
        self_handle_allowed=True,
        time_limits=LIMITS,
    )
    assert changed
    assert minor.parent == major and minor.default_department == department and minor.self_handle_allowed
    assert minor.time_limits.count() == 3
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["categories.category_create", "categories.category_create"]
    assert AuditEvent.objects.order_by("id").last().data["changed"]["default_department"] == "traffic_police"


def test_saving_the_same_values_again_writes_nothing():
    major = make_major()
    category_save(actor=None, code="parking.minor", name="违规停车劝导", parent=major, time_limits=LIMITS)
    before = AuditEvent.objects.count()
    limit_ids = set(CategoryTimeLimit.objects.values_list("pk", flat=True))

    _category, changed = category_save(
        actor=None, code="parking.minor", name="违规停车劝导", parent=major, time_limits=list(reversed(LIMITS))
    )

    assert not changed
    assert AuditEvent.objects.count() == before
    assert set(CategoryTimeLimit.objects.values_list("pk", flat=True)) == limit_ids


def test_an_update_changes_the_fields_and_records_what_changed():
    major = make_major()
    category_save(actor=None, code="parking.minor", name="违规停车", parent=major)

    category, changed = category_save(
        actor=None, code="parking.minor", name="违规停车劝导", parent=major, verification_required=False
    )

    assert changed
    category.refresh_from_db()
    assert category.name == "违规停车劝导" and not category.verification_required
    event = AuditEvent.objects.order_by("id").last()
    assert event.action == "categories.category_update"
    assert event.data["changed"] == {"name": "违规停车劝导", "verification_required": False}


def test_time_limits_are_replaced_by_a_new_list_and_kept_when_none_is_given():
    major = make_major()
    category_save(actor=None, code="parking.minor", name="违规停车劝导", parent=major, time_limits=LIMITS)

    category_save(actor=None, code="parking.minor", name="违规停车劝导", parent=major)
    assert CategoryTimeLimit.objects.count() == 3

    category, changed = category_save(
        actor=None,
        code="parking.minor",
        name="违规停车劝导",
        parent=major,
        time_limits=[("normal", "handle", 1, "working_days")],
    )
    assert changed
    assert list(category.time_limits.values_list("urgency", "stage", "amount", "unit")) == [
        ("normal", "handle", 1, "working_days")
    ]


@pytest.mark.parametrize(
    ("code", "parent_code"),
    [
        ("Parking", None),
        ("parking.minor", None),
        ("traffic.minor", "parking"),
        ("parking.", "parking"),
        ("parking.Minor", "parking"),
        ("parking.minor.more", "parking"),
    ],
)
def test_codes_that_do_not_follow_the_dotted_scheme_are_refused(code, parent_code):
    parent = make_major() if parent_code else None
    with pytest.raises(ValidationError):
        category_save(actor=None, code=code, name="x", parent=parent)
    assert not Category.objects.filter(code=code).exists()


def test_a_minor_class_cannot_hang_under_another_minor_class():
    major = make_major()
    minor, _ = category_save(actor=None, code="parking.minor", name="违规停车劝导", parent=major)
    with pytest.raises(ValidationError) as excinfo:
        category_save(actor=None, code="parking.minor.x", name="x", parent=minor)
    assert "parent" in excinfo.value.message_dict


@pytest.mark.parametrize(
    "fields",
    [
        {"self_handle_allowed": True},
        {"verification_required": False},
        {"filing_condition": "有"},
        {"time_limits": LIMITS},
    ],
)
def test_a_major_class_carries_no_flags_conditions_or_time_limits(fields):
    with pytest.raises(ValidationError):
        category_save(actor=None, code="parking", name="交通秩序", **fields)
    assert not Category.objects.exists()


def test_a_major_class_has_no_default_department():
    with pytest.raises(ValidationError):
        category_save(actor=None, code="parking", name="交通秩序", default_department=DepartmentFactory())


@pytest.mark.parametrize(
    "limit",
    [
        ("soon", "handle", 1, "working_days"),
        ("normal", "lunch", 1, "working_days"),
        ("normal", "handle", 1, "fortnights"),
        ("normal", "handle", 0, "working_days"),
        ("normal", "handle", -2, "working_days"),
        ("normal", "handle", 1.5, "working_days"),
        ("normal", "handle", 1),
    ],
)
def test_invalid_time_limits_are_refused_and_nothing_is_written(limit):
    major = make_major()
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        category_save(actor=None, code="parking.minor", name="违规停车劝导", parent=major, time_limits=[limit])
    assert not Category.objects.filter(code="parking.minor").exists()
    assert AuditEvent.objects.count() == before


def test_two_time_limits_for_the_same_urgency_and_stage_are_refused():
    major = make_major()
    with pytest.raises(ValidationError):
        category_save(
            actor=None,
            code="parking.minor",
            name="违规停车劝导",
            parent=major,
            time_limits=[("normal", "handle", 1, "working_days"), ("normal", "handle", 2, "working_days")],
        )


def test_an_empty_name_is_refused():
    with pytest.raises(ValidationError):
        category_save(actor=None, code="parking", name="  ")


def test_deactivating_a_major_class_deactivates_its_minor_classes():
    major = make_major()
    category_save(actor=None, code="parking.minor", name="违规停车劝导", parent=major)
    category_save(actor=None, code="parking.long_term", name="长时间占用道路停车", parent=major)

    category_deactivate(actor=None, category=major)

    assert not Category.objects.filter(is_active=True).exists()
    event = AuditEvent.objects.order_by("id").last()
    assert event.action == "categories.category_deactivate"
    assert event.data["children"] == ["parking.long_term", "parking.minor"]


def test_deactivating_an_inactive_category_writes_nothing():
    major = make_major()
    category_deactivate(actor=None, category=major)
    before = AuditEvent.objects.count()
    category_deactivate(actor=None, category=major)
    assert AuditEvent.objects.count() == before


def test_a_minor_class_under_an_inactive_major_class_cannot_be_active():
    major = make_major()
    category_deactivate(actor=None, category=major)
    major.refresh_from_db()
    with pytest.raises(ValidationError):
        category_save(actor=None, code="parking.minor", name="违规停车劝导", parent=major)
    minor, _ = category_save(actor=None, code="parking.minor", name="违规停车劝导", parent=major, is_active=False)
    assert not minor.is_active


def test_a_category_cannot_move_to_another_major_class_by_a_save():
    parking = make_major()
    category_save(actor=None, code="parking.minor", name="违规停车劝导", parent=parking)
    other = make_major("appearance", "市容环境")
    with pytest.raises(ValidationError):
        category_save(actor=None, code="parking.minor", name="违规停车劝导", parent=other)
