"""Benchmark of the locate index: point → grid lookups per second.

    DEBUG=1 .venv/bin/python bench/locate.py [--grids 5000] [--lookups 200000] [--vertices 8]

Sets up Django on a temporary SQLite database (and a temporary var folder), generates a town
of villages tiled by irregular grids (shared, jittered edges with ``--vertices`` points per
side, so neighbours meet exactly), imports them through ``areas_import`` (validation
included), builds the index and times random lookups on one core. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = (117.30, 38.80)  # lng, lat: somewhere near Binhai New Area
CELL = 0.004  # degrees: about 350 m × 440 m


def setup_django(workdir: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["GRIDGOV_VAR_DIR"] = str(workdir)
    os.environ.setdefault("DEBUG", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # do not keep every query in memory
    call_command("migrate", verbosity=0)


class Lattice:
    """Jittered corners and edges shared by neighbouring cells, so the cells tile exactly."""

    def __init__(self, columns: int, rows: int, vertices: int, seed: int) -> None:
        self.columns, self.rows, self.vertices = columns, rows, vertices
        rng = random.Random(seed)
        self.corners = {
            (i, j): (
                ORIGIN[0] + (i + (rng.uniform(-0.1, 0.1) if 0 < i < columns else 0)) * CELL,
                ORIGIN[1] + (j + (rng.uniform(-0.1, 0.1) if 0 < j < rows else 0)) * CELL,
            )
            for i in range(columns + 1)
            for j in range(rows + 1)
        }
        self.edges: dict[tuple[Any, ...], list[tuple[float, float]]] = {}
        for i in range(columns + 1):
            for j in range(rows + 1):
                if i < columns:
                    self.edges[("h", i, j)] = self._edge(
                        self.corners[i, j], self.corners[i + 1, j], j in (0, rows), rng
                    )
                if j < rows:
                    self.edges[("v", i, j)] = self._edge(
                        self.corners[i, j], self.corners[i, j + 1], i in (0, columns), rng
                    )

    def _edge(
        self, a: tuple[float, float], b: tuple[float, float], straight: bool, rng: random.Random
    ) -> list[tuple[float, float]]:
        """Points strictly between a and b, pushed sideways a little (outer edges stay straight)."""
        dx, dy = b[0] - a[0], b[1] - a[1]
        length = math.hypot(dx, dy)
        nx, ny = -dy / length, dx / length
        points = []
        for step in range(1, self.vertices):
            t = step / self.vertices
            # Smaller near the corners, so that the edges meeting there cannot cross.
            amplitude = 0.05 * CELL * min(1.0, 4 * min(t, 1 - t))
            offset = 0.0 if straight else rng.uniform(-amplitude, amplitude)
            points.append((a[0] + t * dx + offset * nx, a[1] + t * dy + offset * ny))
        return points

    def ring(self, i0: int, j0: int, i1: int, j1: int) -> list[list[float]]:
        """The boundary of the block of cells [i0, i1) × [j0, j1), counter-clockwise."""
        ring: list[tuple[float, float]] = []
        for i in range(i0, i1):  # south side, west → east
            ring += [self.corners[i, j0], *self.edges["h", i, j0]]
        for j in range(j0, j1):  # east side, south → north
            ring += [self.corners[i1, j], *self.edges["v", i1, j]]
        for i in range(i1, i0, -1):  # north side, east → west
            ring += [self.corners[i, j1], *reversed(self.edges["h", i - 1, j1])]
        for j in range(j1, j0, -1):  # west side, north → south
            ring += [self.corners[i0, j], *reversed(self.edges["v", i0, j - 1])]
        ring.append(ring[0])
        return [[round(x, 7), round(y, 7)] for x, y in ring]


def generate(grids: int, vertices: int, seed: int) -> tuple[dict[str, Any], tuple[float, float, float, float]]:
    """A district, a town, villages of 10 × 5 grids in a near-square block layout."""
    village_columns, village_rows = 10, 5
    villages = math.ceil(grids / (village_columns * village_rows))
    blocks_x = math.ceil(math.sqrt(villages))
    blocks_y = math.ceil(villages / blocks_x)
    lattice = Lattice(blocks_x * village_columns, blocks_y * village_rows, vertices, seed)

    def polygon(i0: int, j0: int, i1: int, j1: int) -> dict[str, Any]:
        return {"type": "Polygon", "coordinates": [lattice.ring(i0, j0, i1, j1)]}

    columns, rows = blocks_x * village_columns, blocks_y * village_rows
    features: list[dict[str, Any]] = [
        _feature("120116000000", "Bench District", "district", None, None),
        _feature("120116104000", "Bench Town", "town", "120116000000", polygon(0, 0, columns, rows)),
    ]
    made = 0
    for v in range(villages):
        bx, by = v % blocks_x, v // blocks_x
        i0, j0 = bx * village_columns, by * village_rows
        village_code = f"120116104{v + 1:03d}"
        features.append(
            _feature(
                village_code,
                f"Village {v + 1}",
                "village",
                "120116104000",
                polygon(i0, j0, i0 + village_columns, j0 + village_rows),
            )
        )
        for g in range(village_columns * village_rows):
            if made == grids:
                break
            gi, gj = i0 + g % village_columns, j0 + g // village_columns
            features.append(
                _feature(
                    f"{village_code}{g + 1:02d}",
                    f"Grid {v + 1}-{g + 1}",
                    "grid",
                    village_code,
                    polygon(gi, gj, gi + 1, gj + 1),
                )
            )
            made += 1
    region = (ORIGIN[0], ORIGIN[1], ORIGIN[0] + columns * CELL, ORIGIN[1] + rows * CELL)
    return {"type": "FeatureCollection", "features": features}, region


def _feature(code: str, name: str, level: str, parent: str | None, geometry: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level, "parent_code": parent, "households": 300},
        "geometry": geometry,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grids", type=int, default=5000)
    parser.add_argument("--lookups", type=int, default=200_000)
    parser.add_argument("--vertices", type=int, default=8, help="points per grid side (default 8)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as tmp:
        setup_django(Path(tmp))
        import numpy as np
        import shapely

        from gridgov.areas import locate
        from gridgov.areas.services import areas_import

        collection, (min_lng, min_lat, max_lng, max_lat) = generate(args.grids, args.vertices, args.seed)
        started = time.perf_counter()
        report = areas_import(actor=None, collection=collection)
        import_seconds = time.perf_counter() - started

        locate.reset()
        started = time.perf_counter()
        info = locate.index_info()
        build_seconds = time.perf_counter() - started

        rng = random.Random(args.seed + 1)
        points = [(rng.uniform(min_lat, max_lat), rng.uniform(min_lng, max_lng)) for _ in range(args.lookups)]
        found = 0
        started = time.perf_counter()
        for lat, lng in points:
            if locate.locate(lat, lng) is not None:
                found += 1
        lookup_seconds = time.perf_counter() - started

        # Spot check against a brute-force scan of every grid.
        index = locate._current_index()
        geoms = index.geoms
        mismatches = 0
        for lat, lng in points[:200]:
            inside = np.nonzero(shapely.intersects_xy(geoms, lng, lat))[0]
            expected = index.grids[int(inside.min())].code if len(inside) else None
            got = locate.locate(lat, lng)
            if (got.code if got else None) != expected:
                mismatches += 1

        vertices_per_grid = 4 * args.vertices + 1
        print(f"grids:               {info['grids']} ({vertices_per_grid} vertices each)")
        print(f"import (validated):  {import_seconds:.2f} s ({report.created} areas created)")
        print(f"index build:         {build_seconds * 1000:.0f} ms")
        print(f"lookups:             {args.lookups} in {lookup_seconds:.2f} s, {found} inside a grid")
        print(f"lookups per second:  {args.lookups / lookup_seconds:,.0f}")
        print(f"brute-force check:   {mismatches} mismatches in 200")


if __name__ == "__main__":
    main()
