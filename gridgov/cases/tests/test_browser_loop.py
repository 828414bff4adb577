"""The whole case loop in the system Chromium against a live server: grid01 reports on the
phone form → center01 registers and dispatches on the case page → dept01 acknowledges in its
inbox and reports back on the case page → grid01 verifies on the "to verify" page → the case
page shows the case closed with every step on its timeline.

Run alone with ``pytest -m browser gridgov/cases``. Screenshots go to ``var/screenshots/``.
"""

from __future__ import annotations

import io
import re
from typing import Any

from django.utils import translation
from PIL import Image

from gridgov.browser_testing import BROWSER_MARKS, shot

PHONE = {"width": 360, "height": 740}

pytestmark = BROWSER_MARKS


def jpeg(colour: tuple[int, int, int]) -> dict[str, Any]:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), colour).save(buffer, "JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def grid01_point() -> tuple[float, float]:
    from django.contrib.auth import get_user_model

    from gridgov.access.scope import scope_for
    from gridgov.areas.models import Area

    user = get_user_model().objects.get(username="grid01")
    area_id = next(a for _r, a, _d in scope_for(user).assignments if a)
    grid = Area.objects.get(pk=area_id)
    assert grid.center_lat is not None and grid.center_lng is not None
    return grid.center_lat, grid.center_lng


class Session:
    """One person's browser context, signed in."""

    def __init__(self, browser: Any, base_url: str, username: str, password: str, **options: Any) -> None:
        self.base_url = base_url
        self.context = browser.new_context(viewport=PHONE, locale="zh-CN", **options)
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
        """Wait until the page and its own fetches are done (one request at a time)."""
        self.page.wait_for_load_state("networkidle")

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.base_url}{path}")
        self.settle()

    def act_on_case_page(self, action: str, photos: list[Any] | None = None, **fields: str) -> None:
        """Open an action of the case page, fill its fields (and its photos) and send it."""
        page = self.page
        page.locator(f"details[data-action={action}] > summary").click()
        form = page.locator(f"[data-testid=action-{action}]")
        for name, value in fields.items():
            form.locator(f"[name={name}]").fill(value)
        if photos:
            form.locator("input[type=file][name=photos]").set_input_files(photos)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        self.settle()
        assert page.locator("[data-testid=conflict]").count() == 0

    def close(self) -> None:
        self.context.close()
        assert self.errors == []


def test_the_whole_loop_from_report_to_closure(browser: Any, live_server: Any, demo: str) -> None:
    lat, lng = grid01_point()
    base = live_server.url

    # grid01 reports on the phone, with the browser's position and one photo.
    grid01 = Session(
        browser,
        base,
        "grid01",
        demo,
        geolocation={"latitude": lat, "longitude": lng},
        permissions=["geolocation"],
    )
    page = grid01.page
    grid01.goto("/cases/report/")
    page.select_option("#id_category", "parking.long_term")
    page.fill("#id_description", "消防通道被一辆白色轿车长期占用")
    page.fill("#id_address", "太平路12号")
    page.click("[data-testid=locate-me]")
    page.wait_for_function("document.getElementById('id_lat').value !== ''")
    page.locator("[data-testid=grid-name]").filter(has_text="网格").wait_for()
    page.set_input_files("#id_photos", [jpeg((200, 40, 40))])
    assert page.locator("[data-testid=self-handle]").is_hidden()
    grid01.settle()
    shot(page, "loop-1-report")
    with page.expect_navigation(url=re.compile(r"/cases/\d+/$")):
        page.click("[data-testid=report-submit]")
    grid01.settle()
    case_path = page.url.removeprefix(base)
    number = page.locator("[data-testid=case-number]").inner_text().strip()
    assert number
    grid01.goto("/cases/mine/")
    assert number in page.locator("[data-testid=mine-list]").inner_text()

    # center01 registers and dispatches to the category's department (traffic police).
    center = Session(browser, base, "center01", demo)
    center.goto(case_path)
    center.act_on_case_page("register")
    center.act_on_case_page("dispatch")
    assert center.page.locator("[data-testid=case-status].status-dispatched").count() == 1
    center.close()

    # dept01 acknowledges in its inbox and reports back on the case page.
    dept = Session(browser, base, "dept01", demo)
    dept.goto("/cases/department/")
    card = dept.page.locator(f"[data-testid=department-open] [data-case='{number}']")
    shot(dept.page, "loop-2-department")
    with dept.page.expect_navigation():
        card.locator("[data-act=acknowledge]").click()
    dept.settle()
    working = dept.page.locator(f"[data-testid=department-open] [data-case='{number}'] .status-in_progress")
    assert working.count() == 1
    dept.goto(case_path)
    # The category asks for a result photo, and the form says so before anything is sent.
    dept.page.locator("details[data-action=report_back] > summary").click()
    assert dept.page.locator("[data-testid=action-report_back] input[name=photos][required]").count() == 1
    dept.page.locator("details[data-action=report_back] > summary").click()
    dept.act_on_case_page("report_back", photos=[jpeg((200, 120, 40))], result="车辆已拖离，通道恢复畅通")
    dept.close()

    # grid01 checks on site and passes it.
    grid01.goto("/cases/verify/")
    card = page.locator(f"[data-testid=verify-list] [data-case='{number}']")
    assert "车辆已拖离" in card.locator("[data-testid=case-result]").inner_text()
    card.locator("textarea[name=comment]").fill("现场核查，通道畅通")
    card.locator("input[type=file][name=photos]").set_input_files([jpeg((40, 160, 40))])
    shot(page, "loop-3-verify")
    with page.expect_navigation():
        card.locator("[data-act=verify_pass]").click()
    grid01.settle()
    assert page.locator(f"[data-case='{number}']").count() == 0

    grid01.goto(case_path)
    assert page.locator("[data-testid=case-status].status-closed").count() == 1
    with translation.override("zh-hans"):
        from gridgov.cases.models import Status

        closed = str(Status.CLOSED.label)
    assert closed in page.locator("[data-testid=case-status]").inner_text()
    events = page.locator("[data-testid=timeline] [data-event]").evaluate_all(
        "items => items.map(item => item.dataset.event)"
    )
    steps = ["report", "register", "dispatch", "acknowledge", "report_back", "verify_pass"]
    assert [event for event in events if event in steps] == steps
    shot(page, "loop-4-closed")
    grid01.close()
