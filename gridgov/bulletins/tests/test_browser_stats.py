"""统计分析, the leader cockpit and the monthly bulletin in the system Chromium, on a month of
cases built through the services: the charts and the map draw, a figure opens its list with the
same count, the cockpit refreshes itself, and a bulletin is generated from the page and its PDF
downloaded.

Run alone with ``pytest -m browser gridgov/bulletins/tests/test_browser_stats.py``. Screenshots
go to ``var/screenshots/`` (the statistics page, the cockpit and the bulletin at 1440 px)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.browser_testing import BROWSER_MARKS, shot
from gridgov.cases.tests.loop_helpers import act, report
from gridgov.cases.tests.test_browser_loop import Session

pytestmark = BROWSER_MARKS
DESK = {"width": 1440, "height": 900}
DEPT = {"departments": ["traffic_police"]}


def at(day: str, time: str = "10:00") -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day} {time}"))


def build_march() -> None:
    """Four cases of March 2026: two closed on time, one still with the department, one voided."""
    people = {user.username: user for user in get_user_model().objects.all()}
    for day in ("2026-03-02", "2026-03-03"):
        case = report(people, at=at(day, "09:00"))
        act(people, case, "register", "center01", at=at(day, "09:10"))
        act(people, case, "dispatch", "center01", at=at(day, "09:20"), **DEPT)
        act(people, case, "acknowledge", "dept01", at=at(day, "09:40"))
        act(people, case, "report_back", "dept01", at=at(day, "15:00"), result="已处理")
        act(people, case, "verify_pass", "grid01", at=at(day, "16:00"))
    open_case = report(people, at=at("2026-03-04", "09:00"))
    act(people, open_case, "register", "center01", at=at("2026-03-04", "09:10"))
    act(people, open_case, "dispatch", "center01", at=at("2026-03-04", "09:20"), **DEPT)
    voided = report(people, at=at("2026-03-05", "09:00"))
    act(people, voided, "void", "center01", at=at("2026-03-05", "09:10"))


def test_the_statistics_the_cockpit_and_a_bulletin(browser: Any, live_server: Any, demo: str) -> None:
    build_march()
    center = Session(browser, live_server.url, "center01", demo)
    page = center.page
    page.set_viewport_size(DESK)

    center.goto("/cases/stats/?start=2026-03-01&end=2026-03-31")
    page.wait_for_selector("#chart-trend svg")
    assert page.locator("[data-testid=kpi-tiles] [data-kpi]").count() >= 15
    page.wait_for_selector(".leaflet-overlay-pane path")  # the grids on the map (its part loads after the page)
    assert page.locator("[data-testid=grid-table]").count() == 1  # the parts came
    reported = page.locator("[data-kpi=reported] .kpi-value a.fig").first
    assert reported.inner_text().strip() == "4"
    shot(page, "stats-1440")
    with page.expect_navigation():
        reported.click()
    center.settle()
    assert page.locator("[data-testid=case-total]").inner_text().strip() == "4"
    # A plain filter's count is loaded after the list.
    center.goto("/cases/?date_from=2026-03-01&date_to=2026-03-31")
    page.wait_for_selector("[data-testid=case-total]", state="attached")
    assert page.locator("[data-testid=case-total]").inner_text().strip() == str(page.locator("tr[data-case]").count())

    center.goto("/cases/cockpit/")
    assert page.locator("[hx-trigger*='every']").count() >= 1  # refreshes itself
    assert page.locator("[data-nav=case-stats].active").count() == 1  # under 统计分析, not the workbench
    page.click("[data-testid=cockpit-fullscreen]")
    page.wait_for_function("document.fullscreenElement !== null")
    assert not page.locator(".mainnav").is_visible()
    page.click("body")
    page.evaluate("document.exitFullscreen()")
    shot(page, "cockpit-1440")

    center.goto("/bulletins/")
    page.select_option("#id_area", index=0)
    page.fill("#id_month", "2026-03")
    with page.expect_navigation():
        page.click("[data-testid=bulletin-form] button[type=submit]")
    center.settle()
    page.wait_for_selector("[data-testid=download-pdf]", timeout=30_000)
    text = page.locator("[data-testid=bulletin-text]").inner_text()
    assert re.search(r"本月受理 3 件，应办结 \d+ 件，办结 2 件", text), text
    shot(page, "bulletin-1440")
    with page.expect_download() as download:
        page.click("[data-testid=download-pdf]")
    path = download.value.path()
    assert path is not None and Path(path).read_bytes()[:4] == b"%PDF"
    center.close()
