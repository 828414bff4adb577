"""Historical cases for the demo, made through the case services so that history is real.

:func:`load_demo_cases` fills an empty case table with a few hundred cases reported over the
last six months by the demo's people: every path of the case loop (closed on time and late,
self-handled, handled by the village, escalated, voided, merged, returned and re-dispatched,
rework, extensions approved and rejected, parked and resumed, reminders, supervision notices
with replies, reopened) and some still open in every status, some fresh and some overdue.

What each case is about comes from the table of :mod:`gridgov.demo.scenes` (description,
place, result and verification of the case's own category); field reports, results and
verifications carry drawn placeholder photos (:mod:`gridgov.demo.pictures`). The reports come
at one steady rate over the window, so the last days of the statistics page's trend look like
the months before them: a case whose story runs past the moment of loading simply stays open
where it has got to (that is most of the open queue, as in a town that keeps up), and each open
scenario is played once more, planned back from the moment of loading
(:mod:`gridgov.demo.timing`) so that every status and light is in the queues: most inside their
time limits, a few yellow and a few red.

Every case is created with :func:`gridgov.cases.services.case_create` and moved with
:func:`gridgov.cases.services.case_act`, each with ``at=`` set to a moment in the past, so the
timeline, the stages, their deadlines and the on-time flags are what the services compute.
Step times advance within working hours on the working calendar and never pass ``now``.

:class:`CaseGenerator` does the work; ``manage.py generate_cases`` uses it to fill a database
for the benchmarks. It reads the people and places from the database (roles over areas and
departments), so it works on any town with grids, grid workers, a center and departments.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gridgov.areas.locate import locate
from gridgov.areas.models import Area
from gridgov.cases import services
from gridgov.cases.models import STATUS_STAGE, AttachmentKind, Case, PartyKind, Source, Status
from gridgov.categories.models import Category, Urgency
from gridgov.notify.services import mark_read
from gridgov.workcalendar import calendar
from gridgov.workcalendar.units import Light

from . import pictures, timing
from .case_plans import SCENARIO_BY_NAME, SCENARIOS, STAGE_STEPS, OpenPlanner, Scenario, final_status
from .cast import Cast
from .loader import check_allowed
from .scenes import REMARKS, Scene, action_comment, closest, pick
from .taiping import GIVEN_CHARS, MOBILE_PREFIXES, SURNAMES, TOWN_CODE

# What a dissatisfied party says on the call-back (the case is reopened with it).
CALLBACK_COMPLAINTS: Final = (
    "当事人反映问题未彻底解决，现场仍有反复。",
    "当事人表示处理后又出现同样问题，要求再次处理。",
    "当事人对处理结果不认可，称现场未见整改。",
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "DEFAULT_COUNT",
    "DEMO_CASES_SEED",
    "SCENARIOS",
    "SCENARIO_BY_NAME",
    "CaseGenerator",
    "Cast",
    "Plan",
    "Scenario",
    "load_demo_cases",
]

DEMO_CASES_SEED: Final = 20260602
DEFAULT_COUNT: Final = 300
WINDOW_DAYS: Final = 182

# Shares of photos: a handler's result photo with the report-back, a grid worker's photo with
# the verification (reports from the field always carry one).
RESULT_PHOTO_SHARE: Final = 0.8
VERIFY_PHOTO_SHARE: Final = 0.7
FIELD_SOURCES: Final = services.FIELD_SOURCES
# The patrols are recorded on the phones over the last weeks (gridgov/demo/patrols.py): a case
# found on a patrol is reported from the patrol (source ``patrol``, with the phone's client
# key the patrol names as its finding) only inside that window; earlier field finds are grid
# workers' reports.
PATROL_WINDOW_DAYS: Final = 42
PATROL_KEYS: Final = uuid.UUID("6d1f3b52-8a8e-4c21-9a53-2c0a7d5e9f10")


# --- The generator -------------------------------------------------------------------------


@dataclass
class Stats:
    created: int = 0
    actions: int = 0
    photos: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass
class Plan:
    """One case to make: when it was reported, its path, category and urgency. An open case
    also has the light it shows when the demo is loaded and the moment of each step, planned
    back from that moment (:mod:`gridgov.demo.timing`)."""

    reported_at: dt.datetime
    scenario: Scenario
    category: Category
    urgency: str
    light: str = ""
    times: list[dt.datetime] = field(default_factory=list)


def patrol_key(reporter_id: int, reported_at: dt.datetime) -> str:
    """The client key of a demo patrol find (the same for the same report)."""
    return str(uuid.uuid5(PATROL_KEYS, f"{reporter_id}:{reported_at.isoformat()}"))


class CaseGenerator:
    """Creates cases through the services, following scenarios, at times in the past.

    ``open_share`` is the share of open scenarios past the one of each (the demo's load: 0, so
    the rest of the open queue is the stories that have not ended yet and the rate of reports
    stays steady; ``generate_cases --open-share`` for benchmarks). Cases
    are made in the order they were reported, so case numbers follow the dates. With
    ``photos`` the field reports, results and verifications carry drawn placeholder photos
    (:mod:`gridgov.demo.pictures`); self-handled cases always do.
    """

    def __init__(
        self,
        cast: Cast,
        *,
        seed: int = DEMO_CASES_SEED,
        now: dt.datetime | None = None,
        window_days: int = WINDOW_DAYS,
        open_share: float = 0.0,
        photos: bool = False,
    ) -> None:
        self.cast = cast
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.start = self.now - dt.timedelta(days=window_days)
        # The first day of the patrol records (as gridgov.demo.patrols counts its days).
        first_day = timezone.localtime(self.now).date() - dt.timedelta(days=PATROL_WINDOW_DAYS)
        self.patrols_from = timezone.make_aware(dt.datetime.combine(first_day, dt.time.min))
        self.open_share = open_share
        self.photos = photos
        self.stats = Stats()
        # Earlier cases that may take in a duplicate: category id → [number], plus any.
        self._mergeable: dict[int, list[str]] = {}
        self._any_mergeable: list[str] = []
        self._dept_codes = {d.pk: d.code for d in cast.departments}
        self._scenes: dict[int, Scene] = {}
        self.planner = OpenPlanner(self.rng)

    # -- plans ---------------------------------------------------------------------------

    def plans(self, count: int) -> list[Plan]:
        """``count`` plans in date order: every scenario at least once when ``count`` allows,
        then drawn by weight. The open ones with a running clock get their lights from one
        deck, so a few are yellow and a few red whatever the count."""
        rng = self.rng
        closed = [s for s in SCENARIOS if not s.open]
        opened = [s for s in SCENARIOS if s.open]
        chosen: list[Scenario] = []
        if count >= len(SCENARIOS):
            chosen = list(SCENARIOS)
        while len(chosen) < count:
            pool = opened if rng.random() < self.open_share else closed
            chosen.append(rng.choices(pool, weights=[s.weight for s in pool])[0])
        timed = [s for s in chosen if s.open and final_status(s) in STATUS_STAGE]
        deck = timing.light_deck(rng, len(timed))
        plans = []
        for scenario in chosen:
            category = self._category(scenario)
            urgency = Urgency.URGENT if rng.random() < 0.1 else Urgency.NORMAL
            if not scenario.open:
                plans.append(Plan(self._reported_at(), scenario, category, urgency))
                continue
            light = deck.pop() if final_status(scenario) in STATUS_STAGE else ""
            reported_at, times = self.planner.times(scenario, category, urgency, light, now=self.now)
            plans.append(Plan(reported_at, scenario, category, urgency, light, times))
        plans.sort(key=lambda plan: plan.reported_at)
        return plans

    def _reported_at(self) -> dt.datetime:
        """A closed case's report: a working moment somewhere in the window."""
        moment = self.start + (self.now - self.start) * self.rng.random()
        # Reports come in working hours: a random working moment of that day, or of an
        # earlier working day when that would be in the future or the day is a holiday.
        per_day = calendar.working_minutes_per_day()
        day = timezone.localtime(moment).date()
        for _attempt in range(15):
            if calendar.is_workday(day):
                midnight = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
                snapped = calendar.add_working_minutes(midnight, self.rng.uniform(1, per_day - 1))
                if snapped < self.now:
                    return snapped
            day -= dt.timedelta(days=1)
        return moment

    # -- running ---------------------------------------------------------------------------

    def run(self, count: int, *, batch: int = 0, progress: Callable[[int], None] | None = None) -> Stats:
        """Create ``count`` cases; with ``batch``, in transactions of that many cases."""
        plans = self.plans(count)
        if batch <= 0:
            batch = max(count, 1)
        for chunk in _chunks(plans, batch):
            with transaction.atomic():
                for plan in chunk:
                    self.make(plan)
            if progress is not None:
                progress(self.stats.created)
        return self.stats

    def make(self, plan: Plan) -> Case:
        rng, cast, scenario, category = self.rng, self.cast, plan.scenario, plan.category
        if scenario.self_handle or scenario.name.startswith("village") or scenario.name == "open_village":
            source = rng.choice([Source.GRID_REPORT] * 4 + [Source.PATROL])
        else:
            source = rng.choices(
                [Source.GRID_REPORT, Source.PATROL, Source.CENTER, Source.PUBLIC, Source.MEETING, Source.LEADER],
                weights=[60, 10, 10, 8, 6, 6],
            )[0]
        if source == Source.PATROL and plan.reported_at < self.patrols_from:
            source = Source.GRID_REPORT
        grid = rng.choices(cast.grids, weights=cast.grid_weights)[0]
        named_grids = [g for g, weight in zip(cast.grids, cast.grid_weights, strict=True) if weight > 1]
        if scenario.open and named_grids and rng.random() < 0.3:
            # The named accounts' inboxes should hold open work of every kind when one logs in.
            grid = rng.choice(named_grids)
        if source in FIELD_SOURCES:
            reporter = rng.choice(cast.grid_workers[grid.pk])
        elif source == Source.LEADER and cast.town_leaders:
            reporter = rng.choice(cast.town_leaders)
        else:
            reporter = self._center()
        lat, lng = self._point(grid)
        party_kind, party_name, party_phone = self._party()
        village = cast.village_names.get(cast.village_of_grid.get(grid.pk, 0), "")
        scene = pick(rng, category.code)
        photos: list[services.Photo] = []
        remark = rng.choice(REMARKS)
        if scenario.self_handle:
            before = plan.reported_at - dt.timedelta(minutes=rng.uniform(5, 30))
            photos = [
                self._photo(category, AttachmentKind.BEFORE, before),
                self._photo(category, AttachmentKind.AFTER, plan.reported_at),
            ]
        elif self.photos and source in FIELD_SOURCES:
            photos = [self._photo(category, AttachmentKind.REPORT, plan.reported_at)]
            remark = "已拍照留存。"
        case, _created = services.case_create(
            actor=reporter,
            category=category,
            description=f"{scene.description_at(village)}{remark}",
            lat=lat,
            lng=lng,
            address=scene.where(village),
            source=source,
            urgency=plan.urgency,
            self_handle=scenario.self_handle,
            photos_in=photos,
            comment=scene.result_text if scenario.self_handle else "",
            party_kind=party_kind,
            party_name=party_name,
            party_phone=party_phone,
            # The phone's key of a patrol find: the patrol names it as its finding.
            idempotency_key=patrol_key(reporter.pk, plan.reported_at) if source == Source.PATROL else None,
            at=plan.reported_at,
        )
        self._scenes[case.pk] = scene
        self.stats.created += 1
        if scenario.open:
            self._play_planned(case, scenario, plan.times)
        else:
            self._play(case, scenario, plan.reported_at)
        self._call_back(case.pk)
        case.refresh_from_db(fields=["status", "number", "category"])
        self.stats.by_status[case.status] = self.stats.by_status.get(case.status, 0) + 1
        if case.status != Status.VOIDED:
            self._mergeable.setdefault(case.category_id, []).append(case.number)
            self._any_mergeable.append(case.number)
        return case

    def _call_back(self, case_id: int) -> None:
        """The center calls back the party of a closed case that left a phone (回访) a few working
        hours after the closing: nearly all are satisfied; a few of the last days' are not (the
        case is reopened), and those closed in the last working day are half still to call. Its
        own random stream (by case number), so the rest of the story is the same with or
        without call-backs."""
        case = Case.objects.get(pk=case_id)
        if case.status != Status.CLOSED or not case.party_phone or case.closed_at is None or case.self_handled:
            return
        rng = random.Random(f"callback:{case.number}")
        when = calendar.add_working_minutes(case.closed_at, rng.uniform(30, 8 * 60))
        recent = calendar.working_minutes_between(case.closed_at, self.now) < 2 * calendar.working_minutes_per_day()
        if when >= self.now or (recent and rng.random() < 0.5):
            return
        roll = rng.random()
        if recent and roll < 0.12:
            answer, comment = "dissatisfied", rng.choice(CALLBACK_COMPLAINTS)
        else:
            answer, comment = ("satisfied", "") if roll < 0.82 else ("basically_satisfied", "")
        services.case_act(case.pk, "callback", actor=self._center(), satisfaction=answer, comment=comment, at=when)
        self.stats.actions += 1

    def _party(self) -> tuple[str, str, str]:
        """Who the case concerns: a resident, a unit, or nobody named."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.3:
            return PartyKind.RESIDENT, self._name(), self._phone()
        if roll < 0.4:
            unit = f"{rng.choice(SURNAMES)}记{rng.choice(['商店', '餐馆', '五金店', '物流公司'])}"
            return PartyKind.UNIT, unit, self._phone()
        return "", "", ""

    def _category(self, scenario: Scenario) -> Category:
        cast = self.cast
        if scenario.self_handle and cast.self_handle_categories:
            # Mostly the parking category, the everyday self-handled case.
            parking = [c for c in cast.self_handle_categories if c.code == "parking.minor"]
            if parking and self.rng.random() < 0.7:
                return parking[0]
            return self.rng.choice(cast.self_handle_categories)
        if scenario.needs == "no_verification" and cast.no_verification_categories:
            return self.rng.choice(cast.no_verification_categories)
        return self.rng.choices(cast.categories, weights=cast.category_weights)[0]

    def _play(self, case: Case, scenario: Scenario, reported_at: dt.datetime) -> None:
        """Play a scenario forward from the report; an open one (a case an order made) is
        planned with :class:`~gridgov.demo.case_plans.OpenPlanner` from then on."""
        if scenario.self_handle:
            return
        if scenario.open:
            category = case.category
            # Green: the yellow and red of the queues are dealt from the decks of the open cases
            # and orders; a case an order made adds no colour drawn outside them (a random draw
            # made a 14-case demo one yellow too many).
            light = Light.GREEN
            _reported, times = self.planner.times(
                scenario, category, case.urgency, light, now=self.now, created_at=reported_at
            )
            self._play_planned(case, scenario, times)
            return
        last = reported_at
        late = False
        skip_decision = False
        for step in scenario.steps:
            if step == "late":
                late = True
                continue
            if skip_decision and step in ("approve_extension", "reject_extension"):
                continue
            when = self._when(case, step, last, late=late or self.rng.random() < 0.04)
            if step == "request_extension" and (case.stage_deadline is None or when >= case.stage_deadline):
                skip_decision = True  # too close to the deadline to ask: the handler carries on
                continue
            if step in STAGE_STEPS:
                late = False
            if when >= self.now:
                return  # the story has not got that far yet: the case stays open
            result = self._act(case, step, when)
            if result is None:
                return
            case = result
            last = when

    def _play_planned(self, case: Case, scenario: Scenario, times: list[dt.datetime]) -> None:
        for step, when in zip(scenario.steps, times, strict=True):
            if when > self.now:
                return
            if step == "request_extension" and (case.stage_deadline is None or when >= case.stage_deadline):
                continue
            result = self._act(case, step, when)
            if result is None:
                return
            case = result

    def _when(self, case: Case, step: str, last: dt.datetime, *, late: bool) -> dt.datetime:
        rng = self.rng
        if step in STAGE_STEPS:
            start = case.stage_started_at or last
            if case.stage_deadline is not None:
                total = max(calendar.working_minutes_between(start, case.stage_deadline), 10)
            else:
                total = 240
            fraction = rng.uniform(1.2, 2.5) if late else rng.uniform(0.1, 0.75)
            when = calendar.add_working_minutes(start, total * fraction)
            if last > start:
                # After a side step (reminder, resumption, …) the next move takes a little while.
                when = max(when, calendar.add_working_minutes(last, rng.uniform(5, 30)))
        elif step == "request_extension":
            deadline = case.stage_deadline
            room = calendar.working_minutes_between(last, deadline) if deadline else 0
            when = calendar.add_working_minutes(last, max(room, 0) * rng.uniform(0.1, 0.5))
        elif step in ("remind", "supervise", "park", "return"):
            deadline = case.stage_deadline
            room = calendar.working_minutes_between(last, deadline) if deadline else 240
            when = calendar.add_working_minutes(last, max(room, 20) * rng.uniform(0.1, 0.5))
        elif step == "resume":
            when = calendar.add_working_minutes(last, calendar.working_minutes_per_day() * rng.uniform(1, 8))
        elif step == "reopen":
            when = calendar.add_working_minutes(last, calendar.working_minutes_per_day() * rng.uniform(1, 5))
        else:
            when = calendar.add_working_minutes(last, rng.uniform(15, 240))
        return max(when, last + dt.timedelta(minutes=1))

    def _act(self, case: Case, step: str, when: dt.datetime) -> Case | None:
        rng = self.rng
        action = step
        kwargs: dict[str, Any] = {}
        scene = self._scene(case)
        comment = ""
        if step == "finish":
            action = "verify_pass" if case.category.verification_required else "close"
        if step == "dispatch_other":
            action = "dispatch"
            others = [code for pk, code in self._dept_codes.items() if pk != case.lead_department_id]
            kwargs["departments"] = [rng.choice(others)] if others else []
        elif step == "dispatch" and rng.random() < 0.1 and len(self._dept_codes) > 1:
            lead = case.category.default_department_id
            others = [code for pk, code in self._dept_codes.items() if pk != lead]
            if lead in self._dept_codes:
                kwargs["departments"] = [self._dept_codes[lead], rng.choice(others)]
        elif step == "report_back":
            kwargs["result"] = scene.result_text
            if self.photos and rng.random() < RESULT_PHOTO_SHARE:
                kwargs["photos_in"] = [self._photo(case.category, AttachmentKind.RESULT, when)]
        elif step == "request_extension":
            kwargs["days"] = rng.randint(2, 10)
        elif step == "merge":
            candidates = self._mergeable.get(case.category_id) or self._any_mergeable
            if not candidates:
                action = "void"
            else:
                kwargs["into"] = rng.choice(candidates[-20:])
        if action in ("verify_pass", "close"):
            comment = scene.check_text
            if action == "verify_pass" and self.photos and rng.random() < VERIFY_PHOTO_SHARE:
                kwargs["photos_in"] = [self._photo(case.category, AttachmentKind.VERIFY, when)]
        else:
            comment = action_comment(rng, action)
        kind = services.ACTION_PHOTO_KIND.get(action)
        if kind and "photos_in" not in kwargs and services.photo_required(case, action):
            # The category asks for a photo with this action: there always is one.
            kwargs["photos_in"] = [self._photo(case.category, kind, when) if self.photos else self._plain(kind)]
        actor = self._actor(case, action)
        result = services.case_act(case.pk, action, actor=actor, comment=comment, at=when, **kwargs)
        self.stats.actions += 1
        return result

    def _scene(self, case: Case) -> Scene:
        """The case's scene (a case an order made gets the one of its category most like its
        description)."""
        if case.pk not in self._scenes:
            self._scenes[case.pk] = closest(case.category.code, case.description)
        return self._scenes[case.pk]

    def _plain(self, kind: str) -> services.Photo:
        self.stats.photos += 1
        return services.Photo(file=pictures.plain_photo(), kind=kind, name=f"{kind}.jpg")

    def _photo(self, category: Category, kind: str, at: dt.datetime) -> services.Photo:
        major = category.parent.code if category.parent else category.code.split(".")[0]
        picture = pictures.case_photo(
            rng=self.rng, major=major, category_name=category.name, category_code=category.code, kind=kind, at=at
        )
        self.stats.photos += 1
        return services.Photo(file=picture, kind=kind, name=f"{kind}.jpg")

    # -- people -------------------------------------------------------------------------------

    def _center(self) -> User:
        # The first center operator (the named one in the demo) does half the work.
        center = self.cast.center
        return center[0] if self.rng.random() < 0.5 else self.rng.choice(center)

    def _actor(self, case: Case, action: str) -> User:
        rng, cast = self.rng, self.cast
        grid_id = case.grid_id or 0
        village = cast.village_of_grid.get(grid_id, 0)
        if action in ("accept", "escalate"):
            return rng.choice(cast.grid_leaders[village])
        if action in ("verify_pass", "verify_fail"):
            return rng.choice(cast.grid_workers[grid_id])
        if action in ("supervise",):
            return rng.choice(cast.leaders)
        if action == "remind" and rng.random() < 0.3:
            return rng.choice(cast.leaders)
        handler_actions = ("acknowledge", "report_back", "return", "request_extension", "reply_supervision")
        if action in handler_actions and not (action == "reply_supervision" and rng.random() < 0.2):
            if case.handled_by_village:
                return rng.choice(cast.village_people[village])
            assert case.lead_department_id is not None
            return rng.choice(cast.handlers[case.lead_department_id])
        return self._center()

    # -- places and names -------------------------------------------------------------------

    def _point(self, grid: Area) -> tuple[float, float]:
        """A point inside the grid near its centre (checked with the locate index)."""
        assert grid.center_lat is not None and grid.center_lng is not None
        assert grid.min_lat is not None and grid.max_lat is not None
        assert grid.min_lng is not None and grid.max_lng is not None
        for _attempt in range(12):
            lat = grid.center_lat + (grid.max_lat - grid.min_lat) * self.rng.uniform(-0.2, 0.2)
            lng = grid.center_lng + (grid.max_lng - grid.min_lng) * self.rng.uniform(-0.2, 0.2)
            lat, lng = round(lat, 6), round(lng, 6)
            found = locate(lat, lng)
            if found is not None and found.id == grid.pk:
                return lat, lng
        for _attempt in range(200):
            lat = round(self.rng.uniform(grid.min_lat, grid.max_lat), 6)
            lng = round(self.rng.uniform(grid.min_lng, grid.max_lng), 6)
            found = locate(lat, lng)
            if found is not None and found.id == grid.pk:
                return lat, lng
        raise ValueError(f"no point found inside the grid {grid.code}")

    def _name(self) -> str:
        given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def _phone(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- The demo ------------------------------------------------------------------------------


def load_demo_cases(
    *,
    count: int = DEFAULT_COUNT,
    seed: int = DEMO_CASES_SEED,
    now: dt.datetime | None = None,
    allow_production_db: bool = False,
) -> int:
    """Create ``count`` historical demo cases in the demo town, with photos; returns how many
    were made.

    Does nothing (returns 0) when any case exists already, so it is safe to run again. Needs
    the demo's areas, people and categories (:func:`gridgov.demo.loader.load_demo`). The
    in-app notifications the history sends are marked read: they are old news.
    """
    check_allowed(allow_production_db=allow_production_db)
    if Case.objects.exists():
        return 0
    with transaction.atomic():
        cast = Cast.load(TOWN_CODE if Area.objects.current().filter(code=TOWN_CODE).exists() else None)
        generator = CaseGenerator(cast, seed=seed, now=now, photos=True)
        stats = generator.run(count)
        for user in get_user_model().objects.filter(is_active=True, role_assignments__isnull=False).distinct():
            mark_read(actor=user)
    return stats.created
