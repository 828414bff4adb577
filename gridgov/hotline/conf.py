"""Settings of the hotline with their defaults: ``settings.GRIDGOV_HOTLINE`` (a dict) overrides
any key below (see docs/hotline.md, "Time limits and settings")."""

from __future__ import annotations

from typing import Any, Final

from django.conf import settings

DEFAULTS: Final[dict[str, Any]] = {
    # Time to acknowledge (签收) per urgency class: [amount, unit] in gridgov.categories TimeUnit.
    "ACK_LIMITS": {
        "life_safety": [15, "calendar_minutes"],
        "utilities": [30, "calendar_minutes"],
        "general": [1, "working_days"],
    },
    # Time to reply per order type, in working days from arrival (unless upstream gives one).
    "REPLY_LIMIT_DAYS": {
        "enquiry": 2,
        "help": 10,
        "suggestion": 10,
        "complaint": 15,
        "report": 15,
        "praise": 2,
    },
    # Time for the town leader's instruction after the acknowledgement.
    "INSTRUCT_LIMIT": [1, "working_days"],
    # Return (退单) window from arrival, in working days: simple and complex orders.
    "RETURN_WINDOW_DAYS": 1,
    "RETURN_WINDOW_DAYS_COMPLEX": 2,
    # Types the center may assign to a department without a leader's instruction.
    "SKIP_INSTRUCT_TYPES": ["enquiry"],
    # Category of a case created from an order when neither the action nor the order names one.
    "CASE_CATEGORY": "visits.petition",
    # Share of a step's time after which the reminder goes out.
    "WARN_FRACTION": 0.8,
}


def get(name: str) -> Any:
    """One setting: ``GRIDGOV_HOTLINE[name]`` if set, else the default."""
    configured = getattr(settings, "GRIDGOV_HOTLINE", None) or {}
    if name in configured:
        return configured[name]
    return DEFAULTS[name]


def ack_limit(urgency_class: str) -> tuple[int, str]:
    limits = get("ACK_LIMITS")
    amount, unit = limits.get(urgency_class) or limits.get("general") or DEFAULTS["ACK_LIMITS"]["general"]
    return int(amount), str(unit)


def reply_limit_days(order_type: str) -> int:
    days = get("REPLY_LIMIT_DAYS")
    return int(days.get(order_type, DEFAULTS["REPLY_LIMIT_DAYS"].get(order_type, 10)))


def instruct_limit() -> tuple[int, str]:
    amount, unit = get("INSTRUCT_LIMIT")
    return int(amount), str(unit)


def return_window_days(complex_order: bool) -> int:
    return int(get("RETURN_WINDOW_DAYS_COMPLEX") if complex_order else get("RETURN_WINDOW_DAYS"))


def skip_instruct_types() -> frozenset[str]:
    return frozenset(get("SKIP_INSTRUCT_TYPES"))


def warn_fraction() -> float:
    return float(get("WARN_FRACTION"))
