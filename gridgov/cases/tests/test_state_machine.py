"""Random action sequences on a few cases, by random people with random inputs, keep the loop's
invariants: history, stages and deadlines, counters and versions stay consistent, and a
refused action changes nothing."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from gridgov.cases import services
from gridgov.cases.models import FINAL_STATUSES, STATUS_STAGE, Case, CaseEvent, CaseStage, Status
from gridgov.cases.services import CaseError
from gridgov.cases.transitions import TABLE, Action

from .loop_helpers import UNVERIFIED, USERS, VARIANTS, VERIFIED, action_photo, grid_point

# Monday morning in a week with ordinary working days.
START = dt.datetime(2024, 6, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
HANDLING = {Status.DISPATCHED, Status.IN_PROGRESS}
COUNTERS = {
    "rework_count": "verify_fail",
    "return_count": "return",
    "extension_count": "approve_extension",
    "reminder_count": "remind",
    "supervision_count": "supervise",
    "reopen_count": "reopen",
}
# Actions that do not move a case along the loop (drawn less often by ``advance``).
SIDE_ACTIONS = {Action.REMIND, Action.SUPERVISE, Action.REPLY_SUPERVISION, Action.PARK, Action.VOID, Action.MERGE}
DEPARTMENT_CHOICES: list[list[str]] = [[], ["traffic_police"], ["urban_mgmt", "traffic_police"], ["nonexistent"]]


def snapshot(case_id: int) -> tuple[Any, ...]:
    case = Case.objects.get(pk=case_id)
    row = model_to_dict(case)
    row.pop("cooperating_departments", None)
    return (
        row,
        case.updated_at,
        sorted(case.cooperating_departments.values_list("pk", flat=True)),
        list(CaseEvent.objects.filter(case_id=case_id).values_list("id", flat=True)),
        list(CaseStage.objects.filter(case_id=case_id).order_by("id").values()),
    )


class CaseLoop(RuleBasedStateMachine):
    people: ClassVar[dict[str, Any]] = {}
    # Every successful action and sweep outcome over all examples (to check the exploration).
    seen: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown: examples never see each other.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.clock = START
        self.cases: list[int] = []
        self.versions: dict[int, int] = {}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def tick(self, minutes: int) -> dt.datetime:
        self.clock += dt.timedelta(minutes=minutes + 1)
        return self.clock

    @initialize(
        urgent=st.booleans(),
        starts=st.lists(st.sampled_from(["reported", "in_progress", "awaiting_verification"]), min_size=3, max_size=3),
    )
    def report_cases(self, urgent: bool, starts: list[str]) -> None:
        """Three cases (two grids, two categories, both urgencies), each taken by the services
        to a random starting point of the loop."""
        for (reporter, category, urgency), start in zip(
            [
                ("grid01", VERIFIED, "normal"),
                ("grid02", UNVERIFIED, "urgent" if urgent else "normal"),
                ("center01", VERIFIED, "urgent"),
            ],
            starts,
            strict=True,
        ):
            lat, lng = grid_point(self.people["grid01" if reporter == "center01" else reporter])
            case, _created = services.case_create(
                actor=self.people[reporter],
                category=category,
                description="随机序列",
                lat=lat,
                lng=lng,
                urgency=urgency,
                source="center" if reporter == "center01" else "grid_report",
                at=self.tick(0),
            )
            for action, user, extra in VARIANTS[start][1]:
                extra = {"comment": "说明", "photos_in": action_photo(action), **extra}
                case = services.case_act(case.pk, action, actor=self.people[user], at=self.tick(30), **extra)
            self.cases.append(case.pk)
            self.versions[case.pk] = case.version

    @rule(
        index=st.integers(0, 2),
        action=st.sampled_from([a.value for a in Action]),
        user=st.sampled_from(USERS),
        with_comment=st.booleans(),
        departments=st.sampled_from(DEPARTMENT_CHOICES),
        days=st.sampled_from([None, 1, 3, 40]),
        into=st.integers(0, 2),
        minutes=st.integers(0, 900),
        stale=st.booleans(),
        with_photo=st.booleans(),
    )
    def act(
        self,
        index: int,
        action: str,
        user: str,
        with_comment: bool,
        departments: list[str],
        days: int | None,
        into: int,
        minutes: int,
        stale: bool,
        with_photo: bool,
    ) -> None:
        case_id = self.cases[index]
        before = snapshot(case_id)
        version = self.versions[case_id]
        try:
            case = services.case_act(
                case_id,
                action,
                actor=self.people[user],
                comment="说明" if with_comment else "",
                version=version - 1 if stale else version,
                departments=departments,
                result="结果" if with_comment else "",
                into=Case.objects.get(pk=self.cases[into]).number,
                days=days,
                photos_in=action_photo(action) if with_photo else [],
                at=self.tick(minutes),
            )
        except (CaseError, ValidationError):
            assert snapshot(case_id) == before, f"refused {action} by {user} changed the case"
            return
        assert not stale, "a stale version was accepted"
        assert case.version == version + (0 if TABLE[Action(action)].nudge else 1)  # a reminder keeps it
        self.versions[case_id] = case.version
        self.seen[action] += 1

    @rule(index=st.integers(0, 2), minutes=st.integers(0, 900), mood=st.integers(0, 3), data=st.data())
    def advance(self, index: int, minutes: int, mood: int, data: st.DataObject) -> None:
        """A move the table offers someone now, mostly one that takes the case forward (so
        sequences get deep into the loop)."""
        case_id = self.cases[index]
        case = Case.objects.select_related("category").get(pk=case_id)
        at = self.tick(minutes)
        offered = [(user, action) for user in USERS for action in services.allowed_actions(case, self.people[user], at)]
        forward = [(user, action) for user, action in offered if action not in SIDE_ACTIONS]
        if mood and forward:
            offered = forward
        if not offered:
            return
        user, action = data.draw(st.sampled_from(offered))
        into = data.draw(st.sampled_from([c for c in self.cases if c != case_id]))
        try:
            case = services.case_act(
                case_id,
                action,
                actor=self.people[user],
                comment="说明",
                result="结果",
                days=data.draw(st.integers(1, 5)),
                into=str(into),
                version=self.versions[case_id],
                photos_in=action_photo(action),
                at=at,
            )
        except ValidationError:
            # Only a merge into a voided case may be refused among offered moves.
            assert action == Action.MERGE
            return
        self.versions[case_id] = case.version
        self.seen[action] += 1

    @rule(minutes=st.integers(0, 3000))
    def sweep(self, minutes: int) -> None:
        self.seen.update({k: v for k, v in services.sweep_due(self.tick(minutes)).items() if v})
        again = services.sweep_due(self.clock)
        assert again == {"warnings": 0, "overdue": 0}, "a second sweep at the same moment sent more"

    @invariant()
    def cases_are_consistent(self) -> None:
        for case_id in self.cases:
            self.check(Case.objects.get(pk=case_id))

    def check(self, case: Case) -> None:
        events = list(CaseEvent.objects.filter(case=case).order_by("id"))
        assert events[0].action == "report" and events[0].from_status == ""
        for previous, event in itertools.pairwise(events):
            assert event.from_status == previous.to_status, (previous.action, event.action)
            assert event.at >= previous.at
        assert events[-1].to_status == case.status
        actions = [e.action for e in events]
        for counter, action in COUNTERS.items():
            assert getattr(case, counter) == actions.count(action), counter
        assert case.version == self.versions[case.pk]
        assert (case.merged_into_id is not None) == ("merge" in actions)

        stages = list(CaseStage.objects.filter(case=case).order_by("id"))
        open_stages = [s for s in stages if s.ended_at is None]
        for stage in stages:
            if stage.ended_at is not None:
                assert stage.on_time == (None if stage.deadline is None else stage.ended_at <= stage.deadline)
        if case.status in FINAL_STATUSES:
            assert open_stages == []
            assert case.stage == "" and case.stage_deadline is None and case.next_alert_at is None
            assert (case.closed_at is not None) == (case.status == Status.CLOSED)
            return
        assert case.closed_at is None
        assert len(open_stages) == 1
        stage = open_stages[0]
        status = case.parked_from if case.status == Status.PARKED else case.status
        assert stage.stage == case.stage == STATUS_STAGE[status]
        if case.status not in HANDLING:
            assert case.pending_extension is None
        if case.status == Status.PARKED:
            assert case.stage_deadline is None and case.stage_warn_at is None and case.next_alert_at is None
            return
        assert case.parked_from == ""
        assert case.stage_deadline == stage.deadline and case.stage_warn_at == stage.warn_at
        if stage.deadline is None:
            assert case.next_alert_at is None
        elif not stage.warning_sent:
            assert case.next_alert_at == stage.warn_at
        elif not stage.overdue_sent:
            assert case.next_alert_at == stage.deadline
        else:
            assert case.next_alert_at is None
        if stage.warn_at is not None and stage.deadline is not None:
            assert stage.started_at <= stage.warn_at <= stage.deadline


def test_random_action_sequences_keep_the_invariants(people: dict[str, Any]) -> None:
    CaseLoop.people = {name: people[name] for name in USERS}
    CaseLoop.seen.clear()
    try:
        run_state_machine_as_test(
            CaseLoop,
            settings=settings(
                max_examples=30,
                stateful_step_count=25,
                deadline=None,
                derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                database=None,
            ),
        )
    finally:
        CaseLoop.people = {}
    # The sequences got deep into the loop, not only refusals.
    assert {"register", "dispatch", "report_back", "verify_pass", "overdue"} <= set(CaseLoop.seen)
