"""Judging patrols: the grid's standard, the figures frozen on each patrol, the day view per
worker (days without a route marked), the month view per grid and the coverage selector, all
scoped; the pages and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.patrols import selectors
from gridgov.patrols.coverage import Checkpoint
from gridgov.patrols.models import PatrolStandard
from gridgov.patrols.services import TrackPoint, patrol_record, standard_set
from gridgov.people.services import token_issue
from gridgov.workcalendar import calendar

from .conftest import home_grid, new_id, walk


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def workdays(count: int) -> list[dt.date]:
    """The last ``count`` working days before today, oldest first."""
    days: list[dt.date] = []
    day = timezone.localdate()
    while len(days) < count:
        day -= dt.timedelta(days=1)
        if calendar.is_workday(day):
            days.append(day)
    return days[::-1]


def at_nine(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def patrol_on(user: Any, day: dt.date, *, points: int = 20, minutes: int = 45) -> Any:
    start = at_nine(day)
    patrol, _created = patrol_record(
        actor=user,
        client_id=new_id(),
        started_at=start,
        ended_at=start + dt.timedelta(minutes=minutes),
        track=[TrackPoint(**p) for p in walk(user, start=start, points=points, step_deg=0.0002)],
        consent=True,
    )
    return patrol


def centre_standard(people: dict[str, Any], minutes: int = 30) -> PatrolStandard:
    grid = home_grid(people["grid01"])
    assert grid.center_lat is not None and grid.center_lng is not None
    return standard_set(
        actor=people["center01"],
        grid=grid,
        min_minutes_per_day=minutes,
        checkpoints=[
            Checkpoint("office", grid.center_lat, grid.center_lng, radius_m=30, visits_per_week=5),
            Checkpoint("far", grid.center_lat - 0.01, grid.center_lng, radius_m=30),
        ],
    )


def test_the_center_and_the_grid_leader_set_a_standard_with_its_history(people):
    grid = home_grid(people["grid01"])
    first = centre_standard(people)
    assert first.area_path == grid.path and len(first.checkpoints) == 2
    changed = standard_set(actor=people["gridlead01"], grid=grid, min_minutes_per_day=60, checkpoints=[])
    assert changed.pk == first.pk and changed.min_minutes_per_day == 60 and changed.checkpoints == []
    history = list(AuditEvent.objects.filter(action="patrol.standard_set").order_by("id"))
    assert [e.data["before"] is None for e in history] == [True, False]
    assert history[1].data["before"]["min_minutes_per_day"] == 30 and history[1].data["after"]["checkpoints"] == []
    for refused in ("grid01", "dept01"):
        with pytest.raises(PermissionDenied):
            standard_set(actor=people[refused], grid=grid, min_minutes_per_day=10, checkpoints=[])
    with pytest.raises(ValidationError):
        standard_set(
            actor=people["center01"], grid=grid, min_minutes_per_day=10, checkpoints=[Checkpoint("x", 0, 0, 1)]
        )
    with pytest.raises(ValidationError):
        standard_set(actor=people["center01"], grid=grid.parent, min_minutes_per_day=10, checkpoints=[])


def test_each_patrol_stores_its_coverage_and_the_checkpoints_it_passed(people):
    centre_standard(people)
    patrol = patrol_on(people["grid01"], workdays(1)[0])
    assert patrol.checkpoints_passed == ["office"] and patrol.checkpoint_total == 2
    assert patrol.coverage is not None and 0 < patrol.coverage < 1
    # Frozen: a later standard does not change the patrol.
    standard_set(actor=people["center01"], grid=patrol.grid, min_minutes_per_day=10, checkpoints=[])
    patrol.refresh_from_db()
    assert patrol.checkpoint_total == 2
    audit = AuditEvent.objects.get(action="patrol.record", object_id=str(patrol.pk))
    assert audit.data["coverage"] == patrol.coverage and audit.data["checkpoints_passed"] == 1


def test_the_day_view_marks_working_days_without_a_route(people):
    centre_standard(people, minutes=40)
    first, second, third = workdays(3)
    patrol_on(people["grid01"], first, minutes=45)
    patrol_on(people["grid01"], third, minutes=20)
    rows = selectors.worker_days(people["gridlead01"], first, third)
    mine = {row.day: row for row in rows if row.worker == people["grid01"]}
    assert mine[first].patrolled and mine[first].meets_minimum and mine[first].minutes == 45
    assert mine[first].checkpoints_passed == ["office"] and mine[first].checkpoint_total == 2
    assert not mine[second].patrolled and mine[second].coverage == 0.0
    assert mine[third].patrolled and not mine[third].meets_minimum
    # Scoped: a worker sees only themself; someone outside the grids nobody.
    assert {row.worker for row in selectors.worker_days(people["grid02"], first, third)} == {people["grid02"]}
    assert selectors.worker_days(people["dept01"], first, third) == []
    center = {row.worker for row in selectors.worker_days(people["center01"], first, third)}
    assert {people["grid01"], people["grid02"]} <= center


def test_today_is_not_missed_before_it_is_over_and_the_rows_follow_the_areas(people):
    today = timezone.localdate()
    rows = selectors.worker_days(people["center01"], today - dt.timedelta(days=13), today)
    # (Every day is shown red "no route" and counted in the morning, a patrol at 08:38 or not.)
    assert all(not row.missed for row in rows if row.day == today)
    assert any(row.missed for row in rows if row.day < today and row.workday)
    codes = [row.grid.code for row in rows if row.grid is not None]
    assert codes == sorted(codes)


def test_the_day_view_shows_a_sunday_patrol_and_misses_nobody_on_sunday(people):
    sunday = timezone.localdate() - dt.timedelta(days=1)
    while sunday.weekday() != 6 or calendar.is_workday(sunday):
        sunday -= dt.timedelta(days=1)
    monday = sunday + dt.timedelta(days=1)
    patrol = patrol_on(people["grid01"], sunday)
    rows = selectors.worker_days(people["center01"], sunday - dt.timedelta(days=6), monday)
    on_sunday = {row.worker: row for row in rows if row.day == sunday}
    assert on_sunday[people["grid01"]].patrolled and on_sunday[people["grid01"]].patrols == [patrol]
    assert not on_sunday[people["grid01"]].workday
    assert not on_sunday[people["grid02"]].patrolled and not on_sunday[people["grid02"]].workday
    saturday = sunday - dt.timedelta(days=1)
    if not calendar.is_workday(saturday):
        assert all(row.day != saturday for row in rows)  # a rest day nobody patrolled is not shown
    page = client_for(people["gridlead01"]).get(
        reverse("patrols:days"), {"date_from": sunday.isoformat(), "date_to": sunday.isoformat()}
    )
    html = page.content.decode()
    assert f'data-day="{sunday.isoformat()}" data-patrolled="yes" data-workday="no"' in html
    assert "<td>0</td>" in html and "<td>1</td>" not in html  # nobody has a day without a route


def test_the_month_coverage_is_the_union_of_the_month_routes(people):
    day = workdays(1)[0]
    one = patrol_on(people["grid01"], day)
    patrol_on(people["grid01"], day)  # the same route again adds nothing
    grid = one.grid
    month = day.replace(day=1)
    assert selectors.patrol_coverage(grid, month) == pytest.approx(one.coverage, abs=1e-4)
    assert selectors.patrol_coverage(grid, month, worker_id=people["grid02"].pk) == 0.0
    view = selectors.grid_month(people["gridlead01"], grid, month)
    assert view.patrol_count == 2 and view.coverage == pytest.approx(one.coverage, abs=1e-4)
    assert [d["patrols"] for d in view.days if d["day"] == day] == [2]
    assert selectors.grid_month(people["grid02"], grid, month).patrol_count == 0  # not their patrols


def test_the_pages_show_the_days_the_month_and_edit_the_standard(people):
    first, second = workdays(2)
    patrol_on(people["grid01"], first)
    leader = client_for(people["gridlead01"])
    page = leader.get(reverse("patrols:days"), {"date_from": first, "date_to": second}).content.decode()
    assert 'data-testid="patrol-days"' in page
    assert f'data-day="{second:%Y-%m-%d}" data-patrolled="no"' in page
    assert f'data-day="{first:%Y-%m-%d}" data-patrolled="yes"' in page
    grid = home_grid(people["grid01"])
    month = leader.get(reverse("patrols:grid_month", args=[grid.code]), {"month": f"{first:%Y-%m}"})
    assert month.status_code == 200 and len(month.context["map_config"]["tracks"]) == 1
    assert "patrols/heat.js" in month.content.decode()
    saved = leader.post(
        reverse("patrols:standard", args=[grid.code]),
        {"min_minutes_per_day": "50", "checkpoints": "村委会, 39.1, 117.7, 40, 3\n\n路口，39.101，117.701"},
    )
    assert saved.status_code == 302
    standard = PatrolStandard.objects.get(grid=grid)
    assert standard.min_minutes_per_day == 50 and [c["name"] for c in standard.checkpoints] == ["村委会", "路口"]
    bad = leader.post(reverse("patrols:standard", args=[grid.code]), {"min_minutes_per_day": "50", "checkpoints": "x"})
    assert bad.status_code == 200 and PatrolStandard.objects.get(grid=grid).checkpoints == standard.checkpoints
    assert client_for(people["grid01"]).get(reverse("patrols:standard", args=[grid.code])).status_code == 403
    # Someone who sees the grid but none of its patrols sees an empty month.
    other = client_for(people["dept01"]).get(
        reverse("patrols:grid_month", args=[grid.code]), {"month": f"{first:%Y-%m}"}
    )
    assert other.status_code == 200 and other.context["view"].patrol_count == 0
    assert client_for(people["grid01"]).get(reverse("patrols:grid_month", args=["no-such"])).status_code == 404


def test_the_api_gives_standards_days_and_the_month_of_a_grid(people):
    centre_standard(people)
    day = workdays(1)[0]
    patrol = patrol_on(people["grid01"], day)
    _token, raw = token_issue(actor=people["gridlead01"], user=people["gridlead01"], name="t")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    standards = api.get("/api/v1/patrols/standards").json()["items"]
    assert [s["grid"]["code"] for s in standards] == [patrol.grid.code]
    days = api.get("/api/v1/patrols/days", {"date_from": day, "date_to": day}).json()
    row = next(r for r in days["items"] if r["worker"]["username"] == "grid01")
    assert row["patrolled"] and row["coverage"] == patrol.coverage and row["checkpoints_passed"] == ["office"]
    month = api.get(f"/api/v1/patrols/grids/{patrol.grid.code}", {"month": f"{day:%Y-%m}"}).json()
    assert month["coverage"] == pytest.approx(patrol.coverage, abs=1e-4) and month["standard"]["min_minutes_per_day"]
    assert api.get(f"/api/v1/patrols/grids/{patrol.grid.code}", {"month": "2026-13"}).status_code == 422
    assert api.get("/api/v1/patrols/days", {"date_from": "2026-01-01", "date_to": "2026-03-01"}).status_code == 422
    listed = api.get("/api/v1/patrols").json()["items"][0]
    assert listed["coverage"] == patrol.coverage and listed["checkpoint_total"] == 2
