"""The seed classification and the seed_categories command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from gridgov.categories.models import Category, CategoryTimeLimit, Stage, Urgency
from gridgov.categories.seed import SEED, SEED_DEPARTMENT_CODES, SEED_DEPARTMENTS, seed_categories
from gridgov.categories.services import category_save
from gridgov.core.models import AuditEvent
from gridgov.people.models import DepartmentKind
from gridgov.people.tests.factories import DepartmentFactory


def test_the_seed_has_the_eight_major_classes_with_four_to_eight_minor_classes_each():
    assert len(SEED) == 8
    assert len({major.code for major in SEED}) == 8
    for major in SEED:
        assert 4 <= len(major.minors) <= 8, major.code
        assert len({minor.slug for minor in major.minors}) == len(major.minors)


def test_every_seed_minor_class_names_a_listed_department_and_has_conditions():
    for major in SEED:
        for minor in major.minors:
            assert minor.department in SEED_DEPARTMENT_CODES, minor.slug
            assert minor.filing and minor.closing, minor.slug


def test_seed_departments_have_unique_codes_and_known_kinds():
    assert len(SEED_DEPARTMENT_CODES) == len(SEED_DEPARTMENTS)
    assert {department.kind for department in SEED_DEPARTMENTS} <= set(DepartmentKind.values)
    assert {"traffic_police", "urban_mgmt"} <= SEED_DEPARTMENT_CODES


def test_every_seed_minor_class_has_a_limit_for_each_stage_and_urgency():
    for major in SEED:
        for minor in major.minors:
            keys = {(urgency, stage) for urgency, stage, _amount, _unit in minor.limits}
            assert keys == {(u, s) for u in Urgency.values for s in Stage.values}, minor.slug


@pytest.mark.django_db
def test_seeding_creates_all_categories_with_their_time_limits():
    report = seed_categories(actor=None)

    minors = sum(len(major.minors) for major in SEED)
    assert report.created == 8 + minors
    assert Category.objects.majors().count() == 8
    assert Category.objects.minors().count() == minors
    assert CategoryTimeLimit.objects.count() == minors * 10
    assert set(report.missing_departments) <= SEED_DEPARTMENT_CODES


@pytest.mark.django_db
def test_parking_minor_may_be_self_handled_and_long_term_parking_goes_to_the_traffic_police():
    traffic_police = DepartmentFactory(code="traffic_police", name="交警太平中队", kind=DepartmentKind.OUTSIDE_BODY)
    seed_categories(actor=None)

    minor = Category.objects.get(code="parking.minor")
    long_term = Category.objects.get(code="parking.long_term")
    assert minor.name == "违规停车劝导" and minor.self_handle_allowed
    assert long_term.name == "长时间占用道路停车" and not long_term.self_handle_allowed
    assert long_term.default_department == traffic_police
    assert minor.parent == long_term.parent == Category.objects.get(code="parking")


@pytest.mark.django_db
def test_urgent_hazards_run_on_calendar_time():
    seed_categories(actor=None)
    limit = CategoryTimeLimit.objects.get(category__code="safety.gas_leak", urgency="urgent", stage="handle")
    assert limit.unit.startswith("calendar_")


@pytest.mark.django_db
def test_a_missing_department_leaves_the_default_department_empty_and_is_reported():
    report = seed_categories(actor=None)
    assert Category.objects.get(code="parking.long_term").default_department is None
    assert "traffic_police" in report.missing_departments


@pytest.mark.django_db
def test_seed_department_codes_can_be_mapped_to_the_installations_codes():
    local = DepartmentFactory(code="jj_taiping")
    seed_categories(actor=None, department_codes={"traffic_police": "jj_taiping"})
    assert Category.objects.get(code="parking.long_term").default_department == local


@pytest.mark.django_db
def test_seeding_twice_changes_nothing():
    seed_categories(actor=None)
    before = AuditEvent.objects.count()
    limits = set(CategoryTimeLimit.objects.values_list("pk", flat=True))

    report = seed_categories(actor=None)

    assert report.created == report.updated == 0
    assert AuditEvent.objects.count() == before
    assert set(CategoryTimeLimit.objects.values_list("pk", flat=True)) == limits
    report = seed_categories(actor=None, update=True)
    assert report.created == report.updated == 0
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_admin_edits_are_kept_unless_the_seed_is_applied_with_update():
    seed_categories(actor=None)
    parking = Category.objects.get(code="parking")
    category_save(actor=None, code="parking.minor", name="停车劝导", parent=parking, time_limits=[])

    seed_categories(actor=None)
    assert Category.objects.get(code="parking.minor").name == "停车劝导"

    report = seed_categories(actor=None, update=True)
    minor = Category.objects.get(code="parking.minor")
    assert report.updated == 1
    assert minor.name == "违规停车劝导" and minor.self_handle_allowed
    assert minor.time_limits.count() == 10


@pytest.mark.django_db
def test_an_update_keeps_categories_an_admin_deactivated():
    seed_categories(actor=None)
    parking = Category.objects.get(code="parking")
    category_save(actor=None, code="parking.signal", name="交通信号灯或标志损坏", parent=parking, is_active=False)

    seed_categories(actor=None, update=True)

    assert not Category.objects.get(code="parking.signal").is_active


@pytest.mark.django_db
def test_the_command_seeds_and_lists_missing_departments():
    out = StringIO()
    call_command("seed_categories", stdout=out)
    assert "created" in out.getvalue()
    assert "traffic_police" in out.getvalue()
    assert Category.objects.count() == 8 + sum(len(major.minors) for major in SEED)

    out = StringIO()
    call_command("seed_categories", "--update", stdout=out)
    assert "created 0, updated 0" in out.getvalue()
