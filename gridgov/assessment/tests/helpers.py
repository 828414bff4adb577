"""A worker scheme and a computed period for the assessment's tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from gridgov.areas.models import Area, AreaLevel

from .. import services
from ..models import Period, Result

WORKER_ITEMS: list[dict[str, Any]] = [
    {
        "code": "reports",
        "label": "有效上报率",
        "kind": "auto",
        "indicator": "valid_report_rate",
        "weight": 40,
        "rule": {"type": "thresholds", "direction": "at_least", "steps": [[90, 100], [60, 75]], "otherwise": 25},
    },
    {
        "code": "closure",
        "label": "事件按期办结率",
        "kind": "auto",
        "indicator": "on_time_closure_rate",
        "weight": 30,
        "rule": {"type": "linear", "low": 60, "high": 100},
        "no_data": "full",
    },
    {"code": "conduct", "label": "工作表现", "kind": "manual", "weight": 30, "no_data": "zero"},
]


def town() -> Area:
    return Area.objects.current().get(level=AreaLevel.TOWN)


def worker_scheme(people: dict[str, Any], items: list[dict[str, Any]] | None = None) -> Any:
    return services.scheme_save(
        actor=people["center01"],
        town_code=town().code,
        family="worker-monthly",
        name="网格员月度考核",
        target_type="grid_worker",
        items=items or WORKER_ITEMS,
        bonus_cap=3,
        penalty_cap=5,
    )


def this_month(people: dict[str, Any], scheme: Any) -> Period:
    return services.period_create(
        actor=people["center01"],
        town_code=town().code,
        kind="month",
        start=timezone.localdate(),
        scheme_ids=[scheme.pk],
    )


def compute(people: dict[str, Any], period: Period, action: str = "compute", **inputs: Any) -> Period:
    """Ask for the computation and run the worker's part (the task's body) at once."""
    services.period_act(actor=people["center01"], pk=period.pk, action=action, inputs=inputs)
    snapshot = period.snapshots.order_by("-number").first()
    assert snapshot is not None
    services.snapshot_compute(pk=snapshot.pk)
    return Period.objects.get(pk=period.pk)


def result_of(period: Period, user: Any) -> Result:
    assert period.current is not None
    return period.current.results.get(target_key=f"user:{user.pk}")


def ended(period: Period) -> Period:
    """Let a period computed this month be over (publishing waits for its last day)."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Period.objects.filter(pk=period.pk, end__gt=yesterday).update(end=yesterday)
    return Period.objects.get(pk=period.pk)


def publish(people: dict[str, Any], period: Period) -> Period:
    """Publish a computed period once it has ended."""
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    return Period.objects.get(pk=period.pk)
