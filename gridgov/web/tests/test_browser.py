"""The pages people use, in the system Chromium (Playwright, sync API) against a live server.

Run alone with ``pytest -m browser gridgov/web``. Screenshots go to ``var/screenshots/``.
"""

from __future__ import annotations

import pytest

from gridgov.browser_testing import BROWSER_MARKS, shot

VIEWPORTS = {"desktop": (1280, 800), "phone": (360, 740)}

pytestmark = BROWSER_MARKS


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit].btn-primary")
    page.wait_for_load_state("load")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_center01_logs_in_and_sees_the_chinese_home_page_and_the_map(browser, live_server, demo, viewport):
    width, height = VIEWPORTS[viewport]
    # An English browser: the platform still opens in Chinese.
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    outside = []
    page.on("request", lambda request: None if request.url.startswith(live_server.url) else outside.append(request.url))
    try:
        page.goto(f"{live_server.url}/login/")
        assert page.get_attribute("html", "lang") == "zh-hans"
        assert page.locator("h1").inner_text() == "网格化服务管理平台"
        shot(page, f"login-{viewport}")

        log_in(page, live_server.url, "center01", "wrong-password")
        assert "用户名或密码错误" in page.locator("[data-testid=login-error]").inner_text()
        shot(page, f"login-error-{viewport}")

        log_in(page, live_server.url, "center01", demo)
        assert page.url == f"{live_server.url}/"
        nav = page.locator("nav.mainnav")
        assert nav.locator("[data-nav=home]").inner_text() == "首页"
        assert nav.locator("[data-nav=map]").inner_text() == "网格地图"
        assert nav.locator("[data-nav=admin]").count() == 0
        assert "综治中心受理员" in page.locator("[data-testid=user-box]").inner_text()
        assert page.locator("#households-chart svg").count() == 1
        shot(page, f"home-{viewport}")

        nav.locator("[data-nav=map]").click()
        page.wait_for_selector(".leaflet-overlay-pane path")
        page.wait_for_selector("#map-status", state="hidden")
        assert page.locator(".leaflet-overlay-pane path").count() > 0
        assert page.locator("#village-list li").count() > 0
        assert page.locator(".leaflet-tile").count() == 0
        # A click in the middle of the town finds a grid.
        page.locator("#map").click()
        located = page.locator("[data-testid=located-grid]")
        located.wait_for()
        assert "网格" in located.inner_text()
        shot(page, f"map-{viewport}")
    finally:
        context.close()
    assert errors == []
    assert outside == []


def test_the_language_switch_turns_the_page_english(browser, live_server, demo):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "admin", demo)
        assert page.locator("nav.mainnav [data-nav=admin]").inner_text() == "系统管理"
        page.click(".lang-switch button[value=en]")
        page.wait_for_load_state("load")
        assert page.get_attribute("html", "lang") == "en"
        assert page.locator("nav.mainnav [data-nav=home]").inner_text() == "Home"
        shot(page, "home-admin-english")
        page.click(".logout-form button")
        page.wait_for_load_state("load")
        assert page.url.startswith(f"{live_server.url}/login/")
    finally:
        context.close()
