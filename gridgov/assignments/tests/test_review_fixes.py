"""Review findings of the leaders' tasks: owners serving the town, past dates, one supervision
notice at a time, the leader's waiting list, the task's state after acceptance."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gridgov.assignments import selectors, services
from gridgov.core.errors import Conflict, Invalid
from gridgov.people.models import Department
from gridgov.workcalendar import calendar

from .helpers import client_for, department_of, give

pytestmark = pytest.mark.django_db


def test_a_department_not_serving_the_town_cannot_be_given_a_task(people: dict[str, Any]) -> None:
    elsewhere = Department.objects.create(code="elsewhere-water", name="外镇水务站", kind="town_office")
    with pytest.raises(Invalid) as lead:
        give(people, lead=f"department:{elsewhere.code}", cooperating=[])
    assert lead.value.details is not None and "lead" in lead.value.details
    with pytest.raises(Invalid):
        give(people, cooperating=[f"department:{elsewhere.code}"])
    task = give(people)
    with pytest.raises(Invalid):
        services.task_act(
            actor=people["leader01"],
            pk=task.pk,
            action="edit",
            inputs={"comment": "调整", "cooperating": [f"department:{elsewhere.code}"]},
            version=task.version,
        )


def test_the_api_refuses_a_department_of_another_town(people: dict[str, Any]) -> None:
    elsewhere = Department.objects.create(code="elsewhere-water", name="外镇水务站", kind="town_office")
    answer = client_for(people["leader01"]).post(
        "/api/v1/assignments",
        {
            "title": "信访积案化解",
            "requirement": "逐案包案化解",
            "lead": f"department:{department_of(people['dept01'])}",
            "cooperating": [f"department:{elsewhere.code}"],
            "deadline": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        },
        content_type="application/json",
    )
    assert answer.status_code == 422, answer.content


def test_a_past_weekend_date_is_refused_not_rolled_onto_monday(people: dict[str, Any]) -> None:
    day = timezone.localdate() - dt.timedelta(days=1)
    while calendar.is_workday(day):
        day -= dt.timedelta(days=1)
    with pytest.raises(Invalid):
        give(people, deadline=day)


def test_the_create_forms_default_deadline_is_a_working_day(people: dict[str, Any]) -> None:
    page = client_for(people["leader01"]).get("/assignments/new/")
    assert page.status_code == 200
    day = page.context["form"].initial["deadline"]
    assert calendar.is_workday(day)


def test_a_second_supervision_notice_waits_for_the_reply(people: dict[str, Any]) -> None:
    task = give(people)
    services.task_act(actor=people["super01"], pk=task.pk, action="supervise", inputs={"comment": "请加快进度"})
    with pytest.raises(Conflict) as again:
        services.task_act(actor=people["leader01"], pk=task.pk, action="supervise", inputs={"comment": "再次督办"})
    assert again.value.code == "supervision_pending"
    api = client_for(people["super01"]).post(
        f"/api/v1/assignments/{task.pk}/supervise", {"comment": "再次督办"}, content_type="application/json"
    )
    assert api.status_code == 409 and api.json()["error"]["code"] == "supervision_pending"
    services.task_act(actor=people["dept01"], pk=task.pk, action="reply_supervision", inputs={"comment": "已部署"})
    services.task_act(actor=people["super01"], pk=task.pk, action="supervise", inputs={"comment": "再次督办"})


def test_the_task_is_accepted_once_the_lead_owner_accepts(people: dict[str, Any]) -> None:
    task = give(people)
    assert task.status == "assigned"
    lead = task.parts.get(lead=True)
    services.part_act(actor=people["dept01"], pk=lead.pk, action="accept", version=lead.version)
    task.refresh_from_db()
    assert task.status == "in_progress"
    assert services.summary_status(["assigned", "in_progress"], lead="assigned") == "assigned"
    assert services.summary_status(["assigned", "assigned"]) == "assigned"
    assert services.summary_status(["in_progress", "assigned"]) == "in_progress"


def test_the_leader_sees_what_waits_for_a_decision(people: dict[str, Any]) -> None:
    asked = give(people, cooperating=[])
    lead = asked.parts.get(lead=True)
    until = (timezone.localdate() + dt.timedelta(days=40)).isoformat()
    services.part_act(
        actor=people["dept01"],
        pk=lead.pk,
        action="request_extension",
        inputs={"until": until, "comment": "需协调资金"},
        version=lead.version,
    )
    submitted = give(people, cooperating=[])
    lead = submitted.parts.get(lead=True)
    lead = services.part_act(actor=people["dept01"], pk=lead.pk, action="accept", version=lead.version)
    services.part_act(
        actor=people["dept01"], pk=lead.pk, action="submit", inputs={"comment": "已完成"}, version=lead.version
    )
    give(people, cooperating=[])  # nothing to decide
    leader = client_for(people["leader01"])
    for kind, expected in (("any", {asked.pk, submitted.pk}), ("extension", {asked.pk}), ("submitted", {submitted.pk})):
        page = leader.get(f"/assignments/?waiting={kind}")
        assert {row["item"].pk for row in page.context["items"]} == expected, kind
    assert selectors.waiting_counts(people["leader01"]) == {"any": 2, "extension": 1, "submitted": 1}
    home = leader.get("/").content.decode()
    assert 'data-testid="panel-assignments-extension"' in home and "?waiting=submitted" in home
    cockpit = leader.get("/cases/cockpit/")
    assert cockpit.status_code == 200
    waiting = {tile.url: tile.count for tile in cockpit.context["extra"]}
    assert waiting["/assignments/?waiting=extension"] == 1
    assert waiting["/assignments/?waiting=submitted"] == 1
    assert all(tile.waiting for tile in cockpit.context["extra"])
    assert not any(tile.waiting for tile in cockpit.context["other"])


def test_a_returned_part_goes_back_to_its_reported_percent(people: dict[str, Any]) -> None:
    task = give(people, cooperating=[])
    lead = task.parts.get(lead=True)
    lead = services.part_act(actor=people["dept01"], pk=lead.pk, action="accept", version=lead.version)
    lead = services.part_act(
        actor=people["dept01"],
        pk=lead.pk,
        action="progress",
        inputs={"comment": "排查过半", "percent": 60},
        version=lead.version,
    )
    lead = services.part_act(
        actor=people["dept01"], pk=lead.pk, action="submit", inputs={"comment": "已完成"}, version=lead.version
    )
    assert lead.percent == 100
    lead = services.part_act(
        actor=people["leader01"], pk=lead.pk, action="return", inputs={"comment": "请补充台账"}, version=lead.version
    )
    assert lead.status == "returned" and lead.percent == 60
    page = client_for(people["leader01"]).get(f"/assignments/{task.pk}/").content.decode()
    assert 'data-testid="part-returned"' in page


def test_the_cooperating_owners_are_checkboxes_grouped_by_kind(people: dict[str, Any]) -> None:
    page = client_for(people["leader01"]).get("/assignments/new/")
    field = page.context["form"].fields["cooperating"]
    labels = [str(group) for group, _items in field.choices]
    assert labels[0] == "The center" or len(labels) == 3
    assert 'type="checkbox" name="cooperating"' in page.content.decode()


def test_the_new_texts_read_in_chinese(people: dict[str, Any]) -> None:
    from django.utils import translation

    task = give(people)
    services.task_act(actor=people["super01"], pk=task.pk, action="supervise", inputs={"comment": "请加快进度"})
    with translation.override("zh-hans"), pytest.raises(Conflict) as again:
        services.task_act(actor=people["leader01"], pk=task.pk, action="supervise", inputs={"comment": "再次督办"})
    assert "督办" in again.value.message
    with translation.override("zh-hans"):
        assert translation.gettext("On-time completion rate") == "按时办结率"
        assert translation.gettext("Extension asked until %(at)s: %(reason)s") == "申请延期至 %(at)s：%(reason)s"


@pytest.mark.parametrize("hour", [9, 19])
def test_a_notice_without_a_date_is_due_at_the_end_of_the_second_working_day_after_today(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch, hour: int
) -> None:
    """In office hours and after them alike (``next_workday`` of today is today: the notice
    was once due today, and refused as past once the office had closed)."""
    task = give(people)
    today = calendar.next_workday(timezone.localdate() + dt.timedelta(days=1))
    moment = timezone.make_aware(dt.datetime.combine(today, dt.time(hour, 0)))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    services.task_act(actor=people["super01"], pk=task.pk, action="supervise", inputs={"comment": "请加快进度"})
    task.refresh_from_db()
    second = calendar.next_workday(calendar.next_workday(today + dt.timedelta(days=1)) + dt.timedelta(days=1))
    assert task.supervision_due is not None
    assert timezone.localdate(task.supervision_due) == second
    assert timezone.localtime(task.supervision_due).time() == calendar.working_periods()[-1][1]
