"""Historical hotline work orders for the demo, made through the hotline services.

:func:`load_demo_hotline` fills an empty order table with a few hundred 12345 orders that
reached Taiping town over the last six months: roads, street lights, property management,
heating, water, power and gas, noise, street stalls, parking, rubbish, wages, policy questions,
food and prices, praise, and matters outside the town's remit. They follow every path of the
flow: acknowledged on time and late, instructed by a town leader or assigned straight to a
department (enquiries), drafts rejected, replies on time and late, call-backs satisfied,
basically satisfied and dissatisfied (重办), extensions, reminders and supervision from
upstream, returns (退单), field work through a linked case in the case loop; and some still
open in every status.

Every order is received with :func:`gridgov.hotline.services.order_receive` and moved with
``order_act`` (the town's steps) and ``order_event`` (upstream's call-backs and closures), each
with ``at=`` set to a past moment, so the timeline, stages, deadlines and on-time flags are
what the services compute. Linked cases run through the case loop with the case demo's
generator. Step times follow each step's limit on the working calendar and never pass ``now``.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gridgov.areas.models import Area, AreaLevel
from gridgov.cases.models import Case
from gridgov.hotline import services
from gridgov.hotline.deadlines import return_deadline
from gridgov.hotline.intake import OrderData
from gridgov.hotline.models import (
    Channel,
    HotlineOrder,
    OrderStatus,
    Satisfaction,
    SourceSystem,
    UrgencyClass,
)
from gridgov.notify.services import mark_read
from gridgov.people.models import Department, Role, RoleAssignment
from gridgov.workcalendar import calendar

from .cases import SCENARIO_BY_NAME as CASE_SCENARIOS
from .cases import CaseGenerator
from .cases import Cast as CaseCast
from .hotline_open import OrderPlan, plan_open, plannable
from .hotline_topics import (
    CALLBACK_COMMENTS,
    ESTATES,
    EXTENSION_REASONS,
    INSTRUCTIONS,
    OUT_OF_REMIT,
    PLACES,
    REDO_REPLIES,
    REJECTIONS,
    REMINDERS,
    SUPERVISIONS,
    TOPICS,
    C,
    Call,
    E,
    P,
    R,
    Topic,
)
from .loader import check_allowed
from .taiping import GIVEN_CHARS, MOBILE_PREFIXES, SURNAMES, TOWN_CODE
from .timing import light_deck
from .upstream import history_settle

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

DEMO_HOTLINE_SEED: Final = 20260712
DEFAULT_ORDER_COUNT: Final = 300
WINDOW_DAYS: Final = 182

# --- Scenarios ----------------------------------------------------------------------------------
#
# Steps: ack / ack_late, instruct (a leader; the center assigns enquiries instead), case
# (create a case and run it to its closure) / case_open (create it and leave it running),
# extension (the lead department asks) + extension_ok (upstream approves), remind (the center),
# supervise (upstream), draft / draft_late, reject, approve, callback (satisfied or basically),
# callback_unsolved (basically satisfied, not solved), callback_bad (dissatisfied: back for a
# new reply), close_bad (closed with a dissatisfied rating), close, return.


@dataclass(frozen=True)
class Scenario:
    name: str
    weight: float
    steps: tuple[str, ...]
    open: bool = False
    needs: str = ""  # "enquiry", "case", "praise", "remit"


FLOW: Final = ("ack", "instruct", "draft", "approve")
SCENARIOS: Final[tuple[Scenario, ...]] = (
    Scenario("closed", 34, (*FLOW, "callback", "close")),
    Scenario("enquiry", 10, (*FLOW, "callback", "close"), needs="enquiry"),
    Scenario("reply_late", 6, ("ack", "instruct", "draft_late", "approve", "callback", "close")),
    Scenario("ack_late", 4, ("ack_late", "instruct", "draft", "approve", "callback", "close")),
    Scenario("rejected", 5, (*FLOW[:3], "reject", "draft", "approve", "callback", "close")),
    Scenario("redo", 5, (*FLOW, "callback_bad", "draft", "approve", "callback", "close")),
    Scenario("closed_dissatisfied", 4, (*FLOW, "close_bad")),
    Scenario("unsolved", 3, (*FLOW, "callback_unsolved", "close")),
    Scenario("extension", 4, ("ack", "instruct", "extension", "extension_ok", "draft", "approve", "callback", "close")),
    Scenario("with_case", 8, ("ack", "instruct", "case", "draft", "approve", "callback", "close"), needs="case"),
    Scenario("reminded", 3, ("ack", "instruct", "remind", "draft", "approve", "callback", "close")),
    Scenario("supervised", 2, ("ack", "instruct", "supervise", "draft_late", "approve", "callback", "close")),
    Scenario("returned", 4, ("ack", "return"), needs="remit"),
    Scenario("returned_at_once", 2, ("return",), needs="remit"),
    Scenario("praise", 2, ("ack", "instruct", "draft", "approve", "close"), needs="praise"),
    # Still open.
    Scenario("open_received", 5, (), open=True),
    Scenario("open_acknowledged", 3, ("ack",), open=True),
    Scenario("open_instructed", 6, ("ack", "instruct"), open=True),
    Scenario("open_reminded", 2, ("ack", "instruct", "remind"), open=True),
    Scenario("open_case", 3, ("ack", "instruct", "case_open"), open=True, needs="case"),
    Scenario("open_drafted", 3, ("ack", "instruct", "draft"), open=True),
    Scenario("open_rejected", 2, ("ack", "instruct", "draft", "reject"), open=True),
    Scenario("open_replied", 4, (*FLOW,), open=True),
    Scenario("open_extension", 2, ("ack", "instruct", "extension"), open=True),
    Scenario("open_redo", 2, (*FLOW, "callback_bad"), open=True),
)
SCENARIO_BY_NAME: Final = {scenario.name: scenario for scenario in SCENARIOS}

# Steps that end the order's current timed step (their time is a share of its limit).
TIMED: Final = frozenset({"ack", "ack_late", "instruct", "draft", "draft_late", "approve"})
# Steps whose message goes upstream (acknowledgement, reply, return, extension request).
SENDS: Final = frozenset({"ack", "ack_late", "approve", "return", "extension"})

# When a step happens: a share (low, high) of the way through the order's current step…
STEP_SHARE: Final[dict[str, tuple[float, float]]] = {
    "ack": (0.1, 0.8),
    "ack_late": (1.3, 3.0),
    "instruct": (0.1, 0.7),
    "draft": (0.1, 0.6),
    "draft_late": (1.05, 1.4),
    "remind": (0.05, 0.3),
    "supervise": (0.05, 0.3),
    "extension": (0.05, 0.3),
}
# … or some working minutes after the last step…
STEP_WORKING_MINUTES: Final[dict[str, tuple[float, float]]] = {
    "reject": (20, 240),
    "case": (10, 90),
    "case_open": (10, 90),
}
# … or some working days after it (upstream's answers).
STEP_WORKING_DAYS: Final[dict[str, tuple[float, float]]] = {
    "extension_ok": (0.3, 1.5),
    "callback": (0.5, 4),
    "callback_unsolved": (0.5, 4),
    "callback_bad": (0.5, 4),
    "close_bad": (0.5, 4),
}

# What a step taken returns: the order and the moment, or None when the step does not happen.
Taken: TypeAlias = "tuple[HotlineOrder, dt.datetime] | None"
StepTaker: TypeAlias = "Callable[[HotlineOrder, Topic | None, str, dt.datetime], Taken]"


# --- The cast -------------------------------------------------------------------------------


@dataclass
class Cast:
    """The people and places of the town that orders are drawn from."""

    town: Area
    villages: list[Area]
    grids_of: dict[int, list[Area]]
    upstream: User
    center: list[User]
    leaders: list[User]
    handlers: dict[str, list[User]]  # department code → handlers

    @classmethod
    def load(cls, town_code: str | None = None) -> Cast:
        towns = Area.objects.current().filter(level=AreaLevel.TOWN)
        town = towns.filter(code=town_code).first() if town_code else towns.order_by("code").first()
        if town is None:
            raise ValueError(f"no current town {town_code or ''}".strip())
        villages = list(
            Area.objects.current().filter(level=AreaLevel.VILLAGE, path__startswith=town.path).order_by("code")
        )
        grids = Area.objects.current().filter(level=AreaLevel.GRID, path__startswith=town.path).order_by("code")
        grids_of: dict[int, list[Area]] = {}
        for grid in grids:
            if grid.parent_id is not None:
                grids_of.setdefault(grid.parent_id, []).append(grid)
        villages = [village for village in villages if village.pk in grids_of]
        if not villages:
            raise ValueError(f"the town {town.code} has no village with grids")
        rows = list(
            RoleAssignment.objects.filter(user__is_active=True)
            .select_related("user", "area", "department")
            .order_by("user_id", "id")
        )

        def of_town(role: str) -> list[User]:
            return [a.user for a in rows if a.role == role and a.area is not None and a.area.path == town.path]

        upstream = next((a.user for a in rows if a.role == Role.UPSTREAM and a.area_id is None), None)
        center = of_town(Role.CENTER_OPERATOR)
        leaders = of_town(Role.TOWN_LEADER)
        if upstream is None or not center or not leaders:
            raise ValueError("the demo needs an upstream account, a center operator and a town leader")
        handlers: dict[str, list[User]] = {}
        for a in rows:
            if a.role == Role.DEPARTMENT_HANDLER and a.department is not None and a.department.is_active:
                handlers.setdefault(a.department.code, []).append(a.user)
        return cls(
            town=town,
            villages=villages,
            grids_of=grids_of,
            upstream=upstream,
            center=center,
            leaders=leaders,
            handlers=handlers,
        )


# --- The generator --------------------------------------------------------------------------


@dataclass
class Stats:
    created: int = 0
    actions: int = 0
    cases: int = 0
    refused: list[str] = field(default_factory=list)
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass
class Plan:
    """One order to make. An open one is planned back from now (:mod:`.hotline_open`): its
    topic, type and urgency are chosen first, then its arrival and step times."""

    arrival: dt.datetime
    scenario: Scenario
    topic: Topic | None = None
    call: Call | None = None
    urgency: str = ""
    times: list[dt.datetime] = field(default_factory=list)


class OrderGenerator:
    """Receives orders and moves them through the services, following scenarios, in the past."""

    def __init__(
        self,
        cast: Cast,
        *,
        seed: int = DEMO_HOTLINE_SEED,
        now: dt.datetime | None = None,
        window_days: int = WINDOW_DAYS,
    ) -> None:
        self.cast = cast
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.start = self.now - dt.timedelta(days=window_days)
        self.stats = Stats()
        self.numbers: set[str] = set()
        # The moment of each message queued upstream, in the order they were queued.
        self.sent_at: list[dt.datetime] = []
        self.order_ids: list[int] = []
        self._case_generator: CaseGenerator | Literal[False] | None = None
        self._department_names: dict[str, str] = {}
        self._department_codes: dict[int, str] = {}
        # The call each order was made from (its reply answers that call).
        self._calls: dict[int, Call] = {}
        usable = [topic for topic in TOPICS if all(code in cast.handlers for code in topic.departments[:1])]
        if not usable:
            raise ValueError("no department of the demo topics has a handler")
        self.topics = usable

    # -- plans ---------------------------------------------------------------------------

    def plans(self, count: int) -> list[Plan]:
        """``count`` plans in date order: every scenario once when ``count`` allows, then
        drawn by weight from the paths that end (the open queue is then the stories that have
        not ended by now, and orders arrive at one steady rate). The open orders that can be
        planned back from now get their lights from one deck (a few yellow, a few red)."""
        rng = self.rng
        chosen: list[Scenario] = list(SCENARIOS) if count >= len(SCENARIOS) else []
        pool = tuple(s for s in SCENARIOS if not s.open) if chosen else SCENARIOS
        while len(chosen) < count:
            chosen.append(rng.choices(pool, weights=[s.weight for s in pool])[0])
        deck = light_deck(rng, sum(1 for s in chosen if s.open and plannable(s.steps)))
        plans = []
        for scenario in chosen:
            if scenario.open and plannable(scenario.steps):
                plans.append(self._open_plan(scenario, deck.pop()))
            else:
                plans.append(Plan(self._arrival(scenario), scenario))
        plans.sort(key=lambda plan: plan.arrival)
        return plans

    def _open_plan(self, scenario: Scenario, light: str) -> Plan:
        topic = self._topic(scenario, timezone.localtime(self.now).month)
        call = self._call(topic, scenario)
        urgency = topic.urgency if call.order_type != E else UrgencyClass.GENERAL
        draft = HotlineOrder(order_type=call.order_type, urgency_class=urgency, complex=False)
        planned: OrderPlan = plan_open(self.rng, now=self.now, steps=scenario.steps, light=light, order=draft)
        return Plan(planned.arrival, scenario, topic, call, urgency, planned.times)

    def _arrival(self, scenario: Scenario) -> dt.datetime:
        rng = self.rng
        if scenario.open:
            short = len(scenario.steps) <= 1
            share = rng.random() * (0.6 if short else 1.0)
            if share < 0.2:
                back = dt.timedelta(hours=rng.uniform(0.3, 20))
            elif share < 0.8:
                back = dt.timedelta(days=rng.uniform(1, 8))
            else:
                back = dt.timedelta(days=rng.uniform(8, 30))
            moment = self.now - back
        else:
            # One steady rate over the window: a story that runs past now stays open where it
            # has got to, as the open queue of a town that keeps up.
            moment = self.start + (self.now - self.start) * rng.random()
        if rng.random() < 0.8:
            moment = self._working_moment(moment)
        return min(moment, self.now - dt.timedelta(minutes=5))

    def _working_moment(self, moment: dt.datetime) -> dt.datetime:
        """A random working moment of that day (or an earlier working day)."""
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

    def run(self, count: int) -> Stats:
        for plan in self.plans(count):
            self.make(plan)
        return self.stats

    def make(self, plan: Plan) -> HotlineOrder:
        rng, cast, arrived_at, scenario = self.rng, self.cast, plan.arrival, plan.scenario
        village = rng.choice(cast.villages)
        place = f"{village.name}{rng.choice(PLACES)}"
        month = timezone.localtime(arrived_at).month
        complex_order = False
        call: Call | None = None
        if scenario.needs == "remit":
            content, category, _reason, _basis, order_type, title = rng.choice(OUT_OF_REMIT)
            topic = None
            urgency: str = UrgencyClass.GENERAL
            complex_order = rng.random() < 0.3
        else:
            # One call: its type, title, content, category and reply belong together.
            if plan.topic is not None and plan.call is not None:
                topic, call, urgency = plan.topic, plan.call, plan.urgency
            else:
                topic = self._topic(scenario, month)
                call = self._call(topic, scenario)
                urgency = topic.urgency if call.order_type != E else UrgencyClass.GENERAL
            order_type = call.order_type
            category = call.category or topic.category
            title = call.title
            # A spot for most texts; an estate or the village where the text needs one ("户籍在
            # 太平村小学门口" and "小学门口小区电梯" read wrong). No draw: the history stays the same.
            estate = f"{village.name}{ESTATES[village.pk % len(ESTATES)]}"
            content = call.content.format(place=place, village=village.name, estate=estate)
        source = SourceSystem.DISTRICT if rng.random() < 0.8 else SourceSystem.CITY
        channel = rng.choices([Channel.API, Channel.IMPORT, Channel.MANUAL], weights=[75, 15, 10])[0]
        actor = cast.upstream if channel == Channel.API else self._center()
        anonymous = order_type in (C, R) and rng.random() < 0.15
        name, phone = ("", "") if anonymous else (self._name(), self._phone())
        data = OrderData(
            source_system=source,
            upstream_number=self._number(source, arrived_at),
            received_at=arrived_at - dt.timedelta(minutes=rng.uniform(3, 40)),
            order_type=order_type,
            urgency_class=urgency,
            content=content,
            title=title,
            upstream_category=category,
            address=place,
            petitioner_name=name,
            petitioner_phone=phone,
            petitioner_address="" if anonymous else f"天津市滨海新区太平镇{village.name}{rng.randint(1, 300)}号",
            anonymous=anonymous,
            complex=complex_order,
            town_code=cast.town.code,
        )
        order = services.order_receive(actor=actor, data=data, channel=channel, at=arrived_at).order
        self.stats.created += 1
        self.order_ids.append(order.pk)
        if call is not None:
            self._calls[order.pk] = call
        status = self._play(order, topic, scenario, arrived_at, plan.times).status
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
        return order

    def _topic(self, scenario: Scenario, month: int) -> Topic:
        pool = [t for t in self.topics if not t.months or month in t.months]
        if scenario.needs == "enquiry":
            pool = [t for t in pool if any(call.order_type == E for call in t.calls)]
        elif scenario.needs == "case":
            pool = [t for t in pool if t.case_category and any(c.order_type not in (E, P) for c in t.calls)]
        elif scenario.needs == "praise":
            pool = [t for t in pool if t.key == "praise"]
        else:
            pool = [t for t in pool if t.key != "praise"]
        pool = pool or [t for t in self.topics if t.key != "praise"]
        return self.rng.choices(pool, weights=[t.weight for t in pool])[0]

    def _call(self, topic: Topic, scenario: Scenario) -> Call:
        """The call an order of ``topic`` is made from: an enquiry for the enquiry path, praise
        for praise, field work for a case (no question or praise), else any call but praise."""
        calls = list(topic.calls)
        if scenario.needs == "enquiry":
            wanted = [c for c in calls if c.order_type == E]
        elif scenario.needs == "praise":
            wanted = [c for c in calls if c.order_type == P]
        elif scenario.needs == "case":
            wanted = [c for c in calls if c.order_type not in (E, P)]
        else:
            wanted = [c for c in calls if c.order_type != P]
        pool = wanted or calls
        return self.rng.choices(pool, weights=[c.weight for c in pool])[0]

    def _play(
        self,
        order: HotlineOrder,
        topic: Topic | None,
        scenario: Scenario,
        arrived_at: dt.datetime,
        times: list[dt.datetime] | None = None,
    ) -> HotlineOrder:
        """Play the scenario's steps (at the planned ``times`` of an open order planned back
        from now); returns the order as the last service call left it."""
        last = arrived_at
        for index, step in enumerate(scenario.steps):
            when = times[index] if times else self._when(order, step, last)
            if when is None:
                return order
            if when >= self.now:
                if not scenario.open:
                    return order  # the story has not got that far yet: the order stays open
                when = self._between(last)
                if when <= last:
                    return order
            try:
                result = self._act(order, topic, step, when)  # each service call is atomic
            except services.OrderError as error:
                # A step the services refuse (a window passed, a guard): the story ends here.
                self.stats.refused.append(f"{order.upstream_number} {step}: {error.code}")
                return order
            if result is None:
                return order
            order, last = result
        return order

    # -- timing ----------------------------------------------------------------------------

    def _calendar_step(self, order: HotlineOrder) -> bool:
        """Is the current step counted in calendar time (the minute-counted acknowledgements)?"""
        return order.status == OrderStatus.RECEIVED and order.urgency_class != UrgencyClass.GENERAL

    def _share(self, order: HotlineOrder, last: dt.datetime, low: float, high: float) -> dt.datetime:
        """A moment ``low``–``high`` of the way from the step's start (or ``last``) to its deadline."""
        start = max(order.step_started_at or last, last)
        deadline = order.step_deadline
        fraction = self.rng.uniform(low, high)
        if deadline is None or deadline <= start:
            return calendar.add_working_minutes(start, self.rng.uniform(20, 240))
        if self._calendar_step(order):
            return start + (deadline - start) * fraction
        total = max(calendar.working_minutes_between(start, deadline), 10)
        return calendar.add_working_minutes(start, total * fraction)

    def _when(self, order: HotlineOrder, step: str, last: dt.datetime) -> dt.datetime | None:
        """When ``step`` happens after ``last`` (``None``: its window has passed)."""
        when = self._moment(order, step, last)
        return None if when is None else max(when, last + dt.timedelta(minutes=1))

    def _moment(self, order: HotlineOrder, step: str, last: dt.datetime) -> dt.datetime | None:
        rng = self.rng
        if step in STEP_SHARE:
            low, high = STEP_SHARE[step]
            return self._share(order, last, low, high)
        if step in STEP_WORKING_MINUTES:
            return calendar.add_working_minutes(last, rng.uniform(*STEP_WORKING_MINUTES[step]))
        if step in STEP_WORKING_DAYS:
            per_day = calendar.working_minutes_per_day()
            return calendar.add_working_minutes(last, per_day * rng.uniform(*STEP_WORKING_DAYS[step]))
        if step == "approve":
            when = calendar.add_working_minutes(last, rng.uniform(15, 180))
            if order.reply_deadline is not None and last < order.reply_deadline < when:
                when = last + (order.reply_deadline - last) * rng.uniform(0.3, 0.9)
            return when
        if step == "close":
            return last + dt.timedelta(minutes=rng.uniform(5, 240))
        if step == "return":
            window = return_deadline(order)
            start = max(last, order.arrived_at)
            return start + (window - start) * rng.uniform(0.2, 0.8) if window > start else None
        raise ValueError(f"unknown step {step}")

    def _between(self, last: dt.datetime) -> dt.datetime:
        """A moment between ``last`` and now, in working time if there is any."""
        room = calendar.working_minutes_between(last, self.now)
        if room >= 2:
            return calendar.add_working_minutes(last, room * self.rng.uniform(0.2, 0.6))
        return last + (self.now - last) * self.rng.uniform(0.2, 0.6)

    # -- acting ------------------------------------------------------------------------------

    def _lead(self, order: HotlineOrder) -> list[User]:
        if not self._department_codes:
            self._department_codes = dict(Department.objects.values_list("pk", "code"))
        code = self._department_codes.get(order.lead_department_id or 0, "")
        return self.cast.handlers.get(code) or self.cast.center

    def _act(
        self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime
    ) -> tuple[HotlineOrder, dt.datetime] | None:
        """Take ``step`` on the order at ``when`` (``None``: the step does not happen)."""
        if step == "close" and order.status == OrderStatus.CLOSED:
            return order, when
        result = self._step(step)(order, topic, step, when)
        if result is None:
            return None
        order, when = result
        self.stats.actions += 1
        if step in SENDS:
            self.sent_at.append(when)
        return order, when

    def _step(self, step: str) -> StepTaker:
        takers: dict[str, StepTaker] = {
            "ack": self._acknowledge,
            "ack_late": self._acknowledge,
            "instruct": self._instruct,
            "draft": self._draft,
            "draft_late": self._draft,
            "reject": self._reject,
            "approve": self._approve,
            "return": self._return,
            "extension": self._extension,
            "extension_ok": self._extension_ok,
            "remind": self._remind,
            "supervise": self._supervise,
            "callback": self._callback,
            "callback_unsolved": self._callback,
            "callback_bad": self._callback,
            "close_bad": self._callback,
            "close": self._close,
            "case": self._case_step,
            "case_open": self._case_step,
        }
        if step not in takers:
            raise ValueError(f"unknown step {step}")
        return takers[step]

    def _acknowledge(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        return services.order_act(order_id=order.pk, action="acknowledge", actor=self._center(), at=when), when

    def _instruct(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        rng, cast = self.rng, self.cast
        assert topic is not None
        codes = [code for code in topic.departments if code in cast.handlers] or [topic.departments[0]]
        if len(codes) > 1 and rng.random() < 0.5:
            codes = codes[:1]
        if order.order_type == E and rng.random() < 0.7:
            order = services.order_act(
                order_id=order.pk, action="assign", actor=self._center(), departments=codes, at=when
            )
            return order, when
        department = self._department_name(codes[0])
        order = services.order_act(
            order_id=order.pk,
            action="instruct",
            actor=rng.choice(cast.leaders),
            instruction=rng.choice(INSTRUCTIONS).format(dept=department),
            departments=codes,
            at=when,
        )
        return order, when

    def _draft(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        rng = self.rng
        assert topic is not None
        call = self._calls.get(order.pk)
        answer = call.reply if call is not None else rng.choice([c.reply for c in topic.calls])
        text = rng.choice(REDO_REPLIES) if order.reopen_count else answer
        if order.case_id is not None:
            # The reply waits for the case: some time after its closure.
            closed_at = order.case.closed_at if order.case is not None else None
            if closed_at is None:
                return None
            when = max(when, closed_at + dt.timedelta(minutes=rng.uniform(30, 240)))
            if when >= self.now:
                return None
        actor = rng.choice(self._lead(order))
        return services.order_act(order_id=order.pk, action="draft_reply", actor=actor, text=text, at=when), when

    def _reject(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        actor = self._center()
        order = services.order_act(
            order_id=order.pk, action="reject_draft", actor=actor, comment=self.rng.choice(REJECTIONS), at=when
        )
        return order, when

    def _approve(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        return services.order_act(order_id=order.pk, action="approve_reply", actor=self._center(), at=when), when

    def _return(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        _content, _category, reason, basis, _type, _title = next(
            (item for item in OUT_OF_REMIT if item[0] == order.content), OUT_OF_REMIT[0]
        )
        order = services.order_act(
            order_id=order.pk, action="return_upstream", actor=self._center(), reason=reason, basis=basis, at=when
        )
        return order, when

    def _extension(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        rng = self.rng
        if order.reply_deadline is None or when >= order.reply_deadline:
            return None
        until = calendar.add_working_days(order.reply_deadline, rng.randint(5, 10))
        order = services.order_act(
            order_id=order.pk,
            action="request_extension",
            actor=rng.choice(self._lead(order)),
            reason=rng.choice(EXTENSION_REASONS),
            until=until,
            at=when,
        )
        return order, when

    def _extension_ok(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        pending = order.extension
        answer = pending.until.isoformat() if pending is not None else None
        return self._event(order, "extension_answer", {"approved": True, "until": answer}, when), when

    def _remind(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        actor = self._center()
        order = services.order_act(
            order_id=order.pk, action="remind", actor=actor, comment=self.rng.choice(REMINDERS), at=when
        )
        return order, when

    def _supervise(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        return self._event(order, "supervise", {"comment": self.rng.choice(SUPERVISIONS)}, when), when

    def _callback(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        """A call-back (``callback``, ``callback_unsolved``, ``callback_bad``) or a closure with a
        bad call-back (``close_bad``)."""
        rng = self.rng
        if step == "callback":
            rating = Satisfaction.SATISFIED if rng.random() < 0.78 else Satisfaction.BASICALLY_SATISFIED
            solved = True
        elif step == "callback_unsolved":
            rating, solved = Satisfaction.BASICALLY_SATISFIED, False
        else:
            rating, solved = Satisfaction.DISSATISFIED, False
        data = {"satisfaction": rating, "solved": solved, "comment": rng.choice(CALLBACK_COMMENTS[rating])}
        # Upstream often closes the order with the call-back's result in one message.
        closing = step == "close_bad" or (step in ("callback", "callback_unsolved") and rng.random() < 0.5)
        return self._event(order, "close" if closing else "callback", data, when), when

    def _close(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        return self._event(order, "close", {"comment": "工单已办结。"}, when), when

    def _case_step(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        assert topic is not None
        return self._case(order, topic, when, finish=step == "case")

    def _event(self, order: HotlineOrder, kind: str, data: dict[str, Any], when: dt.datetime) -> HotlineOrder:
        event_id = f"demo-{order.upstream_number}-{kind}-{len(self.sent_at)}-{self.stats.actions}"
        return services.order_event(
            order_id=order.pk, actor=self.cast.upstream, event_type=kind, data=data, event_id=event_id, at=when
        )

    def _case(
        self, order: HotlineOrder, topic: Topic, when: dt.datetime, *, finish: bool
    ) -> tuple[HotlineOrder, dt.datetime] | None:
        """Create the order's case in a grid of its village and run it through the case loop
        (to its closure, or a few steps for a case still running)."""
        village = next((v for v in self.cast.villages if order.address.startswith(v.name)), self.cast.villages[0])
        grid = self.rng.choice(self.cast.grids_of[village.pk])
        order = services.order_act(
            order_id=order.pk,
            action="create_case",
            actor=self._center(),
            grid_id=grid.pk,
            category=topic.case_category,
            at=when,
        )
        self.stats.cases += 1
        generator = self._cases()
        if generator is None:
            return order, when
        assert order.case_id is not None
        case = Case.objects.get(pk=order.case_id)
        scenario = CASE_SCENARIOS["closed" if finish else "open_in_progress"]
        generator.now = self.now
        generator._play(case, scenario, when)
        order.refresh_from_db()
        return order, when

    def _cases(self) -> CaseGenerator | None:
        """The case demo's generator (its cast of grid staff and departments), made once."""
        if self._case_generator is None:
            try:
                self._case_generator = CaseGenerator(
                    CaseCast.load(self.cast.town.code), seed=self.rng.randrange(10**9), now=self.now
                )
            except ValueError:
                self._case_generator = False
        return self._case_generator or None

    # -- people and numbers ---------------------------------------------------------------------

    def _department_name(self, code: str) -> str:
        if not self._department_names:
            self._department_names = dict(Department.objects.values_list("code", "name"))
        return self._department_names.get(code, code)

    def _center(self) -> User:
        center = self.cast.center
        return center[0] if self.rng.random() < 0.5 else self.rng.choice(center)

    def _name(self) -> str:
        given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def _phone(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def _number(self, source: str, arrived_at: dt.datetime) -> str:
        """Upstream order numbers like the hotline's: a prefix, the date, a serial."""
        day = timezone.localtime(arrived_at).strftime("%Y%m%d")
        prefix = "BH" if source == SourceSystem.DISTRICT else "TJ"
        while True:
            number = f"{prefix}{day}{self.rng.randrange(10_000):04d}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number


# --- The demo ------------------------------------------------------------------------------


def load_demo_hotline(
    *,
    count: int = DEFAULT_ORDER_COUNT,
    seed: int = DEMO_HOTLINE_SEED,
    now: dt.datetime | None = None,
    allow_production_db: bool = False,
) -> int:
    """Create ``count`` historical demo orders in the demo town; returns how many were made.

    Does nothing (returns 0) when any order exists already, so it is safe to run again. Needs
    the demo's areas, people and categories (:func:`gridgov.demo.loader.load_demo`); best run
    after the case history (``load_demo`` does), whose check for an empty case table the
    orders' linked cases would otherwise satisfy.
    """
    check_allowed(allow_production_db=allow_production_db)
    if HotlineOrder.objects.exists():
        return 0
    return generate_demo_orders(count=count, seed=seed, now=now).created


def generate_demo_orders(*, count: int, seed: int = DEMO_HOTLINE_SEED, now: dt.datetime | None = None) -> Stats:
    """Make the orders in one transaction; the in-app notifications the history sends are
    marked read (they are old news) and its upstream messages recorded as delivered.

    The orders arrive at one steady rate over the window: each open scenario is played once
    (planned back from now), the rest of the open queue is the stories that have not ended by
    now, so the last days' arrivals look like the months before them."""
    with transaction.atomic():
        cast = Cast.load(TOWN_CODE if Area.objects.current().filter(code=TOWN_CODE).exists() else None)
        generator = OrderGenerator(cast, seed=seed, now=now)
        stats = generator.run(count)
        # Its messages upstream were delivered long ago: record them, do not send them again.
        history_settle(order_ids=generator.order_ids, sent_at=generator.sent_at, now=generator.now)
        readers = get_user_model().objects.filter(
            is_active=True, role_assignments__isnull=False, notifications__read_at__isnull=True
        )
        for user in readers.distinct():
            mark_read(actor=user)
    if stats.refused:
        logger.warning("Demo hotline steps refused by the services: %s", "; ".join(stats.refused[:20]))
    return stats
