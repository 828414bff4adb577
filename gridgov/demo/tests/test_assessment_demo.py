"""The demo's assessment loads through the services and tells a coherent story: three months
computed and published, the worker scheme's second version from the third, an appeal decided,
rewards and penalties confirmed."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.assessment import services
from gridgov.assessment.models import AppealStatus, Period, PeriodStatus, SanctionStatus, Scheme
from gridgov.cases.tests.loop_helpers import build
from gridgov.demo.assessment import load_demo_assessment

pytestmark = pytest.mark.django_db


def test_the_demo_assessment(people: dict[str, Any]) -> None:
    build(people, "closed")
    assert load_demo_assessment(allow_production_db=True) == 3
    assert load_demo_assessment(allow_production_db=True) == 0
    first, second, third = Period.objects.order_by("start")
    assert [p.status for p in (first, second, third)] == [
        PeriodStatus.FINAL,
        PeriodStatus.FINAL,
        PeriodStatus.PUBLISHED,
    ]
    worker = Scheme.objects.filter(family="worker-monthly").order_by("version")
    assert [s.version for s in worker] == [1, 2] and worker[0].frozen_at and worker[1].frozen_at
    leader = Scheme.objects.filter(family="leader-monthly").order_by("version")
    assert [s.version for s in leader] == [1, 2]
    assert second.appeals.get().status == AppealStatus.DECIDED
    assert second.sanctions.filter(status=SanctionStatus.CONFIRMED).exists()
    assert third.sanctions.filter(status=SanctionStatus.PROPOSED).exists()
    for period in (first, second, third):
        assert period.current is not None
        totals = [r.total for r in period.current.results.all()]
        assert totals and all(0 <= t <= 105 for t in totals)
        assert services.rescore(period.current) == services.score_inputs(period.current.inputs)
        leaders = period.current.results.filter(target_type="grid_leader")
        assert leaders.filter(user=people["gridlead01"]).exists()
    # The grid leader sees their own result and their village's grid workers', not the others'.
    seen = services.results_visible(people["gridlead01"]).filter(snapshot=third.current_id)
    assert seen.filter(user=people["gridlead01"]).exists()
    assert seen.filter(target_type="grid_worker").exists()
    assert seen.count() < third.current.results.exclude(target_type="department").count()  # type: ignore[union-attr]
