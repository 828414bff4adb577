"""A demo a town official would believe (issue 12 §6): cases that tell one story each, open
work mostly inside its limits, photos, patrols and staff photos."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from gridgov.areas.locate import locate
from gridgov.cases.deadlines import light as case_light
from gridgov.cases.models import (
    OPEN_STATUSES,
    AttachmentKind,
    Case,
    CaseAttachment,
    CaseEvent,
    IdempotencyKey,
    Source,
    Status,
)
from gridgov.cases.services import COMMENT_MAX, DESCRIPTION_MAX
from gridgov.categories.seed import SEED
from gridgov.core.models import AuditEvent
from gridgov.demo.case_plans import SCENARIOS as CASE_SCENARIOS
from gridgov.demo.cases import load_demo_cases
from gridgov.demo.hotline import SCENARIOS as ORDER_SCENARIOS
from gridgov.demo.hotline import generate_demo_orders
from gridgov.demo.patrols import ROAD_GRIDS, load_demo_patrols
from gridgov.demo.scenes import closest, scenes
from gridgov.demo.staff import load_demo_staff_photos
from gridgov.demo.taiping import generate
from gridgov.hotline.deadlines import light as order_light
from gridgov.hotline.models import OPEN_ORDER_STATUSES, HotlineOrder
from gridgov.patrols.models import Patrol, PatrolFinding, PatrolStandard, RoadLine
from gridgov.people.models import Role, RoleAssignment, StaffProfile
from gridgov.workcalendar.units import Light

CASES = 150
ORDERS = 90
# A Thursday morning: the history ends here, as when a town official opens the demo at 10 o'clock.
NOW = timezone.make_aware(dt.datetime(2026, 11, 26, 10, 5))


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("demo-media")
    with override_settings(MEDIA_ROOT=folder):
        yield folder


@pytest.fixture(scope="module")
def history(taiping: Any, media: Any, django_db_blocker: Any) -> dict[str, int]:
    """The demo with its cases, orders, patrols and staff photos, made once for the module
    (inside the transaction of ``taiping``, rolled back after the module)."""
    with django_db_blocker.unblock():
        return {
            "cases": load_demo_cases(count=CASES, now=NOW, allow_production_db=True),
            "orders": generate_demo_orders(count=ORDERS, now=NOW).created,
            "patrols": load_demo_patrols(now=NOW, allow_production_db=True),
            "photos": load_demo_staff_photos(allow_production_db=True),
        }


@pytest.fixture
def made(history: dict[str, int], db: Any, settings: Any, media: Any) -> dict[str, int]:
    settings.MEDIA_ROOT = media  # the per-test folder would hide the module's files
    return history


# --- The table of scenes ---------------------------------------------------------------------


def test_the_scene_table_covers_every_seed_category_with_two_stories_or_more():
    table = scenes()
    codes = {f"{major.code}.{minor.slug}" for major in SEED for minor in major.minors}
    assert set(table) == codes
    for code, rows in table.items():
        assert len(rows) >= 2, code
        for scene in rows:
            assert scene.category == code
            assert len(scene.description_at("太平村")) < DESCRIPTION_MAX
            assert len(scene.result_text) < COMMENT_MAX and len(scene.check_text) < COMMENT_MAX


def test_a_case_an_order_made_gets_the_story_most_like_its_description():
    content = "来电人反映太平村路灯白天亮、晚上不亮，控制器可能故障，浪费电。"
    scene = closest("facilities.streetlight", content)
    assert "白天常亮" in scene.description


def test_no_two_categories_share_a_result():
    """A result belongs to its own story (no parking case answered 已维修完成)."""
    owners: dict[str, str] = {}
    for code, rows in scenes().items():
        for scene in rows:
            assert owners.setdefault(scene.result, code) == code, scene.result


# --- Coherence -------------------------------------------------------------------------------


def test_every_case_tells_the_story_of_its_own_category(made):
    table = scenes()
    checked = 0
    for case in Case.objects.select_related("category"):
        rows = table[case.category.code]
        told = any(f"{scene.place}：{scene.description}。" in case.description for scene in rows)
        assert told or case.source == Source.HOTLINE, case.number
        results = {scene.result_text for scene in rows}
        checks = {scene.check_text for scene in rows}
        for event in case.events.all():
            if event.action == "report_back":
                assert event.data["result"] in results, (case.number, case.category.code, event.data["result"])
                checked += 1
            elif event.action in ("verify_pass", "close"):
                assert event.comment in checks, (case.number, case.category.code, event.comment)
                checked += 1
            elif event.action == "report" and case.self_handled:
                assert event.comment in results, (case.number, event.comment)  # what was done on the spot
    assert checked > CASES  # results and verifications were checked, not skipped


def test_a_case_keeps_one_story_from_report_to_verification(made):
    """The report, the result and the verification come from the same row of the table."""
    closed = Case.objects.filter(status="closed", self_handled=False).exclude(source=Source.HOTLINE)
    for case in closed.select_related("category")[:60]:
        scene = next(s for s in scenes()[case.category.code] if s.description in case.description)
        results = [e.data["result"] for e in case.events.filter(action="report_back")]
        assert all(result == scene.result_text for result in results), case.number


# --- Shares ----------------------------------------------------------------------------------


def _shares(lights: list[str]) -> dict[str, float]:
    counts = Counter(lights)
    return {light: counts[light] / len(lights) for light in (Light.GREEN, Light.YELLOW, Light.RED, Light.NONE)}


def test_most_open_cases_are_inside_their_limits_a_few_yellow_a_few_red(made):
    open_cases = list(Case.objects.filter(status__in=OPEN_STATUSES))
    lights = [case_light(case.stage_deadline, case.stage_warn_at, NOW) for case in open_cases]
    shares = _shares(lights)
    print(f"\nopen cases at {NOW:%a %H:%M}: {len(open_cases)}, " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    # Each open scenario once, and the stories that have not ended by now.
    assert len(open_cases) >= 10
    assert {case.status for case in open_cases} == OPEN_STATUSES
    assert shares[Light.GREEN] >= 0.75
    assert shares[Light.RED] <= 0.10
    assert Light.YELLOW in lights and Light.RED in lights


def test_most_open_orders_are_inside_their_limits_a_few_yellow_a_few_red(made):
    orders = list(HotlineOrder.objects.filter(status__in=OPEN_ORDER_STATUSES))
    lights = [order_light(order, NOW) for order in orders]
    shares = _shares(lights)
    print(f"\nopen orders at {NOW:%a %H:%M}: {len(orders)}, " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    assert shares[Light.GREEN] >= 0.75
    assert shares[Light.RED] <= 0.10
    assert Light.YELLOW in lights and Light.RED in lights


def test_reports_and_orders_come_at_a_steady_rate_to_the_last_day(made):
    """The statistics page's trend has no pile of open cases or orders on its last days: the
    last week brings about what the weeks before it brought (the open scenarios, one each,
    planned back from now, add a few)."""
    week = dt.timedelta(days=7)

    def weeks(model: Any, field: str) -> tuple[int, float]:
        last = model.objects.filter(**{f"{field}__gt": NOW - week, f"{field}__lte": NOW}).count()
        before = model.objects.filter(**{f"{field}__gt": NOW - 9 * week, f"{field}__lte": NOW - week}).count()
        return last, before / 8

    for model, field, scenarios in (
        (Case, "reported_at", CASE_SCENARIOS),
        (HotlineOrder, "arrived_at", ORDER_SCENARIOS),
    ):
        last, usual = weeks(model, field)
        planned = sum(1 for scenario in scenarios if scenario.open)
        print(f"\n{model.__name__}: last week {last}, weeks before {usual:.1f} each, {planned} planned open")
        assert usual > 0
        assert last <= 2 * usual + planned


def test_the_queues_look_like_a_live_morning(made):
    """Work came in this morning and yesterday, and the history ends now."""
    assert Case.objects.filter(reported_at__date=NOW.date(), reported_at__lte=NOW).exists()
    assert Case.objects.filter(reported_at__gte=NOW - dt.timedelta(days=1)).count() >= 3
    assert not CaseEvent.objects.filter(at__gt=NOW).exists()
    assert HotlineOrder.objects.filter(arrived_at__gte=NOW - dt.timedelta(days=1)).exists()


# --- Photos, patrols, staff photos ----------------------------------------------------------


def test_field_reports_results_and_verifications_carry_drawn_photos(made):
    field = Case.objects.filter(source__in=[Source.GRID_REPORT, Source.PATROL], self_handled=False)
    for case in field:
        assert case.attachments.filter(kind=AttachmentKind.REPORT).exists(), case.number
    for case in Case.objects.filter(self_handled=True):
        assert {a.kind for a in case.attachments.all()} >= {AttachmentKind.BEFORE, AttachmentKind.AFTER}
    kinds = Counter(CaseAttachment.objects.values_list("kind", flat=True))
    assert kinds[AttachmentKind.RESULT] > 0 and kinds[AttachmentKind.VERIFY] > 0
    photo = CaseAttachment.objects.filter(kind=AttachmentKind.RESULT).first()
    assert photo is not None and photo.content_type == "image/jpeg"
    with photo.file.open("rb") as handle, Image.open(handle) as image:
        assert image.size == (400, 300)


def test_patrols_cover_several_grids_over_the_last_weeks_and_stay_inside_them(made):
    patrols = list(Patrol.objects.select_related("grid", "worker"))
    assert made["patrols"] == len(patrols) >= 50
    assert len({patrol.grid_id for patrol in patrols}) >= 8
    assert {patrol.worker.username for patrol in patrols} >= {"grid01", "grid02"}
    assert min(p.started_at for p in patrols) >= NOW - dt.timedelta(days=43)
    assert max(p.ended_at for p in patrols) <= NOW
    for patrol in patrols[:20]:
        assert patrol.distance_m > 500 and patrol.point_count >= 20
        for point in patrol.points()[::10]:
            found = locate(point["lat"], point["lng"])
            assert found is not None and found.id == patrol.grid_id
    assert AuditEvent.objects.filter(action="patrol.record").count() == len(patrols)


def test_demo_patrols_are_judged_against_their_grid_standards(made):
    patrols = list(Patrol.objects.all())
    grids = {patrol.grid_id for patrol in patrols}
    standards = {s.grid_id: s for s in PatrolStandard.objects.all()}
    assert set(standards) == grids and all(len(s.checkpoints) == 3 for s in standards.values())
    by_area = [p for p in patrols if p.coverage_measure == "area"]
    assert all(p.coverage is not None and 0 < p.coverage < 0.8 and p.checkpoint_total == 3 for p in by_area)
    # A few grids have road lines: their patrols are measured on the roads walked, in part.
    on_roads = [p for p in patrols if p.coverage_measure == "roads"]
    road_grids = set(RoadLine.objects.values_list("grid_id", flat=True))
    assert len(road_grids) == ROAD_GRIDS and {p.grid_id for p in on_roads} == road_grids
    assert all(p.coverage is not None and 0.05 < p.coverage < 1 for p in on_roads)
    assert RoadLine.objects.count() >= 3 * ROAD_GRIDS
    # The rounds start at the grid's office: its checkpoint is always passed.
    assert all("网格工作站" in p.checkpoints_passed for p in patrols)
    assert all(30 <= p.duration_minutes <= 90 for p in patrols)
    # Some working days are missed: fewer patrols than workers x working days.
    days = {(p.worker_id, timezone.localtime(p.started_at).date()) for p in patrols}
    assert len(days) == len(patrols)
    working = {d for p in patrols for d in [timezone.localtime(p.started_at).date()]}
    assert len(patrols) < len(grids) * len(working)


def test_most_grid_workers_patrol_most_working_days_with_some_gaps(made):
    """The days view (/patrols/days/) of the last ten working days: few 无轨迹 days."""
    workers = {
        row.user_id
        for row in RoleAssignment.objects.filter(role=Role.GRID_WORKER, area__level="grid", user__is_active=True)
    }
    patrols = Patrol.objects.filter(worker_id__in=workers)
    days = sorted({timezone.localtime(p.started_at).date() for p in patrols})[-10:]
    walked = Counter(
        p.worker_id
        for p in patrols.filter(started_at__date__gte=days[0])
        if timezone.localtime(p.started_at).date() in days
    )
    shares = [walked.get(worker, 0) / len(days) for worker in workers]
    assert len(workers) >= 40
    assert sum(share >= 0.6 for share in shares) >= 0.85 * len(workers)
    assert not any(share == 0 for share in shares)
    assert sum(share < 1 for share in shares) >= len(workers) // 3  # some days missed


def test_patrol_finds_are_findings_of_their_reporters_patrol_that_day(made):
    found = list(Case.objects.filter(source=Source.PATROL).select_related("reporter"))
    assert len(found) >= 3
    findings = {f.case_id: f for f in PatrolFinding.objects.select_related("patrol")}
    keys = dict(IdempotencyKey.objects.filter(action="").values_list("case_id", "key"))
    for case in found:
        finding = findings.get(case.pk)
        assert finding is not None, case.number
        assert finding.client_id == keys[case.pk]
        patrol = finding.patrol
        assert patrol.worker_id == case.reporter_id and patrol.grid_id == case.grid_id
        assert timezone.localtime(patrol.started_at).date() == timezone.localtime(case.reported_at).date()
        assert patrol.started_at <= case.reported_at <= patrol.ended_at
    # Patrol finds come from the weeks the patrols are recorded; earlier finds are reports.
    assert min(case.reported_at for case in found) >= NOW - dt.timedelta(days=43)


def test_demo_people_have_a_drawn_photo_and_the_machine_account_none(made):
    people = [person.username for person in generate().people]
    profiles = StaffProfile.objects.filter(user__username__in=people).select_related("user")
    with_photo = {profile.user.username for profile in profiles if profile.photo}
    assert made["photos"] == len(with_photo) == len(people) - 1
    assert "upstream01" not in with_photo and "grid01" in with_photo
    with StaffProfile.objects.get(user__username="grid01").photo.open("rb") as handle, Image.open(handle) as image:
        assert image.format == "PNG"


def test_a_second_run_adds_no_patrols_photos_or_audit_rows(made, settings):
    settings.DEBUG = True
    audits = AuditEvent.objects.count()
    assert load_demo_patrols(now=NOW) == 0
    assert load_demo_staff_photos() == 0
    assert AuditEvent.objects.count() == audits


def test_closed_cases_with_a_phone_are_called_back_and_a_few_wait(made):
    from gridgov.cases.models import Satisfaction
    from gridgov.cases.selectors import callback_due_q

    reachable = Case.objects.filter(status=Status.CLOSED, self_handled=False).exclude(party_phone="")
    called = Case.objects.filter(callback_at__isnull=False)
    assert called.count() >= 0.6 * reachable.count() > 0
    answers = set(called.values_list("satisfaction", flat=True))
    assert Satisfaction.SATISFIED in answers
    assert all(case.callback_at >= case.closed_at for case in called.filter(status=Status.CLOSED))
    waiting = Case.objects.filter(callback_due_q()).count()
    assert 0 < waiting < 0.4 * reachable.count()
