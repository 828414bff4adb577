"""Shared builders of the case-loop tests: cases put into each status through the services."""

from __future__ import annotations

import datetime as dt
import io
import os
from typing import Any

from PIL import Image

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.cases import services
from gridgov.cases.models import Case

# The demo accounts of the loop tests.
USERS = ["center01", "leader01", "super01", "gridlead01", "grid01", "grid02", "dept01", "dept02", "admin"]
VERIFIED = "parking.long_term"  # traffic_police, needs on-site verification
UNVERIFIED = "civility.littering"  # urban_mgmt, closed by the center without verification
COMMENT = "情况说明"


def home_grid(user: Any) -> Area:
    """The grid a grid worker is assigned to."""
    area_id = next(area for role, area, _dept in scope_for(user).assignments if area and role == "grid_worker")
    return Area.objects.get(pk=area_id)


def grid_point(user: Any) -> tuple[float, float]:
    grid = home_grid(user)
    assert grid.center_lat is not None and grid.center_lng is not None
    return grid.center_lat, grid.center_lng


def report(
    people: dict[str, Any],
    *,
    by: str = "grid01",
    where: str | None = None,
    category: str = VERIFIED,
    at: dt.datetime | None = None,
    **extra: Any,
) -> Case:
    """A new ``reported`` case by ``by`` at the centre of ``where``'s grid (default: the reporter's)."""
    lat, lng = grid_point(people[where or by])
    case, created = services.case_create(
        actor=people[by], category=category, description="占道停车", lat=lat, lng=lng, at=at, **extra
    )
    assert created
    return case


def act(people: dict[str, Any], case: Case, action: str, by: str, **extra: Any) -> Case:
    """``action`` by ``by``; with the photo its category asks for when the test gives none."""
    extra.setdefault("comment", COMMENT)
    if "photos_in" not in extra:
        extra["photos_in"] = required_photos(case, action)
    return services.case_act(case.pk, action, actor=people[by], **extra)


def action_photo(action: str) -> list[services.Photo]:
    """A small photo, new each time (a photo already on the case is not a new one), of the kind
    ``action`` stores (none for actions that take no photo)."""
    kind = services.ACTION_PHOTO_KIND.get(action)
    if not kind:
        return []
    buffer = io.BytesIO()
    Image.frombytes("RGB", (16, 12), os.urandom(16 * 12 * 3)).save(buffer, "JPEG")
    buffer.seek(0)
    return [services.Photo(buffer, kind=kind)]


def required_photos(case: Case, action: str) -> list[services.Photo]:
    """A small photo of the kind ``action`` takes, when the case's category requires one."""
    case = Case.objects.select_related("category").get(pk=case.pk)
    return action_photo(action) if services.photo_required(case, action) else []


# Each variant: how to build it from a fresh report (steps of (action, user, extra inputs)).
DISPATCH_BOTH = {"departments": ["traffic_police", "urban_mgmt"]}
VARIANTS: dict[str, tuple[str, list[tuple[str, str, dict[str, Any]]]]] = {
    "reported": (VERIFIED, []),
    "reported_escalated": (VERIFIED, [("escalate", "gridlead01", {})]),
    "registered": (VERIFIED, [("register", "center01", {})]),
    "dispatched": (VERIFIED, [("register", "center01", {}), ("dispatch", "center01", DISPATCH_BOTH)]),
    "in_progress": (
        VERIFIED,
        [("register", "center01", {}), ("dispatch", "center01", DISPATCH_BOTH), ("acknowledge", "dept01", {})],
    ),
    "in_progress_village": (VERIFIED, [("accept", "gridlead01", {})]),
    "in_progress_extension": (
        VERIFIED,
        [
            ("register", "center01", {}),
            ("dispatch", "center01", DISPATCH_BOTH),
            ("acknowledge", "dept01", {}),
            ("request_extension", "dept01", {"days": 2}),
        ],
    ),
    "in_progress_supervised": (
        VERIFIED,
        [
            ("register", "center01", {}),
            ("dispatch", "center01", DISPATCH_BOTH),
            ("acknowledge", "dept01", {}),
            ("supervise", "leader01", {}),
        ],
    ),
    "awaiting_verification": (
        VERIFIED,
        [
            ("register", "center01", {}),
            ("dispatch", "center01", DISPATCH_BOTH),
            ("acknowledge", "dept01", {}),
            ("report_back", "dept01", {"result": "已处理"}),
        ],
    ),
    "awaiting_unverified": (
        UNVERIFIED,
        [
            ("register", "center01", {}),
            ("dispatch", "center01", {"departments": ["traffic_police", "urban_mgmt"]}),
            ("acknowledge", "dept01", {}),
            ("report_back", "dept01", {"result": "已处理"}),
        ],
    ),
    "closed": (
        VERIFIED,
        [
            ("register", "center01", {}),
            ("dispatch", "center01", DISPATCH_BOTH),
            ("acknowledge", "dept01", {}),
            ("report_back", "dept01", {"result": "已处理"}),
            ("verify_pass", "grid01", {}),
        ],
    ),
    "voided": (VERIFIED, [("void", "center01", {})]),
    "parked": (
        VERIFIED,
        [("register", "center01", {}), ("dispatch", "center01", DISPATCH_BOTH), ("park", "center01", {})],
    ),
    "returned": (
        VERIFIED,
        [("register", "center01", {}), ("dispatch", "center01", DISPATCH_BOTH), ("return", "dept01", {})],
    ),
}


def build(people: dict[str, Any], variant: str) -> Case:
    """A case reported by grid01 in its grid and driven into ``variant``."""
    category, steps = VARIANTS[variant]
    case = report(people, category=category)
    for action, user, extra in steps:
        case = act(people, case, action, user, **extra)
    return Case.objects.get(pk=case.pk)


def jpeg(color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (64, 48)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer
