"""The patrol days' table on a desk screen: a long period scrolls inside its card (the page
itself does not overflow), with the header and the worker's column kept in view."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from gridgov.browser_testing import BROWSER_MARKS, shot
from gridgov.cases.tests.test_browser_loop import Session

pytestmark = BROWSER_MARKS

DESK = {"width": 1400, "height": 900}


def test_a_month_of_patrol_days_scrolls_inside_its_card(browser: Any, live_server: Any, demo: str) -> None:
    center = Session(browser, live_server.url, "center01", demo)
    page = center.page
    page.set_viewport_size(DESK)
    today = timezone.localdate()
    center.goto(f"/patrols/days/?date_from={today - dt.timedelta(days=30)}&date_to={today}")
    page.locator("[data-testid=patrol-days]").wait_for()
    sizes = page.evaluate(
        """() => {
            const wrap = document.querySelector(".patrol-days-wrap");
            const head = document.querySelector("[data-testid=patrol-days] thead th");
            const style = getComputedStyle(wrap);
            return {
                page: document.documentElement.scrollWidth,
                wrap: wrap.getBoundingClientRect().right,
                overflow: style.overflowX,
                height: wrap.clientHeight,
                sticky: getComputedStyle(head).position,
            };
        }"""
    )
    assert sizes["page"] <= DESK["width"] and sizes["wrap"] <= DESK["width"]
    assert sizes["overflow"] == "auto" and sizes["height"] <= DESK["height"] and sizes["sticky"] == "sticky"
    shot(page, "patrol-days-desk")
