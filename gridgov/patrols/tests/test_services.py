"""patrol_record: stores a patrol once per client UUID, checks what the phone sent, measures
the route, links the cases reported on the way, writes the audit row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from gridgov.cases import services as case_services
from gridgov.core.models import AuditEvent
from gridgov.patrols import selectors
from gridgov.patrols.models import Patrol, PatrolFinding, PatrolStatus
from gridgov.patrols.services import TrackPoint, metres, patrol_record, track_distance

from .conftest import home_grid, new_id, walk


def record(user: Any, *, start: dt.datetime | None = None, minutes: int = 10, **overrides: Any) -> tuple[Patrol, bool]:
    start = start or timezone.now() - dt.timedelta(hours=1)
    values: dict[str, Any] = {
        "actor": user,
        "client_id": new_id(),
        "started_at": start,
        "ended_at": start + dt.timedelta(minutes=minutes),
        "consent": True,
        "findings": [],
    }
    values.update(overrides)
    if "track" not in values:
        values["track"] = [TrackPoint(**p) for p in walk(user, start=start)]
    return patrol_record(**values)


def errors_of(caught: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(caught.value.message_dict)


def test_a_patrol_is_stored_with_its_grid_distance_track_and_audit_row(people):
    start = timezone.now() - dt.timedelta(hours=2)
    patrol, created = record(people["grid01"], start=start)
    assert created
    assert patrol.grid == home_grid(people["grid01"]) and patrol.area_path == patrol.grid.path
    assert patrol.status == PatrolStatus.COMPLETE and patrol.point_count == 5
    # Four steps of 0.0005° of latitude: about 55.6 m each.
    assert 215 <= patrol.distance_m <= 230
    assert patrol.track[0][0] == 0 and patrol.track[-1][0] == 240
    assert patrol.consent and patrol.consent_at == start
    points = patrol.points()
    assert points[1]["t"] == start + dt.timedelta(seconds=60) and points[1]["accuracy"] == 8.0
    audit = AuditEvent.objects.get(action="patrol.record")
    assert audit.actor == people["grid01"] and audit.object_id == str(patrol.pk)
    assert audit.data["points"] == 5 and audit.data["grid"] == patrol.grid.code


def test_the_same_client_id_is_the_same_patrol_and_another_patrol_under_it_is_refused(people):
    start = timezone.now() - dt.timedelta(hours=1)
    client_id = new_id()
    first, created = record(people["grid01"], start=start, client_id=client_id)
    again, created_again = record(people["grid01"], start=start, client_id=client_id.upper())
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(ValidationError) as caught:
        record(people["grid01"], start=start, minutes=20, client_id=client_id)
    assert errors_of(caught) == {"client_id"}
    # Another worker's same UUID is their own patrol.
    other, created_other = record(people["grid02"], start=start, client_id=client_id)
    assert created_other and other.pk != first.pk
    assert Patrol.objects.count() == 2 and AuditEvent.objects.filter(action="patrol.record").count() == 2


def test_a_concurrent_retry_losing_the_race_returns_the_winners_patrol(people, monkeypatch):
    start = timezone.now() - dt.timedelta(hours=1)
    client_id = new_id()
    winner, _created = record(people["grid01"], start=start, client_id=client_id)
    real_filter = Patrol.objects.filter
    calls: list[Any] = []

    def racing_filter(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        query = real_filter(*args, **kwargs)
        return query.none() if len(calls) == 1 else query

    monkeypatch.setattr(Patrol.objects, "filter", racing_filter)
    with transaction.atomic():
        patrol, created = record(people["grid01"], start=start, client_id=client_id)
        assert (patrol.pk, created) == (winner.pk, False)
    monkeypatch.undo()
    assert Patrol.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"consent": False}, "consent"),
        ({"minutes": -5}, "ended_at"),
        ({"minutes": 0}, "ended_at"),
        ({"minutes": 25 * 60}, "ended_at"),
        ({"findings": ["x" * 65]}, "findings"),
        ({"findings": ["  "]}, "findings"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(people, overrides, field):
    with pytest.raises(ValidationError) as caught:
        record(people["grid01"], **overrides)
    assert errors_of(caught) == {field}
    assert not Patrol.objects.exists() and not AuditEvent.objects.filter(action="patrol.record").exists()


def test_a_patrol_ending_in_the_future_is_refused(people):
    with pytest.raises(ValidationError) as caught:
        record(people["grid01"], start=timezone.now() - dt.timedelta(minutes=5), minutes=30)
    assert errors_of(caught) == {"ended_at"}


@pytest.mark.parametrize(
    "point",
    [
        {"lat": 91.0},
        {"lng": -181.0},
        {"lat": 0.0, "lng": 0.0},
        {"lat": float("nan")},
        {"accuracy": -1.0},
        {"t_offset": dt.timedelta(hours=2)},
        {"t_offset": -dt.timedelta(minutes=5)},
    ],
)
def test_points_outside_sane_bounds_or_outside_the_patrols_time_are_refused(people, point):
    start = timezone.now() - dt.timedelta(hours=3)
    track = walk(people["grid01"], start=start)
    offset = point.pop("t_offset", None)
    if offset is not None:
        point["t"] = start + offset
    track[2] = {**track[2], **point}
    with pytest.raises(ValidationError) as caught:
        record(people["grid01"], start=start, track=[TrackPoint(**p) for p in track])
    assert errors_of(caught) == {"track"}


def test_at_most_the_configured_number_of_points(people, settings):
    settings.GRIDGOV_PATROL_MAX_POINTS = 4
    with pytest.raises(ValidationError) as caught:
        record(people["grid01"])
    assert errors_of(caught) == {"track"}
    settings.GRIDGOV_PATROL_MAX_POINTS = 5
    assert record(people["grid01"])[1]


def test_points_are_sorted_and_inaccurate_ones_do_not_count_in_the_distance(people):
    start = timezone.now() - dt.timedelta(hours=1)
    track = [TrackPoint(**p) for p in walk(people["grid01"], start=start, points=3)]
    far = TrackPoint(t=start + dt.timedelta(seconds=30), lat=track[0].lat + 0.01, lng=track[0].lng, accuracy=500)
    patrol, _created = record(people["grid01"], start=start, track=[track[2], far, track[0], track[1]])
    assert [row[0] for row in patrol.track] == [0, 30, 60, 120]
    assert patrol.distance_m == round(track_distance(track))
    assert 105 <= patrol.distance_m <= 115


def test_a_patrol_without_points_is_kept_without_a_route(people):
    patrol, _created = record(people["grid01"], track=[])
    assert patrol.status == PatrolStatus.NO_TRACK and patrol.distance_m == 0 and patrol.track == []
    assert patrol.grid == home_grid(people["grid01"])


def test_only_field_staff_record_patrols(people):
    for name in ("center01", "dept01", "leader01"):
        with pytest.raises(PermissionDenied):
            record(people[name], track=[TrackPoint(**p) for p in walk(people["grid01"], start=timezone.now())])


def test_a_grid_leader_patrol_takes_the_grid_of_its_first_point_inside_the_village(people):
    start = timezone.now() - dt.timedelta(hours=1)
    track = [TrackPoint(**p) for p in walk(people["grid01"], start=start)]
    patrol, _created = record(people["gridlead01"], start=start, track=track)
    assert patrol.grid == home_grid(people["grid01"])

    elsewhere = [TrackPoint(**p) for p in walk(people["grid02"], start=start)]
    with pytest.raises(ValidationError) as caught:
        record(people["gridlead01"], start=start, track=elsewhere)
    assert errors_of(caught) == {"track"}
    with pytest.raises(ValidationError):
        record(people["gridlead01"], start=start, track=[])


def test_findings_link_the_workers_reports_by_their_client_ids_even_when_they_arrive_later(people):
    grid = home_grid(people["grid01"])
    early_key, late_key, unknown_key = new_id(), new_id(), new_id()
    early, _created = case_services.case_create(
        actor=people["grid01"],
        category="parking.long_term",
        description="巡查发现占道",
        lat=grid.center_lat,
        lng=grid.center_lng,
        source="patrol",
        idempotency_key=early_key,
    )
    patrol, _created = record(people["grid01"], findings=[early_key, late_key, early_key, unknown_key])
    assert list(PatrolFinding.objects.filter(patrol=patrol).values_list("client_id", "case_id")) == [
        (early_key, early.pk),
        (late_key, None),
        (unknown_key, None),
    ]
    late, _created = case_services.case_create(
        actor=people["grid01"],
        category="parking.long_term",
        description="巡查发现堆物",
        lat=grid.center_lat,
        lng=grid.center_lng,
        source="patrol",
        idempotency_key=late_key,
    )
    found = selectors.findings_of(people["center01"], patrol)
    assert [case.pk if case else None for _finding, case in found] == [early.pk, late.pk, None]
    # Someone who may see the patrol but not the case sees the finding without it.
    assert all(case is None for _finding, case in selectors.findings_of(people["dept01"], patrol))


def test_haversine_metres():
    assert metres(39.0, 117.0, 39.0, 117.0) == 0
    assert 111_000 < metres(39.0, 117.0, 40.0, 117.0) < 111_400
