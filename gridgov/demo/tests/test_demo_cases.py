"""The demo case history (load_demo_cases, load_demo) and the generate_cases command."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from gridgov.areas.locate import locate
from gridgov.cases import rollups
from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseRollup, CaseStage, Status
from gridgov.demo.cases import SCENARIOS, load_demo_cases
from gridgov.notify.models import Notification

COUNT = 45
# A Wednesday afternoon: the history ends here.
NOW = timezone.make_aware(dt.datetime(2026, 11, 25, 15, 20))


@pytest.fixture(scope="module")
def history(taiping: Any, django_db_blocker: Any) -> Any:
    """The demo with its case history, made once for the module (in the transaction of
    ``taiping``, rolled back after the module)."""
    with django_db_blocker.unblock():
        return load_demo_cases(count=COUNT, now=NOW, allow_production_db=True)


@pytest.fixture
def made(history: Any, db: Any) -> int:
    return int(history)


def test_it_makes_the_number_of_cases_asked_for(made):
    assert made == COUNT
    assert Case.objects.count() == COUNT
    assert len(SCENARIOS) <= COUNT  # so that every scenario is played at least once


def test_the_statistics_rollups_match_a_recount_of_the_demo(made):
    assert CaseRollup.objects.exists()
    assert rollups.check().differences == {}


def test_every_status_appears(made):
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)


def test_every_path_of_the_loop_appears_in_the_history(made):
    actions = set(CaseEvent.objects.values_list("action", flat=True))
    expected = {
        "report",
        "self_handle",
        "accept",
        "escalate",
        "register",
        "void",
        "merge",
        "dispatch",
        "acknowledge",
        "report_back",
        "return",
        "verify_pass",
        "verify_fail",
        "close",
        "request_extension",
        "approve_extension",
        "reject_extension",
        "park",
        "resume",
        "remind",
        "supervise",
        "reply_supervision",
        "reopen",
    }
    assert expected <= actions
    assert Case.objects.filter(self_handled=True, status=Status.CLOSED).exists()
    assert Case.objects.filter(handled_by_village=True).exists()
    assert Case.objects.filter(merged_into__isnull=False, status=Status.VOIDED).exists()


def test_each_history_is_a_chain_ending_in_the_case_status(made):
    for case in Case.objects.all():
        events = list(case.events.order_by("at", "id"))
        assert events[0].action == "report" and events[0].from_status == ""
        assert events[0].at == case.reported_at
        previous = ""
        for event in events:
            assert event.from_status == previous, (case.number, event.action)
            previous = event.to_status
            assert event.at <= NOW
        assert previous == case.status, case.number


def test_counters_match_the_events(made):
    pairs = {
        "rework_count": "verify_fail",
        "return_count": "return",
        "reopen_count": "reopen",
        "extension_count": "approve_extension",
        "reminder_count": "remind",
        "supervision_count": "supervise",
    }
    for case in Case.objects.annotate(n=Count("events")):
        counts = dict(case.events.values_list("action").annotate(n=Count("id")))
        for field, action in pairs.items():
            assert getattr(case, field) == counts.get(action, 0), (case.number, field)


def test_finished_cases_have_no_running_stage_and_open_ones_have_one(made):
    for case in Case.objects.all():
        running = case.stages.filter(ended_at__isnull=True).count()
        if case.status in (Status.CLOSED, Status.VOIDED):
            assert running == 0, case.number
        elif case.status in OPEN_STATUSES and not case.self_handled:
            assert running == 1, case.number
    assert CaseStage.objects.filter(on_time=True).exists()
    assert CaseStage.objects.filter(on_time=False).exists()  # some were late


def test_cases_lie_in_their_grid_and_in_the_last_six_months(made):
    for case in Case.objects.all():
        assert case.lat is not None and case.lng is not None
        found = locate(case.lat, case.lng)
        assert found is not None and found.id == case.grid_id, case.number
        assert NOW - dt.timedelta(days=183) <= case.reported_at <= NOW


def test_open_cases_include_fresh_and_overdue_ones(made):
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES).exclude(status=Status.PARKED)
    assert open_cases.filter(stage_deadline__lt=NOW).exists()
    assert open_cases.filter(reported_at__gte=NOW - dt.timedelta(days=3)).exists()


def test_the_old_notifications_are_marked_read(made):
    assert Notification.objects.exists()
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_a_second_load_creates_nothing(made):
    events = CaseEvent.objects.count()
    assert load_demo_cases(count=COUNT, now=NOW, allow_production_db=True) == 0
    assert Case.objects.count() == COUNT
    assert CaseEvent.objects.count() == events


def test_the_load_demo_command_leaves_existing_cases_alone(made, settings):
    settings.DEBUG = True
    out = StringIO()
    # Only the case history is in question: the rest of the demo has its own tests.
    call_command("load_demo", "--no-hotline", "--no-patrols", "--no-visits", "--weeks", "1", stdout=out)
    assert "Cases already exist: no demo cases added." in out.getvalue()
    assert Case.objects.count() == COUNT


def test_generate_cases_makes_cases_through_the_services(made, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("generate_cases", "20", "--batch", "7", "--seed", "3", stdout=out)
    assert "Created 20 cases" in out.getvalue()
    assert Case.objects.count() == COUNT + 20
    newest = Case.objects.order_by("-id")[:20]
    assert all(case.events.filter(action="report").exists() for case in newest)


def test_generate_cases_refuses_a_production_database(made, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development or bench database"):
        call_command("generate_cases", "5", stdout=StringIO())
    assert Case.objects.count() == COUNT
    call_command("generate_cases", "2", "--allow-production-db", stdout=StringIO())
    assert Case.objects.count() == COUNT + 2
