"""Coverage and checkpoints on hand-made geometry: known shares."""

from __future__ import annotations

import math

import pytest

from gridgov.patrols.coverage import (
    EARTH_RADIUS_M,
    Checkpoint,
    GridArea,
    checkpoints_passed,
    coverage_of,
    usable_points,
)

LAT0, LNG0 = 30.0, 120.0
DLAT = 1 / (math.radians(1) * EARTH_RADIUS_M)  # degrees of latitude per metre
DLNG = DLAT / math.cos(math.radians(LAT0))


def at(x_m: float, y_m: float) -> tuple[float, float]:
    """(lat, lng) of a point ``x_m`` east and ``y_m`` north of the origin."""
    return LAT0 + y_m * DLAT, LNG0 + x_m * DLNG


def square(side_m: float) -> dict[str, object]:
    corners = [at(0, 0), at(side_m, 0), at(side_m, side_m), at(0, side_m), at(0, 0)]
    return {"type": "Polygon", "coordinates": [[[lng, lat] for lat, lng in corners]]}


def test_a_straight_track_through_a_square_grid_covers_a_band_of_100_m():
    # A 1 km square, a track across it through the middle: a 100 m band is 10% of it.
    track = [at(0, 500), at(1000, 500)]
    assert coverage_of(square(1000), [track]) == pytest.approx(0.10, abs=0.002)


def test_the_buffer_outside_the_grid_does_not_count():
    # Along the southern edge: only the inner 50 m of the band lies in the grid (5%).
    track = [at(0, 0), at(1000, 0)]
    assert coverage_of(square(1000), [track]) == pytest.approx(0.05, abs=0.002)


def test_tracks_together_count_their_union_once():
    grid = square(1000)
    first = [at(0, 500), at(1000, 500)]
    assert coverage_of(grid, [first, first]) == pytest.approx(0.10, abs=0.002)
    second = [at(0, 200), at(1000, 200)]
    assert coverage_of(grid, [first, second]) == pytest.approx(0.20, abs=0.003)


def test_a_single_point_covers_a_disc_and_no_track_covers_nothing():
    grid = GridArea(square(1000))
    assert grid.share([grid.route([at(500, 500)])]) == pytest.approx(math.pi * 50**2 / 1e6, rel=0.05)
    assert grid.share([grid.route([])]) == 0.0
    assert coverage_of(None, [[at(0, 0)]]) is None


def test_inaccurate_points_are_left_out():
    track = [[0, 30.0, 120.0, 8.0], [60, 30.001, 120.0, 250.0], [120, 30.002, 120.0, None]]
    assert usable_points(track) == [(30.0, 120.0), (30.002, 120.0)]


def test_checkpoints_count_when_the_line_passes_within_their_radius():
    # Points 200 m apart; the checkpoint lies between two of them, 20 m off the line.
    track = [at(0, 0), at(200, 0), at(400, 0)]
    near = Checkpoint("well", *at(100, 20), radius_m=30)
    far = Checkpoint("school", *at(100, 80), radius_m=30)
    assert checkpoints_passed(track, [near, far]) == ["well"]
    assert checkpoints_passed([], [near]) == []
