"""Scoring: from frozen inputs to points, with no database read (so a snapshot can be scored
again at any time and gives the same digits).

A rule turns an item's value (a rate in percent, or a coverage in percent) into a share of the
item's weight:

- ``linear``: ``low`` scores nothing, ``high`` scores the full weight, straight in between and
  clamped outside. ``low`` above ``high`` reads "lower is better" (a rework rate: 20 % nothing,
  0 % full).
- ``thresholds``: ``steps`` ``[[bound, percent of the weight], …]``; with ``direction``
  ``at_least`` the first step whose bound the value reaches (bounds from the highest), with
  ``at_most`` the first whose bound the value does not pass (bounds from the lowest);
  ``otherwise`` (percent) when none does.

An item without data (nothing due, no denominator; a manual item not scored) scores by its
``no_data`` policy: the full weight, nothing, or left out, the other items' points then scaled up
to the weights of all. Bonus and penalty points are added after, each capped by the scheme.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from django.utils.translation import gettext as _

from gridgov.core.errors import Invalid

CENT: Final = Decimal("0.01")
RULE_TYPES: Final = ("linear", "thresholds")
DIRECTIONS: Final = ("at_least", "at_most")


def money(value: Decimal | float | int | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def check_rule(rule: Mapping[str, Any], field: str = "rule") -> dict[str, Any]:
    """The rule as stored, or 422 with a clear message."""
    kind = rule.get("type")
    try:
        if kind == "linear":
            low, high = float(rule["low"]), float(rule["high"])
            if low == high:
                raise Invalid.field(field, _("The two bounds of a linear rule must differ."))
            return {"type": "linear", "low": low, "high": high}
        if kind == "thresholds":
            direction = rule.get("direction", "at_least")
            if direction not in DIRECTIONS:
                raise Invalid.field(field, _("Choose whether the value must reach or stay under the bounds."))
            steps = [[float(bound), float(share)] for bound, share in rule["steps"]]
            if not steps or any(not 0 <= share <= 100 for _bound, share in steps):
                raise Invalid.field(field, _("Each step gives between 0 and 100 percent of the weight."))
            otherwise = float(rule.get("otherwise", 0))
            if not 0 <= otherwise <= 100:
                raise Invalid.field(field, _("Each step gives between 0 and 100 percent of the weight."))
            steps.sort(key=lambda step: -step[0] if direction == "at_least" else step[0])
            return {"type": "thresholds", "direction": direction, "steps": steps, "otherwise": otherwise}
    except (KeyError, TypeError, ValueError):
        raise Invalid.field(field, _("Write the rule's numbers (bounds and percentages).")) from None
    raise Invalid.field(field, _("Choose a rule: linear or thresholds."))


def share(rule: Mapping[str, Any], value: float) -> float:
    """The share (0–1) of the weight that ``value`` earns under ``rule``."""
    if rule["type"] == "linear":
        low, high = float(rule["low"]), float(rule["high"])
        return min(1.0, max(0.0, (value - low) / (high - low)))
    reached = (lambda bound: value >= bound) if rule["direction"] == "at_least" else (lambda bound: value <= bound)
    for bound, percent in rule["steps"]:
        if reached(float(bound)):
            return float(percent) / 100
    return float(rule.get("otherwise", 0)) / 100


def item_points(item: Mapping[str, Any], inputs: Mapping[str, Any] | None) -> Decimal | None:
    """The points of one item (None: left out for want of data)."""
    weight = Decimal(str(item["weight"]))
    value = None if inputs is None else inputs.get("value")
    if item["kind"] == "manual":
        if value is None:
            return _no_data(item, weight)
        return money(min(max(Decimal(str(value)), Decimal(0)), weight))
    if value is None:
        return _no_data(item, weight)
    return money(weight * Decimal(str(share(item["rule"], float(value)))))


def _no_data(item: Mapping[str, Any], weight: Decimal) -> Decimal | None:
    policy = item.get("no_data", "full")
    if policy == "exclude":
        return None
    return money(weight if policy == "full" else 0)


def score(scheme: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Score one target: ``scheme`` as frozen (items, caps), ``inputs`` as frozen (per item code
    its measure or manual score, and the ``entries``). Returns the breakdown and ``score``."""
    lines: list[dict[str, Any]] = []
    earned = Decimal(0)
    counted = Decimal(0)
    weights = Decimal(0)
    for item in scheme["items"]:
        given = inputs.get("items", {}).get(item["code"])
        points = item_points(item, given)
        weight = Decimal(str(item["weight"]))
        weights += weight
        if points is not None:
            earned += points
            counted += weight
        lines.append({**(given or {}), "code": item["code"], "points": None if points is None else str(points)})
    base = earned if counted == weights or counted == 0 else earned * weights / counted
    bonus = _capped(inputs.get("entries", []), "bonus", Decimal(str(scheme["bonus_cap"])))
    penalty = _capped(inputs.get("entries", []), "penalty", Decimal(str(scheme["penalty_cap"])))
    total = money(base) + bonus - penalty
    return {
        "items": lines,
        "base": str(money(base)),
        "bonus": str(bonus),
        "penalty": str(penalty),
        "score": str(money(total)),
    }


def _capped(entries: Iterable[Mapping[str, Any]], kind: str, cap: Decimal) -> Decimal:
    found = sum((Decimal(str(e["points"])) for e in entries if e["kind"] == kind), Decimal(0))
    return money(min(found, cap))


def ranks(totals: list[tuple[str, Decimal]]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4) by total, highest first; ties share a rank."""
    ordered = sorted(totals, key=lambda pair: (-pair[1], pair[0]))
    found: dict[str, int] = {}
    previous: Decimal | None = None
    rank = 0
    for position, (key, total) in enumerate(ordered, start=1):
        if total != previous:
            rank = position
            previous = total
        found[key] = rank
    return found
