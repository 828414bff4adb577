"""Random sequences of steps (by every party, with random inputs, stale versions) on the parts
and the task, with sweeps between them, keep the invariants: a refused step writes nothing,
the task's status and earliest deadline are the summary of its parts, the version counts the
history, a done part has its completion and no extension pending, the sweep tells each thing
once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, ClassVar

from django.forms.models import model_to_dict
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from gridgov.assignments import services
from gridgov.assignments.models import PART_OPEN, Assignment, AssignmentEvent, AssignmentPart, PartStatus
from gridgov.assignments.transitions import PartAction, TaskAction
from gridgov.core.errors import DomainError

from .helpers import department_of, village_of

# Monday morning of an ordinary working week.
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
USERS = ["leader01", "center01", "super01", "dept01", "dept02", "gridlead01", "grid01"]
UNTIL = [None, "", "2026-03-20", "2026-04-30", "2026-01-01", "garbage"]


def snapshot(task_id: int) -> tuple[Any, ...]:
    task = Assignment.objects.get(pk=task_id)
    return (
        model_to_dict(task),
        [model_to_dict(part) for part in AssignmentPart.objects.filter(assignment_id=task_id).order_by("id")],
        AssignmentEvent.objects.filter(assignment_id=task_id).count(),
    )


class TaskFlow(RuleBasedStateMachine):
    people: ClassVar[dict[str, Any]] = {}
    seen: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.clock = START
        self.task_id = 0

    def tick(self, minutes: int) -> dt.datetime:
        self.clock += dt.timedelta(minutes=minutes)
        return self.clock

    @initialize()
    def give(self) -> None:
        task = services.assignment_create(
            actor=self.people["leader01"],
            title="燃气安全隐患排查整治",
            requirement="排查整治",
            lead=f"department:{department_of(self.people['dept01'])}",
            cooperating=[f"department:{department_of(self.people['dept02'])}", f"village:{village_of(self.people)}"],
            deadline=dt.date(2026, 3, 13),
            at=self.tick(0),
        )
        self.task_id = task.pk

    def parts(self) -> list[AssignmentPart]:
        return list(AssignmentPart.objects.filter(assignment_id=self.task_id).order_by("-lead", "id"))

    @rule(
        index=st.integers(0, 2),
        action=st.sampled_from([*[a.value for a in PartAction], *[a.value for a in TaskAction]]),
        user=st.sampled_from(USERS),
        comment=st.sampled_from(["", "说明", "长" * 2100]),
        percent=st.sampled_from([None, 30, 100, 140]),
        until=st.sampled_from(UNTIL),
        minutes=st.integers(0, 2000),
        stale=st.booleans(),
    )
    def act(
        self, index: int, action: str, user: str, comment: str, percent: Any, until: Any, minutes: int, stale: bool
    ) -> None:
        before = snapshot(self.task_id)
        inputs = {"comment": comment, "percent": percent, "until": until}
        inputs = {key: value for key, value in inputs.items() if value is not None}
        try:
            if action in TaskAction.__members__.values():
                task = Assignment.objects.get(pk=self.task_id)
                services.task_act(
                    actor=self.people[user],
                    pk=self.task_id,
                    action=action,
                    inputs=inputs,
                    version=task.version - 1 if stale else task.version,
                    at=self.tick(minutes),
                )
            else:
                part = self.parts()[index]
                services.part_act(
                    actor=self.people[user],
                    pk=part.pk,
                    action=action,
                    inputs=inputs,
                    version=part.version - 1 if stale else part.version,
                    at=self.tick(minutes),
                )
        except DomainError:
            assert snapshot(self.task_id) == before, f"refused {action} by {user} changed the task"
            return
        assert not stale, "a stale version was accepted"
        self.seen[action] += 1

    @rule(index=st.integers(0, 2), minutes=st.integers(0, 900), data=st.data())
    def advance(self, index: int, minutes: int, data: st.DataObject) -> None:
        """A step the table offers someone now (so sequences get deep into the flow)."""
        part = self.parts()[index]
        at = self.tick(minutes)
        offered = [
            (user, action) for user in USERS for action in services.PARTS.allowed_actions(part, self.people[user], at)
        ]
        if not offered:
            return
        user, action = data.draw(st.sampled_from(offered))
        inputs: dict[str, Any] = {"comment": "说明", "percent": 50}
        if action in (PartAction.REQUEST_EXTENSION, PartAction.GRANT_EXTENSION):
            inputs["until"] = (part.deadline + dt.timedelta(days=10)).date()
        services.part_act(
            actor=self.people[user], pk=part.pk, action=action, inputs=inputs, version=part.version, at=at
        )
        self.seen[action] += 1

    @rule(minutes=st.integers(0, 6000))
    def sweep(self, minutes: int) -> None:
        sent = services.sweep_deadlines(self.tick(minutes))
        self.seen["swept"] += sent
        assert services.sweep_deadlines(self.clock) == 0, "a second sweep at the same moment sent more"

    @invariant()
    def consistent(self) -> None:
        if not self.task_id:
            return
        task = Assignment.objects.get(pk=self.task_id)
        parts = self.parts()
        if task.status == "cancelled":
            assert task.cancelled_at is not None and not any(part.status in PART_OPEN for part in parts)
        else:
            lead = next((part.status for part in parts if part.lead), None)
            assert task.status == services.summary_status((part.status for part in parts), lead=lead)
        open_parts = [part for part in parts if part.status in PART_OPEN]
        if open_parts:
            assert task.due_at == min(part.deadline for part in open_parts)
        assert (task.completed_at is not None) == (task.status == "done")
        for part in parts:
            steps = AssignmentEvent.objects.filter(part=part, actor__isnull=False).count()
            assert part.version == 1 + steps
            done = part.status == PartStatus.DONE
            assert (part.completed_at is not None) == done and (part.on_time is not None) == done
            if done:
                assert part.extension_until is None and part.percent == 100
            if part.overdue_sent:
                assert part.warning_sent


def test_random_sequences_keep_the_invariants(people: dict[str, Any]) -> None:
    TaskFlow.people = {name: people[name] for name in USERS}
    TaskFlow.seen.clear()
    try:
        run_state_machine_as_test(
            TaskFlow,
            settings=settings(
                max_examples=10,
                stateful_step_count=25,
                deadline=None,
                derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                database=None,
            ),
        )
    finally:
        TaskFlow.people = {}
    # The sequences got deep into the flow, not only refusals.
    assert TaskFlow.seen["accept"] and TaskFlow.seen["submit"] and TaskFlow.seen["approve"]
