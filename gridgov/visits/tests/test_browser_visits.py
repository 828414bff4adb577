"""Visits on the phone (/m/) in the system Chromium against a live server: today's visits are
kept for use without signal; two visits made offline (one whose finding is reported as a case
in one tap, carrying the visit's photo) survive a reload and arrive once each when the network
returns, the case linked to its visit; a key place visited offline with a photo arrives as
exactly one visit with one photo."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from gridgov.browser_testing import BROWSER_MARKS, shot
from gridgov.mobile.tests.test_browser_app import Phone, jpeg, user
from gridgov.visits import selectors, services
from gridgov.visits.models import Finding, Household, Visit

from .conftest import home_grid

pytestmark = BROWSER_MARKS


def test_visits_made_offline_arrive_once_each_and_a_finding_becomes_a_case(
    browser: Any, live_server: Any, demo: str
) -> None:
    from gridgov.cases.models import Case, Source

    services.plans_seed()
    worker = user("grid01")
    homes = [
        services.household_save(
            actor=worker,
            grid=home_grid(worker),
            address=f"太平村1排{n}号",
            head_name="王秀兰",
            member_count=1,
            care_tags=["elderly_alone"],
        )[0]
        for n in (1, 2)
    ]
    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    phone.wait_for_service_worker()
    phone.open("#/visits")  # fetched with signal, kept for the field
    page.locator("[data-testid=visit-due]").nth(1).wait_for()
    shot(page, "mobile-visits-due")
    phone.open("#/report")  # the categories and the grid polygons, as a worker's phone has them
    page.locator("[data-testid=report-form]").wait_for()
    phone.settle()

    phone.context.set_offline(True)
    phone.open("#/visits")
    page.locator(f"[data-testid=visit-due][data-household='{homes[0].pk}']").click()
    page.locator("[data-testid=visit-form]").wait_for()
    page.select_option("[data-testid=visit-finding]", "need")
    page.fill("[data-testid=visit-notes]", "老人需要代购降压药")
    page.locator("[data-testid=visit-position][data-ready='1']").wait_for()
    shot(page, "mobile-visit-form")
    page.click("[data-testid=visit-save]")
    page.locator("[data-testid=visit-pending]").wait_for()

    page.locator(f"[data-testid=visit-due][data-household='{homes[1].pk}']").click()
    page.select_option("[data-testid=visit-finding]", "hazard")
    page.fill("[data-testid=visit-notes]", "电动车在楼道内充电")
    page.set_input_files("[data-testid=visit-photo]", [jpeg((200, 120, 40))])
    page.locator("[data-testid=visit-photo-list] img").wait_for()
    page.locator("[data-testid=visit-position][data-ready='1']").wait_for()
    page.click("[data-testid=visit-to-case]")  # one tap: the report form opens with the notes
    page.locator("[data-testid=report-from-visit]").wait_for()
    assert page.input_value("[data-testid=description]") == "电动车在楼道内充电"
    page.locator("[data-testid=photo-input-list] img").wait_for()  # the visit's photo, carried over
    phone.pick_category("wgtc", "parking.minor")
    page.locator("[data-testid=position][data-ready='1']").wait_for()
    page.click("[data-testid=report-submit]")
    page.locator("[data-testid=visit-due-list]").wait_for()

    phone.open("#/outbox")
    page.locator("[data-testid=outbox-list]").wait_for()
    page.reload()  # still offline: the shell from the service worker, the outbox from IndexedDB
    page.locator("[data-testid=outbox-list]").wait_for()
    assert phone.outbox_states() == ["waiting", "waiting", "waiting"]
    assert not Visit.objects.exists()

    phone.context.set_offline(False)
    phone.wait_all_sent(3)
    visits = {v.household_id: v for v in Visit.objects.all()}
    assert set(visits) == {h.pk for h in homes} and Visit.objects.count() == 2
    assert visits[homes[0].pk].finding == Finding.NEED and visits[homes[0].pk].lat is not None
    hazard = visits[homes[1].pk]
    case = Case.objects.get(description="电动车在楼道内充电")
    assert case.source == Source.GRID_REPORT and selectors.case_of(hazard) == case.pk
    # The case carries the visit's photo.
    assert hazard.photos.count() == 1 and case.attachments.count() == 1
    assert case.attachments.get().sha256 == hazard.photos.get().sha256
    # Both households were visited today: nothing is due any more.
    assert selectors.due_today(worker, today=timezone.localdate()) == []
    assert Household.objects.count() == 2
    phone.open("#/visits")
    page.locator("[data-testid=visit-none]").wait_for()
    phone.close()


def test_a_key_place_visited_offline_with_a_photo_arrives_as_one_visit_with_one_photo(
    browser: Any, live_server: Any, demo: str
) -> None:
    from gridgov.mobile.tests.test_browser_app import jpeg
    from gridgov.visits.models import Unit, UnitKind, VisitPhoto

    services.plans_seed()
    worker = user("grid01")
    Visit.objects.all().delete()
    Household.objects.all().delete()
    Unit.objects.all().delete()
    place = services.unit_save(actor=worker, grid=home_grid(worker), kind=UnitKind.HAZARD_POINT, name="河堤低洼处")[0]
    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    phone.wait_for_service_worker()
    phone.open("#/visits")  # the key place is due: it has a plan
    page.locator(f"[data-testid=visit-due][data-target='u{place.pk}']").wait_for()
    phone.settle()

    phone.context.set_offline(True)
    page.locator(f"[data-testid=visit-due][data-target='u{place.pk}']").click()
    page.locator("[data-testid=visit-form]").wait_for()
    page.select_option("[data-testid=visit-finding]", "hazard")
    page.fill("[data-testid=visit-notes]", "河堤有裂缝")
    page.set_input_files("[data-testid=visit-photo]", [jpeg((160, 90, 40))])
    page.locator("[data-testid=visit-photo-list] img").wait_for()
    page.locator("[data-testid=visit-position][data-ready='1']").wait_for()
    shot(page, "mobile-visit-photo")
    page.click("[data-testid=visit-save]")
    page.locator("[data-testid=visit-pending]").wait_for()
    page.reload()  # still offline: the record and its photo are kept on the phone
    phone.open("#/outbox")
    page.locator("[data-testid=outbox-list]").wait_for()
    assert phone.outbox_states() == ["waiting"]
    assert not Visit.objects.exists()

    phone.context.set_offline(False)
    phone.wait_all_sent(1)
    visit = Visit.objects.get()
    assert visit.unit_id == place.pk and visit.finding == Finding.HAZARD
    assert VisitPhoto.objects.count() == 1 and visit.photos.count() == 1
    assert selectors.due_today(worker, today=timezone.localdate()) == []
    phone.close()


def test_a_unit_without_a_plan_is_found_in_all_places_and_its_visit_made_offline_arrives_once(
    browser: Any, live_server: Any, demo: str
) -> None:
    from gridgov.visits.models import Unit, UnitKind

    services.plans_seed()
    worker = user("grid01")
    Visit.objects.all().delete()
    Household.objects.all().delete()
    Unit.objects.all().delete()
    shop = services.unit_save(actor=worker, grid=home_grid(worker), kind=UnitKind.SHOP, name="太平五金店")[0]
    services.unit_save(actor=worker, grid=home_grid(worker), kind=UnitKind.SHOP, name="太平理发店")
    assert selectors.due_today(worker, today=timezone.localdate()) == []  # no plan: never due
    phone = Phone(browser, live_server.url, demo)
    page = phone.page
    phone.wait_for_service_worker()
    phone.open("#/visits")  # the due list and all places, fetched with signal and kept
    page.locator("[data-testid=visit-none]").wait_for()
    page.locator(f"[data-testid=visit-place][data-target='u{shop.pk}']").wait_for()
    phone.settle()

    phone.context.set_offline(True)
    page.reload()  # without signal: both lists from the phone's copies
    phone.open("#/visits")
    page.fill("[data-testid=visit-places-search]", "五金")
    assert page.locator("[data-testid=visit-place]").count() == 1
    shot(page, "mobile-visit-places")
    page.locator(f"[data-testid=visit-place][data-target='u{shop.pk}']").click()
    page.locator("[data-testid=visit-form]").wait_for()
    assert "太平五金店" in page.locator("[data-testid=visit-form]").inner_text()
    page.fill("[data-testid=visit-notes]", "消防通道畅通")
    page.locator("[data-testid=visit-position][data-ready='1']").wait_for()
    page.click("[data-testid=visit-save]")
    page.locator(f"[data-testid=visit-place][data-target='u{shop.pk}'] [data-testid=visit-place-pending]").wait_for()
    phone.open("#/outbox")
    page.locator("[data-testid=outbox-list]").wait_for()
    assert phone.outbox_states() == ["waiting"]
    assert not Visit.objects.exists()

    phone.context.set_offline(False)
    phone.wait_all_sent(1)
    visit = Visit.objects.get()
    assert visit.unit_id == shop.pk and visit.household_id is None and visit.notes == "消防通道畅通"
    phone.close()
