"""Writes of hotline orders: receive, act, upstream events, reveal, grants, the deadline sweep.

Every function runs in one transaction, locks the order row it changes, writes an
:class:`~gridgov.hotline.models.OrderEvent` for each change (an audit row where the
petitioner's identity is touched), queues what goes upstream in the outbox and the
notifications in the same transaction. Statuses move only on the workflow engine
(:mod:`gridgov.core.workflow`): :func:`order_act` applies the town's actions (table
``transitions.TABLE``, effects in :mod:`.act`), :func:`order_event` upstream's events (table
``transitions.EVENT_TABLE``, effects in :mod:`.events`).

The modules: :mod:`.receive` (orders coming in), :mod:`.act`, :mod:`.events`, :mod:`.flow`
(what both workflows share), :mod:`.clock` (step bookkeeping), :mod:`.case_link` (the case
doing the field work), :mod:`.privacy` (reveal, grants, attachments), :mod:`.notifications`,
:mod:`.sweep`, :mod:`.store` (the order row and its history) and :mod:`.inputs`.

Refusals raise the core errors (:mod:`gridgov.core.errors`, also known here under their old
names ``OrderNotFound`` 404, ``OrderForbidden`` 403, ``OrderConflict`` 409, ``OrderInvalid``
422 with field ``details``); nothing is written then.
"""

from __future__ import annotations

from ..access import recipient_ids, recipients
from ..errors import OrderConflict, OrderError, OrderForbidden, OrderInvalid, OrderNotFound
from ..intake import AttachmentData, OrderData
from ..transitions import Party
from .act import ORDERS, allowed_actions, order_act
from .case_link import case_closed, case_result
from .events import EVENTS, order_event
from .notifications import order_url, responsible
from .privacy import Petitioner, attachment_open, identity_grant, petitioner_reveal
from .receive import RECEIVER_ROLES, TIMING_FIELDS, Received, order_receive, resolve_town
from .sweep import SWEEP_KINDS, sweep_due

__all__ = [
    "EVENTS",
    "ORDERS",
    "RECEIVER_ROLES",
    "SWEEP_KINDS",
    "TIMING_FIELDS",
    "AttachmentData",
    "OrderConflict",
    "OrderData",
    "OrderError",
    "OrderForbidden",
    "OrderInvalid",
    "OrderNotFound",
    "Party",
    "Petitioner",
    "Received",
    "allowed_actions",
    "attachment_open",
    "case_closed",
    "case_result",
    "identity_grant",
    "order_act",
    "order_event",
    "order_receive",
    "order_url",
    "petitioner_reveal",
    "recipient_ids",
    "recipients",
    "resolve_town",
    "responsible",
    "sweep_due",
]
