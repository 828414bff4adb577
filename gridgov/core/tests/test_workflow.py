"""The workflow engine on a made-up workflow: a leave request (draft → submitted → approved /
returned), kept in memory so that only the engine's sequence is under test."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.core.workflow import SAME, Guard, Step, Workflow, row

pytestmark = pytest.mark.django_db  # act() opens a transaction

NOW = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))


@dataclass
class Leave:
    pk: int
    owner: str
    status: str = "draft"
    version: int = 1
    days: int = 0
    approved_by: str = ""
    saved: list[set[str]] = field(default_factory=list)


SHORT: Guard[Any] = Guard("too_long", "At most 5 days.", lambda leave, _now: leave.days <= 5)


class LeaveFlow(Workflow[Any]):
    def __init__(self) -> None:
        super().__init__(
            "leave",
            [
                row("submit", {"draft", "returned"}, "submitted", {"owner"}, required=("days",)),
                row("approve", {"submitted"}, "approved", {"boss"}, SHORT),
                row("return", {"submitted"}, "returned", {"boss"}, required=("comment",)),
                row("remind", {"submitted"}, SAME, {"owner"}),
            ],
            labels={"submit": "Submit"},
        )
        self.rows: dict[int, Leave] = {}
        self.history: list[tuple[str, str, str, dict[str, Any]]] = []
        self.notices: list[list[str]] = []

    def parties(self, actor: Any, subject: Any) -> set[str]:
        return {"owner"} if actor == subject.owner else {"boss"} if actor == "boss" else set()

    def lock(self, subject_id: int, actor: Any) -> Any:
        leave = self.rows.get(subject_id)
        if leave is None or actor not in (leave.owner, "boss"):
            raise NotFound("Not found.")
        return leave

    def save(self, step: Step[Any]) -> None:
        step.subject.version += 1
        step.subject.saved.append(set(step.fields))

    def record(self, step: Step[Any]) -> Any:
        entry = (step.action, step.before, step.target, dict(step.data))
        self.history.append(entry)
        return entry

    def send_notices(self, step: Step[Any]) -> None:
        self.notices.append(list(step.notify))


@pytest.fixture
def flow() -> LeaveFlow:
    flow = LeaveFlow()

    @flow.effect("submit")
    def submit(step: Step[Any]) -> None:
        step.set(days=int(step.input("days")))
        step.data["days"] = step.subject.days
        step.notify.append("boss")

    @flow.effect("approve")
    def approve(step: Step[Any]) -> None:
        step.set(approved_by=step.actor)
        step.after.append(lambda event: step.data.setdefault("event_seen", event[0]))

    flow.rows[1] = Leave(1, "ann")
    return flow


def test_an_action_moves_the_status_runs_its_effect_and_writes_history_and_notices(flow):
    leave = flow.act(1, "submit", actor="ann", inputs={"days": "3"}, at=NOW)
    assert (leave.status, leave.days, leave.version) == ("submitted", 3, 2)
    assert flow.history == [("submit", "draft", "submitted", {"days": 3})]
    assert flow.notices == [["boss"]]
    assert leave.saved == [{"days"}]


def test_the_after_callbacks_see_the_history_row(flow):
    flow.act(1, "submit", actor="ann", inputs={"days": "3"}, at=NOW)
    leave = flow.act(1, "approve", actor="boss", at=NOW)
    assert leave.status == "approved"
    assert leave.approved_by == "boss"


def test_same_keeps_the_status(flow):
    flow.act(1, "submit", actor="ann", inputs={"days": 2}, at=NOW)
    assert flow.act(1, "remind", actor="ann", at=NOW).status == "submitted"
    assert flow.history[-1][1:3] == ("submitted", "submitted")


@pytest.mark.parametrize(
    ("actor", "action", "version", "error", "code"),
    [
        ("eve", "submit", None, NotFound, "not_found"),  # cannot see it
        ("ann", "fly", None, NotFound, "unknown_action"),
        ("boss", "submit", None, Forbidden, "forbidden"),  # sees it, not their move
        ("ann", "submit", 7, Conflict, "version_conflict"),
        ("ann", "remind", None, Conflict, "invalid_transition"),
    ],
)
def test_refusals_answer_with_their_error_and_write_nothing(flow, actor, action, version, error, code):
    with pytest.raises(error) as refused:
        flow.act(1, action, actor=actor, inputs={"days": 1}, version=version, at=NOW)
    assert refused.value.code == code
    assert flow.history == []
    assert flow.rows[1].status == "draft"
    assert flow.rows[1].version == 1


def test_a_failed_guard_answers_409_with_the_guards_code(flow):
    flow.act(1, "submit", actor="ann", inputs={"days": 9}, at=NOW)
    with pytest.raises(Conflict) as refused:
        flow.act(1, "approve", actor="boss", at=NOW)
    assert refused.value.code == "too_long"
    assert len(flow.history) == 1


def test_a_required_input_is_checked_before_the_effect(flow):
    flow.act(1, "submit", actor="ann", inputs={"days": 1}, at=NOW)
    with pytest.raises(Invalid) as refused:
        flow.act(1, "return", actor="boss", inputs={"comment": "   "}, at=NOW)
    assert list(refused.value.details or {}) == ["comment"]
    assert flow.act(1, "return", actor="boss", inputs={"comment": " why "}, at=NOW).status == "returned"


def test_allowed_actions_are_exactly_what_act_accepts(flow):
    assert flow.allowed_actions(flow.rows[1], "ann", NOW) == ["submit"]
    assert flow.allowed_actions(flow.rows[1], "boss", NOW) == []
    flow.act(1, "submit", actor="ann", inputs={"days": 9}, at=NOW)
    assert flow.allowed_actions(flow.rows[1], "boss", NOW) == ["return"]  # the guard hides approve
    assert flow.allowed_actions(flow.rows[1], "ann", NOW) == ["remind"]


def test_a_replayed_request_does_nothing(flow):
    flow.replay = lambda subject, transition, actor, inputs: True  # type: ignore[method-assign]
    assert flow.act(1, "submit", actor="ann", inputs={"days": 1}, at=NOW).status == "draft"
    assert flow.history == []


def test_a_table_is_checked_when_declared():
    with pytest.raises(ValueError, match="two rows"):
        Workflow("x", [row("a", {"s"}, "t", {"p"}), row("a", {"t"}, "s", {"p"})], labels={})
    flow = Workflow[Any]("x", [row("a", {"s"}, "t", {"p"})], labels={})
    with pytest.raises(ValueError, match="no row"):
        flow.effect("b")(lambda step: None)
    flow.effect("a")(lambda step: None)
    with pytest.raises(ValueError, match="two effects"):
        flow.effect("a")(lambda step: None)
    with pytest.raises(ValueError, match="no party"):
        Workflow[Any]("x", [row("a", {"s"}, "t", set())], labels={}).check_complete()
