"""No page breaks the Content-Security-Policy (issue 13, item 13): scripts and styles only from
the server, no inline script or style. Chromium reports every refusal on the console; the pages
people use (with the map, the charts, htmx and the phone app) report none, and an inline style
put in on purpose is reported (so the listener works)."""

from __future__ import annotations

from typing import Any

from gridgov.browser_testing import BROWSER_MARKS

from .test_browser import log_in

pytestmark = BROWSER_MARKS

PAGES = {
    "center01": ["/", "/cases/", "/cases/new/", "/hotline/", "/hotline/stats/", "/hotline/reconcile/", "/patrols/"],
    "dept01": ["/cases/department/"],
    "grid01": ["/m/"],
}


def test_the_pages_people_use_break_no_content_security_rule(browser: Any, live_server: Any, demo: str) -> None:
    refused: list[str] = []
    for user, paths in PAGES.items():
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.on(
            "console",
            lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
        )
        try:
            log_in(page, live_server.url, user, demo)
            for path in paths:
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("networkidle")
            assert refused == [], refused
            # The listener hears a refusal: an inline style put in on purpose.
            page.evaluate("document.body.insertAdjacentHTML('beforeend', '<div style=\"color: red\">x</div>')")
            page.wait_for_timeout(300)
            assert refused, "the console reported no refusal of an inline style"
            refused.clear()
        finally:
            context.close()
