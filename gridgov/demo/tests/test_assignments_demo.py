"""The demo's leaders' tasks load through the services after the meetings and tell a coherent
story: something waits for leader01's decision, one task is cancelled, one meeting resolution is
a task and another is left to take over, and a resolution's state matches its task's."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gridgov.assignments import selectors
from gridgov.assignments.models import Assignment, AssignmentStatus, PartStatus
from gridgov.demo.assignments import load_demo_assignments
from gridgov.demo.meetings import load_demo_meetings
from gridgov.meetings.models import Resolution, ResolutionKind, ResolutionStatus

pytestmark = pytest.mark.django_db


def test_the_demo_tasks(people: dict[str, Any]) -> None:
    load_demo_meetings(allow_production_db=True)
    made = load_demo_assignments(allow_production_db=True)
    assert made == Assignment.objects.count() and made >= 12
    assert Assignment.objects.filter(status=AssignmentStatus.CANCELLED).count() == 1
    counts = selectors.waiting_counts(people["leader01"])
    assert counts["extension"] >= 1 and counts["submitted"] >= 1
    # Every task's state follows its parts (the lead part accepted: under way).
    for task in Assignment.objects.exclude(status=AssignmentStatus.CANCELLED):
        lead = task.parts.get(lead=True)
        if lead.status != PartStatus.ASSIGNED:
            assert task.status != AssignmentStatus.ASSIGNED, task.title
    taken = Assignment.objects.exclude(resolution=None).get()
    assert taken.resolution is not None and taken.resolution.status == ResolutionStatus.OPEN
    left = Resolution.objects.filter(kind=ResolutionKind.TASK, status=ResolutionStatus.OPEN).exclude(
        pk__in=Assignment.objects.exclude(resolution=None).values("resolution_id")
    )
    assert left.exists()
    # The reported resolution was not taken over: its state is its own.
    assert not Assignment.objects.filter(resolution__status=ResolutionStatus.REPORTED).exists()


def test_a_resolution_taken_over_shows_its_tasks_state(people: dict[str, Any]) -> None:
    load_demo_meetings(allow_production_db=True)
    load_demo_assignments(allow_production_db=True)
    taken = Assignment.objects.exclude(resolution=None).get()
    assert taken.resolution is not None
    client = Client()
    client.force_login(people["center01"])
    page = client.get(f"/meetings/{taken.resolution.meeting_id}/")
    assert page.status_code == 200
    rows = {row["resolution"].pk: row for row in page.context["resolutions"]}
    row = rows[taken.resolution_id]
    assert row["taken_state"] == str(AssignmentStatus(taken.status).label) and row["actions"] == []
    assert 'data-testid="resolution-taken-state"' in page.content.decode()
    assert "?resolution=" in page.content.decode()  # another task is left to take over


def test_a_resolution_reported_done_is_not_taken_over(people: dict[str, Any]) -> None:
    from gridgov.assignments import services
    from gridgov.core.errors import Invalid

    load_demo_meetings(allow_production_db=True)
    reported = Resolution.objects.get(status=ResolutionStatus.REPORTED)
    with pytest.raises(Invalid):
        services.assignment_from_resolution(
            actor=people["center01"], resolution_id=reported.pk, leader_id=people["leader01"].pk
        )
    client = Client()
    client.force_login(people["center01"])
    page = client.get(f"/meetings/{reported.meeting_id}/")
    assert f"?resolution={reported.pk}" not in page.content.decode()
