"""The phone app at /m/ in the system Chromium at 360 × 740 against a live server, with the
browser's geolocation inside grid01's grid.

- offline: three reports with photos made without network survive a reload (the service
  worker serves the shell from its cache, the outbox lives in IndexedDB) and become exactly
  three cases with their photos and locations when the network returns;
- lost answer: the server stores the report but the phone never gets the answer; the retry
  with the same Idempotency-Key yields the same case;
- an expired token sends the worker to the login screen and the outbox waits for the login;
- self-handle and verify end to end; screenshots of home, report and outbox, which must not
  scroll sideways.

The lost-answer test blocks the service worker (``service_workers="block"``) so that the
page's own requests go through Playwright's route interception; the others run with it.
Run alone with ``pytest -m browser gridgov/mobile``. Screenshots go to ``var/screenshots/``.
"""

from __future__ import annotations

import io
import time
from typing import Any

from django.contrib.auth import get_user_model
from PIL import Image

from gridgov.browser_testing import BROWSER_MARKS, shot

PHONE = {"width": 360, "height": 740}
SEND_TIMEOUT = 20_000

pytestmark = BROWSER_MARKS


def jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (2000, 1500)) -> dict[str, Any]:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def grid01_point() -> tuple[float, float]:
    from gridgov.cases.tests.loop_helpers import grid_point

    return grid_point(user("grid01"))


class Phone:
    """grid01's phone: a browser context with its position, the app opened and logged in."""

    def __init__(self, browser: Any, base_url: str, password: str, **options: Any) -> None:
        lat, lng = grid01_point()
        self.base_url = base_url
        self.password = password
        self.context = browser.new_context(
            viewport=PHONE,
            locale="zh-CN",
            geolocation={"latitude": lat, "longitude": lng, "accuracy": 12},
            permissions=["geolocation"],
            **options,
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(f"{base_url}/m/")
        self.login()

    def login(self) -> None:
        page = self.page
        page.locator("#m-username").fill("grid01")
        page.locator("#m-password").fill(self.password)
        page.click("[data-testid=login-submit]")
        page.locator("[data-testid=home-verify]").wait_for()
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")

    def wait_for_service_worker(self) -> None:
        # Polled from here with evaluate, not wait_for_function: once it has to wait, that
        # evaluates its predicate with eval inside the page, which the app's
        # Content-Security-Policy forbids (a CI run failed so when the worker was slow).
        deadline = time.monotonic() + 30
        while not self.page.evaluate("Boolean(navigator.serviceWorker && navigator.serviceWorker.controller)"):
            assert time.monotonic() < deadline, "the service worker never took control of the page"
            self.page.wait_for_timeout(100)

    def open(self, hash_: str) -> None:
        self.page.evaluate(f"location.hash = '{hash_}'")

    def pick_category(self, search: str, code: str) -> None:
        page = self.page
        page.click("[data-testid=category-button]")
        page.fill("[data-testid=category-search]", search)
        page.click(f".picker .option[data-code='{code}']")

    def fill_report(self, description: str, *, photos: int = 1) -> None:
        """The report form with parking.minor (found by its pinyin initials), a description,
        ``photos`` camera photos and the GPS position."""
        page = self.page
        self.open("#/report")
        page.locator("[data-testid=report-form]").wait_for()
        self.pick_category("wgtc", "parking.minor")
        page.fill("[data-testid=description]", description)
        for index in range(photos):
            page.set_input_files("[data-testid=photo-input]", [jpeg((40 * index, 120, 200))])
        page.locator("[data-testid=photo-input-list] img").nth(photos - 1).wait_for()
        page.locator("[data-testid=position][data-ready='1']").wait_for()

    def submit_report(self) -> None:
        self.page.click("[data-testid=report-submit]")
        self.page.locator("[data-testid=outbox-list]").wait_for()

    def outbox_states(self) -> list[str]:
        return self.page.locator("[data-testid=outbox-item]").evaluate_all("items => items.map(i => i.dataset.state)")

    def wait_all_sent(self, count: int) -> None:
        self.open("#/outbox")
        self.page.wait_for_function(
            "n => document.querySelectorAll('[data-testid=outbox-item][data-state=sent]').length === n",
            arg=count,
            timeout=SEND_TIMEOUT,
        )

    def close(self) -> None:
        self.context.close()
        assert self.errors == []


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_three_reports_made_offline_survive_a_reload_and_arrive_once_each(
    browser: Any, live_server: Any, demo: str
) -> None:
    from gridgov.cases.models import Case

    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    phone.wait_for_service_worker()
    phone.open("#/report")  # the categories and the grid are cached on first use
    page.locator("[data-testid=report-form]").wait_for()
    phone.settle()

    phone.context.set_offline(True)
    for number in (1, 2, 3):
        phone.fill_report(f"离线上报第{number}件", photos=number)
        assert "太平村" in page.locator("[data-testid=grid-name]").inner_text()  # located without signal
        phone.submit_report()
    assert phone.outbox_states() == ["waiting", "waiting", "waiting"]
    assert page.locator("[data-testid=outbox-badge]").inner_text() == "3"

    page.reload()  # still offline: the shell comes from the service worker's cache
    page.locator("[data-testid=outbox-list]").wait_for()
    assert phone.outbox_states() == ["waiting", "waiting", "waiting"]
    assert Case.objects.filter(description__startswith="离线上报").count() == 0

    phone.context.set_offline(False)
    phone.wait_all_sent(3)
    cases = list(Case.objects.filter(description__startswith="离线上报").order_by("description"))
    assert [case.description for case in cases] == ["离线上报第1件", "离线上报第2件", "离线上报第3件"]
    lat, lng = grid01_point()
    for number, case in enumerate(cases, start=1):
        assert case.reporter == user("grid01")
        assert case.category.code == "parking.minor"
        assert case.grid is not None and "太平村" in case.grid.name
        assert abs(case.lat - lat) < 1e-6 and abs(case.lng - lng) < 1e-6  # type: ignore[operator]
        attachments = list(case.attachments.all())
        assert len(attachments) == number
        assert all(max(a.width, a.height) <= 1600 for a in attachments)  # shrunk on the phone
    phone.close()


def test_a_lost_answer_is_retried_with_the_same_key_and_yields_the_same_case(
    browser: Any, live_server: Any, demo: str
) -> None:
    from gridgov.cases.models import Case

    phone = Phone(browser, live_server.url, demo, service_workers="block")
    page = phone.page
    posts: list[dict[str, Any]] = []

    def drop_first_answer(route: Any) -> None:
        request = route.request
        if request.method != "POST":
            route.continue_()
            return
        posts.append({"key": request.headers.get("idempotency-key")})
        if len(posts) == 1:
            stored = route.fetch()  # the server stores the case ...
            posts[0]["status"] = stored.status
            route.abort("connectionreset")  # ... and the phone never hears of it
        else:
            route.continue_()

    page.route("**/api/v1/cases", drop_first_answer)
    phone.fill_report("回执丢失的上报")
    phone.submit_report()
    page.locator("[data-testid=outbox-item][data-state=waiting][data-attempts='1']").wait_for()
    assert posts[0]["status"] == 201
    assert Case.objects.filter(description="回执丢失的上报").count() == 1

    page.click("[data-testid=outbox-retry]")
    phone.wait_all_sent(1)
    assert len(posts) == 2
    assert posts[0]["key"] == posts[1]["key"]
    cases = Case.objects.filter(description="回执丢失的上报")
    assert cases.count() == 1
    assert cases.get().number in page.locator("[data-testid=outbox-case]").inner_text()
    phone.close()


def test_an_expired_login_keeps_the_outbox_and_sends_it_after_logging_in_again(
    browser: Any, live_server: Any, demo: str
) -> None:
    from gridgov.cases.models import Case
    from gridgov.people.models import ApiToken
    from gridgov.people.services import token_revoke

    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    phone.context.set_offline(True)
    phone.fill_report("登录过期时的上报")
    phone.submit_report()
    grid01 = user("grid01")
    for token in ApiToken.objects.filter(user=grid01, revoked_at__isnull=True):
        token_revoke(actor=grid01, token=token)

    phone.context.set_offline(False)
    page.locator("[data-testid=auth-message]").wait_for(timeout=SEND_TIMEOUT)
    assert Case.objects.filter(description="登录过期时的上报").count() == 0
    phone.login()
    phone.wait_all_sent(1)
    assert Case.objects.filter(description="登录过期时的上报").count() == 1
    phone.close()


def test_a_minor_case_is_self_handled_with_before_and_after_photos(browser: Any, live_server: Any, demo: str) -> None:
    from gridgov.cases.models import Case, Status

    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    phone.open("#/self")
    page.locator("[data-testid=self-form]").wait_for()
    phone.pick_category("wgtc", "parking.minor")
    page.fill("[data-testid=description]", "劝导车主将车挪离人行道")
    page.set_input_files("[data-testid=photo-before]", [jpeg((200, 40, 40))])
    page.set_input_files("[data-testid=photo-after]", [jpeg((40, 200, 40))])
    page.locator("[data-testid=photo-after-list] img").wait_for()
    page.locator("[data-testid=position][data-ready='1']").wait_for()
    page.click("[data-testid=report-submit]")
    phone.wait_all_sent(1)
    case = Case.objects.get(description="劝导车主将车挪离人行道")
    assert case.self_handled
    assert case.status == Status.CLOSED
    assert sorted(case.attachments.values_list("kind", flat=True)) == ["after", "before"]
    phone.close()


def test_a_case_is_verified_on_site_with_a_photo(browser: Any, live_server: Any, demo: str) -> None:
    from gridgov.cases.models import Case, Status
    from gridgov.cases.tests.loop_helpers import USERS, build

    people = {u.username: u for u in get_user_model().objects.filter(username__in=USERS)}
    case = build(people, "awaiting_verification")
    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    page.locator(f"[data-testid=home-verify] a[href='#/verify/{case.pk}']").click()
    page.locator("[data-testid=verify-form]").wait_for()
    assert page.locator("[data-testid=case-number]").inner_text() == case.number
    assert page.locator("[data-testid=department-result]").is_visible()
    page.set_input_files("[data-testid=photo-verify]", [jpeg((90, 90, 200))])
    page.locator("[data-testid=photo-verify-list] img").wait_for()
    page.click("[data-testid=verify-pass]")
    page.fill("[data-testid=verify-comment]", "现场已恢复通行")
    page.click("[data-testid=verify-submit]")
    phone.wait_all_sent(1)
    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.CLOSED
    assert case.attachments.filter(kind="verify").count() == 1
    assert case.events.filter(action="verify_pass", comment="现场已恢复通行").exists()
    phone.close()


KEPT_THUMBNAILS = """() => new Promise((resolve) => {
  const open = indexedDB.open("gridgov-m");
  open.onsuccess = () => {
    const read = open.result.transaction("kv").objectStore("kv").get("cache:blobs");
    read.onsuccess = () => resolve((read.result || []).length);
  };
})"""


def test_the_whole_to_verify_queue_is_verified_without_signal(browser: Any, live_server: Any, demo: str) -> None:
    """grid01 opens the app in the morning with signal and nothing else: the pack of every case
    to verify (more than the home card shows) and the result photos' thumbnails are kept; out
    of signal, after a reload, every case opens with the department's result and its photo, and
    two verifications made there reach the server once each when the signal returns."""
    from gridgov.cases import services
    from gridgov.cases.models import Case, Status
    from gridgov.cases.tests.loop_helpers import USERS, act, build, report
    from gridgov.cases.tests.loop_helpers import jpeg as small_jpeg

    people = {u.username: u for u in get_user_model().objects.filter(username__in=USERS)}
    with_photo = report(people)
    act(people, with_photo, "register", "center01")
    act(people, with_photo, "dispatch", "center01", departments=["traffic_police"])
    act(people, with_photo, "acknowledge", "dept01")
    photo = services.Photo(small_jpeg((20, 160, 60), (640, 480)), kind="result")
    with_photo = act(people, with_photo, "report_back", "dept01", result="车辆已拖离，通道恢复", photos_in=[photo])
    others = [build(people, "awaiting_verification") for _ in range(6)]

    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    phone.wait_for_service_worker()
    page.wait_for_function(KEPT_THUMBNAILS)
    assert page.locator("[data-testid=home-verify-more]").inner_text().find("7") >= 0

    phone.context.set_offline(True)
    page.reload()
    page.locator("[data-testid=home-verify]").wait_for()
    page.click("[data-testid=go-verify]")
    page.locator("[data-testid=verify-list]").wait_for()
    assert page.locator("[data-testid=verify-offline]").is_visible()
    assert page.locator("[data-testid=verify-list] li").count() == 7

    page.click(f"[data-testid=verify-list] a[href='#/verify/{with_photo.pk}']")
    page.locator("[data-testid=verify-form]").wait_for()
    assert "车辆已拖离" in page.locator("[data-testid=department-result]").inner_text()
    thumbnail = page.locator("[data-testid=department-result] img")
    thumbnail.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    shot(page, "mobile-verify-offline-case")
    page.set_input_files("[data-testid=photo-verify]", [jpeg((90, 90, 200))])
    page.locator("[data-testid=photo-verify-list] img").wait_for()
    page.click("[data-testid=verify-pass]")
    page.click("[data-testid=verify-submit]")
    page.locator("[data-testid=outbox-list]").wait_for()

    failed = others[0]
    phone.open(f"#/verify/{failed.pk}")
    page.locator("[data-testid=verify-form]").wait_for()
    page.click("[data-testid=verify-fail]")
    page.fill("[data-testid=verify-comment]", "车辆仍在原处")
    page.click("[data-testid=verify-submit]")
    # The category asks for an on-site photo: the phone says so before saving anything.
    assert page.locator("[data-testid=form-errors]").is_visible()
    page.set_input_files("[data-testid=photo-verify]", [jpeg((200, 60, 60))])
    page.locator("[data-testid=photo-verify-list] img").wait_for()
    page.click("[data-testid=verify-submit]")
    page.locator("[data-testid=outbox-list]").wait_for()
    shot(page, "mobile-verify-offline")

    phone.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    phone.wait_all_sent(2)
    assert Case.objects.get(pk=with_photo.pk).status == Status.CLOSED
    assert Case.objects.get(pk=with_photo.pk).attachments.filter(kind="verify").count() == 1
    assert Case.objects.get(pk=failed.pk).status == Status.IN_PROGRESS
    assert Case.objects.get(pk=failed.pk).events.filter(action="verify_fail").count() == 1
    assert Case.objects.filter(pk__in=[o.pk for o in others[1:]], status=Status.AWAITING_VERIFICATION).count() == 5
    phone.close()


def test_home_report_and_outbox_fit_a_360_pixel_screen(browser: Any, live_server: Any, demo: str) -> None:
    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    for testid in ("go-report", "go-self", "go-verify", "go-patrol", "tab-outbox"):
        assert page.locator(f"[data-testid={testid}]").is_visible()
    no_sideways_scroll(page)
    shot(page, "mobile-home")

    phone.context.set_offline(True)
    phone.fill_report("屏幕截图用的上报")
    for testid in ("category-button", "description", "locate-me", "map", "report-submit"):
        page.locator(f"[data-testid={testid}]").scroll_into_view_if_needed()
        box = page.locator(f"[data-testid={testid}]").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], testid
    no_sideways_scroll(page)
    shot(page, "mobile-report")

    phone.submit_report()
    assert page.locator("[data-testid=outbox-item]").first.is_visible()
    assert page.locator("[data-testid=sync-now]").is_visible()
    no_sideways_scroll(page)
    shot(page, "mobile-outbox")
    phone.context.set_offline(False)
    phone.wait_all_sent(1)
    phone.close()


def test_a_patrol_is_saved_with_its_route_and_the_finding_reported_from_it(
    browser: Any, live_server: Any, demo: str
) -> None:
    from gridgov.cases.models import Case, Source
    from gridgov.patrols.models import Patrol

    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    phone.open("#/patrol")
    page.locator("[data-testid=patrol-consent-text]").wait_for(state="visible")
    page.check("[data-testid=patrol-consent]")
    page.click("[data-testid=patrol-start]")
    page.locator("[data-testid=patrol-running]").wait_for()
    page.wait_for_function("Number(document.querySelector('[data-testid=patrol-stats]').dataset.points) >= 1")

    page.click("[data-testid=patrol-finding]")
    page.locator("[data-testid=report-form]").wait_for()
    phone.pick_category("bllj", "appearance.garbage")
    page.fill("[data-testid=description]", "巡查途中发现暴露垃圾")
    page.locator("[data-testid=position][data-ready='1']").wait_for()
    page.click("[data-testid=report-submit]")
    page.locator("[data-testid=patrol-running]").wait_for()
    page.click("[data-testid=patrol-stop]")
    phone.wait_all_sent(2)

    case = Case.objects.get(description="巡查途中发现暴露垃圾")
    assert case.source == Source.PATROL
    patrol = Patrol.objects.get()
    assert patrol.worker == user("grid01")
    assert patrol.point_count >= 1
    assert [finding.case_id for finding in patrol.findings.all()] == [case.pk]
    phone.close()


def test_a_report_refused_by_the_server_stays_editable_and_is_sent_once_corrected(
    browser: Any, live_server: Any, demo: str
) -> None:
    from gridgov.cases.models import Case
    from gridgov.categories.models import Category
    from gridgov.categories.services import category_deactivate

    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    phone.context.set_offline(True)
    phone.fill_report("分类已停用时的上报")
    phone.submit_report()
    # Meanwhile the center closes the category.
    category_deactivate(actor=user("admin"), category=Category.objects.get(code="parking.minor"))

    phone.context.set_offline(False)
    page.locator("[data-testid=outbox-item][data-state=failed]").wait_for(timeout=SEND_TIMEOUT)
    assert page.locator("[data-testid=outbox-error]").inner_text().strip()
    assert Case.objects.filter(description="分类已停用时的上报").count() == 0

    page.click("[data-testid=outbox-edit]")
    page.locator("[data-testid=report-form]").wait_for()
    assert page.locator("[data-testid=description]").input_value() == "分类已停用时的上报"
    assert page.locator("[data-testid=photo-input-list] img").count() == 1
    phone.pick_category("bllj", "appearance.garbage")
    page.click("[data-testid=report-submit]")
    phone.wait_all_sent(1)
    case = Case.objects.get(description="分类已停用时的上报")
    assert case.category.code == "appearance.garbage"
    assert case.attachments.count() == 1
    phone.close()


def test_after_an_expired_login_another_account_does_not_see_the_last_ones_data_offline(
    browser: Any, live_server: Any, demo: str
) -> None:
    """A shared phone: grid01's login runs out without a logout, grid02 logs in; without
    signal grid02 must not be shown the copies kept for grid01 (the app's and the service
    worker's)."""
    from gridgov.cases.tests.loop_helpers import USERS, report
    from gridgov.people.models import ApiToken
    from gridgov.people.services import token_revoke

    people = {u.username: u for u in get_user_model().objects.filter(username__in=USERS)}
    case = report(people, by="grid01")
    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    phone.wait_for_service_worker()
    for hash_ in ("#/cases", f"#/case/{case.pk}"):
        phone.open(hash_)
        page.get_by_text(case.number).first.wait_for()
        phone.settle()
    grid01 = user("grid01")
    for token in ApiToken.objects.filter(user=grid01, revoked_at__isnull=True):
        token_revoke(actor=grid01, token=token)
    phone.open("#/home")
    page.locator("[data-testid=auth-message]").wait_for(timeout=SEND_TIMEOUT)

    page.locator("#m-username").fill("grid02")
    page.locator("#m-password").fill(demo)
    page.click("[data-testid=login-submit]")
    page.locator("[data-testid=home-verify]").wait_for()
    phone.settle()
    phone.context.set_offline(True)
    for hash_ in ("#/cases", f"#/case/{case.pk}"):
        page.evaluate("document.getElementById('view').append(Object.assign(document.createElement('i'), {id: 'old'}))")
        phone.open(hash_)
        page.locator("#old").wait_for(state="detached")  # the screen has drawn what it found
        assert case.number not in page.locator("#view").inner_text(), hash_
    phone.context.set_offline(False)
    phone.close()
