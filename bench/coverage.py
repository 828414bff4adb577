"""Benchmark of the patrol coverage computation (gridgov.patrols.coverage), without Django.

    .venv/bin/python bench/coverage.py [--points 100] [--vertices 33] [--patrols 500] [--month 22] [--roads 0]

An irregular grid of about 600 m × 500 m with ``--vertices`` vertices, and random street-like
walks of ``--points`` points inside it. Times, on one core: the coverage of one patrol as
``patrol_record`` computes it (projecting the grid, buffering the route by 50 m, intersecting),
the checkpoints passed (three checkpoints), and a month's coverage (the union of ``--month``
routes). With ``--roads N`` the grid has N road lines (a street lattice 80 m apart, half in each
direction) and the coverage is measured on their length, as for a grid with road lines. See
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gridgov.patrols.coverage import Checkpoint, GridArea, checkpoints_passed

LAT0, LNG0 = 38.8, 117.3
M_LAT = 1 / 111_320
M_LNG = M_LAT / math.cos(math.radians(LAT0))


def grid(vertices: int, rng: random.Random) -> dict[str, object]:
    ring = []
    for i in range(vertices):
        angle = 2 * math.pi * i / vertices
        radius = rng.uniform(250, 300)
        ring.append([LNG0 + radius * 1.1 * math.cos(angle) * M_LNG, LAT0 + radius * math.sin(angle) * M_LAT])
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def walk(points: int, rng: random.Random) -> list[tuple[float, float]]:
    x = y = 0.0
    heading = rng.randrange(4) * math.pi / 2
    track = []
    for _ in range(points):
        if rng.random() < 0.2:
            heading += rng.choice([-1, 1]) * math.pi / 2
        step = rng.uniform(40, 100)
        x = max(-220.0, min(220.0, x + step * math.cos(heading)))
        y = max(-200.0, min(200.0, y + step * math.sin(heading)))
        track.append((LAT0 + y * M_LAT, LNG0 + x * M_LNG))
    return track


def roads(count: int) -> list[dict[str, object]]:
    """``count`` straight streets across the grid, 80 m apart, alternately east-west and north-south."""
    lines: list[dict[str, object]] = []
    for i in range(count):
        offset = (i // 2 - count // 4) * 80.0
        if i % 2:
            ends = [(LNG0 + offset * M_LNG, LAT0 - 300 * M_LAT), (LNG0 + offset * M_LNG, LAT0 + 300 * M_LAT)]
        else:
            ends = [(LNG0 - 330 * M_LNG, LAT0 + offset * M_LAT), (LNG0 + 330 * M_LNG, LAT0 + offset * M_LAT)]
        lines.append({"type": "LineString", "coordinates": [list(end) for end in ends]})
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--vertices", type=int, default=33)
    parser.add_argument("--patrols", type=int, default=500)
    parser.add_argument("--month", type=int, default=22)
    parser.add_argument("--roads", type=int, default=0)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    rng = random.Random(1)
    boundary = grid(args.vertices, rng)
    tracks = [walk(args.points, rng) for _ in range(args.patrols)]
    checkpoints = [Checkpoint(f"c{i}", *walk(1, rng)[0], radius_m=40) for i in range(3)]
    lines = roads(args.roads)

    started = time.perf_counter()
    for track in tracks:
        area = GridArea(boundary, lines)
        area.share([area.route(track)])
        checkpoints_passed(track, checkpoints)
    per_patrol = (time.perf_counter() - started) / len(tracks)

    area = GridArea(boundary, lines)
    started = time.perf_counter()
    rounds = max(1, len(tracks) // args.month)
    for n in range(rounds):
        month = tracks[n * args.month : (n + 1) * args.month]
        share = area.share(area.route(track) for track in month)
    per_month = (time.perf_counter() - started) / rounds
    print(
        f"{args.points} points, {args.vertices} vertices, measure {area.measure} ({args.roads} roads): "
        f"{per_patrol * 1000:.2f} ms per patrol "
        f"(coverage + 3 checkpoints); month of {args.month} routes: {per_month * 1000:.1f} ms "
        f"(coverage {share:.0%})"
    )


if __name__ == "__main__":
    main()
