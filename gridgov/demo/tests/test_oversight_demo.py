"""The demo's discipline oversight loads through the services and gives the console believable
figures."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.cases.models import Case, CaseEvent, CaseStage, Status
from gridgov.demo.cases import load_demo_cases
from gridgov.demo.hotline import load_demo_hotline
from gridgov.demo.notice import load_demo_notice
from gridgov.demo.oversight import LateRecord, late_record, load_demo_oversight, reminder_talk_reason
from gridgov.demo.taiping import TOWN_CODE
from gridgov.notice.models import ConductComplaint, PublicReport
from gridgov.oversight import selectors
from gridgov.oversight.models import Accountability, SupervisionNotice, SupervisionStatus
from gridgov.people.models import Role, RoleAssignment

pytestmark = pytest.mark.django_db


def test_the_demo_oversight(people: dict[str, Any]) -> None:
    assert load_demo_oversight(allow_production_db=True) == 0  # no cases yet
    load_demo_cases(count=60, allow_production_db=True)
    load_demo_hotline(count=40, allow_production_db=True)
    load_demo_notice(allow_production_db=True, reports=True)
    assert load_demo_oversight(allow_production_db=True) > 0
    assert load_demo_oversight(allow_production_db=True) == 0
    statuses = sorted(SupervisionNotice.objects.values_list("status", flat=True))
    assert statuses == [SupervisionStatus.ANSWERED, SupervisionStatus.ISSUED]
    assert Accountability.objects.count() >= 1
    assert all(record.cases.exists() for record in Accountability.objects.all())
    assert set(ConductComplaint.objects.values_list("status", flat=True)) == {"received", "investigating", "concluded"}
    office = get_user_model().objects.get(username="super01")
    figures = {
        f.rule.code: f.count for f in selectors.figures(selectors.context_for(office, selectors.office_town(office)))
    }
    assert figures["overdue_supervision"] == 1
    assert figures["bulk_reveals"] == 1 and figures["data_access"] >= 1
    assert figures["overdue_cases"] > 0 and figures["reworked_cases"] > 0


# --- What the records say is what the cases show, and the steps take time ----------------------


@pytest.fixture(scope="module")
def history(taiping: Any, django_db_blocker: Any) -> dt.datetime:
    """A larger demo with its oversight, made once for these tests (rolled back after the module)."""
    with django_db_blocker.unblock():
        load_demo_cases(count=120, allow_production_db=True)
        load_demo_hotline(count=40, allow_production_db=True)
        load_demo_notice(allow_production_db=True, reports=True)
        now = timezone.now()
        assert load_demo_oversight(allow_production_db=True, now=now) > 0
        return now


@pytest.fixture
def loaded(history: dt.datetime, db: Any) -> dt.datetime:
    return history


def test_a_reminder_talk_cites_cases_its_department_had_late_and_says_no_more_than_they_show(
    loaded: dt.datetime,
) -> None:
    talk = Accountability.objects.filter(kind="reminder_talk").select_related("target_user").get()
    assert talk.decided_at < loaded and talk.target_user is not None
    department = RoleAssignment.objects.get(user=talk.target_user, role=Role.DEPARTMENT_HANDLER).department_id
    assert department is not None
    record = late_record(department, talk.decided_at, Area.objects.get(code=TOWN_CODE))
    cited = sorted(talk.cases.values_list("number", flat=True))
    assert cited and set(cited) <= set(record.late)
    for case in talk.cases.all():
        # A stage of the department ended late, or was past its deadline, when the office decided.
        stages = CaseStage.objects.filter(case=case, department_id=department, deadline__lt=talk.decided_at)
        assert any(
            s.ended_at is None
            or s.ended_at > talk.decided_at
            or (s.on_time is False and s.deadline is not None and s.ended_at > s.deadline)
            for s in stages
        ), case.number
        assert case.status != Status.DISPATCHED or (
            case.stage_deadline is not None and case.stage_deadline < talk.decided_at
        )
    if "督办" in talk.reason:
        assert set(cited) <= set(record.supervised)
        assert all(
            CaseEvent.objects.filter(case__number=n, action="supervise", at__lte=talk.decided_at).exists()
            for n in cited
        )
    assert ("多次" in talk.reason) == (len(record.supervised if "督办" in talk.reason else record.late) > 1)


def test_a_criticism_for_rework_goes_to_whoever_handled_the_cases(loaded: dt.datetime) -> None:
    # A village was criticised for reworked cases that 城管 and 交警 led.
    assert Accountability.objects.filter(kind="criticism").exists()
    for decision in Accountability.objects.filter(kind="criticism"):
        cases = list(decision.cases.all())
        assert cases and all(case.rework_count > 0 for case in cases)
        if decision.target_village_id is not None:
            assert all(case.handled_by_village for case in cases)
        else:
            assert all(case.lead_department_id == decision.target_department_id for case in cases)


def test_the_wording_of_a_reminder_talk_follows_the_record() -> None:
    reason, cited = reminder_talk_reason(LateRecord(1, ["A", "B", "C", "D"], ["B", "C"]))
    assert "督办" in reason and "多次" in reason and cited == ["B", "C"]
    reason, cited = reminder_talk_reason(LateRecord(1, ["A", "B"], []))
    assert "督办" not in reason and "多次" in reason and cited == ["A", "B"]
    reason, cited = reminder_talk_reason(LateRecord(1, ["A"], []))
    assert "督办" not in reason and "多次" not in reason and cited == ["A"]


def test_the_oversight_steps_happened_before_the_load_and_each_took_time(loaded: dt.datetime) -> None:
    minute = dt.timedelta(minutes=1)
    for notice in SupervisionNotice.objects.all():
        assert notice.issued_at < loaded - minute
        if notice.answered_at is not None:
            assert notice.issued_at + 10 * minute <= notice.answered_at < loaded
    for complaint in ConductComplaint.objects.all():
        events = list(complaint.events.order_by("at", "id"))
        assert events[0].at == complaint.received_at < loaded - dt.timedelta(hours=6)
        for before, after in pairwise(events):
            assert after.at - before.at >= dt.timedelta(hours=1), (before.action, after.action)
        assert events[-1].at < loaded
    for decision in Accountability.objects.all():
        assert decision.decided_at < loaded - dt.timedelta(hours=1)
        assert all(case.reported_at < decision.decided_at for case in decision.cases.all())
    # The residents' reports: received before the load, registered or voided later.
    for case in Case.objects.filter(pk__in=PublicReport.objects.values("case_id")):
        steps = list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("at", flat=True))
        assert steps[0] < loaded
        assert all(later - steps[0] >= 10 * minute for later in steps[1:])
