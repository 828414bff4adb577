"""The desk in the system Chromium: the center's new-case form sent, then the back button and
the same form sent again makes no second case; the department inbox at desk width.

Run alone with ``pytest -m browser gridgov/cases/tests/test_browser_desk.py``. Screenshots go
to ``var/screenshots/`` (the desk form and the inbox at 1440 px)."""

from __future__ import annotations

from typing import Any

from gridgov.browser_testing import BROWSER_MARKS, shot
from gridgov.cases.tests.test_browser_loop import Session

pytestmark = BROWSER_MARKS
DESK = {"width": 1440, "height": 900}


def test_the_back_button_never_sends_a_second_case(browser: Any, live_server: Any, demo: str) -> None:
    from gridgov.cases.models import Case

    before = Case.objects.count()
    center = Session(browser, live_server.url, "center01", demo)
    page = center.page
    page.set_viewport_size(DESK)
    center.goto("/cases/new/")
    # The category by its pinyin initials, the place by the town's own names.
    page.fill("[data-testid=category-search]", "wgtc")
    page.locator("[data-testid=category-option]:visible").first.check()
    page.fill("#id_description", "市民来电：太平大街农贸市场门口车辆乱停，堵塞通道")
    page.fill("[data-testid=place-search]", "农贸")
    page.locator("[data-testid=place-option]").first.click()
    page.wait_for_function("document.getElementById('id_lat').value !== ''")
    center.settle()
    shot(page, "desk-new-case-1440")
    with page.expect_navigation():
        page.click("[data-testid=new-case-submit]")
    center.settle()
    assert "/cases/new/" not in page.url
    assert Case.objects.count() == before + 1
    page.go_back()
    center.settle()
    assert "/cases/new/" in page.url
    if page.input_value("#id_description") == "":
        # A browser that reloads the page on "back" gives a fresh form: fill it as the user would.
        page.fill("#id_description", "市民来电：太平大街农贸市场门口车辆乱停，堵塞通道")
    with page.expect_navigation():
        page.click("[data-testid=new-case-submit]")
    center.settle()
    assert Case.objects.count() == before + 1, "the back button made a second case"
    assert page.locator("[data-testid=form-errors]").count() == 0
    assert "该上报已提交过" in page.content()
    assert not center.errors
    center.close()


def test_the_department_inbox_at_desk_width(browser: Any, live_server: Any, demo: str) -> None:
    dept = Session(browser, live_server.url, "dept01", demo)
    dept.page.set_viewport_size(DESK)
    dept.goto("/cases/department/")
    assert dept.page.locator("[data-testid=inbox-filters]").count() == 1
    shot(dept.page, "desk-inbox-1440")
    dept.goto("/cases/department/?tab=finished")
    assert dept.page.locator("[data-testid=department-finished]").count() == 1
    assert not dept.errors
    dept.close()
