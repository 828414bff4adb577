"""The order's row and its history: the lock, the save with its version, one timeline line."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from django.utils.translation import gettext as _

from gridgov.core.actors import signed_in
from gridgov.core.errors import NotFound
from gridgov.core.inserts import insert

from ..access import visible_q
from ..models import EventOrigin, HotlineOrder, OrderEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# The encrypted petitioner columns (decrypted on every load).
PETITIONER_SECRETS: Final = ("petitioner_name", "petitioner_phone", "petitioner_address")
# The mirror of the open step on the order, saved with every change of the order.
STEP_FIELDS: Final = ("step", "step_started_at", "step_warn_at", "step_deadline", "next_alert_at")


def lock_visible(order_id: int, actor: User | AnonymousUser | None) -> HotlineOrder:
    """The order, locked, if the actor may see it (else :class:`NotFound`).

    Only the order's own row is read: its town, case and lead department load on first use
    (most actions need none of them), and the encrypted petitioner fields, which no action
    reads, load only if asked for."""
    found = list(
        HotlineOrder.objects.select_for_update(of=("self",))
        .defer(*PETITIONER_SECRETS)
        .filter(visible_q(actor), pk=order_id)
        .order_by()[:1]
    )
    if not found:
        raise NotFound(_("No such work order."))
    return found[0]


def save_order(order: HotlineOrder, *fields: str) -> None:
    """Save the changed fields, the status and the step mirror, one version later."""
    order.version += 1
    order.save(update_fields=sorted({*fields, *STEP_FIELDS, "status", "version", "updated_at"}))


def record_event(
    order: HotlineOrder,
    action: str,
    *,
    actor: User | AnonymousUser | None,
    at: dt.datetime,
    from_status: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    origin: str = EventOrigin.TOWN,
    event_id: str = "",
) -> OrderEvent:
    """One line of the order's timeline (its ``to_status`` is the order's status now)."""
    event = OrderEvent(
        order=order,
        action=action,
        origin=origin,
        actor=signed_in(actor),
        at=at,
        from_status=from_status,
        to_status=order.status,
        comment=comment,
        event_id=event_id,
        data=data or {},
    )
    insert(event)
    return event
