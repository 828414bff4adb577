"""The demo's discipline oversight loads through the services and gives the console believable
figures."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from gridgov.demo.cases import load_demo_cases
from gridgov.demo.hotline import load_demo_hotline
from gridgov.demo.notice import load_demo_notice
from gridgov.demo.oversight import load_demo_oversight
from gridgov.notice.models import ConductComplaint
from gridgov.oversight import selectors
from gridgov.oversight.models import Accountability, SupervisionNotice, SupervisionStatus

pytestmark = pytest.mark.django_db


def test_the_demo_oversight(people: dict[str, Any]) -> None:
    assert load_demo_oversight(allow_production_db=True) == 0  # no cases yet
    load_demo_cases(count=60, allow_production_db=True)
    load_demo_hotline(count=40, allow_production_db=True)
    load_demo_notice(allow_production_db=True, reports=True)
    assert load_demo_oversight(allow_production_db=True) > 0
    assert load_demo_oversight(allow_production_db=True) == 0
    statuses = sorted(SupervisionNotice.objects.values_list("status", flat=True))
    assert statuses == [SupervisionStatus.ANSWERED, SupervisionStatus.ISSUED]
    assert Accountability.objects.count() >= 1
    assert all(record.cases.exists() for record in Accountability.objects.all())
    assert set(ConductComplaint.objects.values_list("status", flat=True)) == {"received", "investigating", "concluded"}
    office = get_user_model().objects.get(username="super01")
    figures = {
        f.rule.code: f.count for f in selectors.figures(selectors.context_for(office, selectors.office_town(office)))
    }
    assert figures["overdue_supervision"] == 1
    assert figures["bulk_reveals"] == 1 and figures["data_access"] >= 1
    assert figures["overdue_cases"] > 0 and figures["reworked_cases"] > 0
