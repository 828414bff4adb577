"""A hotline order through its pages in the system Chromium against a live server: center01
enters an order phoned in and acknowledges it → leader01 instructs the urban management team
(with the traffic police cooperating) → dept02 drafts the reply from its inbox → center01
approves it; the order page then shows the order replied with every step on its history.

Run alone with ``pytest -m browser gridgov/hotline``. Screenshots go to the test's tmp folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gridgov.browser_testing import BROWSER_MARKS

from .web_orders import FULL_PHONE, PHONE

DESKTOP = {"width": 1366, "height": 900}

pytestmark = BROWSER_MARKS


class Session:
    """One person's browser context, signed in."""

    def __init__(self, browser: Any, base_url: str, username: str, password: str, shots: Path) -> None:
        self.base_url = base_url
        self.shots = shots
        self.context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(f"{base_url}/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("form button[type=submit].btn-primary")
        self.settle()
        assert not self.page.url.startswith(f"{base_url}/login/"), f"{username} could not log in"

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.base_url}{path}")
        self.settle()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def open_action(self, action: str) -> Any:
        self.page.locator(f"details[data-action={action}] > summary").click()
        return self.page.locator(f"[data-testid=action-{action}]")

    def submit(self, form: Any) -> None:
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()
        self.settle()
        assert self.page.locator("[data-testid=conflict]").count() == 0
        assert self.page.locator(".field-error").count() == 0

    def close(self) -> None:
        self.context.close()
        assert self.errors == []


def test_an_order_from_entry_to_reply(browser: Any, live_server: Any, demo: str, tmp_path: Path) -> None:
    base = live_server.url

    # center01 enters an order phoned in by the district hotline, then acknowledges it.
    center = Session(browser, base, "center01", demo, tmp_path)
    page = center.page
    center.goto("/hotline/")
    with page.expect_navigation():
        page.click("[data-testid=new-order]")
    center.settle()
    page.select_option("#id_source_system", "district")
    page.fill("#id_upstream_number", "BH-2026-77001")
    page.select_option("#id_order_type", "complaint")
    page.fill("#id_content", "夜间工地施工噪音扰民，影响休息")
    page.fill("#id_address", "太平镇太平路88号")
    page.fill("#id_petitioner_name", "王五")
    page.fill("#id_petitioner_phone", PHONE)
    center.shot("hotline-1-entry")
    with page.expect_navigation(url=re.compile(r"/hotline/orders/\d+/$")):
        page.click("[data-testid=submit-order]")
    center.settle()
    order_path = page.url.removeprefix(base)
    assert page.locator("[data-testid=order-number]").inner_text().strip() == "BH-2026-77001"
    assert page.locator("[data-testid=petitioner-phone]").inner_text().strip() == "138****8888"
    center.submit(center.open_action("acknowledge"))
    assert page.locator("[data-testid=order-status].order-status-acknowledged").count() == 1
    center.close()

    # leader01 finds it in the "to instruct" queue and instructs two departments.
    leader = Session(browser, base, "leader01", demo, tmp_path)
    page = leader.page
    leader.goto("/hotline/?queue=to_instruct")
    assert FULL_PHONE.search(page.content()) is None
    with page.expect_navigation():
        page.locator("[data-order='BH-2026-77001'] a.case-number").click()
    leader.settle()
    form = leader.open_action("instruct")
    form.locator("[name=instruction]").fill("请综合执法队牵头核查，交警配合")
    form.locator("[name=lead]").select_option("urban_mgmt")
    form.locator("input[name=cooperating][value=traffic_police]").check()
    leader.shot("hotline-2-instruct")
    leader.submit(form)
    assert page.locator("[data-testid=order-status].order-status-instructed").count() == 1
    leader.close()

    # dept02 drafts the reply from its inbox; the complainant stays masked.
    dept = Session(browser, base, "dept02", demo, tmp_path)
    page = dept.page
    dept.goto("/hotline/department/")
    card = page.locator("[data-testid=inbox-to_draft] [data-order='BH-2026-77001']")
    assert card.count() == 1
    with page.expect_navigation():
        card.locator("a.btn").click()
    dept.settle()
    assert FULL_PHONE.search(page.content()) is None
    assert page.locator("[data-testid=reveal]").count() == 0
    form = dept.open_action("draft_reply")
    form.locator("[name=text]").fill("经核查，该工地已停止夜间施工，执法队将持续巡查。")
    dept.shot("hotline-3-draft")
    dept.submit(form)
    assert page.locator("[data-testid=order-status].order-status-drafted").count() == 1
    dept.close()

    # center01 approves the reply; the order is replied and every step is on its history.
    center = Session(browser, base, "center01", demo, tmp_path)
    page = center.page
    center.goto("/hotline/?queue=to_approve")
    assert page.locator("[data-order='BH-2026-77001']").count() == 1
    center.goto(order_path)
    form = center.open_action("approve_reply")
    assert "停止夜间施工" in form.locator("[name=text]").input_value()
    center.submit(form)
    assert page.locator("[data-testid=order-status].order-status-replied").count() == 1
    assert "停止夜间施工" in page.locator("[data-testid=reply-text]").inner_text()
    events = page.locator("[data-testid=timeline] [data-event]").evaluate_all(
        "items => items.map(item => item.dataset.event)"
    )
    steps = ["receive", "acknowledge", "instruct", "draft_reply", "approve_reply"]
    assert [event for event in events if event in steps] == steps
    center.shot("hotline-4-replied")
    center.close()
    assert (tmp_path / "hotline-4-replied.png").stat().st_size > 0
