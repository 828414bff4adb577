"""The weekly analysis on the phone (/m/) in the system Chromium against a live server: the
worker's analysis is kept for writing without signal; saved and then submitted offline, it is
one outbox record that survives a reload and arrives as exactly one submission with its text
when the network returns."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from gridgov.analysis import services
from gridgov.analysis.models import WeeklyAnalysis, WeeklyStatus
from gridgov.areas.models import Area
from gridgov.browser_testing import BROWSER_MARKS, shot
from gridgov.cases.tests.loop_helpers import home_grid
from gridgov.mobile.tests.test_browser_app import Phone, user

pytestmark = BROWSER_MARKS


def test_a_weekly_analysis_written_offline_is_submitted_once_with_its_text(
    browser: Any, live_server: Any, demo: str
) -> None:
    grid = home_grid(user("grid01"))
    week = services.last_complete_week(timezone.localdate())
    WeeklyAnalysis.objects.filter(grid=grid, week=week).delete()
    services.weekly_generate(week, grids=Area.objects.filter(pk=grid.pk))
    analysis = WeeklyAnalysis.objects.get(grid=grid, week=week)
    assert analysis.status == WeeklyStatus.DRAFT

    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    phone.wait_for_service_worker()
    page.locator("[data-testid=weekly-state]").wait_for()  # the home's tile: due on a day
    # The label stays on one line with the state under it (side by side, a half-width tile
    # squeezed the label to one character per line).
    label = page.locator("[data-testid=go-weekly] > span").first.bounding_box()
    state = page.locator("[data-testid=weekly-state]").bounding_box()
    assert label is not None and state is not None
    assert label["height"] < 32 and label["width"] > 50 and state["y"] >= label["y"] + label["height"] - 1
    phone.open("#/weekly")  # fetched with signal, kept for the field
    page.locator(f"[data-testid=weekly-item][data-id='{analysis.pk}']").click()
    page.locator("[data-testid=weekly-figures]").wait_for()
    figures = page.inner_text("[data-testid=weekly-figures]")
    # The same figures in the same words as the web's page of the analysis.
    content = analysis.figures
    patrols = content["patrols"]
    assert f"巡查 {patrols['count']} 次，{patrols['days']} 天，共 {patrols['minutes']} 分钟" in figures
    assert "周末未办结" in figures and "反复出现的问题和地点" in figures
    assert f"往周遗留未办结（{content['carried_count']} 件）" in figures
    phone.settle()

    phone.context.set_offline(True)
    phone.open("#/weekly")
    page.locator(f"[data-testid=weekly-item][data-id='{analysis.pk}']").click()
    page.fill("[data-testid=weekly-analysis]", "本周违章停车上升")
    page.click("[data-testid=weekly-save]")
    page.locator("[data-testid=weekly-pending]").wait_for()
    page.locator(f"[data-testid=weekly-item][data-id='{analysis.pk}']").click()
    assert page.input_value("[data-testid=weekly-analysis]") == "本周违章停车上升"  # kept in the outbox
    page.fill("[data-testid=weekly-measures]", "增加夜间巡查")
    shot(page, "mobile-weekly-form")
    page.click("[data-testid=weekly-submit]")
    page.locator("[data-testid=weekly-list]").wait_for()

    phone.open("#/outbox")
    page.locator("[data-testid=outbox-list]").wait_for()
    page.reload()  # still offline: the shell from the service worker, the outbox from IndexedDB
    page.locator("[data-testid=outbox-list]").wait_for()
    assert phone.outbox_states() == ["waiting"]  # the save and the submit are one record
    analysis.refresh_from_db()
    assert analysis.status == WeeklyStatus.DRAFT and analysis.analysis == ""

    phone.context.set_offline(False)
    phone.wait_all_sent(1)
    analysis.refresh_from_db()
    assert analysis.status in (WeeklyStatus.CHECKING, WeeklyStatus.SUBMITTED)
    assert (analysis.analysis, analysis.measures) == ("本周违章停车上升", "增加夜间巡查")
    assert analysis.submitted_at is not None
    assert analysis.events.filter(action="submit").count() == 1
    assert not analysis.events.filter(~Q(action="submit"), actor__isnull=False).exists()
    phone.open(f"#/weekly/{analysis.pk}")
    page.locator("[data-testid=weekly-status]").wait_for()
    assert page.locator("[data-testid=weekly-submit]").count() == 0  # no longer writable
    phone.close()
