"""Random sequences of town actions (by every party, with random inputs) and upstream events
(fresh, resent or malformed) on a few hotline orders keep the order's invariants: the status
only moves along the two tables, a refused move writes nothing, a resent event changes nothing,
the step clock and its lights agree with the stage rows, counters match the history, and a
pending extension, a closure and a return leave the traces they must."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from typing import Any, ClassVar

from django.db import transaction
from django.forms.models import model_to_dict
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from gridgov.core.errors import DomainError
from gridgov.core.workflow import SAME
from gridgov.hotline import deadlines, services
from gridgov.hotline.models import (
    OPEN_ORDER_STATUSES,
    EventOrigin,
    HotlineOrder,
    OrderEvent,
    OrderStage,
    OrderStatus,
    PendingExtension,
    Satisfaction,
)
from gridgov.hotline.transitions import EVENT_TABLE, TABLE, Action, UpstreamEvent
from gridgov.notify.models import Notification
from gridgov.upstream.models import UpstreamMessage
from gridgov.workcalendar import clock
from gridgov.workcalendar.units import Light

from .core_helpers import DRAFT, INSTRUCT, USERS, VARIANTS, home_grid, open_case, order_data

# Monday morning of an ordinary working week.
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
STARTS = ["received", "acknowledged", "acknowledged_enquiry", "instructed", "drafted", "replied"]
RETURN = {"reason": "不属于本镇职责", "basis": "《天津市政务服务便民热线管理办法》"}
DEPARTMENT_CHOICES: list[list[str]] = [[], ["urban_mgmt"], ["urban_mgmt", "traffic_police"], ["nowhere"]]
# Statuses an upstream reopening may send an order back to.
REOPENED = {OrderStatus.INSTRUCTED, OrderStatus.ACKNOWLEDGED}
EVENT_DATA: dict[str, list[dict[str, Any]]] = {
    UpstreamEvent.CLOSE: [{}, {"satisfaction": "satisfied", "solved": True}, {"satisfaction": "meh"}],
    UpstreamEvent.CALLBACK: [
        {"satisfaction": "satisfied", "solved": True},
        {"satisfaction": "dissatisfied", "solved": False},
        {"satisfaction": "dissatisfied", "deadline": "not a time"},
        {"satisfaction": "meh"},
    ],
    UpstreamEvent.REOPEN: [{}, {"deadline": "2026-04-30T17:30:00+08:00"}],
    UpstreamEvent.REMIND: [{}, {"comment": "请加快办理"}, {"comment": "长" * 2001}],
    UpstreamEvent.SUPERVISE: [{"comment": "督办"}],
    UpstreamEvent.EXTENSION_ANSWER: [{"approved": True}, {"approved": False}, {}, {"approved": "perhaps"}],
}


def snapshot(order_id: int) -> tuple[Any, ...]:
    """Everything an action on the order may write."""
    order = HotlineOrder.objects.get(pk=order_id)
    row = model_to_dict(order)
    row.pop("cooperating_departments", None)
    return (
        row,
        order.updated_at,
        sorted(order.cooperating_departments.values_list("pk", flat=True)),
        list(OrderEvent.objects.filter(order_id=order_id).values_list("id", flat=True)),
        list(OrderStage.objects.filter(order_id=order_id).order_by("id").values()),
        UpstreamMessage.objects.filter(order_id=order_id).count(),
        Notification.objects.filter(object_id=str(order_id)).count(),
    )


def extension_until(order: HotlineOrder, days: int) -> dt.datetime | None:
    return order.reply_deadline + dt.timedelta(days=days) if order.reply_deadline is not None else None


class OrderFlow(RuleBasedStateMachine):
    people: ClassVar[dict[str, Any]] = {}
    case_id: ClassVar[int] = 0
    # Every successful action, event and sweep outcome over all examples.
    seen: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown: examples never see each other.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.clock = START
        self.orders: list[int] = []
        self.versions: dict[int, int] = {}
        self.event_ids: list[tuple[int, str]] = []

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def tick(self, minutes: int) -> dt.datetime:
        self.clock += dt.timedelta(minutes=minutes + 1)
        return self.clock

    def inputs(self, order: HotlineOrder, action: str) -> dict[str, Any]:
        """Inputs that make ``action`` succeed when the table offers it."""
        extra: dict[str, Any] = {"comment": "说明"}
        if action in (Action.INSTRUCT, Action.ASSIGN):
            extra.update(INSTRUCT)
        elif action == Action.DRAFT_REPLY:
            extra.update(DRAFT)
        elif action == Action.RETURN_UPSTREAM:
            extra.update(RETURN)
        elif action == Action.REQUEST_EXTENSION:
            extra.update({"reason": "需协调多个部门", "until": extension_until(order, 7)})
        elif action == Action.CREATE_CASE:
            extra["grid_id"] = home_grid(self.people["grid01"]).pk
        elif action == Action.LINK_CASE:
            extra["case_id"] = self.case_id
        return extra

    @initialize(starts=st.lists(st.sampled_from(STARTS), min_size=3, max_size=3), complex_=st.booleans())
    def receive_orders(self, starts: list[str], complex_: bool) -> None:
        """Three orders pushed by upstream, each taken by the services to a starting point."""
        for position, start in enumerate(starts):
            order_type, steps = VARIANTS[start]
            at = self.tick(0)
            data = order_data(
                order_type=order_type,
                received_at=at - dt.timedelta(minutes=3),
                complex=complex_ and position == 0,
                urgency_class="utilities" if position == 2 else "general",
            )
            order = services.order_receive(actor=self.people["upstream01"], data=data, channel="api", at=at).order
            for action, user, _extra in steps:
                at = self.tick(20)
                if action.startswith("@"):
                    order = services.order_event(
                        order_id=order.pk, actor=self.people[user], event_type=action[1:], data={}, at=at
                    )
                    continue
                extra = {key: value for key, value in self.inputs(order, action).items() if key != "comment"}
                order = services.order_act(order_id=order.pk, action=action, actor=self.people[user], at=at, **extra)
            self.orders.append(order.pk)
            self.versions[order.pk] = order.version

    @rule(
        index=st.integers(0, 2),
        action=st.sampled_from([a.value for a in Action]),
        user=st.sampled_from(USERS),
        with_text=st.booleans(),
        departments=st.sampled_from(DEPARTMENT_CHOICES),
        until_days=st.sampled_from([None, -1, 5]),
        linkable=st.booleans(),
        minutes=st.integers(0, 600),
        stale=st.booleans(),
    )
    def act(
        self,
        index: int,
        action: str,
        user: str,
        with_text: bool,
        departments: list[str],
        until_days: int | None,
        linkable: bool,
        minutes: int,
        stale: bool,
    ) -> None:
        """Anyone tries anything, with inputs good or bad."""
        order_id = self.orders[index]
        order = HotlineOrder.objects.get(pk=order_id)
        before = snapshot(order_id)
        version = self.versions[order_id]
        text = "处理情况说明" if with_text else ""
        try:
            changed = services.order_act(
                order_id=order_id,
                action=action,
                actor=self.people[user],
                version=version - 1 if stale else version,
                comment=text,
                instruction=text,
                departments=departments,
                text=text,
                reason=text,
                basis=text,
                until=extension_until(order, until_days) if until_days is not None else None,
                case_id=self.case_id if linkable else 999_999,
                grid_id=home_grid(self.people["grid01"]).pk if linkable else None,
                at=self.tick(minutes),
            )
        except DomainError:
            assert snapshot(order_id) == before, f"refused {action} by {user} changed the order"
            return
        assert not stale, "a stale version was accepted"
        target = TABLE[action].target
        assert changed.status == (order.status if target == SAME else target)
        self.versions[order_id] = changed.version
        self.seen[action] += 1

    @rule(index=st.integers(0, 2), minutes=st.integers(0, 600), mood=st.integers(0, 3), data=st.data())
    def advance(self, index: int, minutes: int, mood: int, data: st.DataObject) -> None:
        """A move the table offers someone now succeeds with good inputs (mostly a move forward,
        so that sequences get deep into the flow)."""
        order_id = self.orders[index]
        order = HotlineOrder.objects.get(pk=order_id)
        at = self.tick(minutes)
        offered = [
            (user, action) for user in USERS for action in services.allowed_actions(order, self.people[user], at)
        ]
        forward = [(user, action) for user, action in offered if TABLE[action].target != SAME]
        if mood and forward:
            offered = forward
        if not offered:
            return
        user, action = data.draw(st.sampled_from(offered))
        changed = services.order_act(
            order_id=order_id,
            action=action,
            actor=self.people[user],
            version=self.versions[order_id],
            at=at,
            **self.inputs(order, action),
        )
        self.versions[order_id] = changed.version
        self.seen[action] += 1

    @rule(
        index=st.integers(0, 2),
        kind=st.sampled_from([e.value for e in UpstreamEvent]),
        choice=st.integers(0, 3),
        resend=st.booleans(),
        with_id=st.booleans(),
        minutes=st.integers(0, 600),
    )
    def event(self, index: int, kind: str, choice: int, resend: bool, with_id: bool, minutes: int) -> None:
        """Upstream reports an event: new, sent again with a known id, or malformed."""
        order_id = self.orders[index]
        order = HotlineOrder.objects.get(pk=order_id)
        payloads = EVENT_DATA[kind]
        payload = payloads[choice % len(payloads)]
        known = [event_id for known_order, event_id in self.event_ids if known_order == order_id]
        event_id = known[-1] if resend and known else (f"up-{len(self.event_ids)}" if with_id else "")
        before = snapshot(order_id)
        try:
            changed = services.order_event(
                order_id=order_id,
                actor=self.people["upstream01"],
                event_type=kind,
                data=dict(payload),
                event_id=event_id,
                at=self.tick(minutes),
            )
        except DomainError:
            assert snapshot(order_id) == before, f"refused {kind} changed the order"
            return
        if event_id in known:
            assert snapshot(order_id) == before, f"{kind} sent again changed the order"
            return
        target = EVENT_TABLE[kind].target
        expected = {order.status if target == SAME else target}
        if kind in (UpstreamEvent.CALLBACK, UpstreamEvent.REOPEN):
            expected |= REOPENED
        assert changed.status in expected
        if event_id:
            self.event_ids.append((order_id, event_id))
        self.versions[order_id] = changed.version
        self.seen[f"upstream_{kind}"] += 1

    @rule(index=st.integers(0, 2), minutes=st.integers(0, 600), data=st.data())
    def answer(self, index: int, minutes: int, data: st.DataObject) -> None:
        """An event the upstream table allows now, well formed, succeeds."""
        order_id = self.orders[index]
        order = HotlineOrder.objects.get(pk=order_id)
        at = self.tick(minutes)
        offered = set(services.EVENTS.allowed_actions(order, self.people["upstream01"], at))
        if order.pending_extension is not None:
            offered &= {UpstreamEvent.EXTENSION_ANSWER}
        elif order.status in (OrderStatus.REPLIED, OrderStatus.CLOSED):
            offered -= {UpstreamEvent.REMIND, UpstreamEvent.SUPERVISE}
        else:
            offered -= {UpstreamEvent.CLOSE}  # the random events close unfinished orders
        if not offered:
            return
        kind = data.draw(st.sampled_from(sorted(offered)))
        payload: dict[str, Any] = {}
        if kind == UpstreamEvent.CALLBACK:
            payload = {"satisfaction": data.draw(st.sampled_from(Satisfaction.values)), "solved": True}
        elif kind == UpstreamEvent.EXTENSION_ANSWER:
            payload = {"approved": data.draw(st.booleans())}
        changed = services.order_event(
            order_id=order_id, actor=self.people["upstream01"], event_type=kind, data=payload, at=at
        )
        self.versions[order_id] = changed.version
        self.seen[f"upstream_{kind}"] += 1

    @rule(minutes=st.integers(0, 3000))
    def sweep(self, minutes: int) -> None:
        self.seen.update({k: v for k, v in services.sweep_due(self.tick(minutes)).items() if v})
        again = services.sweep_due(self.clock)
        assert again == {"warnings": 0, "overdue": 0}, "a second sweep at the same moment sent more"

    @invariant()
    def orders_are_consistent(self) -> None:
        for order_id in self.orders:
            order = HotlineOrder.objects.get(pk=order_id)
            assert order.version == self.versions[order_id]
            self.check_history(order)
            self.check_stages(order)
            self.check_traces(order)

    def check_history(self, order: HotlineOrder) -> None:
        """The timeline is one chain, each change of status a row of one of the two tables,
        and the counters count its lines."""
        events = list(OrderEvent.objects.filter(order=order).order_by("id"))
        assert events[0].action == "receive" and events[0].from_status == ""
        for previous, event in itertools.pairwise(events):
            assert event.from_status == previous.to_status, (previous.action, event.action)
            assert event.at >= previous.at
        assert events[-1].to_status == order.status
        for event in events[1:]:
            moved = event.from_status != event.to_status
            upstream = event.origin == EventOrigin.UPSTREAM
            table = EVENT_TABLE if upstream else TABLE
            transition = table.get(event.action)
            if transition is None:
                assert not moved, f"{event.action} moved the order outside the tables"
                continue
            assert event.from_status in transition.sources, event.action
            if transition.target == SAME:
                reopened = upstream and (event.data or {}).get("reopened")
                assert not moved or (reopened and event.to_status in REOPENED), event.action
            elif event.action == UpstreamEvent.REOPEN and upstream:
                assert event.to_status in REOPENED
            else:
                assert event.to_status == transition.target, event.action
        actions = Counter(e.action for e in events)
        upstream_actions = Counter(e.action for e in events if e.origin == EventOrigin.UPSTREAM)
        reopened = sum(1 for e in events if e.action == "callback" and (e.data or {}).get("reopened"))
        approved = sum(1 for e in events if e.action == "extension_answer" and (e.data or {}).get("approved"))
        assert order.reject_count == actions["reject_draft"]
        assert order.reminder_count == actions["remind"]
        assert order.supervision_count == upstream_actions["supervise"]
        assert order.reopen_count == upstream_actions["reopen"] + reopened
        assert order.extension_count == approved
        ids = [e.event_id for e in events if e.event_id]
        assert len(ids) == len(set(ids)), "an event id recorded twice"

    def check_stages(self, order: HotlineOrder) -> None:
        """One open stage exactly while the order is open, mirrored on the order; the light of
        the order, the database's and the stage clock's agree."""
        stages = list(OrderStage.objects.filter(order=order).order_by("id"))
        open_stages = [s for s in stages if s.ended_at is None]
        for stage in stages:
            if stage.ended_at is not None:
                assert stage.on_time == (None if stage.deadline is None else stage.ended_at <= stage.deadline)
            if stage.deadline is not None and stage.deadline > stage.started_at:
                assert stage.warn_at is not None and stage.started_at <= stage.warn_at <= stage.deadline
            elif stage.deadline is not None:  # started late (the reply deadline had passed)
                assert stage.warn_at == stage.deadline
        now = self.clock
        light = deadlines.light(order, now)
        stored = HotlineOrder.objects.filter(pk=order.pk).annotate(light=deadlines.light_expression(now))
        assert stored.values_list("light", flat=True).get() == light
        for colour in Light.values:
            matches = HotlineOrder.objects.filter(deadlines.light_q(colour, now), pk=order.pk).exists()
            assert matches == (colour == light), colour
        if order.status not in OPEN_ORDER_STATUSES:
            assert open_stages == []
            assert order.step == "" and order.step_deadline is None and order.next_alert_at is None
            assert light == Light.NONE
            return
        assert len(open_stages) == 1
        stage = open_stages[0]
        assert stage.step == order.step == deadlines.STATUS_STEP[order.status]
        assert order.step_deadline == stage.deadline and order.step_warn_at == stage.warn_at
        assert light == clock.light(stage.deadline, stage.warn_at, now)
        if stage.deadline is None:
            assert order.next_alert_at is None
        elif not stage.warning_sent:
            assert order.next_alert_at == stage.warn_at
        elif not stage.overdue_sent:
            assert order.next_alert_at == stage.deadline
        else:
            assert order.next_alert_at is None

    def check_traces(self, order: HotlineOrder) -> None:
        """A closed order has its closing time, a returned one its return; a pending extension
        is the last word of its history about extensions and outlives no reply or return."""
        assert (order.closed_at is not None) == (order.status == OrderStatus.CLOSED)
        assert (order.returned_at is not None) == (order.status == OrderStatus.RETURNED_UPSTREAM)
        if order.status == OrderStatus.REPLIED or order.reply_text:
            assert order.replied_at is not None
        pending = order.extension
        last = (
            OrderEvent.objects.filter(order=order)
            .filter(action__in=["request_extension", "extension_answer", "approve_reply", "return_upstream"])
            .order_by("-id")
            .first()
        )
        requested = last is not None and last.action == "request_extension"
        assert (pending is not None) == requested
        if pending is not None:
            assert isinstance(pending, PendingExtension) and pending.reason and pending.by is not None
            assert order.status not in (OrderStatus.REPLIED, OrderStatus.RETURNED_UPSTREAM)
            assert PendingExtension.from_json(pending.to_json()) == pending


def test_random_sequences_of_actions_and_events_keep_the_invariants(people: dict[str, Any]) -> None:
    OrderFlow.people = {name: people[name] for name in USERS}
    OrderFlow.case_id = open_case(people).pk
    OrderFlow.seen.clear()
    try:
        run_state_machine_as_test(
            OrderFlow,
            settings=settings(
                max_examples=10,
                stateful_step_count=20,
                deadline=None,
                derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                database=None,
            ),
        )
    finally:
        OrderFlow.people = {}
    # The sequences got deep into the flow and upstream's side, not only refusals.
    assert {"draft_reply", "approve_reply", "request_extension", "overdue"} <= set(OrderFlow.seen), OrderFlow.seen
    assert {"upstream_close", "upstream_callback", "upstream_extension_answer"} <= set(OrderFlow.seen), OrderFlow.seen
