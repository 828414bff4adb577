"""A leader edits a task that is not finished (requirement, priority, deadline, cooperating owners
without progress) or cancels it (撤销): workflow steps of the task with their version check,
history, audit and notices; a cancelled task leaves the open counts and the on-time figure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gridgov.assignments import figures, selectors, services
from gridgov.assignments.models import AssignmentEvent, AssignmentPart, AssignmentStatus, PartStatus
from gridgov.cases.indices import Period
from gridgov.core.errors import Conflict, Forbidden, Invalid
from gridgov.core.models import AuditEvent
from gridgov.notify.models import Notification
from gridgov.notify.rendering import render

from .helpers import department_of, give, parts, village_of

pytestmark = pytest.mark.django_db


def edit(people: dict[str, Any], who: str, task: Any, **inputs: Any) -> Any:
    inputs.setdefault("comment", "根据会议精神调整")
    return services.task_act(actor=people[who], pk=task.pk, action="edit", inputs=inputs, version=task.version)


def cancel(people: dict[str, Any], who: str, task: Any, comment: str = "工作已由上级统一部署") -> Any:
    return services.task_act(
        actor=people[who], pk=task.pk, action="cancel", inputs={"comment": comment}, version=task.version
    )


def test_the_leader_edits_the_requirement_and_priority_with_a_history_row(people: dict[str, Any]) -> None:
    task = give(people)
    Notification.objects.all().delete()
    changed = edit(people, "leader01", task, requirement="新的要求", priority="urgent")
    assert changed.requirement == "新的要求" and changed.priority == "urgent"
    assert changed.version == task.version + 1
    event = AssignmentEvent.objects.get(assignment=task, action="edit")
    assert event.comment == "根据会议精神调整"
    assert event.data["changes"]["priority"] == ["normal", "urgent"]
    assert event.data["changes"]["requirement"][1] == "新的要求"
    assert AuditEvent.objects.filter(action="assignment.edit", object_id=str(task.pk)).exists()
    # Every owner of an open part is told; the leader, who acted, is not.
    told = Notification.objects.filter(kind="assignment.edit")
    assert {n.recipient.username for n in told} >= {"dept01", "dept02", "gridlead01"}
    assert not told.filter(recipient=people["leader01"]).exists()
    first = told.first()
    assert first is not None
    assert "燃气安全隐患排查整治" in render(first.kind, first.params, "", language="zh-hans").title


def test_a_new_deadline_moves_the_parts_not_extended_beyond_it(people: dict[str, Any]) -> None:
    task = give(people)
    found = parts(task)
    services.part_act(actor=people["dept02"], pk=found["dept2"].pk, action="accept")
    later = timezone.localdate() + dt.timedelta(days=40)
    services.part_act(
        actor=people["dept02"],
        pk=found["dept2"].pk,
        action="request_extension",
        inputs={"until": later, "comment": "需要更多时间"},
    )
    services.part_act(actor=people["leader01"], pk=found["dept2"].pk, action="grant_extension", inputs={"until": later})
    task.refresh_from_db()
    edit(people, "leader01", task, deadline=timezone.localdate() + dt.timedelta(days=21))
    task.refresh_from_db()
    found = {key: AssignmentPart.objects.get(pk=part.pk) for key, part in parts(task).items()}
    assert found["lead"].deadline == task.deadline == found["village"].deadline
    assert found["dept2"].deadline > task.deadline  # the granted extension stays
    assert task.due_at == task.deadline
    moved = AssignmentEvent.objects.filter(assignment=task, action="deadline_moved")
    assert {event.part_id for event in moved} == {found["lead"].pk, found["village"].pk}
    # A deadline later than the extension moves the extended part too.
    edit(people, "leader01", task, deadline=timezone.localdate() + dt.timedelta(days=60))
    assert (
        AssignmentPart.objects.get(pk=found["dept2"].pk).deadline
        == AssignmentPart.objects.get(pk=found["lead"].pk).deadline
    )


def test_cooperating_owners_are_added_and_taken_off_only_without_progress(people: dict[str, Any]) -> None:
    task = give(people)
    found = parts(task)
    dept2 = f"department:{department_of(people['dept02'])}"
    village = f"village:{village_of(people)}"
    services.part_act(actor=people["dept02"], pk=found["dept2"].pk, action="accept")
    services.part_act(
        actor=people["dept02"], pk=found["dept2"].pk, action="progress", inputs={"comment": "已排查十家", "percent": 20}
    )
    task.refresh_from_db()
    with pytest.raises(Invalid) as refused:
        edit(people, "leader01", task, cooperating=[village])
    assert "cooperating" in (refused.value.details or {})
    Notification.objects.all().delete()
    edit(people, "leader01", task, cooperating=[dept2, "center"])
    task.refresh_from_db()
    village_part = AssignmentPart.objects.get(pk=found["village"].pk)
    assert village_part.status == PartStatus.CANCELLED
    center = task.parts.get(owner_kind="center")
    assert center.status == PartStatus.ASSIGNED and center.deadline == task.deadline
    assert task.status == AssignmentStatus.ASSIGNED
    assert Notification.objects.filter(recipient=people["gridlead01"], kind="assignment.owner_removed").exists()
    assert Notification.objects.filter(recipient=people["center01"], kind="assignment.assigned").exists()
    assert not Notification.objects.filter(recipient=people["dept02"]).exists()
    # The village comes back on its old part, fresh.
    edit(people, "leader01", task, cooperating=[dept2, "center", village])
    assert AssignmentPart.objects.get(pk=found["village"].pk).status == PartStatus.ASSIGNED


def test_an_edit_checks_the_version_the_status_and_who_acts(people: dict[str, Any]) -> None:
    task = give(people)
    with pytest.raises(Conflict) as stale:
        services.task_act(
            actor=people["leader01"], pk=task.pk, action="edit", inputs={"comment": "x", "priority": "high"}, version=0
        )
    assert stale.value.code == "version_conflict"
    with pytest.raises(Invalid) as missing:
        services.task_act(actor=people["leader01"], pk=task.pk, action="edit", inputs={"priority": "high"})
    assert "comment" in (missing.value.details or {})
    with pytest.raises(Invalid):
        edit(people, "leader01", task)  # nothing changed
    for who in ("dept01", "center01", "super01"):
        with pytest.raises(Forbidden):
            edit(people, who, task, priority="high")


def test_the_center_edits_and_cancels_a_task_it_gave_in_a_leaders_name(people: dict[str, Any]) -> None:
    task = give(people, by="center01")
    Notification.objects.all().delete()
    edit(people, "center01", task, priority="high")
    assert Notification.objects.filter(recipient=people["leader01"], kind="assignment.edit").exists()
    task.refresh_from_db()
    cancel(people, "center01", task)
    assert Notification.objects.filter(recipient=people["leader01"], kind="assignment.cancel").exists()


def test_a_cancelled_task_ends_its_open_parts_and_leaves_the_counts(people: dict[str, Any]) -> None:
    task = give(people, deadline=timezone.localdate() + dt.timedelta(days=3))
    found = parts(task)
    services.part_act(actor=people["dept01"], pk=found["lead"].pk, action="accept")
    task.refresh_from_db()
    with pytest.raises(Invalid):
        cancel(people, "leader01", task, comment=" ")
    Notification.objects.all().delete()
    done = cancel(people, "leader01", task)
    assert done.status == AssignmentStatus.CANCELLED and done.cancelled_at is not None
    assert set(task.parts.values_list("status", flat=True)) == {PartStatus.CANCELLED}
    assert {n.recipient.username for n in Notification.objects.filter(kind="assignment.cancel")} >= {
        "dept01",
        "dept02",
        "gridlead01",
    }
    notice = Notification.objects.filter(kind="assignment.cancel").first()
    assert notice is not None
    assert "燃气安全隐患排查整治" in render(notice.kind, notice.params, "", language="zh-hans").title
    event = AssignmentEvent.objects.get(assignment=task, action="cancel")
    # The lead owner accepted: the task was under way.
    assert event.from_status == AssignmentStatus.IN_PROGRESS and event.to_status == AssignmentStatus.CANCELLED
    assert not selectors.inbox_parts(people["dept01"]).exists()
    assert selectors.owned_counts(people["dept01"])["open"] == 0
    counts = selectors.board(people["leader01"])
    assert counts[AssignmentStatus.CANCELLED]["total"] == 1
    assert sum(counts[s].get("total", 0) for s in ("assigned", "in_progress", "submitted")) == 0
    # No step is possible any more, and the on-time figure does not count it even when overdue.
    with pytest.raises(Conflict):
        services.part_act(actor=people["dept01"], pk=found["lead"].pk, action="progress", inputs={"comment": "x"})
    with pytest.raises(Conflict):
        edit(people, "leader01", done, priority="high")
    later = timezone.now() + dt.timedelta(days=30)
    period = Period(timezone.localdate() - dt.timedelta(days=1), timezone.localdate() + dt.timedelta(days=10))
    found_figures = figures.assignment_completion(None, period, now=later)
    assert all(item.due == 0 and item.open == 0 for item in found_figures.values())
    assert services.sweep_deadlines(later) == 0


def test_an_edit_naming_the_lead_again_or_an_owner_twice_is_refused(people: dict[str, Any]) -> None:
    task = give(people, lead="center", cooperating=[])
    lead_again = [["center"], ["center:zzz"]]  # the lead's key; a key written otherwise for it (was a 500)
    for cooperating in lead_again:
        with pytest.raises(Invalid) as refused:
            edit(people, "leader01", task, cooperating=cooperating)
        assert "cooperating" in (refused.value.details or {}), cooperating
    assert AssignmentPart.objects.filter(assignment=task).count() == 1
