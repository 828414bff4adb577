"""Reads of the areas app: what a user may see (scoped through ``gridgov.access.scope``), and
the lookups other apps make in the area tree (they read areas here, never through the model)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from gridgov.access.scope import visible_areas
from gridgov.core.pinyin import initials

from .models import Area, AreaLevel, AreaQuerySet, Place

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def areas_visible(
    user: User | AnonymousUser, level: str | None = None, parent_code: str | None = None
) -> QuerySet[Area]:
    """Current areas the user may see, optionally one level or the children of one area."""
    areas = visible_areas(user).select_related("parent")
    if level:
        areas = areas.filter(level=level)
    if parent_code:
        areas = areas.filter(parent__code=parent_code, parent__valid_to__isnull=True)
    return areas.order_by("code")


def area_get(user: User | AnonymousUser, code: str) -> Area:
    """The current area with ``code``; raises ``Area.DoesNotExist`` when it is outside the
    user's scope, the same as when it does not exist."""
    return visible_areas(user).select_related("parent").get(code=code)


def visible_grid(user: User | AnonymousUser, code: str) -> Area | None:
    """The current grid with ``code`` when the user may see it, else ``None`` (also for an
    area of another level)."""
    return visible_areas(user).filter(code=code, level=AreaLevel.GRID).select_related("parent").first()


def is_grid(area: Area) -> bool:
    return area.level == AreaLevel.GRID


# --- Lookups for other apps (not scoped: the caller has checked what the user may do) --------


def current_towns() -> AreaQuerySet:
    """The towns in force now."""
    return Area.objects.current().filter(level=AreaLevel.TOWN)


def current_grid(*, code: str | None = None, pk: int | None = None) -> Area | None:
    """The grid in force with this code (or id), else ``None``."""
    grids = Area.objects.current().grids()
    if code is not None:
        grids = grids.filter(code=code)
    if pk is not None:
        grids = grids.filter(pk=pk)
    return grids.first()


def town_grids(town_id: int) -> AreaQuerySet:
    """The grids in force inside the town."""
    return Area.objects.current().grids().filter(path__contains=f"/{town_id}/")


def town_places(town_id: int) -> AreaQuerySet:
    """The villages and grids in force inside the town (what a ledger row may name)."""
    levels = [AreaLevel.VILLAGE, AreaLevel.GRID]
    return Area.objects.current().filter(path__contains=f"/{town_id}/", level__in=levels).exclude(pk=town_id)


def grid_by_id(pk: int) -> Area | None:
    """The grid with this id, in force or retired (``None`` when the id is not a grid's)."""
    return Area.objects.grids().filter(pk=pk).first()


def area_by_id(pk: int) -> Area:
    """The area with this id, in force or retired; raises ``Area.DoesNotExist``."""
    return Area.objects.get(pk=pk)


def latest_by_code(code: str) -> Area | None:
    """The latest version of the area with this code, in force or retired (a filter by area
    keeps finding the records of a retired code)."""
    return Area.objects.filter(code=code).order_by("-id").first()


def town_of(area: Area) -> Area | None:
    """The town the area lies in (the area itself for a town), else ``None``."""
    if area.level == AreaLevel.TOWN:
        return area
    return Area.objects.filter(id__in=area.ancestor_ids(), level=AreaLevel.TOWN).first()


def area_names(codes: Iterable[str]) -> dict[str, str]:
    """``code -> name`` of the areas in force with these codes."""
    wanted = set(codes)
    if not wanted:
        return {}
    return dict(Area.objects.current().filter(code__in=wanted).values_list("code", "name"))


def codes_by_id(ids: Iterable[int]) -> dict[int, str]:
    """``id -> code`` of the areas with these ids, in force or retired."""
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(Area.objects.filter(pk__in=wanted).values_list("pk", "code"))


def paths_of(ids: Iterable[int]) -> list[str]:
    """The paths of the areas with these ids."""
    return list(Area.objects.filter(pk__in=list(ids)).values_list("path", flat=True))


def map_centre_area(area_ids: Iterable[int]) -> Area | None:
    """Where a map opens: the highest of these areas that has a centre, else the first grid in
    force that has one."""
    area = Area.objects.filter(pk__in=list(area_ids), center_lat__isnull=False).order_by("level", "id").first()
    if area is None:
        area = Area.objects.current().grids().filter(center_lat__isnull=False).order_by("code").first()
    return area


PLACE_LIMIT = 12


def places_search(user: User | AnonymousUser, text: str, limit: int = PLACE_LIMIT) -> list[dict[str, object]]:
    """The town's own place names matching ``text`` (a part of the name, or the start of its
    pinyin initials): villages and grids of the areas the user sees, then roads, landmarks and
    communities of those towns; each with a point (``lat``, ``lng``) and its kind."""
    query = text.strip()[:50]
    if not query:
        return []
    upper = query.upper()
    areas = visible_areas(user).filter(level__in=[AreaLevel.VILLAGE, AreaLevel.GRID], center_lat__isnull=False)
    found: list[dict[str, object]] = []
    for area in areas.order_by("level", "code")[:2000]:
        if query in area.name or (upper.isascii() and initials(area.name).startswith(upper)):
            found.append(
                {
                    "name": area.name,
                    "kind": area.level,
                    "lat": area.center_lat,
                    "lng": area.center_lng,
                    "code": area.code,
                }
            )
            if len(found) >= limit:
                return found
    towns = visible_areas(user).filter(level=AreaLevel.TOWN).values_list("pk", flat=True)
    places = Place.objects.filter(town_id__in=list(towns))
    if upper.isascii():
        places = places.filter(initials__startswith=upper) | places.filter(name__icontains=query)
    else:
        places = places.filter(name__icontains=query)
    for place in places.order_by("name")[: limit - len(found)]:
        found.append({"name": place.name, "kind": place.kind, "lat": place.lat, "lng": place.lng, "code": ""})
    return found
