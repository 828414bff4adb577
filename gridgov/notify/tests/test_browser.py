"""The notification page in the system Chromium: mark one read with htmx, the bell follows,
and the page fits a phone. Run alone with ``pytest -m browser gridgov/notify``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gridgov.browser_testing import BROWSER_MARKS, shot
from gridgov.notify.services import notify
from gridgov.people.tests.factories import TEST_PASSWORD

pytestmark = BROWSER_MARKS


@pytest.mark.parametrize(("name", "size"), [("desktop", (1280, 800)), ("phone", (360, 740))])
def test_marking_one_read_updates_the_item_and_the_bell(browser, live_server, transactional_db, people, name, size):
    alice = people["alice"]
    notify(recipients=[alice], kind="case.assigned", title="新案件已派遣至本部门：道路破损", url="/")
    notify(
        recipients=[alice],
        kind="case.overdue",
        title="案件已超期，请尽快处理并反馈办理结果",
        body="案件编号 TP-2026-000123，处置时限已过。",
        url="/",
    )
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})  # type: ignore[attr-defined]
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("form button[type=submit].btn-primary")
    page.click("[data-testid=notify-bell]")
    page.wait_for_url("**/notifications/")
    assert page.inner_text("[data-testid=notify-count]") == "2"
    assert page.locator(".notify-item.unread").count() == 2
    shot(page, f"notifications-{name}")
    page.locator("[data-testid=mark-read]").first.click()
    # A locator, not wait_for_function: the page's Content-Security-Policy forbids eval.
    expect(page.locator(".notify-item.unread")).to_have_count(1)
    assert page.inner_text("[data-testid=notify-count]") == "1"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.click("[data-testid=read-all]")
    page.wait_for_url("**/notifications/")
    assert page.locator("[data-testid=notify-count]").count() == 0
    page.close()


def test_an_htmx_action_that_meets_the_database_away_says_so_above_the_page(
    browser, live_server, transactional_db, people
):
    from unittest import mock

    from django.db import OperationalError

    notify(recipients=[people["alice"]], kind="case.assigned", title="新案件已派遣至本部门：道路破损", url="/")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("form button[type=submit].btn-primary")
    page.goto(f"{live_server.url}/notifications/")
    with mock.patch("gridgov.notify.views.services.mark_read", side_effect=OperationalError("connection refused")):
        page.locator("[data-testid=mark-read]").first.click()
        notice = page.locator("#content > [data-testid=unavailable-notice]")
        expect(notice).to_have_count(1)
    assert "503" not in notice.inner_text() and notice.inner_text().strip()
    expect(page.locator(".notify-item.unread")).to_have_count(1)  # nothing swapped in
    shot(page, "notifications-database-away")
    page.locator("[data-testid=mark-read]").first.click()  # the database is back
    expect(page.locator(".notify-item.unread")).to_have_count(0)
    expect(page.locator("[data-testid=unavailable-notice]")).to_have_count(0)
    page.close()
