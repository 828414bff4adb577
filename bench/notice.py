"""Benchmark of the public notice pages: server time of a grid's and a village's public page,
cold (rendered) and warm (from the cache), and of a poster's generation.

    .venv/bin/python bench/notice.py [--requests 300] [--database-url postgres://...]

Sets up Django on a fresh database (SQLite in a temporary folder by default) with the file cache
of a single-machine install, loads the Taiping demo's people and the demo notice, then calls the
pages through Django's test client in this process (the whole request: middleware, view,
template or cache) and prints the median and the 95th percentile. See docs/notice.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, load_demo_people, setup_django


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        url, drop = fresh_database(workdir, args.database_url, "notice")
        try:
            # Static files from the source folders: the bench does not collect them.
            os.environ["GRIDGOV_STATIC_FINDERS"] = "1"
            setup_django(workdir, url)
            from django.core.cache import cache
            from django.test import Client
            from django.urls import reverse

            from gridgov.demo.notice import load_demo_notice
            from gridgov.demo.staff import load_demo_staff_photos
            from gridgov.notice import selectors, services
            from gridgov.people.models import Role, RoleAssignment

            load_demo_people()
            load_demo_staff_photos(allow_production_db=True)
            load_demo_notice(allow_production_db=True)
            grid = RoleAssignment.objects.filter(role=Role.GRID_WORKER, user__username="grid01").get().area
            assert grid is not None and grid.parent is not None
            client = Client(HTTP_HOST="localhost")
            for label, code in (("grid", grid.code), ("village", grid.parent.code)):
                path = reverse("notice:public", args=[code])
                cold, warm = [], []
                for _ in range(max(args.requests // 10, 10)):
                    selectors.version_bump()
                    started = time.perf_counter()
                    assert client.get(path).status_code == 200
                    cold.append(time.perf_counter() - started)
                for _ in range(args.requests):
                    started = time.perf_counter()
                    assert client.get(path).status_code == 200
                    warm.append(time.perf_counter() - started)
                print(f"{label} page {path}: cold {_ms(cold)}; cached {_ms(warm)}")
            cache.clear()
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                services.poster_generate(actor=None, grid=grid, public_url="http://localhost" + path)
                timings.append(time.perf_counter() - started)
            print(f"poster generation: {_ms(timings)} (5 runs)")
        finally:
            drop()


if __name__ == "__main__":
    main()
