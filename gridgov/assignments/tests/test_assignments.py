"""Leaders' tasks: given by a leader (or the center on a leader's behalf) from a document, a
meeting resolution or by hand; each owner's part accepted, reported on, extended, submitted,
approved or returned on the workflow engine with its history and the engine's 409 codes;
supervision notices and their replies; the sweep's reminder and overdue notice; the lights;
the on-time figure; who sees what (404 out of scope) and who acts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gridgov.assignments import access, figures, selectors, services
from gridgov.assignments.models import Assignment, AssignmentEvent, AssignmentFile, AssignmentStatus, PartStatus
from gridgov.assignments.transitions import PART_ROWS, TASK_ROWS
from gridgov.cases.indices import Period
from gridgov.core import filetypes
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.core.models import AuditEvent
from gridgov.notify.models import Notification
from gridgov.notify.rendering import render

from .helpers import client_for, department_of, give, parts, village_of

pytestmark = pytest.mark.django_db


def act(people: dict[str, Any], who: str, part: Any, action: str, **inputs: Any) -> Any:
    return services.part_act(actor=people[who], pk=part.pk, action=action, inputs=inputs)


# --- giving a task ----------------------------------------------------------------------------


def test_a_leader_gives_a_task_with_a_part_per_owner_and_each_owner_is_told(people: dict[str, Any]) -> None:
    task = give(people, files=[services.Upload("太政办〔2026〕31号.pdf", b"%PDF-1.4 demo")])
    found = parts(task)
    assert task.leader == people["leader01"] and task.source == "document"
    assert [p.lead for p in found.values()] == [True, False, False]
    assert all(p.status == PartStatus.ASSIGNED and p.deadline == task.deadline for p in found.values())
    assert timezone.localtime(task.deadline).time() == dt.time(17, 30)
    assert task.status == AssignmentStatus.ASSIGNED and task.due_at == task.deadline
    assert Notification.objects.filter(recipient=people["dept01"], kind="assignment.assigned").exists()
    assert Notification.objects.filter(recipient=people["gridlead01"], kind="assignment.assigned").exists()
    stored = AssignmentFile.objects.get(assignment=task)
    assert stored.kind == "document" and stored.event is not None and stored.event.action == "create"
    with stored.file.open("rb") as handle:
        assert handle.read() == b"%PDF-1.4 demo"
    assert AuditEvent.objects.filter(action="assignment.create", object_id=str(task.pk)).exists()


def test_the_center_gives_a_task_only_in_a_named_leaders_name(people: dict[str, Any]) -> None:
    with pytest.raises(Invalid) as refused:
        give(people, by="center01", leader_id=None)
    assert "leader" in (refused.value.details or {})
    task = give(people, by="center01")
    assert task.leader == people["leader01"] and task.created_by == people["center01"]
    assert Notification.objects.filter(recipient=people["leader01"], kind="assignment.created_for").exists()


@pytest.mark.parametrize("who", ["dept01", "gridlead01", "grid01", "super01"])
def test_others_may_not_give_tasks(people: dict[str, Any], who: str) -> None:
    with pytest.raises(Forbidden):
        give(people, by=who, leader_id=people["leader01"].pk)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"deadline": dt.date(2020, 1, 1)}, "deadline"),
        ({"deadline": "not a date"}, "deadline"),
        ({"lead": "department:nowhere"}, "lead"),
        ({"cooperating": ["village:nowhere"]}, "cooperating"),
        ({"files": [services.Upload("virus.exe", b"MZ")]}, "files"),
        # A page or a program named as a document is refused (others open these files).
        ({"files": [services.Upload("通知.pdf", b"<html><script>alert(1)</script>")]}, "files"),
        ({"files": [services.Upload("方案.docx", b"MZ\x90\x00")]}, "files"),
        ({"files": [services.Upload("说明.txt", b"\x00\x01binary")]}, "files"),
    ],
)
def test_bad_input_is_a_clear_error_on_its_field(people: dict[str, Any], change: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        give(people, **change)
    assert field in (refused.value.details or {})
    assert not Assignment.objects.exists()


def test_the_lead_owner_named_as_cooperating_too_is_refused(people: dict[str, Any]) -> None:
    lead = f"department:{department_of(people['dept01'])}"  # was dropped from the helpers unsaid
    with pytest.raises(Invalid) as refused:
        give(people, lead=lead, cooperating=[lead])
    assert "cooperating" in (refused.value.details or {}) and not Assignment.objects.exists()


def test_a_file_name_keeps_no_folders_and_the_type_served_is_its_extensions(people: dict[str, Any]) -> None:
    task = give(people, files=[services.Upload("../../C:\\文件\\通知.pdf", b"%PDF-1.7 x", "text/html")])
    stored = task.files.get()
    assert stored.name == "通知.pdf" and stored.content_type == "application/pdf"
    assert filetypes.fits("a.wps", b"PK\x03\x04") and filetypes.fits("a.txt", "通知".encode("gb18030"))
    assert not filetypes.fits("a.exe", b"MZ") and not filetypes.fits("noextension", b"%PDF-")
    long = filetypes.display_name("长" * 400 + ".pdf")  # cut at the limit, it lost its extension
    assert len(long) == 200 and long.endswith(".pdf")


def test_a_deadline_on_a_holiday_moves_to_the_next_working_day() -> None:
    saturday = dt.date(2026, 12, 12)
    assert timezone.localtime(services.end_of_day(saturday)).date() == dt.date(2026, 12, 14)


# --- the owner's part ---------------------------------------------------------------------------


def test_the_whole_loop_of_a_part_with_its_history(people: dict[str, Any]) -> None:
    task = give(people)
    lead = parts(task)["lead"]
    act(people, "dept01", lead, "accept")
    act(
        people,
        "dept01",
        lead,
        "progress",
        comment="已排查30家",
        percent=40,
        files=[services.Upload("a.jpg", b"\xff\xd8\xff jpg")],
    )
    lead.refresh_from_db()
    assert lead.status == PartStatus.IN_PROGRESS and lead.percent == 40
    act(people, "dept01", lead, "submit", comment="全部整改完毕")
    act(people, "leader01", lead, "return", comment="请补充整改台账")
    act(people, "dept01", lead, "submit", comment="已补充台账")
    act(people, "leader01", lead, "approve")
    lead.refresh_from_db()
    assert lead.status == PartStatus.DONE and lead.on_time is True and lead.return_count == 1 and lead.percent == 100
    actions = list(AssignmentEvent.objects.filter(part=lead).values_list("action", flat=True))
    assert actions == ["accept", "progress", "submit", "return", "submit", "approve"]
    progress_file = AssignmentFile.objects.get(part=lead)
    assert progress_file.event is not None and progress_file.event.action == "progress"
    assert Notification.objects.filter(recipient=people["leader01"], kind="assignment.submit").count() == 2
    task.refresh_from_db()
    # The lead part is done while the others are still to accept: the task is under way.
    assert task.status == AssignmentStatus.IN_PROGRESS


def test_the_task_is_done_when_every_part_is(people: dict[str, Any]) -> None:
    task = give(people, cooperating=[])
    lead = parts(task)["lead"]
    for who, action in (("dept01", "accept"), ("dept01", "submit"), ("leader01", "approve")):
        act(people, who, lead, action, **({"comment": "完成"} if action == "submit" else {}))
        task.refresh_from_db()
        assert task.status == {"accept": "in_progress", "submit": "submitted", "approve": "done"}[action]
    assert task.completed_at is not None
    assert AssignmentEvent.objects.filter(assignment=task, action="complete").count() == 1


def test_an_extension_is_asked_and_granted_with_a_new_deadline_or_refused(people: dict[str, Any]) -> None:
    task = give(people)
    lead = parts(task)["lead"]
    act(people, "dept01", lead, "accept")
    until = timezone.localdate(task.deadline) + dt.timedelta(days=10)
    act(people, "dept01", lead, "request_extension", comment="需协调施工队", until=until)
    with pytest.raises(Conflict) as twice:
        act(people, "dept01", lead, "request_extension", comment="again", until=until)
    assert twice.value.code == "extension_pending"
    act(people, "leader01", lead, "grant_extension", until=until)
    lead.refresh_from_db()
    assert (
        timezone.localtime(lead.deadline).date() >= until and lead.extension_until is None and lead.extension_count == 1
    )
    with pytest.raises(Conflict) as none:
        act(people, "leader01", lead, "refuse_extension", comment="不同意")
    assert none.value.code == "no_extension_pending"
    act(people, "dept01", lead, "request_extension", comment="还需一周", until=until + dt.timedelta(days=7))
    act(people, "leader01", lead, "refuse_extension", comment="不同意")
    lead.refresh_from_db()
    assert lead.extension_count == 1 and lead.extension_until is None
    assert Notification.objects.filter(recipient=people["dept01"], kind="assignment.refuse_extension").exists()


def test_an_extension_must_go_beyond_the_deadline(people: dict[str, Any]) -> None:
    lead = parts(give(people))["lead"]
    with pytest.raises(Invalid) as refused:
        act(people, "dept01", lead, "request_extension", comment="x", until=timezone.localdate())
    assert "until" in (refused.value.details or {})


def test_the_engine_answers_version_and_status_conflicts_and_missing_inputs(people: dict[str, Any]) -> None:
    lead = parts(give(people))["lead"]
    with pytest.raises(Conflict) as stale:
        services.part_act(actor=people["dept01"], pk=lead.pk, action="accept", version=lead.version + 1)
    assert stale.value.code == "version_conflict"
    with pytest.raises(Conflict) as early:
        act(people, "dept01", lead, "submit", comment="完成")
    assert early.value.code == "invalid_transition"
    act(people, "dept01", lead, "accept")
    with pytest.raises(Invalid):
        act(people, "dept01", lead, "progress")
    with pytest.raises(Invalid):
        act(people, "dept01", lead, "progress", comment="x", percent=140)
    with pytest.raises(NotFound):
        act(people, "dept01", lead, "teleport")


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("dept02", "accept"),
        ("leader01", "accept"),
        ("center01", "accept"),
        ("dept01", "approve"),
        ("super01", "accept"),
    ],
)
def test_a_step_of_someone_elses_part_is_refused(people: dict[str, Any], who: str, action: str) -> None:
    lead = parts(give(people))["lead"]
    if action == "approve":
        act(people, "dept01", lead, "accept")
        act(people, "dept01", lead, "submit", comment="完成")
    with pytest.raises(Forbidden):
        act(people, who, lead, action)


def test_only_the_assigning_leader_decides_not_another_leader_nor_the_center(people: dict[str, Any]) -> None:
    from django.contrib.auth import get_user_model

    lead = parts(give(people))["lead"]
    act(people, "dept01", lead, "accept")
    act(people, "dept01", lead, "submit", comment="完成")
    other = get_user_model().objects.get(username="leader02")
    with pytest.raises(Forbidden):
        services.part_act(actor=other, pk=lead.pk, action="approve")
    with pytest.raises(Forbidden):
        act(people, "center01", lead, "approve")


def test_the_allowed_actions_are_what_the_engine_accepts(people: dict[str, Any]) -> None:
    lead = parts(give(people))["lead"]
    assert services.PARTS.allowed_actions(lead, people["dept01"]) == ["accept", "request_extension"]
    assert services.PARTS.allowed_actions(lead, people["leader01"]) == []
    assert services.PARTS.allowed_actions(lead, people["dept02"]) == []
    assert {row.action for row in PART_ROWS} >= {"accept", "progress", "submit", "approve", "return"}


# --- supervision ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["leader01", "super01"])
def test_a_leader_or_the_discipline_office_supervises_and_an_owner_replies(people: dict[str, Any], who: str) -> None:
    task = give(people)
    version = task.version
    services.task_act(actor=people[who], pk=task.pk, action="supervise", inputs={"comment": "请加快进度"})
    task.refresh_from_db()
    assert task.supervision_pending and task.supervision_due is not None and task.version == version
    assert Notification.objects.filter(recipient=people["dept02"], kind="assignment.supervise").exists()
    with pytest.raises(Forbidden):
        services.task_act(actor=people["center01"], pk=task.pk, action="supervise", inputs={"comment": "x"})
    services.task_act(actor=people["gridlead01"], pk=task.pk, action="reply_supervision", inputs={"comment": "已部署"})
    task.refresh_from_db()
    assert not task.supervision_pending
    assert Notification.objects.filter(recipient=people["leader01"], kind="assignment.reply_supervision").exists()
    with pytest.raises(Conflict) as again:
        services.task_act(actor=people["dept01"], pk=task.pk, action="reply_supervision", inputs={"comment": "x"})
    assert again.value.code == "no_supervision_pending"
    assert {row.action for row in TASK_ROWS} == {"supervise", "reply_supervision", "edit", "cancel"}


# --- the sweep, the lights, the figure ---------------------------------------------------------


def test_the_sweep_reminds_at_80_percent_and_tells_overdue_once(people: dict[str, Any]) -> None:
    task = give(people, cooperating=[])
    lead = parts(task)["lead"]
    assert selectors.light_of(lead.deadline, lead.warn_at) == "green"
    assert services.sweep_deadlines(now=lead.warn_at + dt.timedelta(minutes=1)) == 1
    assert services.sweep_deadlines(now=lead.warn_at + dt.timedelta(minutes=2)) == 0
    assert selectors.light_of(lead.deadline, lead.warn_at, lead.warn_at + dt.timedelta(minutes=1)) == "yellow"
    later = lead.deadline + dt.timedelta(minutes=1)
    assert services.sweep_deadlines(now=later) == 1
    assert services.sweep_deadlines(now=later) == 0
    assert list(AssignmentEvent.objects.filter(part=lead, actor=None).values_list("action", flat=True)) == [
        "warning",
        "overdue",
    ]
    overdue = Notification.objects.get(recipient=people["leader01"], kind="assignment.overdue")
    assert "燃气安全隐患排查整治" in render(overdue.kind, overdue.params, "", language="zh-hans").title
    assert Notification.objects.filter(recipient=people["dept01"], kind="assignment.warning").exists()
    assert selectors.filtered(people["leader01"], selectors.Filters(light="red"), later).get() == task


def test_the_on_time_figure_per_owner(people: dict[str, Any]) -> None:
    task = give(people, cooperating=[f"department:{department_of(people['dept02'])}"])
    found = parts(task)
    for who, part in (("dept01", found["lead"]), ("dept02", found["dept2"])):
        act(people, who, part, "accept")
    act(people, "dept01", found["lead"], "submit", comment="完成")
    act(people, "leader01", found["lead"], "approve")
    period = Period.of_month(timezone.localdate(task.deadline))
    after = task.deadline + dt.timedelta(days=1)
    figure = figures.assignment_completion(None, period, now=after)
    lead_key, other_key = found["lead"].owner_key, found["dept2"].owner_key
    assert figure[lead_key] == figures.Completion(due=1, completed=1, on_time=1, late=0, open=0)
    assert figure[lead_key].rate == 100.0
    assert figure[other_key] == figures.Completion(due=1, completed=0, on_time=0, late=0, open=1)
    assert figures.assignment_completion([other_key], period, now=after)[other_key].rate == 0.0
    # Before the deadline the open part is not due yet.
    assert other_key not in figures.assignment_completion(None, period, now=task.assigned_at)
    filters = selectors.Filters(owner=other_key, figure="open", start=period.start, end=period.end)
    assert list(selectors.filtered(people["leader01"], filters, after)) == [task]


# --- who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("leader01", True),
        ("center01", True),
        ("super01", True),
        ("admin", True),
        ("dept01", True),
        ("gridlead01", True),
        ("dept02", False),
        ("grid01", False),
        ("grid02", False),
        ("upstream01", False),
    ],
)
def test_scoping_in_selectors_pages_and_api(people: dict[str, Any], who: str, sees: bool) -> None:
    task = give(people, cooperating=[f"village:{village_of(people)}"])
    assert access.assignments_visible(people[who]).filter(pk=task.pk).exists() == sees
    client = client_for(people[who])
    assert client.get(f"/assignments/{task.pk}/").status_code == (200 if sees else 404)
    assert client.get(f"/api/v1/assignments/{task.pk}").status_code == (200 if sees else 404)


def test_a_file_is_served_after_the_visibility_check_and_audited(people: dict[str, Any]) -> None:
    task = give(people, files=[services.Upload("通知.pdf", b"%PDF-1.4 secret")])
    stored = AssignmentFile.objects.get(assignment=task)
    answer = client_for(people["dept01"]).get(f"/assignments/files/{stored.pk}/")
    assert answer.status_code == 200 and answer.getvalue() == b"%PDF-1.4 secret"
    assert AuditEvent.objects.filter(action="assignment.file_open", object_id=str(task.pk)).exists()
    assert client_for(people["grid01"]).get(f"/assignments/files/{stored.pk}/").status_code == 404
    assert client_for(people["grid01"]).get(f"/api/v1/assignments/files/{stored.pk}").status_code == 404
