"""Schemes and versions, computing into snapshots (reproducible after the live data changed),
who sees what before and after publication, appeals on the workflow, rewards and penalties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from gridgov.assessment import services
from gridgov.assessment.models import Adjustment, AppealStatus, PeriodStatus, Scheme, SnapshotStatus
from gridgov.cases.tests.loop_helpers import act, build, report
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.core.models import AuditEvent

from .helpers import WORKER_ITEMS, compute, ended, result_of, this_month, worker_scheme

pytestmark = pytest.mark.usefixtures("taiping")


def test_the_weights_of_a_scheme_must_add_up_to_100(people: dict[str, Any]) -> None:
    items = [dict(WORKER_ITEMS[0], weight=50), WORKER_ITEMS[2]]
    with pytest.raises(Invalid) as refused:
        worker_scheme(people, items)
    assert "100" in refused.value.message


def test_a_figure_that_does_not_apply_to_departments_is_refused(people: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        services.scheme_save(
            actor=people["center01"],
            town_code=services.managed_towns(people["center01"]).get().code,
            family="dept",
            name="部门考核",
            target_type="department",
            items=[dict(WORKER_ITEMS[0], weight=100)],
        )


def test_only_the_center_configures_schemes(people: dict[str, Any]) -> None:
    for name in ("grid01", "leader01", "super01", "dept01"):
        with pytest.raises(Forbidden):
            services.scheme_save(
                actor=people[name], town_code="x", family="f", name="n", target_type="grid_worker", items=WORKER_ITEMS
            )


def test_a_scheme_used_by_a_computed_period_is_frozen_and_a_change_makes_a_new_version(
    people: dict[str, Any],
) -> None:
    scheme = worker_scheme(people)
    assert worker_scheme(people).pk == scheme.pk  # not used yet: changed in place
    period = compute(people, this_month(people, scheme))
    scheme.refresh_from_db()
    assert scheme.frozen_at is not None
    newer = worker_scheme(people, [dict(WORKER_ITEMS[0], weight=70), WORKER_ITEMS[2]])
    assert (newer.pk != scheme.pk, newer.version) == (True, 2)
    scheme.refresh_from_db()
    assert scheme.replaced and scheme.items.count() == 3  # the old version is untouched
    assert list(period.schemes.all()) == [scheme]
    assert AuditEvent.objects.filter(action="assessment.scheme_version", object_id=str(newer.pk)).exists()


def test_a_period_is_reproducible_from_its_snapshot_after_the_live_data_changed(people: dict[str, Any]) -> None:
    registered = build(people, "registered")
    pending = report(people, by="grid01")
    scheme = worker_scheme(people)
    period = this_month(people, scheme)
    services.manual_score_set(
        actor=people["center01"],
        period_id=period.pk,
        target_key=f"user:{people['grid01'].pk}",
        item_code="conduct",
        score="24",
        evidence="按时参加例会，台账规范。",
    )
    period = compute(people, period)
    first = period.current
    assert first is not None
    result = result_of(period, people["grid01"])
    line = {item["code"]: item for item in result.breakdown["items"]}["reports"]
    assert (line["num"], line["den"], line["value"]) == (1, 2, 50.0)
    assert sorted(pk for pk, _n in line["refs"]["den"]) == sorted([registered.pk, pending.pk])
    # 50 % reaches no step but "otherwise" (25 % of 40 = 10), the closure has no data (full 30),
    # the manual 24.
    assert result.score == Decimal("64.00")

    # The live data changes: the pending report is registered, a new report comes in.
    act(people, pending, "register", "center01")
    report(people, by="grid01")
    again = {r["target"]["key"]: r for r in services.rescore(first)}
    assert again[result.target_key]["score"] == "64.00"
    assert again[result.target_key]["items"] == result.breakdown["items"]

    # An explicit, audited recompute makes a new snapshot and keeps the old one.
    with pytest.raises(Invalid):
        services.period_act(actor=people["center01"], pk=period.pk, action="recompute", inputs={"reason": " "})
    period = compute(people, period, "recompute", reason="补录了漏登记的上报")
    assert period.current is not None
    assert period.current.number == 2 and period.current.reason == "补录了漏登记的上报"
    newer = {item["code"]: item for item in result_of(period, people["grid01"]).breakdown["items"]}["reports"]
    assert (newer["num"], newer["den"]) == (2, 3)
    first.refresh_from_db()
    assert first.status == SnapshotStatus.DONE and first.results.get(pk=result.pk).score == Decimal("64.00")
    assert AuditEvent.objects.filter(action="assessment.recompute", object_id=str(period.pk)).exists()


def _published(people: dict[str, Any]) -> Any:
    build(people, "registered")
    report(people, by="grid02", where="grid02")
    scheme = worker_scheme(people)
    period = this_month(people, scheme)
    for name, score in (("grid01", "20"), ("grid02", "28")):
        services.manual_score_set(
            actor=people["center01"],
            period_id=period.pk,
            target_key=f"user:{people[name].pk}",
            item_code="conduct",
            score=score,
            evidence="考勤与台账",
        )
    return compute(people, period)


def test_before_publication_the_assessed_see_nothing_of_the_period(people: dict[str, Any]) -> None:
    period = _published(people)
    theirs = result_of(period, people["grid02"])
    for name in ("grid01", "grid02", "gridlead01", "dept01"):
        assert not services.periods_visible(people[name]).filter(pk=period.pk).exists()
        with pytest.raises(NotFound):
            services.result_get(people[name], theirs.pk)
    for name in ("center01", "leader01", "super01"):
        assert services.results_visible(people[name]).filter(pk=theirs.pk).exists()


def test_after_publication_each_worker_sees_only_their_own_breakdown(people: dict[str, Any]) -> None:
    period = _published(people)
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    mine, other = result_of(period, people["grid01"]), result_of(period, people["grid02"])
    assert services.result_get(people["grid01"], mine.pk) == mine
    with pytest.raises(NotFound):
        services.result_get(people["grid01"], other.pk)  # never another worker's manual score
    assert list(services.results_visible(people["grid01"])) == [mine]
    assert services.periods_visible(people["grid01"]).filter(pk=period.pk).exists()


def test_manual_scores_stay_within_the_weight_and_need_evidence(people: dict[str, Any]) -> None:
    period = this_month(people, worker_scheme(people))
    key = f"user:{people['grid01'].pk}"
    for score, evidence in (("31", "超出"), ("10", " ")):
        with pytest.raises(Invalid):
            services.manual_score_set(
                actor=people["center01"],
                period_id=period.pk,
                target_key=key,
                item_code="conduct",
                score=score,
                evidence=evidence,
            )
    with pytest.raises(Forbidden):
        services.manual_score_set(
            actor=people["leader01"], period_id=period.pk, target_key=key, item_code="conduct", score="5", evidence="x"
        )


def test_an_upheld_appeal_is_proposed_by_the_center_agreed_by_the_discipline_office_and_adjusts_the_score(
    people: dict[str, Any],
) -> None:
    period = _published(people)
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    result = result_of(period, people["grid01"])
    before = result.total
    appeal = services.appeal_submit(
        actor=people["grid01"], result_id=result.pk, item_code="conduct", reason="例会请假已报备"
    )
    with pytest.raises(Conflict):
        services.appeal_submit(actor=people["grid01"], result_id=result.pk, reason="再次申诉")
    with pytest.raises(NotFound):
        services.appeal_submit(actor=people["grid02"], result_id=result.pk, reason="替人申诉")
    with pytest.raises(Forbidden):
        services.appeal_act(
            actor=people["super01"], pk=appeal.pk, action="propose", inputs={"decision": "upheld", "opinion": "x"}
        )
    services.appeal_act(
        actor=people["center01"],
        pk=appeal.pk,
        action="propose",
        inputs={"decision": "upheld", "opinion": "请假手续齐全，补回3分", "delta": "3"},
    )
    with pytest.raises(Forbidden):
        services.appeal_act(actor=people["center01"], pk=appeal.pk, action="agree")
    services.appeal_act(actor=people["super01"], pk=appeal.pk, action="send_back", inputs={"comment": "补充请假条"})
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.SUBMITTED
    services.appeal_act(
        actor=people["center01"],
        pk=appeal.pk,
        action="propose",
        inputs={"decision": "upheld", "opinion": "请假条已补，补回3分", "delta": "3"},
    )
    with pytest.raises(Conflict):
        services.period_act(actor=people["center01"], pk=period.pk, action="finalize")
    services.appeal_act(actor=people["super01"], pk=appeal.pk, action="agree")
    appeal.refresh_from_db()
    result.refresh_from_db()
    assert appeal.status == AppealStatus.DECIDED
    assert (result.score, result.adjustment, result.total) == (before, Decimal(3), before + 3)
    assert Adjustment.objects.get(result=result).appeal == appeal
    assert AuditEvent.objects.filter(action="assessment.adjust", object_id=str(result.pk)).exists()


def test_the_period_is_final_only_after_the_window_and_then_locked(people: dict[str, Any]) -> None:
    period = _published(people)
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    period.refresh_from_db()
    result = result_of(period, people["grid01"])
    later = period.appeal_until + dt.timedelta(minutes=1)
    with pytest.raises(Conflict):
        services.appeal_submit(actor=people["grid01"], result_id=result.pk, reason="迟到的申诉", now=later)
    with pytest.raises(Conflict):
        services.period_act(actor=people["center01"], pk=period.pk, action="finalize")
    done = services.PERIODS.act(period.pk, "finalize", actor=people["center01"], at=later)
    assert done.status == PeriodStatus.FINAL
    with pytest.raises(Conflict):
        services.manual_score_set(
            actor=people["center01"],
            period_id=period.pk,
            target_key=result.target_key,
            item_code="conduct",
            score="1",
            evidence="改分",
        )


def test_rewards_and_penalties_are_proposed_from_the_ranking_with_evidence_and_confirmed(
    people: dict[str, Any],
) -> None:
    period = _published(people)
    made = services.sanctions_propose(
        actor=people["center01"], period_id=period.pk, target_type="grid_worker", top=1, bottom=1
    )
    kinds = sorted(s.kind for s in made)
    assert kinds == ["penalty", "reward"]
    reward = next(s for s in made if s.kind == "reward")
    assert reward.result.rank == 1
    with pytest.raises(Forbidden):
        services.sanction_act(actor=people["leader01"], pk=reward.pk, action="confirm")
    assert services.sanction_act(actor=people["center01"], pk=reward.pk, action="confirm").status == "confirmed"
    assert (
        services.sanctions_propose(
            actor=people["center01"], period_id=period.pk, target_type="grid_worker", top=1, bottom=1
        )
        == []
    )


def test_a_failed_computation_goes_back_and_says_why(people: dict[str, Any], monkeypatch: Any) -> None:
    period = this_month(people, worker_scheme(people))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(services.snapshots, "freeze_inputs", broken)
    period = compute(people, period)
    assert period.status == PeriodStatus.OPEN and period.current is None
    assert period.snapshots.get().status == SnapshotStatus.FAILED


def test_every_row_of_the_tables_is_allowed_exactly_when_act_succeeds(people: dict[str, Any]) -> None:
    period = _published(people)
    # A period that has not ended is not published yet.
    assert services.PERIODS.allowed_actions(period, people["center01"], timezone.now()) == ["recompute"]
    with pytest.raises(Conflict):
        services.period_act(actor=people["center01"], pk=period.pk, action="publish")
    allowed = services.PERIODS.allowed_actions(ended(period), people["center01"], timezone.now())
    assert allowed == ["recompute", "publish"]
    assert services.PERIODS.allowed_actions(period, people["grid01"], timezone.now()) == []
    assert Scheme.objects.filter(frozen_at__isnull=False).count() == 1


def test_a_village_result_is_seen_by_its_leader_and_a_department_result_by_its_handlers(
    people: dict[str, Any],
) -> None:
    town = services.managed_towns(people["center01"]).get()
    rule = {"type": "linear", "low": 60, "high": 100}
    schemes = [
        services.scheme_save(
            actor=people["center01"],
            town_code=town.code,
            family=family,
            name=family,
            target_type=target_type,
            items=[
                {
                    "code": "closure",
                    "label": "按期办结率",
                    "kind": "auto",
                    "indicator": "on_time_closure_rate",
                    "weight": 100,
                    "rule": rule,
                }
            ],
        )
        for family, target_type in (("village", "village"), ("dept", "department"))
    ]
    period = services.period_create(
        actor=people["center01"],
        town_code=town.code,
        kind="month",
        start=timezone.localdate(),
        scheme_ids=[s.pk for s in schemes],
    )
    period = compute(people, period)
    assert period.current is not None
    for name in ("gridlead01", "dept01"):
        assert not services.results_visible(people[name]).exists()
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    village = list(services.results_visible(people["gridlead01"]))
    department = list(services.results_visible(people["dept01"]))
    assert [r.target_type for r in village] == ["village"] and [r.target_type for r in department] == ["department"]
    # The village's and the department's responsible staff are told.
    from gridgov.notify.models import Notification

    for name in ("gridlead01", "dept01"):
        assert Notification.objects.filter(kind="assessment.published", recipient=people[name]).exists(), name
    assert not services.results_visible(people["grid01"]).exists()


def test_the_task_completion_item_reads_the_leaders_tasks(people: dict[str, Any]) -> None:
    """A department's parts done on time ÷ due, with the tasks behind both parts."""
    from gridgov.assessment.indicators import INDICATORS, Target, Window
    from gridgov.assignments.tests.helpers import department_of, give, parts
    from gridgov.assignments.tests.test_assignments import act

    task = give(people, cooperating=[f"department:{department_of(people['dept02'])}"])
    found = parts(task)
    act(people, "dept01", found["lead"], "accept")
    act(people, "dept01", found["lead"], "submit", comment="完成")
    act(people, "leader01", found["lead"], "approve")
    deadline = timezone.localtime(found["lead"].deadline)
    window = Window(deadline.date().replace(day=1), deadline.date(), deadline + dt.timedelta(days=1))
    measure = INDICATORS["task_completion"].measure
    done = Target("department", "d1", "甲", department_id=1, department_code=department_of(people["dept01"]))
    open_ = Target("department", "d2", "乙", department_id=2, department_code=department_of(people["dept02"]))
    first, second = measure(done, window, {}), measure(open_, window, {})
    assert first is not None and (first.value, first.num, first.den) == (100.0, 1, 1)
    assert first.refs["den"] == [[task.pk, task.title]]
    assert second is not None and (second.value, second.num, second.den) == (0.0, 0, 1)
    grid_worker = Target("grid_worker", "w", "丙", user_id=people["grid01"].pk)
    assert measure(grid_worker, window, {}) is None


def test_an_assessors_table_reads_each_scheme_s_targets_once_and_finds_what_one_key_finds(
    people: dict[str, Any],
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridgov.assessment.services.targets import targets_by_key

    period = this_month(people, worker_scheme(people))
    targets = services.targets_of(period.town, period.schemes.get().target_type)
    keys = [target.key for target in targets] + ["user:0", "area:nowhere", "dept:none", "nonsense"]
    one_by_one = {key: found for key in keys if (found := services.target_of(period, key)) is not None}
    with CaptureQueriesContext(connection) as queries:
        together = targets_by_key(period, keys)
    assert together == one_by_one
    assert len(together) == len(targets) >= 2
    assert len(queries.captured_queries) < len(targets)
    # A table with one key nobody is assessed under is refused whole.
    scores = {targets[0].key: ("5", "按时巡查"), "user:0": ("5", "x")}
    with pytest.raises(Invalid):
        services.manual_scores_set(actor=people["center01"], period_id=period.pk, item_code="conduct", scores=scores)
    assert not period.manual_scores.exists()
    made = services.manual_scores_set(
        actor=people["center01"], period_id=period.pk, item_code="conduct", scores={targets[0].key: ("5", "按时巡查")}
    )
    assert [score.target_key for score in made] == [targets[0].key]


def test_measured_together_every_target_gets_the_cases_it_gets_measured_alone(people: dict[str, Any]) -> None:
    from gridgov.assessment.indicators import INDICATORS, TARGETS, Window
    from gridgov.assessment.models import TargetType

    # Cases of several grids, villages, reporters, verifiers and departments.
    for state in ("registered", "dispatched", "awaiting_verification", "closed", "closed"):
        build(people, state)
    for by in ("grid01", "grid02", "grid01"):
        report(people, by=by)
    today = timezone.localdate()
    window = Window(today.replace(day=1), today, timezone.now())
    period = this_month(people, worker_scheme(people))
    targets = [target for kind in TargetType for target in services.targets_of(period.town, kind)]
    assert {target.type for target in targets} == set(TargetType)
    together: dict[Any, Any] = {TARGETS: targets}
    measured = 0
    for code, indicator in INDICATORS.items():
        if indicator.ref_kind != "case":
            continue
        for target in targets:
            alone = indicator.measure(target, window, {})
            with_others = indicator.measure(target, window, together)
            assert (alone.as_json() if alone else None) == (with_others.as_json() if with_others else None), (
                code,
                target.key,
            )
            measured += bool(alone and alone.den)
    assert measured >= 10
    # One query per figure, part and column for all of them.
    assert len([key for key in together if isinstance(key, tuple) and key[0] == "cases"]) <= 5 * 2 * 3
