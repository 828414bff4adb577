"""Opinion meetings: planned with an agenda proposed from the weekly analyses, the statistics
and earlier resolutions; signed in by QR once per person; held, minuted and closed by their
organisers only; resolutions become cases (in the case loop) or tasks reported done by their
owner and confirmed by the organisers; the next meeting opens with what is not done; the
minutes print as Word and PDF."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document

from gridgov.analysis import services as analysis
from gridgov.analysis.models import WeeklyAnalysis
from gridgov.areas.models import Area, AreaLevel
from gridgov.cases.models import Case, Source
from gridgov.cases.tests.loop_helpers import home_grid, report
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.meetings import services
from gridgov.meetings.models import Attendance, Meeting, MeetingStatus, ResolutionKind, ResolutionStatus
from gridgov.notify.models import Notification
from gridgov.people.models import Department

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def village(people: dict[str, Any]) -> Area:
    area = home_grid(people["grid01"]).parent
    assert area is not None and area.level == AreaLevel.VILLAGE
    return area


def plan(people: dict[str, Any], by: str = "gridlead01", **extra: Any) -> Any:
    values = {
        "area_code": village(people).code,
        "title": "十一月民情分析会",
        "starts_at": timezone.now() + dt.timedelta(days=1),
        "place": "村委会会议室",
        "chair_id": people["gridlead01"].pk,
        "invitee_ids": [people["grid01"].pk, people["center01"].pk],
        **extra,
    }
    return services.meeting_plan(actor=people[by], **values)


def held(people: dict[str, Any]) -> Any:
    meeting = plan(people, starts_at=timezone.now())
    services.meeting_act(actor=people["gridlead01"], pk=meeting.pk, action="hold")
    meeting.refresh_from_db()
    return meeting


def test_the_agenda_is_proposed_from_the_weeks_and_the_statistics(people: dict[str, Any]) -> None:
    grid = home_grid(people["grid01"])
    week = analysis.last_complete_week(timezone.localdate())
    for day in range(2):
        at = timezone.make_aware(dt.datetime.combine(week + dt.timedelta(days=day), dt.time(10)))
        report(people, at=at, address="幸福路菜市场东门")
    analysis.weekly_generate(week, grids=Area.objects.filter(pk=grid.pk))
    assert WeeklyAnalysis.objects.get(grid=grid, week=week).figures["repeated_places"]
    meeting = plan(people)
    sources = {item["source"] for item in meeting.agenda}
    titles = " ".join(item["title"] for item in meeting.agenda)
    assert "weekly" in sources and "hotspot" in sources
    assert "幸福路菜市场东门" in titles
    assert Notification.objects.filter(recipient=people["grid01"], kind="meeting.invited").exists()


def test_sign_in_once_by_the_qr_key(people: dict[str, Any]) -> None:
    meeting = plan(people)
    first, created = services.meeting_sign_in(actor=people["grid01"], pk=meeting.pk, key=meeting.sign_in_key)
    again, created_again = services.meeting_sign_in(actor=people["grid01"], pk=meeting.pk, key=meeting.sign_in_key)
    assert created and not created_again and first.pk == again.pk
    for wrong in ("wrong", "签到" * 16, "\x9b\udca5"):
        with pytest.raises(NotFound):
            services.meeting_sign_in(actor=people["grid02"], pk=meeting.pk, key=wrong)
    page = client_for(people["grid02"]).post(reverse("meetings:sign-in", args=[meeting.pk, meeting.sign_in_key]))
    assert page.status_code == 200
    assert Attendance.objects.filter(meeting=meeting).count() == 2  # an uninvited attendee is recorded too
    assert client_for(people["grid02"]).get(reverse("meetings:sign-in", args=[meeting.pk, "nope"])).status_code == 404
    assert client_for(people["grid02"]).get(reverse("meetings:sign-in", args=[meeting.pk, "签到"])).status_code == 404


def test_hold_minutes_resolutions_and_close(people: dict[str, Any]) -> None:
    meeting = held(people)
    with pytest.raises(Forbidden):
        services.meeting_act(actor=people["grid01"], pk=meeting.pk, action="minutes", inputs={"minutes": "x"})
    with pytest.raises(Invalid):  # the minutes come first
        services.meeting_act(actor=people["gridlead01"], pk=meeting.pk, action="close")
    services.meeting_act(
        actor=people["gridlead01"], pk=meeting.pk, action="minutes", inputs={"minutes": "议定两件事。"}
    )

    case_resolution = services.resolution_add(
        actor=people["gridlead01"],
        meeting_id=meeting.pk,
        text="清理菜市场东门占道摊点",
        kind=ResolutionKind.CASE,
        category="parking.long_term",
        grid_code=home_grid(people["grid01"]).code,
    )
    assert case_resolution.case is not None and case_resolution.case.source == Source.MEETING
    department = Department.objects.filter(is_active=True).order_by("code").first()
    assert department is not None
    task = services.resolution_add(
        actor=people["gridlead01"],
        meeting_id=meeting.pk,
        text="协调增设夜间照明",
        kind=ResolutionKind.TASK,
        department_code=department.code,
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )
    with pytest.raises(Invalid):  # a task needs a deadline
        services.resolution_add(
            actor=people["gridlead01"],
            meeting_id=meeting.pk,
            text="x",
            kind=ResolutionKind.TASK,
            department_code=department.code,
        )
    services.meeting_act(actor=people["gridlead01"], pk=meeting.pk, action="close")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    with pytest.raises(Invalid):
        services.resolution_add(
            actor=people["gridlead01"],
            meeting_id=meeting.pk,
            text="y",
            kind=ResolutionKind.CASE,
            category="parking.long_term",
        )

    # The next meeting opens with both (the case is open, the task not confirmed).
    later = plan(people, title="十二月民情分析会", starts_at=timezone.now() + dt.timedelta(days=30))
    assert {r.pk for r in services.open_resolutions(later.area, before=later)} == {case_resolution.pk, task.pk}
    assert any(item["source"] == "followup" for item in later.agenda)

    docx = client_for(people["gridlead01"]).get(reverse("meetings:download", args=[meeting.pk, "docx"]))
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "议定两件事。" in text
    tables = "\n".join(c.text for t in Document(io.BytesIO(docx.content)).tables for r in t.rows for c in r.cells)
    assert "协调增设夜间照明" in tables and case_resolution.case.number in tables
    pdf = client_for(people["center01"]).get(reverse("meetings:download", args=[meeting.pk, "pdf"]))
    assert pdf.content.startswith(b"%PDF")


def test_a_task_is_reported_by_its_owner_and_confirmed_by_the_organisers(people: dict[str, Any]) -> None:
    meeting = held(people)
    handler = people["dept01"]
    department = handler.role_assignments.filter(department__isnull=False).first().department
    task = services.resolution_add(
        actor=people["gridlead01"],
        meeting_id=meeting.pk,
        text="协调增设夜间照明",
        kind=ResolutionKind.TASK,
        department_code=department.code,
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )
    assert Notification.objects.filter(recipient=handler, kind="meeting.resolution").exists()
    assert [r.pk for r in services.resolutions_owned(handler)] == [task.pk]
    with pytest.raises(Forbidden):  # not the organisers' step
        services.resolution_act(actor=people["gridlead01"], pk=task.pk, action="report", inputs={"report": "x"})
    with pytest.raises(NotFound):  # another department does not see it
        services.resolution_act(actor=people["dept02"], pk=task.pk, action="report", inputs={"report": "x"})
    services.resolution_act(actor=handler, pk=task.pk, action="report", inputs={"report": "已安装路灯 4 盏"})
    with pytest.raises(Invalid):
        services.resolution_act(actor=people["gridlead01"], pk=task.pk, action="return")
    services.resolution_act(actor=people["gridlead01"], pk=task.pk, action="return", inputs={"comment": "还缺东侧"})
    services.resolution_act(actor=handler, pk=task.pk, action="report", inputs={"report": "东侧已补装 2 盏"})
    services.resolution_act(actor=people["center01"], pk=task.pk, action="confirm")
    task.refresh_from_db()
    assert task.status == ResolutionStatus.DONE and task.done_at is not None
    with pytest.raises(Conflict):
        services.resolution_act(actor=people["center01"], pk=task.pk, action="confirm")
    page = client_for(handler).get(reverse("meetings:resolutions"))
    assert page.status_code == 200 and "协调增设夜间照明" in page.content.decode()


def test_who_may_plan_and_see(people: dict[str, Any]) -> None:
    with pytest.raises(Forbidden):
        plan(people, by="grid01")
    town = Area.objects.current().get(level=AreaLevel.TOWN)
    with pytest.raises(Forbidden):  # a village's leader does not plan the town's
        plan(people, area_code=town.code)
    meeting = plan(people)
    assert client_for(people["grid01"]).get(reverse("meetings:detail", args=[meeting.pk])).status_code == 200  # invited
    assert client_for(people["grid02"]).get(reverse("meetings:detail", args=[meeting.pk])).status_code == 404
    assert client_for(people["grid02"]).get(reverse("meetings:list")).status_code == 403  # no menu entry either
    assert client_for(people["center01"]).get(reverse("meetings:detail", args=[meeting.pk])).status_code == 200


def test_the_pages(people: dict[str, Any]) -> None:
    client = client_for(people["center01"])
    town = Area.objects.current().get(level=AreaLevel.TOWN)
    assert client.get(reverse("meetings:list")).status_code == 200
    bad = client.post(reverse("meetings:list"), {"area": town.code, "title": "", "place": "x"})
    assert bad.status_code == 422
    start = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    made = client.post(
        reverse("meetings:list"),
        {
            "area": town.code,
            "title": "全镇民情分析会",
            "starts_at": start,
            "place": "镇政府三楼",
            "chair": people["leader01"].pk,
        },
    )
    assert made.status_code == 302, made.content[:500]
    meeting = services.meetings_visible(people["center01"]).get(title="全镇民情分析会")
    page = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert page.status_code == 200 and b"<svg" in page.content
    hold = client.post(reverse("meetings:act", args=[meeting.pk, "hold"]), {"version": meeting.version})
    assert hold.status_code == 302
    bad = client.post(reverse("meetings:resolution-add", args=[meeting.pk]), {"text": "x", "kind": "task"})
    assert bad.status_code == 422
    case = client.post(
        reverse("meetings:resolution-add", args=[meeting.pk]),
        {
            "text": "整治镇中心占道",
            "kind": "case",
            "category": "parking.long_term",
            "grid": home_grid(people["grid01"]).code,
        },
    )
    assert case.status_code == 302
    assert Case.objects.filter(source=Source.MEETING).count() == 1


def test_the_api(people: dict[str, Any]) -> None:
    from gridgov.people.services import token_issue

    meeting = held(people)
    department = people["dept01"].role_assignments.filter(department__isnull=False).first().department
    task = services.resolution_add(
        actor=people["gridlead01"],
        meeting_id=meeting.pk,
        text="协调增设夜间照明",
        kind=ResolutionKind.TASK,
        department_code=department.code,
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )

    def api(who: str) -> Client:
        _token, raw = token_issue(actor=people[who], user=people[who], name="test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    grid01 = api("grid01")
    one = grid01.get(f"/api/v1/meetings/{meeting.pk}").json()
    assert one["title"] == meeting.title and one["resolutions"][0]["text"] == "协调增设夜间照明"
    signed = grid01.post(
        f"/api/v1/meetings/{meeting.pk}/sign-in", {"key": meeting.sign_in_key}, content_type="application/json"
    )
    assert signed.status_code == 200 and signed.json()["created"] is True
    wrong = grid01.post(f"/api/v1/meetings/{meeting.pk}/sign-in", {"key": "x"}, content_type="application/json")
    assert wrong.status_code == 404
    handler = api("dept01")
    assert [r["id"] for r in handler.get("/api/v1/meetings/resolutions").json()] == [task.pk]
    empty = handler.post(f"/api/v1/meetings/resolutions/{task.pk}/report", {}, content_type="application/json")
    assert empty.status_code == 422
    done = handler.post(
        f"/api/v1/meetings/resolutions/{task.pk}/report", {"report": "已安装"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == ResolutionStatus.REPORTED


def test_what_is_written_is_refused_with_the_reason_never_cut_or_guessed(people: dict[str, Any]) -> None:
    with pytest.raises(Invalid) as refused:
        plan(people, starts_at=timezone.now().replace(year=2001))
    assert "starts_at" in (refused.value.details or {})
    with pytest.raises(Invalid) as refused:
        plan(people, agenda="通报上周问题\n" + "议" * (services.ITEM_LIMIT + 1))
    assert "agenda" in (refused.value.details or {}) and not Meeting.objects.filter(title="十一月民情分析会").exists()
    meeting = held(people)
    department = people["dept01"].role_assignments.filter(department__isnull=False).first().department
    with pytest.raises(Invalid):
        services.resolution_add(
            actor=people["gridlead01"],
            meeting_id=meeting.pk,
            text="两个责任主体",
            kind=ResolutionKind.TASK,
            department_code=department.code,
            village_code=village(people).code,
            deadline=timezone.localdate() + dt.timedelta(days=10),
        )


def test_the_same_plan_or_resolution_sent_twice_is_written_once(people: dict[str, Any]) -> None:
    at = timezone.now()
    first = plan(people, submission_key="k" * 32, starts_at=at)
    again = plan(people, submission_key="k" * 32, starts_at=at)
    assert first.pk == again.pk and Meeting.objects.filter(title="十一月民情分析会").count() == 1
    with pytest.raises(ValidationError):  # the key again with another title: refused, not merged
        plan(people, submission_key="k" * 32, starts_at=at, title="另一个会")
    services.meeting_act(actor=people["gridlead01"], pk=first.pk, action="hold")
    grid = home_grid(people["grid01"])
    category = "parking.long_term"
    values = {
        "actor": people["gridlead01"],
        "meeting_id": first.pk,
        "text": "清理河道垃圾",
        "kind": ResolutionKind.CASE,
        "category": category,
        "grid_code": grid.code,
        "submission_key": "r" * 32,
    }
    one = services.resolution_add(**values)
    two = services.resolution_add(**values)
    assert one.pk == two.pk and Case.objects.filter(source=Source.MEETING, description="清理河道垃圾").count() == 1


def test_the_plan_form_names_each_person_s_role_and_area_and_a_working_day(people: dict[str, Any]) -> None:
    client = Client()
    client.force_login(people["gridlead01"])
    page = client.get(reverse("meetings:list")).content.decode()
    assert "<optgroup label=" in page and " · " in page  # grouped by role, each with the area served
    meeting = held(people)
    detail = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'data-testid="sign-in-link"' in detail
    grids = re.findall(r'<option value="(\d{14})"', detail)
    assert grids and all(code.startswith(meeting.area.code) for code in grids)  # the village's own grids


def keyed(page: bytes, testid: str) -> dict[str, str]:
    """The hidden one-time key the page's form carries (what a browser sends back)."""
    html = page.decode()
    form = html[html.index(f'data-testid="{testid}"') :]
    form = form[: form.index("</form>")]
    found = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', form)
    assert found, "the form carries no one-time key"
    return {"idempotency_key": found.group(1)}


def test_the_plan_and_resolution_forms_sent_twice_make_one_meeting_and_one_case(people: dict[str, Any]) -> None:
    client = client_for(people["center01"])
    town = Area.objects.current().get(level=AreaLevel.TOWN)
    values = {
        "area": town.code,
        "title": "两次提交的会",
        "starts_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "place": "镇政府三楼",
        "chair": people["leader01"].pk,
        **keyed(client.get(reverse("meetings:list")).content, "plan-form"),
    }
    for _twice in range(2):
        assert client.post(reverse("meetings:list"), values).status_code == 302
    assert Meeting.objects.filter(title="两次提交的会").count() == 1
    meeting = Meeting.objects.get(title="两次提交的会")
    client.post(reverse("meetings:act", args=[meeting.pk, "hold"]), {"version": meeting.version})
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content
    resolution = {
        "text": "两次提交的决议",
        "kind": "case",
        "category": "parking.long_term",
        "grid": home_grid(people["grid01"]).code,
        **keyed(page, "resolution-form"),
    }
    for _twice in range(2):
        assert client.post(reverse("meetings:resolution-add", args=[meeting.pk]), resolution).status_code == 302
    assert meeting.resolutions.count() == 1
    assert Case.objects.filter(source=Source.MEETING, description="两次提交的决议").count() == 1


def test_a_meeting_is_not_opened_days_before_its_time(people: dict[str, Any]) -> None:
    meeting = plan(people, starts_at=timezone.now() + dt.timedelta(days=3))
    with pytest.raises(Conflict) as refused:
        services.meeting_act(actor=people["gridlead01"], pk=meeting.pk, action="hold")
    assert refused.value.code == "meeting_not_yet"
    assert f"{timezone.localtime(meeting.starts_at):%Y-%m-%d %H:%M}" in str(refused.value.message)
    page = client_for(people["gridlead01"]).post(
        reverse("meetings:act", args=[meeting.pk, "hold"]), {"version": meeting.version}
    )
    meeting.refresh_from_db()
    assert page.status_code != 302 and meeting.status == MeetingStatus.PLANNED
    soon = timezone.localtime().replace(hour=22, minute=0, second=0, microsecond=0)
    early = soon - dt.timedelta(hours=1)  # an hour before on the same day: allowed
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=soon)
    services.MEETINGS.act(meeting.pk, "hold", actor=people["gridlead01"], at=early)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD


def test_the_menu_and_the_meetings_page_agree(people: dict[str, Any]) -> None:
    """Whoever the menu shows the meetings to opens the page; whoever it hides them from is refused
    (unless they own a resolution or are invited)."""
    from gridgov.web.nav import NAV, entries_for

    for name, user in people.items():
        shown = any(link.key == "meeting-list" for link in entries_for(user, NAV))
        status = client_for(user).get(reverse("meetings:list")).status_code
        assert status == (200 if shown else 403), name


def test_a_department_sees_its_tasks_on_the_meetings_page(people: dict[str, Any]) -> None:
    """A department holds no meeting: the page explains its part and lists the tasks it owns."""
    meeting = held(people)
    department = people["dept01"].role_assignments.filter(department__isnull=False).first().department
    services.resolution_add(
        actor=people["gridlead01"],
        meeting_id=meeting.pk,
        text="协调增设夜间照明",
        kind=ResolutionKind.TASK,
        department_code=department.code,
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )
    page = client_for(people["dept01"]).get(reverse("meetings:list"))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="unit-part"' in text and "协调增设夜间照明" in text and "本单位不召开民情分析会" in text
    other = client_for(people["dept02"]).get(reverse("meetings:list")).content.decode()
    assert "本单位不召开民情分析会" in other and "协调增设夜间照明" not in other
    # A reader of the meetings sees no such section.
    center = client_for(people["center01"]).get(reverse("meetings:list")).content.decode()
    assert 'data-testid="unit-part"' not in center
