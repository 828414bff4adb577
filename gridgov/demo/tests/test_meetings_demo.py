"""The demo's opinion meetings load through the services and tell a coherent story."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.demo.meetings import load_demo_meetings
from gridgov.meetings import services
from gridgov.meetings.models import Meeting, MeetingStatus, ResolutionStatus

pytestmark = pytest.mark.django_db


def test_the_demo_meetings(people: dict[str, Any]) -> None:
    assert load_demo_meetings(allow_production_db=True) == 2
    assert load_demo_meetings(allow_production_db=True) == 0
    town, village = Meeting.objects.order_by("starts_at")
    assert town.status == MeetingStatus.CLOSED and town.attendance.count() == 3
    assert sorted(r.kind for r in town.resolutions.all()) == ["case", "task", "task", "task", "task"]
    assert town.resolutions.filter(status=ResolutionStatus.DONE).count() == 1
    assert village.status == MeetingStatus.PLANNED
    followup = services.open_resolutions(village.area, before=village)
    assert [r.status for r in followup] == [ResolutionStatus.REPORTED]
    assert any(item["source"] == "followup" for item in village.agenda)
