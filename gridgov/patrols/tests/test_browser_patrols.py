"""The patrol page in the system Chromium: the center opens the list, then a patrol, and sees
its route drawn over the grid's polygon (the map fits both) and its findings.

Run alone with ``pytest -m browser gridgov/patrols``. Screenshots go to ``var/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

from django.utils import timezone

from gridgov.browser_testing import BROWSER_MARKS, shot

pytestmark = BROWSER_MARKS


def a_patrol() -> Any:
    from django.contrib.auth import get_user_model

    from gridgov.patrols.services import TrackPoint, patrol_record

    from .conftest import home_grid

    user = get_user_model().objects.get(username="grid01")
    grid = home_grid(user)
    assert grid.center_lat is not None and grid.center_lng is not None
    start = timezone.now() - dt.timedelta(hours=2)
    track = [
        TrackPoint(
            t=start + dt.timedelta(seconds=30 * i),
            lat=grid.center_lat + 0.0012 * math.sin(i / 6),
            lng=grid.center_lng + 0.0015 * math.cos(i / 6),
            accuracy=10,
        )
        for i in range(36)
    ]
    patrol, _created = patrol_record(
        actor=user,
        client_id=uuid.uuid4(),
        started_at=start,
        ended_at=start + dt.timedelta(minutes=20),
        track=track,
        consent=True,
        findings=[str(uuid.uuid4())],
    )
    return patrol


def test_the_center_sees_a_patrol_route_over_its_grid(live_server: Any, browser: Any, demo: str) -> None:
    patrol = a_patrol()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "center01")
    page.fill("#id_password", demo)
    page.click("form button[type=submit].btn-primary")
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}/patrols/")
    page.wait_for_load_state("networkidle")
    row = page.locator(f'tr[data-patrol="{patrol.pk}"]')
    assert row.count() == 1
    row.locator("a").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_function("document.querySelectorAll('#patrol-map path').length >= 4")

    # The grid's outline lies inside the map (the view fits the grid, not only the route).
    box = page.locator("#patrol-map").bounding_box()
    outline = page.locator("#patrol-map path").first.bounding_box()
    assert box is not None and outline is not None
    assert (
        outline["width"] > 100
        and outline["x"] >= box["x"]
        and outline["x"] + outline["width"] <= box["x"] + box["width"]
    )
    assert page.locator('[data-testid="patrol-findings"] li').count() == 1
    assert errors == []
    shot(page, "patrol-detail")
    context.close()
