"""What upstream reports about an order (``POST /orders/{id}/events``): the second table of an
order (:data:`gridgov.hotline.transitions.EVENT_TABLE`) on the same engine, one effect per
event type, and :func:`order_event`. An event sent again with the same ``event_id`` has no
second effect (the engine's ``replay`` hook, on the unique ``OrderEvent.event_id``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.errors import Forbidden, clean_text
from gridgov.core.workflow import Transition
from gridgov.workcalendar.units import TimeUnit

from .. import conf, deadlines
from ..access import is_upstream
from ..models import EventOrigin, HotlineOrder, OrderEvent, OrderStatus, OrderStep, Satisfaction
from ..transitions import EVENT_ROWS, UPSTREAM_EVENTS, Party, UpstreamEvent
from .clock import retime_open_stage
from .flow import OrderStep as Step
from .flow import OrderWorkflow
from .inputs import COMMENT_MAX, aware, boolean, invalid, iso
from .notifications import responsible
from .store import record_event

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class EventFlow(OrderWorkflow):
    """Upstream's events on an order; the party is the upstream system account."""

    forbidden_message = gettext_lazy("Only the upstream system reports events.")
    origin: ClassVar[str] = EventOrigin.UPSTREAM
    notice_prefix: ClassVar[str] = "hotline.upstream_"

    def parties(self, actor: User | AnonymousUser, subject: HotlineOrder) -> set[str]:
        return {Party.UPSTREAM} if is_upstream(actor) else set()

    def replay(
        self, subject: HotlineOrder, transition: Transition, actor: User | AnonymousUser, inputs: Mapping[str, Any]
    ) -> bool:
        """An event whose ``event_id`` the order has recorded already is a resend: nothing is
        done. (The event's comment is checked here too, right after the lock, where upstream's
        events have always checked it: before the order's status.)"""
        event_id = inputs.get("event_id", "")
        if event_id and OrderEvent.objects.filter(order=subject, event_id=event_id).exists():
            return True
        clean_text(_comment(inputs), "comment", COMMENT_MAX, required=False)
        return False

    def record(self, step: Step) -> OrderEvent:
        event_id = step.input("event_id", "")
        return record_event(
            step.subject,
            step.action,
            actor=step.actor,
            at=step.now,
            from_status=step.before,
            comment=step.input("comment", ""),
            data={"event_id": event_id, **step.data} if event_id else step.data,
            origin=self.origin,
            event_id=event_id,
        )


EVENTS = EventFlow("hotline_events", EVENT_ROWS)


def _comment(inputs: Mapping[str, Any]) -> str:
    return str((inputs.get("data") or {}).get("comment") or "")


def _data(step: Step) -> dict[str, Any]:
    data: dict[str, Any] = step.input("data") or {}
    return data


def _callback_fields(step: Step, data: dict[str, Any]) -> None:
    satisfaction = str(data.get("satisfaction") or "").strip()
    if satisfaction not in Satisfaction.values:
        raise invalid("satisfaction", _("Choose one of the allowed values."))
    solved = boolean(data, "solved", required=False)
    step.set(satisfaction=satisfaction, solved=solved, callback_at=step.now)
    step.data.update({"satisfaction": satisfaction, "solved": solved})


def _reopen(step: Step, deadline: Any) -> None:
    """Back to the department for a new reply (重办): a new reply deadline, a new draft step
    (back to acknowledged when no department ever led the order)."""
    order = step.subject
    step.target = OrderStatus.INSTRUCTED if order.lead_department_id else OrderStatus.ACKNOWLEDGED
    if deadline:
        reply_deadline = aware(deadline, "deadline")
    else:
        days = conf.reply_limit_days(order.order_type)
        reply_deadline = deadlines.limit_deadline(step.now, days, TimeUnit.WORKING_DAYS)
    step.set(reopen_count=order.reopen_count + 1, closed_at=None, reply_deadline=reply_deadline, reply_on_time=None)


# --- effects ------------------------------------------------------------------------------


@EVENTS.effects(UpstreamEvent.CLOSE)
def _close(step: Step) -> None:
    """Upstream closed the order (often with the call-back's result in the same message)."""
    data = _data(step)
    step.set(closed_at=step.now)
    if data.get("satisfaction"):
        _callback_fields(step, data)
    step.notify.append(Party.CENTER)


@EVENTS.effects(UpstreamEvent.CALLBACK)
def _callback(step: Step) -> None:
    """The petitioner's rating; a dissatisfied one reopens the order for a new reply."""
    data = _data(step)
    _callback_fields(step, data)
    if step.subject.satisfaction == Satisfaction.DISSATISFIED:
        _reopen(step, data.get("deadline"))
        step.data["reopened"] = True
        step.notify.extend([Party.CENTER, Party.LEAD_DEPARTMENT])
    else:
        step.notify.append(Party.CENTER)


@EVENTS.effects(UpstreamEvent.REOPEN)
def _reopened(step: Step) -> None:
    _reopen(step, _data(step).get("deadline"))
    step.notify.extend([Party.CENTER, Party.LEAD_DEPARTMENT])


@EVENTS.effects(UpstreamEvent.REMIND)
def _remind(step: Step) -> None:
    step.set(reminder_count=step.subject.reminder_count + 1)
    step.notify.extend([Party.CENTER, *responsible(step.subject)])


@EVENTS.effects(UpstreamEvent.SUPERVISE)
def _supervise(step: Step) -> None:
    step.set(supervision_count=step.subject.supervision_count + 1)
    step.notify.extend([Party.CENTER, Party.LEADER, *responsible(step.subject)])


@EVENTS.effects(UpstreamEvent.EXTENSION_ANSWER)
def _extension_answer(step: Step) -> None:
    """Upstream approved (a new reply deadline, the open draft step moved) or refused."""
    order, data = step.subject, _data(step)
    pending = order.extension
    assert pending is not None  # the row's guard
    approved = boolean(data, "approved", required=True)
    step.data["approved"] = approved
    if approved:
        until = aware(data.get("until") or pending.until, "until")
        step.set(reply_deadline=until, extension_count=order.extension_count + 1)
        step.data["until"] = iso(until)
        if order.step in (OrderStep.DRAFT, OrderStep.APPROVE):
            retime_open_stage(order, step.now, extended=True)
    step.set(pending_extension=None)
    step.notify.extend([Party.CENTER, Party.LEAD_DEPARTMENT])


EVENTS.check_complete()


# --- the service ----------------------------------------------------------------------------


def order_event(
    *,
    order_id: int,
    actor: User | AnonymousUser,
    event_type: str,
    data: dict[str, Any],
    event_id: str = "",
    at: dt.datetime | None = None,
) -> HotlineOrder:
    """Apply one event reported by upstream: ``close``, ``callback`` (``satisfaction``,
    ``solved``; dissatisfied reopens the order for a new reply), ``remind``, ``supervise``,
    ``reopen``, ``extension_answer`` (``approved``, ``until``). The same ``event_id`` twice
    has no second effect. Only the upstream role sends events."""
    if not is_upstream(actor):
        raise Forbidden(_("Only the upstream system reports events."))
    if event_type not in UPSTREAM_EVENTS:
        raise invalid("type", _("Unknown event type."))
    inputs = {"data": data, "event_id": (event_id or "").strip()[:100], "comment": _comment({"data": data})}
    return EVENTS.act(order_id, event_type, actor=actor, inputs=inputs, at=at)
