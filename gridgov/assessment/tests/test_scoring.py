"""The scoring rules, without a database: each rule type, no data, caps and ties."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gridgov.assessment import scoring
from gridgov.core.errors import Invalid

LINEAR = {"type": "linear", "low": 60.0, "high": 100.0}
LOWER_BETTER = {"type": "linear", "low": 20.0, "high": 0.0}
STEPS = scoring.check_rule({"type": "thresholds", "steps": [[80, 60], [95, 100], [90, 80]], "otherwise": 0})
AT_MOST = scoring.check_rule({"type": "thresholds", "direction": "at_most", "steps": [[10, 50], [5, 100]]})


def item(rule: dict, weight: int = 20, kind: str = "auto", no_data: str = "full") -> dict:
    return {"code": "x", "kind": kind, "weight": weight, "rule": rule, "no_data": no_data}


@pytest.mark.parametrize(
    ("value", "points"), [(50, "0.00"), (60, "0.00"), (80, "10.00"), (97.5, "18.75"), (100, "20.00"), (120, "20.00")]
)
def test_a_linear_rule_scores_straight_between_its_bounds_and_clamps_outside(value: float, points: str) -> None:
    assert scoring.item_points(item(LINEAR), {"value": value}) == Decimal(points)


@pytest.mark.parametrize(("value", "points"), [(0, "20.00"), (5, "15.00"), (20, "0.00"), (35, "0.00")])
def test_a_linear_rule_with_the_low_bound_above_reads_lower_is_better(value: float, points: str) -> None:
    assert scoring.item_points(item(LOWER_BETTER), {"value": value}) == Decimal(points)


@pytest.mark.parametrize(
    ("value", "points"), [(99, "20.00"), (95, "20.00"), (92, "16.00"), (85, "12.00"), (79.9, "0.00")]
)
def test_thresholds_at_least_take_the_highest_bound_reached(value: float, points: str) -> None:
    assert STEPS["steps"][0][0] == 95  # sorted whatever the order given
    assert scoring.item_points(item(STEPS), {"value": value}) == Decimal(points)


@pytest.mark.parametrize(("value", "points"), [(3, "20.00"), (5, "20.00"), (8, "10.00"), (12, "0.00")])
def test_thresholds_at_most_take_the_lowest_bound_not_passed(value: float, points: str) -> None:
    assert scoring.item_points(item(AT_MOST), {"value": value}) == Decimal(points)


def test_without_data_an_item_scores_full_nothing_or_is_left_out_and_the_rest_scaled() -> None:
    assert scoring.item_points(item(LINEAR, no_data="full"), {"value": None}) == Decimal("20.00")
    assert scoring.item_points(item(LINEAR, no_data="zero"), None) == Decimal("0.00")
    scheme = {
        "bonus_cap": "3",
        "penalty_cap": "5",
        "items": [
            {**item(LINEAR, weight=50, no_data="exclude"), "code": "a"},
            {**item(LINEAR, weight=50), "code": "b"},
        ],
    }
    scored = scoring.score(scheme, {"items": {"a": {"value": None}, "b": {"value": 80}}})
    assert scored["items"][0]["points"] is None
    assert scored["score"] == "50.00"  # 25 of 50 counted, scaled to the 100 of both


def test_a_manual_score_is_kept_within_its_weight() -> None:
    assert scoring.item_points(item({}, weight=10, kind="manual"), {"value": "8.5"}) == Decimal("8.50")
    assert scoring.item_points(item({}, weight=10, kind="manual"), {"value": "14"}) == Decimal("10.00")


def test_bonus_and_penalty_points_are_capped_by_the_scheme() -> None:
    scheme = {"bonus_cap": "3", "penalty_cap": "5", "items": [{**item(LINEAR, weight=100), "code": "a"}]}
    entries = [
        {"kind": "bonus", "points": "2"},
        {"kind": "bonus", "points": "2"},
        {"kind": "penalty", "points": "1.5"},
    ]
    scored = scoring.score(scheme, {"items": {"a": {"value": 90}}, "entries": entries})
    assert (scored["base"], scored["bonus"], scored["penalty"], scored["score"]) == ("75.00", "3.00", "1.50", "76.50")


def test_ties_share_a_rank_and_the_next_rank_is_skipped() -> None:
    ranked = scoring.ranks([("a", Decimal(90)), ("b", Decimal(95)), ("c", Decimal(90)), ("d", Decimal(80))])
    assert ranked == {"b": 1, "a": 2, "c": 2, "d": 4}


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "linear", "low": 50, "high": 50},
        {"type": "linear", "low": "x", "high": 1},
        {"type": "thresholds", "steps": [[90, 120]]},
        {"type": "thresholds", "direction": "sideways", "steps": [[90, 100]]},
        {"type": "curve"},
    ],
)
def test_a_bad_rule_is_refused_with_a_clear_message(rule: dict) -> None:
    with pytest.raises(Invalid):
        scoring.check_rule(rule)
