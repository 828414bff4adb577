"""Which grid is this point in? A process-wide spatial index over the current grids.

The index is a shapely ``STRtree`` over the grid boundaries (prepared, so each candidate test
is cheap), ordered by grid code. A point on a shared edge or vertex belongs to every grid it
touches; the lowest code wins, so the answer is deterministic. A point outside every grid
gives ``None``.

Freshness:

- services call :func:`invalidate` on commit: this process rebuilds on its next lookup and
  the version counter in the shared Django cache is bumped;
- every ``AREAS_INDEX_CHECK_SECONDS`` (default 10) a lookup compares that version and a cheap
  database signature (count and latest ``updated_at`` of current grids) with the ones the
  index was built from, so other processes (web, worker) notice changes too.

Lookups never take the lock; a rebuild swaps in a new immutable index under it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from shapely.geometry import shape

from .models import Area, AreaLevel

VERSION_KEY = "areas:locate:version"
DEFAULT_CHECK_SECONDS = 10.0


@dataclass(frozen=True)
class LocatedGrid:
    id: int
    code: str
    name: str
    village_code: str | None = None
    village_name: str | None = None
    # The grid's materialized path and its town (from the same snapshot as the boundary),
    # so that callers need not read the rows again.
    path: str = ""
    town_id: int | None = None
    town_code: str = ""


@dataclass(frozen=True)
class _Index:
    tree: shapely.STRtree | None
    geoms: Any  # numpy array of prepared geometries, ordered by code
    grids: tuple[LocatedGrid, ...]
    version: Any
    signature: tuple[Any, ...]
    built_at: float
    build_seconds: float

    def lookup(self, lat: float, lng: float) -> LocatedGrid | None:
        if self.tree is None:
            return None
        # Bounding boxes first, then the prepared polygons; "intersects" counts a point on
        # an edge or vertex as inside.
        candidates = self.tree.query(shapely.Point(lng, lat))
        if len(candidates) == 0:
            return None
        hits = candidates[shapely.intersects_xy(self.geoms[candidates], lng, lat)]
        if len(hits) == 0:
            return None
        # Geometries are ordered by code: the smallest index is the lowest code.
        return self.grids[int(hits.min())]


_lock = threading.Lock()
_index: _Index | None = None
_stale = False
_last_check = 0.0


def _check_seconds() -> float:
    return float(getattr(settings, "AREAS_INDEX_CHECK_SECONDS", DEFAULT_CHECK_SECONDS))


def _grid_rows() -> Any:
    return Area.objects.current().grids().filter(boundary__isnull=False)


def _signature() -> tuple[Any, ...]:
    figures = _grid_rows().aggregate(count=Count("id"), latest=Max("updated_at"))
    return (figures["count"], figures["latest"])


def _version() -> Any:
    try:
        return cache.get(VERSION_KEY)
    except Exception:  # a cache outage: rely on the database signature
        return None


def _build() -> _Index:
    started = time.perf_counter()
    version = _version()
    signature = _signature()
    rows = list(
        _grid_rows()
        .select_related("parent")
        .order_by("code")
        .values_list("id", "code", "name", "boundary", "parent__code", "parent__name", "parent__level", "path")
    )
    towns = dict(Area.objects.filter(level=AreaLevel.TOWN).values_list("id", "code"))
    grids: list[LocatedGrid] = []
    shapes: list[Any] = []
    for pk, code, name, boundary, parent_code, parent_name, parent_level, path in rows:
        try:
            geom = shape(boundary)
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # services validate boundaries; skip anything written around them
        village = parent_level == AreaLevel.VILLAGE
        town_id = next((int(part) for part in path.strip("/").split("/") if part and int(part) in towns), None)
        grids.append(
            LocatedGrid(
                id=pk,
                code=code,
                name=name,
                village_code=parent_code if village else None,
                village_name=parent_name if village else None,
                path=path,
                town_id=town_id,
                town_code=towns[town_id] if town_id is not None else "",
            )
        )
        shapes.append(geom)
    geoms = np.array(shapes, dtype=object)
    shapely.prepare(geoms)
    tree = shapely.STRtree(geoms) if len(geoms) else None
    now = time.monotonic()
    return _Index(
        tree=tree,
        geoms=geoms,
        grids=tuple(grids),
        version=version,
        signature=signature,
        built_at=now,
        build_seconds=time.perf_counter() - started,
    )


def _current_index() -> _Index:
    global _index, _stale, _last_check
    index = _index
    now = time.monotonic()
    if index is not None and not _stale and now - _last_check < _check_seconds():
        return index
    with _lock:
        index = _index
        now = time.monotonic()
        if index is not None and not _stale and now - _last_check < _check_seconds():
            return index
        if index is None or _stale or index.version != _version() or index.signature != _signature():
            _stale = False
            index = _build()
            _index = index
        _last_check = now
        return index


def locate(lat: float, lng: float) -> LocatedGrid | None:
    """The current grid at (lat, lng), or ``None`` outside every grid."""
    return _current_index().lookup(lat, lng)


def invalidate() -> None:
    """Boundaries changed: rebuild here on the next lookup and tell other processes.

    Services register this with ``transaction.on_commit``."""
    global _stale
    _stale = True
    # A cache outage must not fail the write; the database signature check still runs.
    with contextlib.suppress(Exception):
        cache.set(VERSION_KEY, time.time_ns(), None)


def reset() -> None:
    """Forget the index entirely (tests)."""
    global _index, _stale, _last_check
    with _lock:
        _index = None
        _stale = False
        _last_check = 0.0


def index_info() -> dict[str, Any]:
    """Figures about the current index (benchmarks, status page)."""
    index = _current_index()
    return {"grids": len(index.grids), "build_seconds": index.build_seconds}
