"""Who hears of an order, and what goes out: the notices to the town's people (through the
notification outbox) and the messages to upstream (through the upstream outbox), both queued
in the caller's transaction and never carrying the petitioner's identity in clear."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from gridgov.core.actors import signed_in
from gridgov.notify.services import notify_queue
from gridgov.upstream.services import enqueue

from .. import conf, notices
from ..access import recipients
from ..models import HotlineOrder, OrderStatus
from ..transitions import Party

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
else:
    User = get_user_model()


def order_url(order: HotlineOrder) -> str:
    """The order's page (the API's detail path when the pages are not installed)."""
    try:
        return reverse("hotline:detail", args=[order.pk])
    except NoReverseMatch:
        return f"/api/v1/hotline/orders/{order.pk}"


def responsible(order: HotlineOrder) -> list[Party]:
    """Who must act next on the order in its current status."""
    if order.status in (OrderStatus.RECEIVED, OrderStatus.DRAFTED):
        return [Party.CENTER]
    if order.status == OrderStatus.ACKNOWLEDGED:
        if order.order_type in conf.skip_instruct_types():
            return [Party.CENTER, Party.LEADER]
        return [Party.LEADER]
    if order.status == OrderStatus.INSTRUCTED:
        return [Party.LEAD_DEPARTMENT]
    return []


def notify(
    order: HotlineOrder,
    parties: Iterable[Party],
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    actor: User | AnonymousUser | None,
    exclude: Iterable[int] = (),
) -> None:
    """Queue a notice to everyone standing in ``parties`` for the order, except the actor. The
    text is rendered for each reader (``notices.py``): the number, type and class, and the
    masked phone only (the content may quote the petitioner, so it stays on the order's page)."""
    # ``recipients`` keeps active users only, so the notification outbox is written directly
    # (``notify_queue``, in this transaction) without ``notify``'s second look at the users.
    by = signed_in(actor)
    skip = {*exclude, by.pk if by is not None else None}
    user_ids = [user_id for user_id in recipients(order, parties) if user_id not in skip]
    if not user_ids:
        return
    notify_queue(
        users=[User(pk=user_id) for user_id in user_ids],
        kind=kind,
        params={**notices.order_params(order), **(params or {})},
        body=notices.order_note(order),
        url=order_url(order),
        obj=order,
        actor=by,
    )


def enqueue_upstream(
    order: HotlineOrder, kind: str, payload: dict[str, Any], actor: User | AnonymousUser | None
) -> None:
    """Queue one message for upstream in this transaction (never the petitioner's identity)."""
    enqueue(
        source_system=order.source_system,
        kind=kind,
        order_id=order.pk,
        upstream_number=order.upstream_number,
        payload=payload,
        actor=signed_in(actor),
    )
