"""Orders coming in (API push, file import, manual entry): :func:`order_receive`, idempotent on
the upstream number, creates an order or updates it from a changed copy."""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.selectors import current_towns
from gridgov.core.actors import signed_in
from gridgov.core.crypto import digest
from gridgov.core.errors import Conflict, Forbidden, Invalid
from gridgov.core.inserts import insert
from gridgov.people.models import Role

from .. import deadlines, intake, review
from ..access import masked_petitioner, sees_everything, visible_q
from ..intake import AttachmentData, OrderData
from ..models import Channel, EventOrigin, HotlineOrder, OrderAttachment, OrderStatus, OrderStep
from ..transitions import RECEIVE, UPSTREAM_UPDATE, Party
from .clock import create_stage, mirror_step, retime_open_stage
from .inputs import invalid, now_or
from .notifications import notify, responsible
from .store import record_event, save_order

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area

# Roles that may bring an order in: upstream pushes, the center imports or enters by hand.
RECEIVER_ROLES: Final = frozenset({Role.UPSTREAM, Role.CENTER_OPERATOR})
# Fields whose change moves the order's deadlines.
TIMING_FIELDS: Final = frozenset(
    {"received_at", "order_type", "urgency_class", "upstream_ack_deadline", "upstream_deadline", "complex"}
)


@dataclass(frozen=True)
class Received:
    """What :func:`order_receive` did: ``created`` a new order, ``updated`` it from a changed
    copy, or found it ``unchanged`` (an identical resend)."""

    order: HotlineOrder
    outcome: Literal["created", "updated", "unchanged"]

    @property
    def created(self) -> bool:
        return self.outcome == "created"


def _check_receiver(actor: User | AnonymousUser, channel: str) -> None:
    if channel not in Channel.values:
        raise invalid("channel", _("Unknown channel."))
    scope = scope_for(actor)
    if not getattr(actor, "is_authenticated", False) or not scope.has_role(*RECEIVER_ROLES):
        raise Forbidden(_("Only the upstream system and the center bring hotline orders in."))
    if channel == Channel.API and not scope.has_role(Role.UPSTREAM):
        raise Forbidden(_("Only the upstream system pushes orders."))


def _covers(actor: User | AnonymousUser, town: Area) -> bool:
    if sees_everything(actor):
        return True
    scope = scope_for(actor)
    ids = set(town.ancestor_ids()) | {town.pk}
    for role, area_id, _d in scope.assignments:
        if role in RECEIVER_ROLES and area_id is not None and area_id in ids:
            return True
    return False


def resolve_town(actor: User | AnonymousUser, town_code: str) -> Area:
    """The handling town of an order: the one ``town_code`` names, else the actor's only town.

    Raises :class:`~gridgov.core.errors.Invalid` (``town_code``) when the code is unknown or the
    actor's scope holds no town or several, :class:`~gridgov.core.errors.Forbidden` when the
    town is not the actor's."""
    # The boundary (GeoJSON, the largest column) is not needed to place an order.
    towns = current_towns().defer("boundary")
    if town_code:
        town = towns.filter(code=town_code).first()
        if town is None:
            raise invalid("town_code", _("Unknown town."))
        if not _covers(actor, town):
            raise Forbidden(_("This town is outside your scope."))
        return town
    candidates = [town for town in towns.order_by("code")[:500] if _covers(actor, town)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise invalid("town_code", _("No town is in your scope."))
    raise invalid("town_code", _("Several towns are in your scope: give the town's code."))


def _checked_attachments(items: Sequence[AttachmentData]) -> list[tuple[AttachmentData, str]]:
    return [(item, hashlib.sha256(item.content).hexdigest()) for item in items]


def _store_attachments(order: HotlineOrder, checked: Sequence[tuple[AttachmentData, str]]) -> int:
    """Store attachments not stored yet (the same file twice is kept once); how many were new."""
    if not checked:
        return 0
    known = set(OrderAttachment.objects.filter(order=order).values_list("sha256", flat=True))
    stored = 0
    for item, sha in checked:
        if sha in known:
            continue
        known.add(sha)
        name = item.name.strip()[:200] or "attachment"
        content_type = item.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        extension = (name.rsplit(".", 1)[-1].lower()[:10] if "." in name else "bin") or "bin"
        attachment = OrderAttachment(
            order=order, name=name, content_type=content_type[:100], size=len(item.content), sha256=sha
        )
        attachment.file.save(f"{sha[:16]}.{extension}", ContentFile(item.content), save=False)
        attachment.save()
        stored += 1
    return stored


def _set_petitioner(order: HotlineOrder, data: OrderData) -> None:
    order.anonymous = data.anonymous
    order.petitioner_name = data.petitioner_name
    order.petitioner_phone = data.petitioner_phone
    order.petitioner_address = data.petitioner_address
    (
        order.petitioner_name_masked,
        order.petitioner_phone_masked,
        order.petitioner_address_masked,
    ) = masked_petitioner(data.petitioner_name, data.petitioner_phone, data.petitioner_address)
    order.petitioner_phone_digest = digest(data.petitioner_phone, "hotline-phone")


def _order_snapshot(order: HotlineOrder) -> dict[str, Any]:
    copy = OrderData(
        source_system=order.source_system,
        upstream_number=order.upstream_number,
        **{field: getattr(order, field) for field in intake.COPY_FIELDS},
    )
    return intake.snapshot(copy)


def _lock_key(source_system: str, number: str) -> HotlineOrder | None:
    return (
        HotlineOrder.objects.select_for_update(of=("self",))
        .filter(source_system=source_system, upstream_number=number)
        .first()
    )


@transaction.atomic
def order_receive(
    *,
    actor: User | AnonymousUser,
    data: OrderData,
    channel: str,
    attachments: Sequence[AttachmentData] = (),
    at: dt.datetime | None = None,
) -> Received:
    """Bring one order in (API push, import, manual entry).

    Idempotent on ``(source_system, upstream_number)``, also under concurrent pushes: an
    identical copy returns the order ``unchanged``; a changed copy updates it (``updated``),
    writing an ``upstream_update`` event that lists the changed fields by name. ``at`` is the
    arrival time (now by default): the clock of the acknowledge step starts there.
    """
    now = now_or(at)
    _check_receiver(actor, channel)
    data = intake.with_doubts(intake.normalise(data), now)
    errors = intake.validate(data, list(attachments))
    if errors:
        raise Invalid(_("The order is not valid."), details=errors)
    town = resolve_town(actor, data.town_code)
    values = intake.snapshot(data)
    fingerprint = intake.fingerprint(values)
    checked = _checked_attachments(attachments)

    existing = _lock_key(data.source_system, data.upstream_number)
    if existing is None:
        try:
            with transaction.atomic():
                order = _create(actor=actor, data=data, channel=channel, town=town, fingerprint=fingerprint, now=now)
                _store_attachments(order, checked)
            notify(order, [Party.CENTER], "hotline.received", actor=actor)
            return Received(order, "created")
        except IntegrityError:
            existing = _lock_key(data.source_system, data.upstream_number)
            if existing is None:
                raise
    return _apply_copy(
        existing, actor=actor, data=data, values=values, fingerprint=fingerprint, checked=checked, now=now
    )


def _create(
    *, actor: User | AnonymousUser, data: OrderData, channel: str, town: Area, fingerprint: str, now: dt.datetime
) -> HotlineOrder:
    order = HotlineOrder(
        source_system=data.source_system,
        upstream_number=data.upstream_number,
        channel=channel,
        town=town,
        area_path=town.path,
        order_type=data.order_type,
        urgency_class=data.urgency_class,
        complex=data.complex,
        title=data.title,
        content=data.content,
        upstream_category=data.upstream_category,
        address=data.address,
        received_at=data.received_at,
        arrived_at=now,
        upstream_ack_deadline=data.upstream_ack_deadline,
        upstream_deadline=data.upstream_deadline,
        status=OrderStatus.RECEIVED,
        fingerprint=fingerprint,
        created_by=signed_in(actor),
    )
    _set_petitioner(order, data)
    _flag_review(order, data)
    order.reply_deadline = deadlines.reply_deadline(order)
    timing = mirror_step(order, OrderStep.ACKNOWLEDGE, now)
    insert(order)
    create_stage(order, OrderStep.ACKNOWLEDGE, now, timing)
    origin = EventOrigin.UPSTREAM if channel == Channel.API else EventOrigin.TOWN
    event_data: dict[str, Any] = {"channel": channel}
    if data.review:
        event_data["review"] = [note.code for note in data.review]
    record_event(order, RECEIVE, actor=actor, at=now, from_status="", data=event_data, origin=origin)
    return order


def _flag_review(order: HotlineOrder, data: OrderData) -> bool:
    """Put the copy's review notes on the order (with those not cleared yet); whether any."""
    if not data.review:
        return False
    notes = review.merged(review.notes_of(order.review_reasons) if order.needs_review else [], data.review)
    order.review_reasons = [note.to_json() for note in notes]
    order.needs_review = True
    return True


def _apply_copy(
    order: HotlineOrder,
    *,
    actor: User | AnonymousUser,
    data: OrderData,
    values: dict[str, Any],
    fingerprint: str,
    checked: Sequence[tuple[AttachmentData, str]],
    now: dt.datetime,
) -> Received:
    if not HotlineOrder.objects.filter(visible_q(actor), pk=order.pk).exists():
        # The number is taken by an order outside the actor's scope: never touch it.
        raise Conflict(_("An order with this number already exists outside your scope."), code="duplicate_number")
    new_files = _store_attachments(order, checked) if checked else 0
    if order.fingerprint == fingerprint and not new_files:
        return Received(order, "unchanged")
    before = _order_snapshot(order)
    changed = [name for name in intake.COPY_FIELDS if before.get(name) != values.get(name)]
    if not changed and not new_files:
        order.fingerprint = fingerprint
        order.save(update_fields=["fingerprint"])
        return Received(order, "unchanged")
    for name in changed:
        if name not in intake.PETITIONER_FIELDS and name != "anonymous":
            setattr(order, name, getattr(data, name))
    if set(changed) & {*intake.PETITIONER_FIELDS, "anonymous"}:
        _set_petitioner(order, data)
    order.fingerprint = fingerprint
    order.update_count += 1
    flagged = _flag_review(order, data)
    if set(changed) & TIMING_FIELDS and order.is_open:
        if order.replied_at is None:
            order.reply_deadline = deadlines.reply_deadline(order)
        retime_open_stage(order, now)
    names = [*changed, *(["attachments"] if new_files else [])]
    save_order(order, *intake.COPY_FIELDS, *intake.PETITIONER_FIELDS, "petitioner_name_masked",
               "petitioner_phone_masked", "petitioner_address_masked", "petitioner_phone_digest",
               "fingerprint", "update_count", "reply_deadline", "needs_review", "review_reasons")  # fmt: skip
    event_data: dict[str, Any] = {"fields": names}
    if flagged:
        event_data["review"] = [note.code for note in data.review]
    record_event(
        order,
        UPSTREAM_UPDATE,
        actor=actor,
        at=now,
        from_status=order.status,
        origin=EventOrigin.UPSTREAM if order.channel == Channel.API else EventOrigin.TOWN,
        data=event_data,
    )
    notify(
        order,
        [Party.CENTER, *responsible(order)],
        "hotline.upstream_update",
        {"action": UPSTREAM_UPDATE},
        actor=actor,
    )
    return Received(order, "updated")
