"""The town's actions on an order: the table of :mod:`gridgov.hotline.transitions` on the
workflow engine, one effect per action, and :func:`order_act`, the only way callers apply
them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.areas.selectors import current_grid
from gridgov.core.errors import clean_text
from gridgov.core.reminders import reminder_check
from gridgov.people.models import Department
from gridgov.people.selectors import chosen_departments

from ..access import parties_of
from ..models import FINAL_ORDER_STATUSES, HotlineOrder, OrderEvent, OrderStatus, PendingExtension
from ..transitions import ROWS, Action, Party
from .case_link import create_case, visible_case
from .flow import OrderStep, OrderWorkflow
from .inputs import COMMENT_MAX, TEXT_MAX, aware, invalid, iso
from .notifications import enqueue_upstream

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area

# Moves after which an unanswered extension request has nothing left to extend.
ENDS_EXTENSION: Final = FINAL_ORDER_STATUSES | {OrderStatus.REPLIED}


class TownFlow(OrderWorkflow):
    """The town's side of an order's flow (center, leader, departments)."""

    forbidden_message = gettext_lazy("This action is not yours to take on this order.")

    def parties(self, actor: User | AnonymousUser, subject: HotlineOrder) -> set[str]:
        return set(parties_of(actor, subject))

    def clean_required(self, name: str, value: Any) -> Any:
        return clean_text(value, name, COMMENT_MAX, required=True)

    def clock(self, step: OrderStep) -> None:
        """A reply or a return drops an extension request still waiting for upstream; then the
        step clock."""
        order = step.subject
        extension = order.extension
        if step.target != step.before and extension is not None and step.target in ENDS_EXTENSION:
            step.data["extension_dropped"] = extension.to_json()["until"]
            step.set(pending_extension=None)
        super().clock(step)

    def history_data(self, step: OrderStep) -> dict[str, Any]:
        comment = step.input("comment", "")
        return {**step.data, "comment": comment} if comment and "comment" not in step.data else step.data


ORDERS = TownFlow("hotline", ROWS)


def _upstream(step: OrderStep, kind: str, payload: dict[str, Any]) -> None:
    """Send ``kind`` upstream once the step's history row exists."""
    step.after.append(lambda _event: enqueue_upstream(step.subject, kind, payload, step.actor))


def _departments(order: HotlineOrder, codes: Sequence[str]) -> list[Department]:
    """The departments of an instruction, lead first (sets the cooperating ones)."""
    chosen = chosen_departments(codes)
    if not chosen:
        raise invalid("departments", _("Choose the department that leads the reply."))
    order.cooperating_departments.set(chosen[1:])
    return chosen


def _grid_of_town(order: HotlineOrder, grid_id: int | None) -> Area:
    if grid_id is None:
        raise invalid("grid_id", _("Choose the grid where the work is to be done."))
    grid = current_grid(pk=grid_id)
    if grid is None or f"/{order.town_id}/" not in grid.path:
        raise invalid("grid_id", _("Choose a grid of the order's town."))
    return grid


# --- effects ------------------------------------------------------------------------------


@ORDERS.effects(Action.ACKNOWLEDGE)
def _acknowledge(step: OrderStep) -> None:
    deadline = step.subject.step_deadline
    step.set(acknowledged_at=step.now, ack_on_time=deadline is None or step.now <= deadline)
    _upstream(step, "acknowledge", {"acknowledged_at": iso(step.now)})
    step.notify.append(Party.LEADER)


def _lead(step: OrderStep) -> None:
    """The lead department (and the cooperating ones), told of the order."""
    chosen = _departments(step.subject, step.input("departments", ()))
    step.set(lead_department=chosen[0])
    step.data["departments"] = [d.code for d in chosen]
    step.notify.extend([Party.LEAD_DEPARTMENT, Party.DEPARTMENT])


@ORDERS.effects(Action.INSTRUCT)
def _instruct(step: OrderStep) -> None:
    """The leader's instruction, and the departments it goes to."""
    step.set(instruction=clean_text(step.input("instruction"), "instruction", TEXT_MAX, required=True))
    _lead(step)


@ORDERS.effects(Action.ASSIGN)
def _assign(step: OrderStep) -> None:
    """The departments, without an instruction (types that need none)."""
    _lead(step)


@ORDERS.effects(Action.DRAFT_REPLY)
def _draft_reply(step: OrderStep) -> None:
    step.set(draft_text=clean_text(step.input("text"), "text", TEXT_MAX, required=True))
    step.notify.append(Party.CENTER)


@ORDERS.effects(Action.REJECT_DRAFT)
def _reject_draft(step: OrderStep) -> None:
    step.set(reject_count=step.subject.reject_count + 1)
    step.notify.append(Party.LEAD_DEPARTMENT)


@ORDERS.effects(Action.APPROVE_REPLY)
def _approve_reply(step: OrderStep) -> None:
    """The draft (or the center's correction of it) goes upstream as the reply."""
    order, now = step.subject, step.now
    reply = clean_text(step.input("text") or order.draft_text, "text", TEXT_MAX, required=True)
    if reply != order.draft_text:
        step.data["edited"] = True
    on_time = order.reply_deadline is None or now <= order.reply_deadline
    step.set(reply_text=reply, replied_at=now, reply_on_time=on_time)
    _upstream(step, "reply", {"reply": reply, "replied_at": iso(now)})
    step.notify.append(Party.LEAD_DEPARTMENT)


@ORDERS.effects(Action.RETURN_UPSTREAM)
def _return_upstream(step: OrderStep) -> None:
    reason = clean_text(step.input("reason"), "reason", COMMENT_MAX, required=True)
    basis = clean_text(step.input("basis"), "basis", COMMENT_MAX, required=True)
    step.set(return_reason=reason, return_basis=basis, returned_at=step.now)
    _upstream(step, "return", {"reason": reason, "basis": basis, "returned_at": iso(step.now)})
    step.notify.append(Party.LEAD_DEPARTMENT)


@ORDERS.effects(Action.REQUEST_EXTENSION)
def _request_extension(step: OrderStep) -> None:
    """Ask upstream for a later reply deadline; the request waits on the order for its answer."""
    order = step.subject
    reason = clean_text(step.input("reason") or step.input("comment"), "reason", COMMENT_MAX, required=True)
    wanted = aware(step.input("until"), "until")
    if order.reply_deadline is not None and wanted <= order.reply_deadline:
        raise invalid("until", _("Ask for a deadline later than the current one."))
    step.set(pending_extension=PendingExtension(until=wanted, reason=reason, by=step.actor.pk).to_json())
    step.data.update({"until": iso(wanted), "reason": reason})
    _upstream(step, "extension_request", {"until": iso(wanted), "reason": reason})
    step.notify.append(Party.CENTER)


@ORDERS.effects(Action.CREATE_CASE)
def _create_case(step: OrderStep) -> None:
    """A case in the case loop for the field work, in a grid of the order's town."""
    order = step.subject
    grid = _grid_of_town(order, step.input("grid_id"))
    case = create_case(order, actor=step.actor, grid=grid, category=step.input("category", ""), now=step.now)
    step.set(case=case, area_path=case.area_path)
    order.grid_id = case.grid_id
    step.fields.add("grid")
    step.data.update({"case": case.pk, "case_number": case.number})


@ORDERS.effects(Action.LINK_CASE)
def _link_case(step: OrderStep) -> None:
    case = visible_case(step.actor, step.input("case_id"), step.subject)
    step.set(case=case)
    step.data.update({"case": case.pk, "case_number": case.number})


@ORDERS.effects(Action.UNLINK_CASE)
def _unlink_case(step: OrderStep) -> None:
    case = step.subject.case
    assert case is not None  # the row's guard
    step.data.update({"case": case.pk, "case_number": case.number})
    step.set(case=None)


@ORDERS.effects(Action.REMIND)
def _remind(step: OrderStep) -> None:
    reminder_check(
        OrderEvent.objects.filter(order=step.subject, action=Action.REMIND, actor_id=getattr(step.actor, "pk", None)),
        now=step.now,
    )
    step.set(reminder_count=step.subject.reminder_count + 1)
    step.notify.append(Party.LEAD_DEPARTMENT)


@ORDERS.effects(Action.CLEAR_REVIEW)
def _clear_review(step: OrderStep) -> None:
    """The center checked the doubtful values of an imported order: the flag goes; the history
    line keeps which reasons were checked."""
    step.data["reasons"] = [str(note.get("code", "")) for note in step.subject.review_reasons or []]
    step.set(needs_review=False, review_reasons=[])


ORDERS.check_complete()


# --- the service ----------------------------------------------------------------------------


def allowed_actions(order: HotlineOrder, user: User | AnonymousUser, now: dt.datetime | None = None) -> list[str]:
    """The actions ``user`` may take on the order now (for showing only the usable forms)."""
    return ORDERS.allowed_actions(order, user, now)


def order_act(
    *,
    order_id: int,
    action: str,
    actor: User | AnonymousUser,
    version: int | None = None,
    comment: str = "",
    instruction: str = "",
    departments: Sequence[str] = (),
    text: str = "",
    reason: str = "",
    basis: str = "",
    until: dt.datetime | None = None,
    case_id: int | None = None,
    grid_id: int | None = None,
    category: str = "",
    at: dt.datetime | None = None,
) -> HotlineOrder:
    """Apply one action of the transition table to an order (see ``transitions.TABLE``).

    ``instruct``/``assign`` take ``departments`` (codes, lead first; ``instruct`` also the
    ``instruction``), ``draft_reply`` the ``text`` (``approve_reply`` may correct it),
    ``reject_draft`` a ``comment``, ``return_upstream`` the ``reason`` and legal ``basis``,
    ``request_extension`` the ``reason`` and the wanted deadline ``until``, ``create_case`` the
    ``grid_id`` (and optionally a category code), ``link_case`` the ``case_id``.
    """
    ORDERS.transition(action)  # an unknown action is refused (404) before the order is read
    inputs = {
        "comment": comment,
        "instruction": instruction,
        "departments": departments,
        "text": text,
        "reason": reason,
        "basis": basis,
        "until": until,
        "case_id": case_id,
        "grid_id": grid_id,
        "category": category,
    }
    return ORDERS.act(order_id, action, actor=actor, inputs=inputs, version=version, at=at)
