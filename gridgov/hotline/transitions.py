"""The tables of hotline orders: status × action → next status, who may act.

Two tables on the one workflow engine (:mod:`gridgov.core.workflow`, ``docs/workflow.md``):

- :data:`TABLE`, the town's side of the flow, applied by
  :func:`gridgov.hotline.services.order_act`;
- :data:`EVENT_TABLE`, what upstream reports on ``POST /orders/{id}/events``, applied by
  :func:`gridgov.hotline.services.order_event`.

Nothing else sets an order's status. Each row names the statuses the action is allowed in
(anything else: 409 ``invalid_transition``), the next status (``SAME`` keeps it; an effect may
choose another, as a call-back that reopens the order does), who may act (as relations of the
actor to the order, see :class:`Party`; anyone else who can see the order gets 403), an
optional guard (409 with its own code) and the inputs it requires (a written comment).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import OPEN_STATUSES as OPEN_CASE_STATUSES
from gridgov.core.workflow import SAME, Guard, Transition, row

from . import conf
from .deadlines import return_deadline
from .models import FINAL_ORDER_STATUSES, OrderStatus

if TYPE_CHECKING:
    from .models import HotlineOrder

__all__ = [
    "ACTION_LABELS",
    "EVENT_TABLE",
    "SAME",
    "TABLE",
    "UPSTREAM_EVENTS",
    "Action",
    "Party",
    "UpstreamEvent",
    "label",
]


class Party(StrEnum):
    """How an actor relates to an order."""

    CENTER = "center"  # center operator of the order's town
    LEADER = "leader"  # town leader of the order's town
    LEAD_DEPARTMENT = "lead_department"  # handler of the order's lead department
    DEPARTMENT = "department"  # handler of a cooperating department (reads only)
    UPSTREAM = "upstream"  # the upstream system account (reports events)


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    INSTRUCT = "instruct"
    DRAFT_REPLY = "draft_reply"
    REJECT_DRAFT = "reject_draft"
    APPROVE_REPLY = "approve_reply"
    RETURN_UPSTREAM = "return_upstream"
    REQUEST_EXTENSION = "request_extension"
    CREATE_CASE = "create_case"
    LINK_CASE = "link_case"
    UNLINK_CASE = "unlink_case"
    REMIND = "remind"
    CLEAR_REVIEW = "clear_review"


class UpstreamEvent(StrEnum):
    """What upstream reports on ``POST /orders/{id}/events``."""

    CLOSE = "close"
    CALLBACK = "callback"
    REMIND = "remind"
    SUPERVISE = "supervise"
    REOPEN = "reopen"
    EXTENSION_ANSWER = "extension_answer"


UPSTREAM_EVENTS: Final = frozenset(e.value for e in UpstreamEvent)

# Timeline entries that are neither actions nor upstream events (event ``action`` codes).
RECEIVE: Final = "receive"
UPSTREAM_UPDATE: Final = "upstream_update"
REVEAL: Final = "reveal"
GRANT: Final = "identity_grant"
DEADLINE_WARNING: Final = "deadline_warning"
OVERDUE: Final = "overdue"
CASE_CLOSED: Final = "case_closed"
# Upstream events are stored under their type (``close``, ``callback``...) with origin
# ``upstream``; a ``remind`` from upstream and the center's ``remind`` differ by origin.

ACTION_LABELS: Final[dict[str, Promise]] = {
    RECEIVE: _("Received"),
    UPSTREAM_UPDATE: _("Updated by upstream"),
    REVEAL: _("Petitioner revealed"),
    GRANT: _("Identity granted to a department"),
    DEADLINE_WARNING: _("Deadline warning"),
    OVERDUE: _("Overdue"),
    Action.ACKNOWLEDGE: _("Acknowledge"),
    Action.ASSIGN: _("Assign without instruction"),
    Action.INSTRUCT: _("Instruct"),
    Action.DRAFT_REPLY: _("Draft the reply"),
    Action.REJECT_DRAFT: _("Reject the draft"),
    Action.APPROVE_REPLY: _("Approve and reply"),
    Action.RETURN_UPSTREAM: _("Return upstream"),
    Action.REQUEST_EXTENSION: _("Request extension"),
    Action.CREATE_CASE: _("Create a case"),
    Action.LINK_CASE: _("Link a case"),
    Action.UNLINK_CASE: _("Unlink the case"),
    Action.REMIND: _("Remind"),
    Action.CLEAR_REVIEW: _("Checked: review flag cleared"),
    UpstreamEvent.CLOSE: _("Closed by upstream"),
    UpstreamEvent.CALLBACK: _("Call-back"),
    UpstreamEvent.SUPERVISE: _("Supervision notice from upstream"),
    UpstreamEvent.REOPEN: _("Reopened by upstream"),
    UpstreamEvent.EXTENSION_ANSWER: _("Answer to the extension request"),
    CASE_CLOSED: _("The linked case was closed"),
    "deadline_recomputed": _("Deadline recomputed on the official holiday schedule"),
}


def label(action: str) -> str:
    found = ACTION_LABELS.get(action)
    return str(found) if found is not None else action


# --- guards ---------------------------------------------------------------------------------


def _return_window_open(order: HotlineOrder, now: dt.datetime) -> bool:
    return now <= return_deadline(order)


def _extension_allowed(order: HotlineOrder, now: dt.datetime) -> bool:
    return order.pending_extension is None and order.reply_deadline is not None and now < order.reply_deadline


def _no_open_case(order: HotlineOrder, _now: dt.datetime) -> bool:
    case = order.case if order.case_id is not None else None
    return case is None or case.status not in OPEN_CASE_STATUSES


SKIP_ALLOWED: Final[Guard[HotlineOrder]] = Guard(
    "instruction_required",
    _("Orders of this type need a leader's instruction."),
    lambda o, _now: o.order_type in conf.skip_instruct_types(),
)
NO_OPEN_CASE: Final[Guard[HotlineOrder]] = Guard(
    "case_open",
    _("The linked case is still open: the reply waits for its closure."),
    _no_open_case,
)
RETURN_WINDOW: Final[Guard[HotlineOrder]] = Guard(
    "return_window_passed",
    _("The time to return this order upstream has passed."),
    _return_window_open,
)
EXTENSION_ALLOWED: Final[Guard[HotlineOrder]] = Guard(
    "extension_not_allowed",
    _("An extension can only be requested before the reply deadline, once at a time."),
    _extension_allowed,
)
NO_CASE: Final[Guard[HotlineOrder]] = Guard(
    "case_linked", _("A case is already linked to this order."), lambda o, _now: o.case_id is None
)
HAS_CASE: Final[Guard[HotlineOrder]] = Guard(
    "no_case", _("No case is linked to this order."), lambda o, _now: o.case_id is not None
)
NEEDS_REVIEW: Final[Guard[HotlineOrder]] = Guard(
    "no_review_flag", _("This order has no review flag."), lambda o, _now: o.needs_review
)
EXTENSION_PENDING: Final[Guard[HotlineOrder]] = Guard(
    "no_extension_pending",
    _("There is no extension request to answer."),
    lambda o, _now: o.pending_extension is not None,
)


# --- the town's actions ---------------------------------------------------------------------

S = OrderStatus
P = Party
WORKING: Final = {S.ACKNOWLEDGED, S.INSTRUCTED, S.DRAFTED}

ROWS: Final[list[Transition]] = [
    row(Action.ACKNOWLEDGE, {S.RECEIVED}, S.ACKNOWLEDGED, {P.CENTER}),
    row(Action.ASSIGN, {S.ACKNOWLEDGED}, S.INSTRUCTED, {P.CENTER}, SKIP_ALLOWED),
    row(Action.INSTRUCT, {S.ACKNOWLEDGED}, S.INSTRUCTED, {P.LEADER}),
    row(Action.DRAFT_REPLY, {S.INSTRUCTED}, S.DRAFTED, {P.LEAD_DEPARTMENT}, NO_OPEN_CASE),
    row(Action.REJECT_DRAFT, {S.DRAFTED}, S.INSTRUCTED, {P.CENTER}, required=("comment",)),
    row(Action.APPROVE_REPLY, {S.DRAFTED}, S.REPLIED, {P.CENTER}),
    row(
        Action.RETURN_UPSTREAM,
        {S.RECEIVED, S.ACKNOWLEDGED, S.INSTRUCTED},
        S.RETURNED_UPSTREAM,
        {P.CENTER},
        RETURN_WINDOW,
    ),
    row(Action.REQUEST_EXTENSION, WORKING, SAME, {P.CENTER, P.LEAD_DEPARTMENT}, EXTENSION_ALLOWED),
    row(Action.CREATE_CASE, {S.ACKNOWLEDGED, S.INSTRUCTED}, SAME, {P.CENTER}, NO_CASE),
    row(Action.LINK_CASE, {S.ACKNOWLEDGED, S.INSTRUCTED}, SAME, {P.CENTER}, NO_CASE),
    row(Action.UNLINK_CASE, WORKING, SAME, {P.CENTER}, HAS_CASE),
    row(Action.REMIND, {S.INSTRUCTED}, SAME, {P.CENTER}),
    # An order imported with doubtful values (待核实): the center checks it, in any status.
    row(Action.CLEAR_REVIEW, set(S.values), SAME, {P.CENTER}, NEEDS_REVIEW),
]
TABLE: Final[dict[str, Transition]] = {t.action: t for t in ROWS}

# --- upstream's events ----------------------------------------------------------------------

E = UpstreamEvent
EVERY: Final = frozenset(S.values)
NOT_FINAL: Final = EVERY - FINAL_ORDER_STATUSES
ANSWERED: Final = {S.REPLIED, S.CLOSED}

# A call-back stays where it is unless the petitioner is dissatisfied: then its effect reopens
# the order (the reopen's target), as upstream's ``reopen`` does. A reopened order goes back
# to its lead department (to acknowledged when it never had one).
EVENT_ROWS: Final[list[Transition]] = [
    row(E.CLOSE, NOT_FINAL, S.CLOSED, {P.UPSTREAM}),
    row(E.CALLBACK, ANSWERED, SAME, {P.UPSTREAM}),
    row(E.REOPEN, ANSWERED, S.INSTRUCTED, {P.UPSTREAM}),
    row(E.REMIND, NOT_FINAL, SAME, {P.UPSTREAM}),
    row(E.SUPERVISE, EVERY - {S.RETURNED_UPSTREAM}, SAME, {P.UPSTREAM}),
    row(E.EXTENSION_ANSWER, EVERY, SAME, {P.UPSTREAM}, EXTENSION_PENDING),
]
EVENT_TABLE: Final[dict[str, Transition]] = {t.action: t for t in EVENT_ROWS}
