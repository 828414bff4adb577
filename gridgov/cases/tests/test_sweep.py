"""Stage deadlines on the working calendar, the 80 % point, the sweep's warnings and overdue
notices, frozen on-time flags, parking and extensions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov.cases import services
from gridgov.cases.deadlines import light
from gridgov.cases.models import Case, CaseEvent, CaseStage, Light
from gridgov.notify.models import Notification
from gridgov.workcalendar import calendar

from .loop_helpers import act, grid_point, jpeg, report

CST = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0, month: int = 5) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, minute, tzinfo=CST)


MONDAY = 13  # 2024-05-13: this week and the next are ordinary working weeks


def notified(case: Case, kind: str) -> set[str]:
    rows = Notification.objects.filter(object_id=str(case.pk), kind=kind)
    return set(rows.values_list("recipient__username", flat=True))


def test_a_friday_evening_report_before_a_holiday_is_due_after_it(people: dict[str, Any]) -> None:
    # Dragon Boat Festival 2024: Saturday 8 June to Monday 10 June are days off.
    assert calendar.is_workday(dt.date(2024, 6, 7)) and not calendar.is_workday(dt.date(2024, 6, 10))
    case = report(people, at=at(7, 17, 15, month=6))
    # Registering may take 30 working minutes: 15 on Friday, 15 on Tuesday morning.
    assert case.stage == "register"
    assert case.stage_deadline == at(11, 8, 45, month=6)
    # 80 % is 24 working minutes: 15 on Friday and 9 on Tuesday.
    assert case.stage_warn_at == at(11, 8, 39, month=6)
    assert case.next_alert_at == case.stage_warn_at
    stage = CaseStage.objects.get(case=case)
    assert (stage.deadline, stage.warn_at, stage.limit_amount, stage.limit_unit) == (
        case.stage_deadline,
        case.stage_warn_at,
        30,
        "working_minutes",
    )
    # Nothing is due over the holiday.
    assert services.sweep_due(at(10, 12, month=6)) == {"warnings": 0, "overdue": 0}


def test_calendar_time_limits_run_through_the_night(people: dict[str, Any]) -> None:
    # An urgent fire-lane case must be registered within 10 calendar minutes, day or night.
    case = report(people, category="parking.fire_lane", urgency="urgent", at=at(18, 23, 55))
    assert case.stage_deadline == at(19, 0, 5)
    assert case.stage_warn_at == at(19, 0, 3)


def test_the_sweep_sends_one_warning_then_one_overdue_notice(people: dict[str, Any]) -> None:
    case = report(people, at=at(MONDAY, 9))
    assert (case.stage_warn_at, case.stage_deadline) == (at(MONDAY, 9, 24), at(MONDAY, 9, 30))

    assert services.sweep_due(at(MONDAY, 9, 10)) == {"warnings": 0, "overdue": 0}
    assert light(case.stage_deadline, case.stage_warn_at, at(MONDAY, 9, 10)) == Light.GREEN

    assert services.sweep_due(at(MONDAY, 9, 25)) == {"warnings": 1, "overdue": 0}
    # A reported case waits for the village's grid leader and the center.
    assert {"gridlead01", "center01"} <= notified(case, "case.warning")
    assert not notified(case, "case.warning") & {"grid01", "grid02", "dept01", "dept02", "leader01"}
    assert services.sweep_due(at(MONDAY, 9, 26)) == {"warnings": 0, "overdue": 0}
    case.refresh_from_db()
    assert case.next_alert_at == case.stage_deadline
    assert light(case.stage_deadline, case.stage_warn_at, at(MONDAY, 9, 26)) == Light.YELLOW

    assert services.sweep_due(at(MONDAY, 9, 31)) == {"warnings": 0, "overdue": 1}
    assert {"gridlead01", "center01"} <= notified(case, "case.overdue")
    warnings = Notification.objects.filter(kind="case.warning", object_id=str(case.pk)).count()
    overdue = Notification.objects.filter(kind="case.overdue", object_id=str(case.pk)).count()
    assert services.sweep_due(at(MONDAY, 16)) == {"warnings": 0, "overdue": 0}
    assert Notification.objects.filter(kind="case.warning", object_id=str(case.pk)).count() == warnings
    assert Notification.objects.filter(kind="case.overdue", object_id=str(case.pk)).count() == overdue

    events = list(CaseEvent.objects.filter(case=case).values_list("action", "from_status", "to_status", "at"))
    assert events[1:] == [
        ("deadline_warning", "reported", "reported", at(MONDAY, 9, 25)),
        ("overdue", "reported", "reported", at(MONDAY, 9, 31)),
    ]
    case.refresh_from_db()
    assert case.next_alert_at is None and case.version == 1
    stage = CaseStage.objects.get(case=case)
    assert stage.warning_sent and stage.overdue_sent


def test_a_sweep_after_the_deadline_sends_only_the_overdue_notice(people: dict[str, Any]) -> None:
    case = report(people, at=at(MONDAY, 9))
    assert services.sweep_due(at(MONDAY, 11)) == {"warnings": 0, "overdue": 1}
    assert notified(case, "case.warning") == set()
    assert services.sweep_due(at(MONDAY, 12)) == {"warnings": 0, "overdue": 0}


def test_many_cases_crossing_at_once_reach_the_center_as_one_digest(people: dict[str, Any]) -> None:
    cases = [report(people, at=at(MONDAY, 9, minute)) for minute in (0, 1, 2)]
    assert services.sweep_due(at(MONDAY, 11)) == {"warnings": 0, "overdue": 3}
    digest = Notification.objects.filter(recipient=people["center01"], kind="case.digest")
    assert digest.count() == 1
    assert digest.get().url == "/cases/?queue=overdue" and all(c.number in digest.get().body for c in cases)
    assert not Notification.objects.filter(recipient=people["center01"], kind="case.overdue").exists()
    # The village's grid leader, who must act on each report, gets one digest too.
    leader = Notification.objects.filter(recipient=people["gridlead01"]).exclude(kind="case.reported")
    assert list(leader.values_list("kind", "url")) == [("case.digest", "/cases/village/")]


def test_a_department_with_many_overdue_cases_gets_one_digest_per_sweep(people: dict[str, Any]) -> None:
    cases = [report(people, at=at(MONDAY, 9, minute)) for minute in (0, 1, 2)]
    for case in cases:
        act(people, case, "register", "center01", at=at(MONDAY, 9, 10))
        act(people, case, "dispatch", "center01", at=at(MONDAY, 9, 20))
    Notification.objects.all().delete()
    # Acknowledging may take one working hour: all three are overdue by 10:30.
    assert services.sweep_due(at(MONDAY, 10, 30)) == {"warnings": 0, "overdue": 3}
    received = Notification.objects.filter(recipient=people["dept01"])
    assert list(received.values_list("kind", "url")) == [("case.digest", "/cases/department/?light=red")]
    assert all(case.number in received.get().body for case in cases)
    assert Notification.objects.filter(recipient=people["center01"]).count() == 1
    # A single case still comes as its own notice.
    lone = report(people, at=at(MONDAY, 13))
    services.sweep_due(at(MONDAY, 15))
    assert "gridlead01" in notified(lone, "case.overdue")


def test_each_stage_gets_its_own_alerts(people: dict[str, Any]) -> None:
    case = report(people, at=at(MONDAY, 9))
    services.sweep_due(at(MONDAY, 9, 40))  # the register stage is overdue
    act(people, case, "register", "center01", at=at(MONDAY, 9, 45))
    act(people, case, "dispatch", "center01", at=at(MONDAY, 9, 50))
    # Acknowledging may take one working hour: warning at 10:38, deadline 10:50.
    assert services.sweep_due(at(MONDAY, 10, 40)) == {"warnings": 1, "overdue": 0}
    assert "dept01" in notified(case, "case.warning")
    assert services.sweep_due(at(MONDAY, 10, 51)) == {"warnings": 0, "overdue": 1}
    assert {"dept01", "center01"} <= notified(case, "case.overdue")


def test_an_ending_stage_freezes_whether_it_was_on_time(people: dict[str, Any]) -> None:
    case = report(people, at=at(MONDAY, 9))
    act(people, case, "register", "center01", at=at(MONDAY, 9, 20))  # within 30 working minutes
    act(people, case, "dispatch", "center01", at=at(MONDAY, 14))  # the dispatch stage ended 09:50
    act(people, case, "acknowledge", "dept01", at=at(MONDAY, 14, 30))
    stages = list(CaseStage.objects.filter(case=case).values_list("stage", "on_time", "department__code"))
    assert stages == [
        ("register", True, None),
        ("dispatch", False, None),
        ("acknowledge", True, "traffic_police"),
        ("handle", None, "traffic_police"),
    ]
    # What happens later does not change a frozen flag.
    services.sweep_due(at(MONDAY + 14, 9))
    assert list(CaseStage.objects.filter(case=case).values_list("on_time", flat=True))[:3] == [True, False, True]


def test_parking_stops_the_clock_and_resuming_shifts_the_deadline(people: dict[str, Any]) -> None:
    case = report(people, at=at(MONDAY, 8, 30))
    case = act(people, case, "register", "center01", at=at(MONDAY, 9))
    assert (case.stage_warn_at, case.stage_deadline) == (at(MONDAY, 9, 24), at(MONDAY, 9, 30))
    case = act(people, case, "park", "center01", at=at(MONDAY, 9, 10))
    assert case.stage_deadline is None and case.next_alert_at is None
    assert services.sweep_due(at(MONDAY, 11)) == {"warnings": 0, "overdue": 0}
    # 200 working minutes passed while parked (09:10–12:00 and 13:30–14:00): the deadline moves
    # by as much, leaving the 20 minutes that were left.
    case = act(people, case, "resume", "center01", at=at(MONDAY, 14))
    assert case.status == "registered"
    assert case.stage_deadline == at(MONDAY, 14, 20)
    assert case.stage_warn_at == at(MONDAY, 14, 14)
    assert case.next_alert_at == case.stage_warn_at
    stage = CaseStage.objects.get(case=case, ended_at__isnull=True)
    assert stage.stage == "dispatch" and stage.deadline == case.stage_deadline
    assert stage.paused_minutes == 290  # calendar minutes parked
    assert services.sweep_due(at(MONDAY, 14, 15)) == {"warnings": 1, "overdue": 0}


def test_approving_an_extension_moves_the_deadline_and_rearms_the_alerts(people: dict[str, Any]) -> None:
    case = report(people, at=at(MONDAY, 8, 30))
    act(people, case, "register", "center01", at=at(MONDAY, 8, 35))
    act(people, case, "dispatch", "center01", at=at(MONDAY, 8, 40))
    case = act(people, case, "acknowledge", "dept01", at=at(MONDAY, 9))
    # Handling may take five working days: Monday 09:00 → next Monday 09:00; 80 % (1,800 of
    # 2,250 working minutes) is reached on Friday at 09:00.
    assert case.stage == "handle" and case.stage_deadline == at(MONDAY + 7, 9)
    assert case.stage_warn_at == at(MONDAY + 4, 9)
    assert services.sweep_due(at(MONDAY + 4, 10)) == {"warnings": 1, "overdue": 0}

    case = act(people, case, "request_extension", "dept01", days=2, at=at(MONDAY + 4, 10, 30))
    assert case.pending_extension is not None and case.stage_deadline == at(MONDAY + 7, 9)
    case = act(people, case, "approve_extension", "center01", at=at(MONDAY + 4, 11))
    assert case.pending_extension is None and case.extension_count == 1
    assert case.stage_deadline == at(MONDAY + 9, 9)  # two more working days
    stage = CaseStage.objects.get(case=case, ended_at__isnull=True)
    assert stage.extended and stage.deadline == case.stage_deadline
    # 80 % of seven working days from Monday 09:00 is the next Monday at 15:00: re-armed.
    assert case.stage_warn_at == at(MONDAY + 7, 15)
    assert not stage.warning_sent and case.next_alert_at == case.stage_warn_at
    assert services.sweep_due(at(MONDAY + 7, 14)) == {"warnings": 0, "overdue": 0}
    assert services.sweep_due(at(MONDAY + 7, 15, 1)) == {"warnings": 1, "overdue": 0}
    assert services.sweep_due(at(MONDAY + 8, 10)) == {"warnings": 0, "overdue": 0}
    assert services.sweep_due(at(MONDAY + 9, 10)) == {"warnings": 0, "overdue": 1}
    assert notified(case, "case.approve_extension") == {"dept01"}


def test_an_extension_request_after_the_deadline_is_refused(people: dict[str, Any]) -> None:
    case = report(people, at=at(MONDAY, 8, 30))
    act(people, case, "register", "center01", at=at(MONDAY, 8, 35))
    act(people, case, "dispatch", "center01", at=at(MONDAY, 8, 40))
    act(people, case, "acknowledge", "dept01", at=at(MONDAY, 9))
    with pytest.raises(services.CaseConflict) as caught:
        act(people, case, "request_extension", "dept01", days=2, at=at(MONDAY + 8, 9))
    assert caught.value.code == "extension_not_allowed"


def test_a_pending_extension_is_dropped_when_its_stage_ends(people: dict[str, Any]) -> None:
    case = report(people, at=at(MONDAY, 8, 30))
    act(people, case, "register", "center01", at=at(MONDAY, 8, 35))
    act(people, case, "dispatch", "center01", at=at(MONDAY, 8, 40))
    act(people, case, "acknowledge", "dept01", at=at(MONDAY, 9))
    act(people, case, "request_extension", "dept01", days=2, at=at(MONDAY, 10))
    case = act(people, case, "report_back", "dept01", result="已拖走", at=at(MONDAY, 11))
    assert case.pending_extension is None
    case = act(people, case, "verify_fail", "grid01", at=at(MONDAY, 11, 30))
    # The old request cannot extend the rework stage.
    with pytest.raises(services.CaseConflict):
        act(people, case, "approve_extension", "center01", at=at(MONDAY, 12))


def test_the_sweep_reads_only_due_rows(people: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    first = report(people, at=at(MONDAY, 9))
    cases = [report(people, at=at(MONDAY, 9, 5 + i)) for i in range(30)]
    # Nothing has reached its 80 % point: one indexed read, whatever the number of open cases.
    with django_assert_max_num_queries(1):
        assert services.sweep_due(at(MONDAY, 9, 20)) == {"warnings": 0, "overdue": 0}
    untouched = {c.pk: c.updated_at for c in Case.objects.exclude(pk=first.pk)}
    assert services.sweep_due(at(MONDAY, 9, 26)) == {"warnings": 1, "overdue": 0}
    assert {c.pk: c.updated_at for c in Case.objects.exclude(pk=first.pk)} == untouched
    assert len(cases) == 30


def test_a_self_handled_case_has_no_deadline(people: dict[str, Any]) -> None:
    lat, lng = grid_point(people["grid01"])
    case, _created = services.case_create(
        actor=people["grid01"],
        category="parking.minor",
        description="劝离违停车辆",
        lat=lat,
        lng=lng,
        self_handle=True,
        photos_in=[services.Photo(jpeg((1, 2, 3)), "before"), services.Photo(jpeg((3, 2, 1)), "after")],
        at=at(MONDAY, 9),
    )
    assert case.status == "closed" and case.self_handled and case.closed_at == at(MONDAY, 9)
    assert case.stage_deadline is None and case.next_alert_at is None
    assert not CaseStage.objects.filter(case=case).exists()
    assert services.sweep_due(at(28, 9, month=6)) == {"warnings": 0, "overdue": 0}
