"""Writes of hotline orders: receive, act, upstream events, reveal, grants, the deadline sweep.

Every function runs in one transaction, locks the order row it changes, writes an
:class:`OrderEvent` for each change (an audit row where the petitioner's identity is touched),
queues what goes upstream in the outbox and the notifications in the same transaction.
:func:`order_act` is the only code that applies the town's actions, following
:mod:`gridgov.hotline.transitions`; :func:`order_event` applies upstream's events.

Refusals raise :class:`OrderError` subclasses (``OrderNotFound`` 404, ``OrderForbidden`` 403,
``OrderConflict`` 409, ``OrderInvalid`` 422 with field ``details``); nothing is written then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Case, Q, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area, AreaLevel
from gridgov.categories.models import TimeUnit
from gridgov.core.crypto import digest
from gridgov.people.models import Department, Role, RoleAssignment

from . import conf, deadlines, intake, notices
from .access import ancestor_ids, can_reveal, is_upstream, masked_petitioner, parties_of, sees_everything, visible_q
from .errors import OrderConflict, OrderError, OrderForbidden, OrderInvalid, OrderNotFound
from .intake import AttachmentData, OrderData
from .models import (
    FINAL_ORDER_STATUSES,
    OPEN_ORDER_STATUSES,
    Channel,
    EventOrigin,
    HotlineOrder,
    IdentityGrant,
    OrderAttachment,
    OrderEvent,
    OrderStage,
    OrderStatus,
    OrderStep,
    Satisfaction,
)
from .transitions import (
    CASE_CLOSED,
    DEADLINE_WARNING,
    GRANT,
    OVERDUE,
    RECEIVE,
    REVEAL,
    TABLE,
    UPSTREAM_EVENTS,
    UPSTREAM_UPDATE,
    Action,
    Party,
    UpstreamEvent,
    label,
)

User = get_user_model()
logger = logging.getLogger(__name__)

__all__ = [
    "OrderConflict",
    "OrderError",
    "OrderForbidden",
    "OrderInvalid",
    "OrderNotFound",
    "Petitioner",
    "Received",
    "allowed_actions",
    "case_result",
    "identity_grant",
    "order_act",
    "order_event",
    "order_receive",
    "order_url",
    "petitioner_reveal",
    "sweep_due",
]

TEXT_MAX: Final = 5000
COMMENT_MAX: Final = 2000
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


@dataclass(frozen=True)
class Petitioner:
    name: str
    phone: str
    address: str


# --- helpers ----------------------------------------------------------------------------


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _text(value: str | None, field: str, *, required: bool, maximum: int = COMMENT_MAX) -> str:
    text = (value or "").strip()
    if required and not text:
        raise OrderInvalid(_("This field is required."), details={field: [_("This field is required.")]})
    if len(text) > maximum:
        message = _("Keep it under %(n)s characters.") % {"n": maximum}
        raise OrderInvalid(message, details={field: [message]})
    return text


def _invalid(field: str, message: str) -> OrderInvalid:
    return OrderInvalid(message, details={field: [message]})


def order_url(order: HotlineOrder) -> str:
    """The order's page (the API's detail path when the pages are not installed)."""
    try:
        return reverse("hotline:detail", args=[order.pk])
    except NoReverseMatch:
        return f"/api/v1/hotline/orders/{order.pk}"


def _event(
    order: HotlineOrder,
    action: str,
    *,
    actor: Any,
    at: dt.datetime,
    from_status: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    origin: str = EventOrigin.TOWN,
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        action=action,
        origin=origin,
        actor=_user(actor),
        at=at,
        from_status=from_status,
        to_status=order.status,
        comment=comment,
        data=data or {},
    )


def _open_stage(order: HotlineOrder) -> OrderStage | None:
    # At most one stage is open (constraint ``hotline_one_open_stage``): no ordering needed.
    found = list(OrderStage.objects.filter(order=order, ended_at__isnull=True).order_by()[:1])
    return found[0] if found else None


def _end_stage(order: HotlineOrder, at: dt.datetime) -> None:
    """End the open step (if any) and freeze ``on_time``: one UPDATE, no read (at most one
    stage is open, constraint ``hotline_one_open_stage``)."""
    OrderStage.objects.filter(order=order, ended_at__isnull=True).update(
        ended_at=at,
        on_time=Case(
            When(deadline__isnull=True, then=Value(None)),
            When(deadline__gte=at, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(null=True),
        ),
    )


def _clear_step(order: HotlineOrder) -> None:
    order.step = ""
    order.step_started_at = order.step_warn_at = order.step_deadline = order.next_alert_at = None


def _enter_step(order: HotlineOrder, at: dt.datetime) -> None:
    """End the open step and start the one the order's status now has (if any)."""
    _end_stage(order, at)
    wanted = deadlines.STATUS_STEP.get(order.status, "")
    if not wanted:
        _clear_step(order)
        return
    timing = deadlines.step_timing(order, wanted, at)
    OrderStage.objects.create(
        order=order,
        step=wanted,
        started_at=at,
        warn_at=timing.warn_at,
        deadline=timing.deadline,
        limit_amount=timing.amount,
        limit_unit=timing.unit,
        department_id=order.lead_department_id if wanted == OrderStep.DRAFT else None,
    )
    order.step = wanted
    order.step_started_at = at
    order.step_warn_at = timing.warn_at
    order.step_deadline = timing.deadline
    order.next_alert_at = timing.warn_at


def _retime_open_stage(order: HotlineOrder, now: dt.datetime, *, extended: bool = False) -> None:
    """Recompute the open step's deadline (after upstream changed the order or granted an
    extension); its reminders go out again if the new times lie ahead."""
    stage = _open_stage(order)
    if stage is None:
        return
    timing = deadlines.step_timing(order, stage.step, stage.started_at)
    stage.deadline, stage.warn_at = timing.deadline, timing.warn_at
    stage.limit_amount, stage.limit_unit = timing.amount, timing.unit
    stage.extended = stage.extended or extended
    if stage.deadline is not None and now <= stage.deadline:
        stage.overdue_sent = False
    if stage.warn_at is not None and now < stage.warn_at:
        stage.warning_sent = False
    stage.save(
        update_fields=["deadline", "warn_at", "limit_amount", "limit_unit", "extended", "overdue_sent", "warning_sent"]
    )
    order.step_deadline, order.step_warn_at = stage.deadline, stage.warn_at
    order.next_alert_at = _next_alert(stage)


def _next_alert(stage: OrderStage) -> dt.datetime | None:
    if stage.deadline is None:
        return None
    if not stage.warning_sent and stage.warn_at is not None:
        return stage.warn_at
    if not stage.overdue_sent:
        return stage.deadline
    return None


# The encrypted petitioner columns (decrypted on every load).
PETITIONER_SECRETS: Final = ("petitioner_name", "petitioner_phone", "petitioner_address")
STEP_FIELDS: Final = ("step", "step_started_at", "step_warn_at", "step_deadline", "next_alert_at")


def _save(order: HotlineOrder, *fields: str) -> None:
    order.version += 1
    order.save(update_fields=sorted({*fields, *STEP_FIELDS, "status", "version", "updated_at"}))


def _enqueue(order: HotlineOrder, kind: str, payload: dict[str, Any], actor: Any) -> None:
    """Queue one message for upstream in this transaction (never the petitioner's identity)."""
    from gridgov.upstream.services import enqueue

    enqueue(
        source_system=order.source_system,
        kind=kind,
        order_id=order.pk,
        upstream_number=order.upstream_number,
        payload=payload,
        actor=_user(actor),
    )


def _iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment is not None else None


# --- recipients and notifications -------------------------------------------------------


def _party_q(order: HotlineOrder, party: Party) -> Q | None:
    """The role assignments standing in ``party`` for the order (``None``: nobody)."""
    if party == Party.CENTER:
        return Q(role=Role.CENTER_OPERATOR, area_id__in=sorted(ancestor_ids(order)))
    if party == Party.LEADER:
        return Q(role=Role.TOWN_LEADER, area_id__in=sorted(ancestor_ids(order)))
    if party == Party.LEAD_DEPARTMENT:
        if order.lead_department_id is None:
            return None
        return Q(role=Role.DEPARTMENT_HANDLER, department_id=order.lead_department_id)
    through = HotlineOrder.cooperating_departments.through
    cooperating = through.objects.filter(hotlineorder_id=order.pk).values("department_id")
    return Q(role=Role.DEPARTMENT_HANDLER, department_id__in=cooperating)


def recipients(order: HotlineOrder, parties: Iterable[Party]) -> list[int]:
    """Ids of the active users standing in any of ``parties`` for the order, sorted (one
    query, none when no party can have anyone)."""
    query: Q | None = None
    for party in dict.fromkeys(parties):
        wanted = _party_q(order, party)
        if wanted is not None:
            query = wanted if query is None else query | wanted
    if query is None:
        return []
    assignments = RoleAssignment.objects.filter(query, user__is_active=True).order_by()
    return sorted(set(assignments.values_list("user_id", flat=True)))


def recipient_ids(order: HotlineOrder, party: Party) -> list[int]:
    """Ids of the active users standing in ``party`` for the order (one query)."""
    return recipients(order, [party])


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


def _notify(
    order: HotlineOrder,
    parties: Iterable[Party],
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    actor: Any,
    exclude: Iterable[int] = (),
) -> None:
    """Notify ``parties`` of the order; the text is rendered for each reader (``notices.py``):
    the number, type and class, and the masked phone only (the content may quote the
    petitioner, so it stays on the order's page)."""
    # ``recipients`` keeps active users only, so the notification outbox is written directly
    # (``notify_queue``, in this transaction) without ``notify``'s second look at the users.
    skip = {*exclude, getattr(_user(actor), "pk", None)}
    user_ids = [user_id for user_id in recipients(order, parties) if user_id not in skip]
    if not user_ids:
        return
    from gridgov.notify.services import notify_queue

    notify_queue(
        users=[User(pk=user_id) for user_id in user_ids],
        kind=kind,
        params={**notices.order_params(order), **(params or {})},
        body=notices.order_note(order),
        url=order_url(order),
        obj=order,
        actor=_user(actor),
    )


# --- intake -----------------------------------------------------------------------------


def _check_receiver(actor: Any, channel: str) -> None:
    if channel not in Channel.values:
        raise _invalid("channel", _("Unknown channel."))
    scope = scope_for(actor)
    if not getattr(actor, "is_authenticated", False) or not scope.has_role(*RECEIVER_ROLES):
        raise OrderForbidden(_("Only the upstream system and the center bring hotline orders in."))
    if channel == Channel.API and not scope.has_role(Role.UPSTREAM):
        raise OrderForbidden(_("Only the upstream system pushes orders."))


def _covers(actor: Any, town: Area) -> bool:
    if sees_everything(actor):
        return True
    scope = scope_for(actor)
    ids = set(town.ancestor_ids()) | {town.pk}
    for role, area_id, _d in scope.assignments:
        if role in RECEIVER_ROLES and area_id is not None and area_id in ids:
            return True
    return False


def resolve_town(actor: Any, town_code: str) -> Area:
    """The handling town of an order: the one ``town_code`` names, else the actor's only town.

    Raises :class:`OrderInvalid` (``town_code``) when the code is unknown or the actor's
    scope holds no town or several, :class:`OrderForbidden` when the town is not the actor's."""
    # The boundary (GeoJSON, the largest column) is not needed to place an order.
    towns = Area.objects.current().filter(level=AreaLevel.TOWN).defer("boundary")
    if town_code:
        town = towns.filter(code=town_code).first()
        if town is None:
            raise _invalid("town_code", _("Unknown town."))
        if not _covers(actor, town):
            raise OrderForbidden(_("This town is outside your scope."))
        return town
    candidates = [town for town in towns.order_by("code")[:500] if _covers(actor, town)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise _invalid("town_code", _("No town is in your scope."))
    raise _invalid("town_code", _("Several towns are in your scope: give the town's code."))


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
    actor: Any,
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
    now = _now(at)
    _check_receiver(actor, channel)
    data = intake.normalise(data)
    errors = intake.validate(data, list(attachments))
    if errors:
        raise OrderInvalid(_("The order is not valid."), details=errors)
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
            _after_create(order, actor)
            return Received(order, "created")
        except IntegrityError:
            existing = _lock_key(data.source_system, data.upstream_number)
            if existing is None:
                raise
    return _apply_copy(
        existing, actor=actor, data=data, values=values, fingerprint=fingerprint, checked=checked, now=now
    )


def _create(
    *, actor: Any, data: OrderData, channel: str, town: Area, fingerprint: str, now: dt.datetime
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
        created_by=_user(actor),
    )
    _set_petitioner(order, data)
    order.reply_deadline = deadlines.reply_deadline(order)
    timing = deadlines.step_timing(order, OrderStep.ACKNOWLEDGE, now)
    order.step = OrderStep.ACKNOWLEDGE
    order.step_started_at = now
    order.step_warn_at = order.next_alert_at = timing.warn_at
    order.step_deadline = timing.deadline
    order.save(force_insert=True)
    OrderStage.objects.create(
        order=order,
        step=OrderStep.ACKNOWLEDGE,
        started_at=now,
        warn_at=timing.warn_at,
        deadline=timing.deadline,
        limit_amount=timing.amount,
        limit_unit=timing.unit,
    )
    origin = EventOrigin.UPSTREAM if channel == Channel.API else EventOrigin.TOWN
    _event(order, RECEIVE, actor=actor, at=now, from_status="", data={"channel": channel}, origin=origin)
    return order


def _after_create(order: HotlineOrder, actor: Any) -> None:
    _notify(order, [Party.CENTER], "hotline.received", actor=actor)


def _apply_copy(
    order: HotlineOrder,
    *,
    actor: Any,
    data: OrderData,
    values: dict[str, Any],
    fingerprint: str,
    checked: Sequence[tuple[AttachmentData, str]],
    now: dt.datetime,
) -> Received:
    if not HotlineOrder.objects.filter(visible_q(actor), pk=order.pk).exists():
        # The number is taken by an order outside the actor's scope: never touch it.
        raise OrderConflict(_("An order with this number already exists outside your scope."), code="duplicate_number")
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
    if set(changed) & TIMING_FIELDS and order.is_open:
        if order.replied_at is None:
            order.reply_deadline = deadlines.reply_deadline(order)
        _retime_open_stage(order, now)
    names = [*changed, *(["attachments"] if new_files else [])]
    _save(order, *intake.COPY_FIELDS, *intake.PETITIONER_FIELDS, "petitioner_name_masked",
          "petitioner_phone_masked", "petitioner_address_masked", "petitioner_phone_digest",
          "fingerprint", "update_count", "reply_deadline")  # fmt: skip
    _event(
        order,
        UPSTREAM_UPDATE,
        actor=actor,
        at=now,
        from_status=order.status,
        origin=EventOrigin.UPSTREAM if order.channel == Channel.API else EventOrigin.TOWN,
        data={"fields": names},
    )
    _notify(
        order,
        [Party.CENTER, *responsible(order)],
        "hotline.upstream_update",
        {"action": UPSTREAM_UPDATE},
        actor=actor,
    )
    return Received(order, "updated")


# --- the town's actions -------------------------------------------------------------------


def _lock_visible(order_id: int, actor: Any) -> HotlineOrder:
    """The order, locked, if the actor may see it (else :class:`OrderNotFound`).

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
        raise OrderNotFound(_("No such work order."))
    return found[0]


def allowed_actions(order: HotlineOrder, user: Any, now: dt.datetime | None = None) -> list[str]:
    """The actions ``user`` may take on the order now (for showing only the usable forms)."""
    now = _now(now)
    parties = parties_of(user, order)
    result = []
    for action, transition in TABLE.items():
        if order.status not in transition.sources or not (parties & transition.parties):
            continue
        if transition.guard is not None and not transition.guard.check(order, now):
            continue
        result.append(action.value)
    return result


def _departments(order: HotlineOrder, codes: Sequence[str]) -> list[Department]:
    """The departments of an instruction, lead first (sets the cooperating ones)."""
    seen: list[str] = []
    for code in codes:
        code = str(code).strip()
        if code and code not in seen:
            seen.append(code)
    if not seen:
        raise _invalid("departments", _("Choose the department that leads the reply."))
    found = {d.code: d for d in Department.objects.filter(code__in=seen, is_active=True)}
    missing = [code for code in seen if code not in found]
    if missing:
        raise _invalid("departments", _("Unknown department: %(codes)s") % {"codes": ", ".join(missing)})
    chosen = [found[code] for code in seen]
    order.cooperating_departments.set(chosen[1:])
    return chosen


def _grid_of_town(order: HotlineOrder, grid_id: int | None) -> Area:
    if grid_id is None:
        raise _invalid("grid_id", _("Choose the grid where the work is to be done."))
    grid = Area.objects.current().filter(pk=grid_id, level=AreaLevel.GRID).first()
    if grid is None or f"/{order.town_id}/" not in grid.path:
        raise _invalid("grid_id", _("Choose a grid of the order's town."))
    return grid


def _aware(value: dt.datetime | str | None, field: str) -> dt.datetime:
    if isinstance(value, str):
        value = parse_datetime(value.strip())
    if not isinstance(value, dt.datetime):
        raise _invalid(field, _("Enter a date and time."))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@transaction.atomic
def order_act(
    *,
    order_id: int,
    action: str,
    actor: Any,
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
    now = _now(at)
    try:
        act = Action(action)
    except ValueError:
        raise OrderNotFound(_("Unknown action."), code="unknown_action") from None
    order = _lock_visible(order_id, actor)
    transition = TABLE[act]
    if not (parties_of(actor, order) & transition.parties):
        raise OrderForbidden(_("This action is not yours to take on this order."))
    if version is not None and version != order.version:
        raise OrderConflict(
            _("Someone else changed this order meanwhile. Reload it; your text is kept in the form."),
            code="version_conflict",
        )
    if order.status not in transition.sources:
        raise OrderConflict(
            _("“%(action)s” is not possible while the order is %(status)s.")
            % {"action": label(act), "status": OrderStatus(order.status).label},
            code="invalid_transition",
        )
    if transition.guard is not None and not transition.guard.check(order, now):
        raise OrderConflict(transition.guard.message, code=transition.guard.code)
    comment = _text(comment, "comment", required=transition.comment_required)

    before = order.status
    data: dict[str, Any] = {}
    fields: set[str] = set()
    notify_parties: list[Party] = []
    upstream: tuple[str, dict[str, Any]] | None = None

    if act == Action.ACKNOWLEDGE:
        order.acknowledged_at = now
        order.ack_on_time = order.step_deadline is None or now <= order.step_deadline
        fields.update({"acknowledged_at", "ack_on_time"})
        upstream = ("acknowledge", {"acknowledged_at": _iso(now)})
        notify_parties = [Party.LEADER]
    elif act in (Action.ASSIGN, Action.INSTRUCT):
        if act == Action.INSTRUCT:
            order.instruction = _text(instruction, "instruction", required=True, maximum=TEXT_MAX)
            fields.add("instruction")
        chosen = _departments(order, departments)
        order.lead_department = chosen[0]
        fields.add("lead_department")
        data["departments"] = [d.code for d in chosen]
        notify_parties = [Party.LEAD_DEPARTMENT, Party.DEPARTMENT]
    elif act == Action.DRAFT_REPLY:
        order.draft_text = _text(text, "text", required=True, maximum=TEXT_MAX)
        fields.add("draft_text")
        notify_parties = [Party.CENTER]
    elif act == Action.REJECT_DRAFT:
        order.reject_count += 1
        fields.add("reject_count")
        notify_parties = [Party.LEAD_DEPARTMENT]
    elif act == Action.APPROVE_REPLY:
        reply = _text(text or order.draft_text, "text", required=True, maximum=TEXT_MAX)
        if reply != order.draft_text:
            data["edited"] = True
        order.reply_text = reply
        order.replied_at = now
        order.reply_on_time = order.reply_deadline is None or now <= order.reply_deadline
        fields.update({"reply_text", "replied_at", "reply_on_time"})
        upstream = ("reply", {"reply": reply, "replied_at": _iso(now)})
        notify_parties = [Party.LEAD_DEPARTMENT]
    elif act == Action.RETURN_UPSTREAM:
        order.return_reason = _text(reason, "reason", required=True)
        order.return_basis = _text(basis, "basis", required=True)
        order.returned_at = now
        fields.update({"return_reason", "return_basis", "returned_at"})
        upstream = ("return", {"reason": order.return_reason, "basis": order.return_basis, "returned_at": _iso(now)})
        notify_parties = [Party.LEAD_DEPARTMENT]
    elif act == Action.REQUEST_EXTENSION:
        wanted_reason = _text(reason or comment, "reason", required=True)
        wanted = _aware(until, "until")
        if order.reply_deadline is not None and wanted <= order.reply_deadline:
            raise _invalid("until", _("Ask for a deadline later than the current one."))
        order.pending_extension = {"until": _iso(wanted), "reason": wanted_reason, "by": actor.pk}
        fields.add("pending_extension")
        data.update({"until": _iso(wanted), "reason": wanted_reason})
        upstream = ("extension_request", {"until": _iso(wanted), "reason": wanted_reason})
        notify_parties = [Party.CENTER]
    elif act == Action.CREATE_CASE:
        case = _create_case(order, actor=actor, grid=_grid_of_town(order, grid_id), category=category, now=now)
        order.case = case
        order.grid_id = case.grid_id
        order.area_path = case.area_path
        fields.update({"case", "grid", "area_path"})
        data.update({"case": case.pk, "case_number": case.number})
    elif act == Action.LINK_CASE:
        case = _visible_case(actor, case_id, order)
        order.case = case
        fields.add("case")
        data.update({"case": case.pk, "case_number": case.number})
    elif act == Action.UNLINK_CASE:
        assert order.case is not None
        data.update({"case": order.case_id, "case_number": order.case.number})
        order.case = None
        fields.add("case")
    elif act == Action.REMIND:
        order.reminder_count += 1
        fields.add("reminder_count")
        notify_parties = [Party.LEAD_DEPARTMENT]

    if comment:
        data.setdefault("comment", comment)
    target = transition.next_status(order)
    if (
        target != before
        and order.pending_extension is not None
        and target in FINAL_ORDER_STATUSES | {OrderStatus.REPLIED}
    ):
        data["extension_dropped"] = order.pending_extension.get("until")
        order.pending_extension = None
        fields.add("pending_extension")
    order.status = target
    if target != before:
        _enter_step(order, now)
    _save(order, *fields)
    _event(order, act.value, actor=actor, at=now, from_status=before, comment=comment, data=data)
    if upstream is not None:
        _enqueue(order, upstream[0], upstream[1], actor)
    if notify_parties:
        _notify(order, notify_parties, f"hotline.{act.value}", {"action": act.value}, actor=actor)
    return order


def _create_case(order: HotlineOrder, *, actor: Any, grid: Area, category: str, now: dt.datetime) -> Any:
    """A case in the case loop for the order's field work (no petitioner data on it)."""
    from gridgov.cases.models import Source
    from gridgov.cases.services import CaseError, case_create

    own = order.category.code if order.category is not None else ""
    code = category.strip() or own or str(conf.get("CASE_CATEGORY"))
    description = "\n".join(part for part in (order.title, order.content) if part)[:2000]
    try:
        case, _created = case_create(
            actor=actor,
            category=code,
            description=description,
            address=order.address[:200],
            source=Source.HOTLINE,
            grid=grid,
            comment=gettext("From hotline order %(number)s") % {"number": order.upstream_number},
            at=now,
        )
    except ValidationError as error:
        details = (
            {f: [str(m) for m in ms] for f, ms in error.message_dict.items()}
            if hasattr(error, "error_dict")
            else {"__all__": [str(m) for m in error.messages]}
        )
        raise OrderInvalid(_("The case could not be created."), details=details) from None
    except CaseError as error:
        raise OrderForbidden(error.message) from None
    return case


def _visible_case(actor: Any, case_id: int | None, order: HotlineOrder) -> Any:
    from gridgov.cases.models import Status as CaseStatus
    from gridgov.cases.selectors import cases_visible

    if case_id is None:
        raise _invalid("case_id", _("Choose the case to link."))
    case = cases_visible(actor).filter(pk=case_id).first()
    if case is None:
        raise _invalid("case_id", _("No such case in your area."))
    if case.status == CaseStatus.VOIDED:
        raise _invalid("case_id", _("A voided case cannot be linked."))
    if f"/{order.town_id}/" not in case.area_path:
        raise _invalid("case_id", _("Choose a case of the order's town."))
    return case


def case_result(order: HotlineOrder) -> dict[str, Any] | None:
    """The linked case's number, status and result (the last report-back), for the draft."""
    case = order.case if order.case_id is not None else None
    if case is None:
        return None
    from gridgov.cases.models import OPEN_STATUSES, CaseEvent

    last = CaseEvent.objects.filter(case_id=case.pk, action="report_back").order_by("-at", "-id").first()
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "open": case.status in OPEN_STATUSES,
        "closed_at": case.closed_at,
        "result": (last.data or {}).get("result", "") if last is not None else "",
    }


# --- upstream events -----------------------------------------------------------------------


def case_closed(case: Any, actor: Any, at: dt.datetime) -> None:
    """A case closed (a hook of the case loop, inside its transaction): every open order linked
    to it gets a timeline line, and the lead department of an order waiting for its reply is
    told that the reply can be drafted now (the case's result is on the order page)."""
    orders = (
        HotlineOrder.objects.select_for_update(of=("self",))
        .filter(case_id=case.pk, status__in=OPEN_ORDER_STATUSES)
        .order_by("id")
    )
    for order in orders:
        _event(
            order,
            CASE_CLOSED,
            actor=actor,
            at=at,
            from_status=order.status,
            data={"case": case.pk, "number": case.number},
            origin=EventOrigin.SYSTEM,
        )
        if order.status == OrderStatus.INSTRUCTED:
            _notify(order, [Party.LEAD_DEPARTMENT], "hotline.case_closed", {"action": CASE_CLOSED}, actor=actor)


def _reopen(order: HotlineOrder, now: dt.datetime, deadline: Any, fields: set[str]) -> None:
    """Back to the department for a new reply (重办): a new reply deadline, a new draft step."""
    order.status = OrderStatus.INSTRUCTED if order.lead_department_id else OrderStatus.ACKNOWLEDGED
    order.reopen_count += 1
    order.closed_at = None
    if deadline:
        order.reply_deadline = _aware(deadline, "deadline")
    else:
        days = conf.reply_limit_days(order.order_type)
        order.reply_deadline = deadlines.limit_deadline(now, days, TimeUnit.WORKING_DAYS)
    order.reply_on_time = None
    fields.update({"reopen_count", "closed_at", "reply_deadline", "reply_on_time"})


def _bool(data: dict[str, Any], name: str, *, required: bool) -> bool | None:
    value = data.get(name)
    if value is None:
        if required:
            raise _invalid(name, _("This field is required."))
        return None
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes"):
        return True
    if str(value).lower() in ("0", "false", "no"):
        return False
    raise _invalid(name, _("Enter true or false."))


@transaction.atomic
def order_event(
    *,
    order_id: int,
    actor: Any,
    event_type: str,
    data: dict[str, Any],
    event_id: str = "",
    at: dt.datetime | None = None,
) -> HotlineOrder:
    """Apply one event reported by upstream: ``close``, ``callback`` (``satisfaction``,
    ``solved``; dissatisfied reopens the order for a new reply), ``remind``, ``supervise``,
    ``reopen``, ``extension_answer`` (``approved``, ``until``). The same ``event_id`` twice
    has no second effect. Only the upstream role sends events."""
    now = _now(at)
    if not is_upstream(actor):
        raise OrderForbidden(_("Only the upstream system reports events."))
    if event_type not in UPSTREAM_EVENTS:
        raise _invalid("type", _("Unknown event type."))
    event_id = (event_id or "").strip()[:100]
    order = _lock_visible(order_id, actor)
    if (
        event_id
        and OrderEvent.objects.filter(order=order, origin=EventOrigin.UPSTREAM, data__event_id=event_id).exists()
    ):
        return order
    kind = UpstreamEvent(event_type)
    before = order.status
    comment = _text(str(data.get("comment") or ""), "comment", required=False)
    recorded: dict[str, Any] = {"event_id": event_id} if event_id else {}
    fields: set[str] = set()
    notify_parties: list[Party] = []

    def refuse() -> OrderConflict:
        return OrderConflict(
            _("“%(action)s” is not possible while the order is %(status)s.")
            % {"action": label(kind), "status": OrderStatus(order.status).label},
            code="invalid_transition",
        )

    if kind == UpstreamEvent.CLOSE:
        if order.status in FINAL_ORDER_STATUSES:
            raise refuse()
        order.status = OrderStatus.CLOSED
        order.closed_at = now
        fields.add("closed_at")
        if data.get("satisfaction"):
            _callback_fields(order, data, now, fields, recorded)
        notify_parties = [Party.CENTER]
    elif kind == UpstreamEvent.CALLBACK:
        if order.status not in (OrderStatus.REPLIED, OrderStatus.CLOSED):
            raise refuse()
        _callback_fields(order, data, now, fields, recorded)
        if order.satisfaction == Satisfaction.DISSATISFIED:
            _reopen(order, now, data.get("deadline"), fields)
            recorded["reopened"] = True
            notify_parties = [Party.CENTER, Party.LEAD_DEPARTMENT]
        else:
            notify_parties = [Party.CENTER]
    elif kind == UpstreamEvent.REOPEN:
        if order.status not in (OrderStatus.REPLIED, OrderStatus.CLOSED):
            raise refuse()
        _reopen(order, now, data.get("deadline"), fields)
        notify_parties = [Party.CENTER, Party.LEAD_DEPARTMENT]
    elif kind == UpstreamEvent.REMIND:
        if order.status in FINAL_ORDER_STATUSES:
            raise refuse()
        order.reminder_count += 1
        fields.add("reminder_count")
        notify_parties = [Party.CENTER, *responsible(order)]
    elif kind == UpstreamEvent.SUPERVISE:
        if order.status == OrderStatus.RETURNED_UPSTREAM:
            raise refuse()
        order.supervision_count += 1
        fields.add("supervision_count")
        notify_parties = [Party.CENTER, Party.LEADER, *responsible(order)]
    elif kind == UpstreamEvent.EXTENSION_ANSWER:
        pending = order.pending_extension
        if pending is None:
            raise OrderConflict(_("There is no extension request to answer."), code="no_extension_pending")
        approved = _bool(data, "approved", required=True)
        recorded["approved"] = approved
        if approved:
            until = _aware(data.get("until") or pending.get("until"), "until")
            order.reply_deadline = until
            order.extension_count += 1
            fields.update({"reply_deadline", "extension_count"})
            recorded["until"] = _iso(until)
            if order.step in (OrderStep.DRAFT, OrderStep.APPROVE):
                _retime_open_stage(order, now, extended=True)
        order.pending_extension = None
        fields.add("pending_extension")
        notify_parties = [Party.CENTER, Party.LEAD_DEPARTMENT]

    if order.status != before:
        _enter_step(order, now)
    _save(order, *fields)
    _event(
        order, kind.value, actor=actor, at=now, from_status=before, comment=comment, data=recorded,
        origin=EventOrigin.UPSTREAM,
    )  # fmt: skip
    if notify_parties:
        _notify(order, notify_parties, f"hotline.upstream_{kind.value}", {"action": kind.value}, actor=actor)
    return order


def _callback_fields(
    order: HotlineOrder, data: dict[str, Any], now: dt.datetime, fields: set[str], recorded: dict[str, Any]
) -> None:
    satisfaction = str(data.get("satisfaction") or "").strip()
    if satisfaction not in Satisfaction.values:
        raise _invalid("satisfaction", _("Choose one of the allowed values."))
    order.satisfaction = satisfaction
    order.solved = _bool(data, "solved", required=False)
    order.callback_at = now
    fields.update({"satisfaction", "solved", "callback_at"})
    recorded.update({"satisfaction": satisfaction, "solved": order.solved})


# --- the petitioner -----------------------------------------------------------------------


def petitioner_reveal(*, order_id: int, actor: Any, request: Any = None) -> Petitioner:
    """The petitioner in full for a viewer allowed to see it (``access.can_reveal``); recorded
    in the audit log (``hotline.petitioner_reveal``) and on the order's timeline. A refusal is
    audited too (``success`` false) before :class:`OrderForbidden` is raised."""
    from gridgov.core.audit import record

    order = HotlineOrder.objects.filter(visible_q(actor), pk=order_id).first()
    if order is None:
        raise OrderNotFound(_("No such work order."))
    audit = {"upstream_number": order.upstream_number}
    if not can_reveal(actor, order):
        record(action="hotline.petitioner_reveal", actor=actor, obj=order, success=False, request=request, data=audit)
        raise OrderForbidden(_("You may not see this petitioner's details."))
    with transaction.atomic():
        record(action="hotline.petitioner_reveal", actor=actor, obj=order, request=request, data=audit)
        _event(order, REVEAL, actor=actor, at=timezone.now(), from_status=order.status)
    return Petitioner(order.petitioner_name, order.petitioner_phone, order.petitioner_address)


def attachment_open(*, attachment_id: int, actor: Any, request: Any = None) -> OrderAttachment:
    """An attachment of a visible order, for a viewer who may see the petitioner: what a
    petitioner sends (photos, recordings, letters) can identify them. Each opening is an audit
    row ``hotline.attachment_open``; a refusal is audited too before :class:`OrderForbidden`."""
    from gridgov.core.audit import record

    item = (
        OrderAttachment.objects.select_related("order")
        .filter(pk=attachment_id, order__in=HotlineOrder.objects.filter(visible_q(actor)))
        .first()
    )
    if item is None:
        raise OrderNotFound(_("No such attachment."))
    audit = {"attachment": item.pk, "upstream_number": item.order.upstream_number}
    allowed = can_reveal(actor, item.order)
    record(action="hotline.attachment_open", actor=actor, obj=item.order, success=allowed, request=request, data=audit)
    if not allowed:
        raise OrderForbidden(_("Only those who may see the petitioner open the attachments."))
    return item


@transaction.atomic
def identity_grant(*, order_id: int, department_id: int, actor: Any, reason: str) -> IdentityGrant:
    """The center lets one department of the order (lead or cooperating) see its petitioner;
    granting twice returns the existing grant."""
    from gridgov.core.audit import record

    order = _lock_visible(order_id, actor)
    if Party.CENTER not in parties_of(actor, order):
        raise OrderForbidden(_("Only the center grants access to the petitioner."))
    reason = _text(reason, "reason", required=True)
    involved = {order.lead_department_id, *order.cooperating_departments.values_list("pk", flat=True)}
    if department_id not in involved:
        raise _invalid("department", _("Choose a department that works on this order."))
    existing = IdentityGrant.objects.filter(order=order, department_id=department_id).first()
    if existing is not None:
        return existing
    now = timezone.now()
    grant = IdentityGrant.objects.create(
        order=order, department_id=department_id, granted_by=actor, granted_at=now, reason=reason
    )
    code = Department.objects.filter(pk=department_id).values_list("code", flat=True).first()
    record(
        action="hotline.identity_grant",
        actor=actor,
        obj=order,
        data={"upstream_number": order.upstream_number, "department": code},
    )
    _event(order, GRANT, actor=actor, at=now, from_status=order.status, comment=reason, data={"department": code})
    return grant


# --- the deadline sweep -----------------------------------------------------------------

SWEEP_KINDS: Final = {"overdue": "hotline.overdue", "warnings": "hotline.warning"}


def sweep_due(now: dt.datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Send the reminders (at 80 % of a step) and overdue notices that fell due, once per step.

    Reads only orders whose ``next_alert_at`` has passed (an indexed range), each in its own
    short transaction."""
    now = _now(now)
    counts = {"warnings": 0, "overdue": 0}
    after: tuple[dt.datetime | None, int] | None = None
    while True:
        due = HotlineOrder.objects.filter(next_alert_at__lte=now)
        if after is not None:
            due = due.filter(Q(next_alert_at__gt=after[0]) | Q(next_alert_at=after[0], id__gt=after[1]))
        rows = list(due.order_by("next_alert_at", "id").values_list("next_alert_at", "id")[:batch])
        if not rows:
            break
        for _at, order_id in rows:
            outcome = _sweep_one(order_id, now)
            if outcome:
                counts[outcome] += 1
        after = rows[-1]
    return counts


@transaction.atomic
def _sweep_one(order_id: int, now: dt.datetime) -> str | None:
    order = (
        HotlineOrder.objects.select_for_update(of=("self",))
        .select_related("lead_department")
        .filter(pk=order_id, next_alert_at__lte=now)
        .first()
    )
    if order is None:
        return None
    stage = _open_stage(order)
    outcome: str | None = None
    if stage is None or stage.deadline is None or order.status not in OPEN_ORDER_STATUSES:
        order.next_alert_at = None
    elif now > stage.deadline and not stage.overdue_sent:
        stage.overdue_sent = stage.warning_sent = True
        outcome = "overdue"
    elif stage.warn_at is not None and now >= stage.warn_at and not stage.warning_sent:
        stage.warning_sent = True
        outcome = "warnings"
    if stage is not None:
        stage.save(update_fields=["warning_sent", "overdue_sent"])
        order.next_alert_at = _next_alert(stage) if order.status in OPEN_ORDER_STATUSES else None
    order.save(update_fields=["next_alert_at"])
    if outcome is not None:
        action = OVERDUE if outcome == "overdue" else DEADLINE_WARNING
        _event(order, action, actor=None, at=now, from_status=order.status, origin=EventOrigin.SYSTEM,
               data={"step": order.step})  # fmt: skip
        parties = responsible(order)
        if outcome == "overdue" and Party.CENTER not in parties:
            parties = [*parties, Party.CENTER]
        _notify(order, parties, SWEEP_KINDS[outcome], actor=None)
    return outcome


__all__ += ["AttachmentData", "OrderData", "recipient_ids", "resolve_town", "responsible"]
