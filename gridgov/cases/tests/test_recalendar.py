"""Case deadlines in a provisional year, and their recomputation when the official year is loaded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from gridgov.cases import recalendar
from gridgov.cases.models import Case, CaseEvent, CaseStage, Status
from gridgov.cases.transitions import ACTION_LABELS
from gridgov.categories.models import Category, CategoryTimeLimit, Stage, Urgency
from gridgov.core.models import AuditEvent
from gridgov.workcalendar import calendar, statutory
from gridgov.workcalendar.schedule import parse_notice
from gridgov.workcalendar.services import YEAR_LOADED_HOOKS, official_year_load
from gridgov.workcalendar.tests.conftest import NOTICE_2027

from .loop_helpers import DISPATCH_BOTH, VERIFIED, act, report

pytestmark = pytest.mark.django_db


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2027) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute), timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def limits(taiping: Any, db: Any) -> Iterator[None]:
    """Acknowledge within 1 working day, handle within 3, for the tests' category; a fresh calendar."""
    category = Category.objects.get(code=VERIFIED)
    for stage, amount in ((Stage.ACKNOWLEDGE, 1), (Stage.HANDLE, 3)):
        CategoryTimeLimit.objects.update_or_create(
            category=category, urgency=Urgency.NORMAL, stage=stage, defaults={"amount": amount, "unit": "working_days"}
        )
    calendar.reset()
    yield
    calendar.reset()


def dispatched(people: dict[str, Any], when: dt.datetime) -> Case:
    """A case reported the day before ``when``, dispatched at ``when``: its acknowledge clock runs."""
    case = report(people, at=when - dt.timedelta(days=1))
    act(people, case, "register", "center01", at=when - dt.timedelta(hours=1))
    return act(people, case, "dispatch", "center01", at=when, **DISPATCH_BOTH)


def load_2027(actor: Any) -> None:
    parsed = parse_notice(NOTICE_2027, 2027)
    official_year_load(actor=actor, year=2027, holidays=parsed.holidays, workdays=parsed.workdays)


def open_stage(case: Case) -> CaseStage:
    return CaseStage.objects.get(case=case, ended_at__isnull=True)


def test_the_hook_is_registered_by_the_app():
    assert recalendar.year_loaded in YEAR_LOADED_HOOKS
    assert str(ACTION_LABELS[recalendar.DEADLINE_RECOMPUTED])


def test_an_acknowledge_deadline_across_the_provisional_2027_spring_festival_is_on_no_statutory_day(people):
    # Dispatched on Thursday Feb 4 at 16:00: 除夕 (Fri) to 初三 (Mon) are statutory holidays.
    case = dispatched(people, at(2, 4, 16))
    assert case.stage == Stage.ACKNOWLEDGE
    assert case.stage_deadline == at(2, 9, 16)
    assert timezone.localtime(case.stage_deadline).date() not in statutory.holidays(2027)
    assert timezone.localtime(case.stage_warn_at).date() not in statutory.holidays(2027)
    assert calendar.deadline_is_provisional(case.stage_deadline)


def test_loading_the_2027_notice_moves_open_deadlines_and_writes_one_line_each(people):
    admin = people["admin"]
    spring = dispatched(people, at(2, 4, 16))  # provisional Tue Feb 9; notice: Feb 5–13 off → Mon Feb 15
    swapped = dispatched(people, at(1, 29, 10))  # Fri: provisional Mon Feb 1; notice: Sun Jan 31 is worked
    march = dispatched(people, at(3, 1, 10))  # no holiday near: does not move
    handled = dispatched(people, at(2, 4, 9))
    handled = act(people, handled, "acknowledge", "dept01", at=at(2, 4, 10))  # handle: 3 days from Thu 10:00
    ended = CaseStage.objects.get(case=handled, stage=Stage.ACKNOWLEDGE)
    assert handled.stage_deadline == at(2, 11, 10)

    load_2027(admin)

    spring.refresh_from_db()
    assert spring.stage_deadline == at(2, 15, 16)
    assert open_stage(spring).deadline == spring.stage_deadline
    assert open_stage(spring).warn_at == spring.stage_warn_at == spring.next_alert_at
    assert not calendar.deadline_is_provisional(spring.stage_deadline)
    swapped.refresh_from_db()
    assert swapped.stage_deadline == at(1, 31, 10)
    handled.refresh_from_db()
    assert handled.stage_deadline == at(2, 17, 10)  # Feb 15, 16, 17
    assert CaseStage.objects.get(pk=ended.pk).deadline == ended.deadline  # an ended stage stays
    march.refresh_from_db()
    assert march.stage_deadline == at(3, 2, 10)

    lines = CaseEvent.objects.filter(action=recalendar.DEADLINE_RECOMPUTED)
    assert sorted(lines.values_list("case_id", flat=True)) == sorted([spring.pk, swapped.pk, handled.pk])
    line = lines.get(case=spring)
    assert line.actor == admin
    assert line.data == {
        "stage": Stage.ACKNOWLEDGE,
        "from": at(2, 9, 16).isoformat(),
        "to": at(2, 15, 16).isoformat(),
    }
    assert (line.from_status, line.to_status) == (Status.DISPATCHED, Status.DISPATCHED)
    audit = AuditEvent.objects.get(action="calendar.year_load")
    assert audit.actor == admin
    assert audit.data["recomputed"]["cases_checked"] == 4
    assert audit.data["recomputed"]["cases_moved"] == 3


def test_a_recomputed_deadline_is_the_one_the_official_calendar_gives_from_the_start(people):
    before = dispatched(people, at(2, 4, 16))
    load_2027(people["admin"])
    after = dispatched(people, at(2, 4, 16))
    before.refresh_from_db()
    assert (before.stage_deadline, before.stage_warn_at) == (after.stage_deadline, after.stage_warn_at)


def test_loading_the_same_notice_again_moves_nothing(people):
    dispatched(people, at(2, 4, 16))
    load_2027(people["admin"])
    load_2027(people["admin"])
    assert CaseEvent.objects.filter(action=recalendar.DEADLINE_RECOMPUTED).count() == 1
    audit = AuditEvent.objects.filter(action="calendar.year_load").latest("id")
    assert audit.data["recomputed"]["cases_moved"] == 0


def test_closed_cases_keep_their_deadlines(people):
    case = dispatched(people, at(2, 4, 9))
    for action, user, extra in [
        ("acknowledge", "dept01", {}),
        ("report_back", "dept01", {"result": "已处理"}),
        ("verify_pass", "grid01", {}),
    ]:
        case = act(people, case, action, user, at=at(2, 4, 10), **extra)
    assert case.status == Status.CLOSED
    stages = list(CaseStage.objects.filter(case=case).values_list("pk", "deadline", "warn_at", "on_time"))
    load_2027(people["admin"])
    assert list(CaseStage.objects.filter(case=case).values_list("pk", "deadline", "warn_at", "on_time")) == stages
    assert not CaseEvent.objects.filter(case=case, action=recalendar.DEADLINE_RECOMPUTED).exists()


def extended(people: dict[str, Any]) -> Case:
    case = dispatched(people, at(2, 4, 9))
    case = act(people, case, "acknowledge", "dept01", at=at(2, 4, 10))
    case = act(people, case, "request_extension", "dept01", days=2, at=at(2, 4, 11))
    return act(people, case, "approve_extension", "center01", at=at(2, 4, 12))


def paused_before_the_festival(people: dict[str, Any]) -> Case:
    """Parked over the swapped Sunday Jan 31, resumed the day before 除夕: the rest runs into the festival."""
    case = dispatched(people, at(1, 28, 10))
    case = act(people, case, "park", "center01", at=at(1, 28, 11))
    return act(people, case, "resume", "center01", at=at(2, 4, 16, 30))


def test_an_extended_stage_keeps_its_extension_in_working_days(people):
    case = extended(people)
    assert case.stage_deadline == at(2, 15, 10)  # provisional: Feb 9, 10, 11 + 2 (Feb 12, 15)
    load_2027(people["admin"])
    case.refresh_from_db()
    assert case.stage_deadline == at(2, 19, 10)  # official: Feb 15, 16, 17 + 2 (Feb 18, 19)
    assert open_stage(case).extended
    twin = extended(people)  # the same history once the notice is known
    assert (case.stage_deadline, case.stage_warn_at) == (twin.stage_deadline, twin.stage_warn_at)


def test_a_pause_is_replayed_on_the_official_calendar(people):
    case = paused_before_the_festival(people)
    before = case.stage_deadline
    load_2027(people["admin"])
    case.refresh_from_db()
    assert before == at(2, 9, 15, 30)  # 60 working minutes used; 60 left on Feb 4, 330 on Tue Feb 9
    assert case.stage_deadline == at(2, 15, 15, 30)
    twin = paused_before_the_festival(people)
    assert (case.stage_deadline, case.stage_warn_at) == (twin.stage_deadline, twin.stage_warn_at)


def test_a_parked_case_gets_its_stage_row_recomputed_and_still_shows_no_light(people):
    parked = dispatched(people, at(2, 4, 16))
    parked = act(people, parked, "park", "center01", at=at(2, 4, 17))
    assert parked.stage_deadline is None and open_stage(parked).deadline == at(2, 9, 16)
    load_2027(people["admin"])
    parked.refresh_from_db()
    assert (parked.stage_deadline, parked.stage_warn_at, parked.next_alert_at) == (None, None, None)
    assert open_stage(parked).deadline == at(2, 15, 16)
    assert CaseEvent.objects.filter(case=parked, action=recalendar.DEADLINE_RECOMPUTED).count() == 1


def test_a_stage_extended_outside_the_services_is_left_alone(people):
    case = dispatched(people, at(2, 4, 16))
    CaseStage.objects.filter(case=case, ended_at__isnull=True).update(extended=True)
    load_2027(people["admin"])
    case.refresh_from_db()
    assert case.stage_deadline == at(2, 9, 16)
    assert not CaseEvent.objects.filter(case=case, action=recalendar.DEADLINE_RECOMPUTED).exists()


def test_a_provisional_deadline_is_marked_on_the_pages_the_api_and_the_export(people, client):
    import io

    from openpyxl import load_workbook

    from gridgov.people.services import token_issue

    case = dispatched(people, at(2, 3, 10))  # the 2027 Spring Festival, not yet official
    assert case.stage_deadline is not None and calendar.deadline_is_provisional(case.stage_deadline)

    client.force_login(people["center01"])
    for path in (f"/cases/{case.pk}/", "/cases/"):
        page = client.get(path)
        assert page.status_code == 200 and b"provisional-mark" in page.content, path

    _token, raw = token_issue(actor=people["center01"], user=people["center01"], name="test")
    headers = {"Authorization": f"Bearer {raw}"}
    detail = client.get(f"/api/v1/cases/{case.pk}", headers=headers).json()
    assert detail["deadlines"]["deadline_provisional"] is True
    assert any(stage["deadline_provisional"] for stage in detail["stages"])
    listed = client.get("/api/v1/cases", headers=headers).json()["items"]
    assert listed[0]["stage_deadline_provisional"] is True

    sheet = load_workbook(io.BytesIO(client.get("/cases/export.xlsx").content)).active
    header = [cell.value for cell in sheet[1]]
    column = header.index("时限暂定")
    assert sheet.cell(row=2, column=column + 1).value

    load_2027(people["admin"])
    calendar.reset()
    assert client.get(f"/api/v1/cases/{case.pk}", headers=headers).json()["deadlines"]["deadline_provisional"] is False
