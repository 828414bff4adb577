"""Reads of hotline orders, always scoped to what the user may see (see ``access``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.selectors import latest_by_code
from gridgov.cases.models import OPEN_STATUSES as OPEN_CASE_STATUSES
from gridgov.core import textsearch
from gridgov.core.pagination import Page, keyset_page
from gridgov.people.models import Role
from gridgov.people.selectors import led_or_cooperated_q
from gridgov.workcalendar.units import Light

from . import conf
from .access import PROTECTED_TYPES, REVEAL_ROLES, can_reveal, visible_q
from .deadlines import light_expression, light_q, overdue_q
from .errors import OrderInvalid, OrderNotFound
from .models import (
    OPEN_ORDER_STATUSES,
    Channel,
    HotlineOrder,
    IdentityGrant,
    OrderEvent,
    OrderStatus,
    OrderType,
    SourceSystem,
    UrgencyClass,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

PAGE_SIZE: Final = 50
PAGE_MAX: Final = 200


class Queue:
    """Named work queues of the hotline pages."""

    TO_ACKNOWLEDGE = "to_acknowledge"  # center: received
    TO_ASSIGN = "to_assign"  # center: acknowledged, of a type it may assign without a leader
    TO_INSTRUCT = "to_instruct"  # leader: acknowledged
    TO_DRAFT = "to_draft"  # department: instructed, led by the user's departments
    REJECTED = "rejected"  # department: instructed again after a rejected draft
    TO_APPROVE = "to_approve"  # center: drafted
    WARNING = "warning"
    OVERDUE = "overdue"
    EXTENSIONS = "extensions"  # an extension request awaits upstream's answer
    REPLIED = "replied"  # replied, awaiting upstream's closure
    RETURNED = "returned"
    IN_PROGRESS = "in_progress"  # acknowledged, instructed or drafted
    AWAITING_CASE = "awaiting_case"  # instructed, the linked case still open
    CLOSED = "closed"
    OPEN = "open"
    TO_REVIEW = "to_review"  # center: imported with doubtful values, not checked yet (待核实)


QUEUES: Final = [
    Queue.TO_ACKNOWLEDGE,
    Queue.TO_ASSIGN,
    Queue.TO_INSTRUCT,
    Queue.TO_DRAFT,
    Queue.REJECTED,
    Queue.TO_APPROVE,
    Queue.WARNING,
    Queue.OVERDUE,
    Queue.EXTENSIONS,
    Queue.REPLIED,
    Queue.RETURNED,
    Queue.IN_PROGRESS,
    Queue.AWAITING_CASE,
    Queue.CLOSED,
    Queue.OPEN,
    Queue.TO_REVIEW,
]


def orders_visible(user: User | AnonymousUser) -> QuerySet[HotlineOrder]:
    return HotlineOrder.objects.filter(visible_q(user))


def order_get(user: User | AnonymousUser, order_id: int) -> HotlineOrder:
    """An order the user may see; :class:`OrderNotFound` otherwise (the same as a missing one)."""
    order = (
        orders_visible(user)
        .select_related("town", "grid", "lead_department", "case", "category", "created_by")
        .prefetch_related("cooperating_departments")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise OrderNotFound(_("No such work order."))
    return order


def revealable_q(user: User | AnonymousUser) -> Q:
    """A filter on HotlineOrder for the orders whose petitioner ``user`` may see in full: the
    same rule as :func:`access.can_reveal`, as one query instead of one check per order."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    scope = scope_for(user)
    query = Q(pk__in=[])
    for path in scope.paths_for_roles(*REVEAL_ROLES):
        query |= Q(area_path__startswith=path)
    departments = sorted(scope.department_ids)
    if departments:
        through = HotlineOrder.cooperating_departments.through
        handled = Q(lead_department_id__in=departments) | Q(
            pk__in=through.objects.filter(department_id__in=departments).values("hotlineorder_id")
        )
        # A grant counts for a department of the user that leads or cooperates on the order.
        granted = IdentityGrant.objects.filter(order=OuterRef("pk"), department_id__in=departments).filter(
            Q(department_id=F("order__lead_department_id")) | Q(order__cooperating_departments=F("department_id"))
        )
        query |= handled & (~Q(order_type__in=sorted(PROTECTED_TYPES)) | Q(Exists(granted)))
    return query


@dataclass(frozen=True)
class SameCaller:
    """Other orders from the same phone: how many, and the newest of them."""

    count: int
    orders: list[HotlineOrder]


def same_caller(user: User | AnonymousUser, order: HotlineOrder, limit: int = 10) -> SameCaller:
    """Other orders from the order's petitioner phone, newest arrival first, at most ``limit``.

    Only for a viewer who may reveal this order's petitioner (nothing otherwise), and only among
    the orders the viewer may see AND may reveal: linking a complaint to a caller the viewer
    knows would otherwise give its petitioner away. Found through the keyed phone digest
    (``petitioner_phone_digest``), never by decrypting."""
    digest = order.petitioner_phone_digest
    if not digest or not can_reveal(user, order):
        return SameCaller(0, [])
    query = (
        orders_visible(user)
        .filter(revealable_q(user), petitioner_phone_digest=digest)
        .exclude(pk=order.pk)
        .order_by("-arrived_at", "-id")
    )
    count = query.count()
    rows = list(query.only("pk", "upstream_number", "status", "arrived_at", "order_type")[: max(0, limit)])
    return SameCaller(count, rows)


def order_history(order: HotlineOrder) -> QuerySet[OrderEvent]:
    return order.events.select_related("actor", "actor__profile").order_by("at", "id")


def queues_for(user: User | AnonymousUser) -> list[str]:
    """The queues that matter to the user's roles, in display order."""
    scope = scope_for(user)
    overseer = scope.has_role(Role.CENTER_OPERATOR, Role.SUPERVISOR, Role.ADMIN) or getattr(user, "is_superuser", False)
    names: list[str] = []
    if overseer:
        names += [Queue.TO_ACKNOWLEDGE, Queue.TO_ASSIGN, Queue.TO_INSTRUCT, Queue.TO_APPROVE, Queue.EXTENSIONS]
        names += [Queue.TO_REVIEW]
    elif scope.has_role(Role.TOWN_LEADER):
        names += [Queue.TO_INSTRUCT]
    if scope.department_ids:
        names += [Queue.TO_DRAFT, Queue.REJECTED, Queue.AWAITING_CASE]
    names += [Queue.WARNING, Queue.OVERDUE, Queue.IN_PROGRESS, Queue.REPLIED]
    if overseer or scope.has_role(Role.TOWN_LEADER):
        names += [Queue.RETURNED, Queue.CLOSED]
    return names


def _fixed_queues() -> dict[str, Q]:
    """The queues that are the same for everybody (the visible orders narrow them)."""
    return {
        Queue.TO_ACKNOWLEDGE: Q(status=OrderStatus.RECEIVED),
        Queue.TO_ASSIGN: Q(status=OrderStatus.ACKNOWLEDGED, order_type__in=sorted(conf.skip_instruct_types())),
        Queue.TO_INSTRUCT: Q(status=OrderStatus.ACKNOWLEDGED),
        Queue.TO_APPROVE: Q(status=OrderStatus.DRAFTED),
        Queue.EXTENSIONS: Q(pending_extension__isnull=False, status__in=OPEN_ORDER_STATUSES),
        Queue.REPLIED: Q(status=OrderStatus.REPLIED),
        Queue.RETURNED: Q(status=OrderStatus.RETURNED_UPSTREAM),
        Queue.IN_PROGRESS: Q(status__in=[OrderStatus.ACKNOWLEDGED, OrderStatus.INSTRUCTED, OrderStatus.DRAFTED]),
        Queue.CLOSED: Q(status=OrderStatus.CLOSED),
        Queue.OPEN: Q(status__in=OPEN_ORDER_STATUSES),
        Queue.TO_REVIEW: Q(needs_review=True),
    }


def _queue_q(user: User | AnonymousUser, queue: str, now: dt.datetime) -> Q:
    fixed = _fixed_queues().get(queue)
    if fixed is not None:
        return fixed
    mine = sorted(scope_for(user).department_ids)
    if queue == Queue.TO_DRAFT:
        return Q(status=OrderStatus.INSTRUCTED, lead_department_id__in=mine)
    if queue == Queue.REJECTED:
        return Q(status=OrderStatus.INSTRUCTED, lead_department_id__in=mine, reject_count__gt=0)
    if queue == Queue.WARNING:
        return light_q(Light.YELLOW, now)
    if queue == Queue.OVERDUE:
        return overdue_q(now)
    if queue == Queue.AWAITING_CASE:
        waiting = Q(status=OrderStatus.INSTRUCTED, case__status__in=sorted(OPEN_CASE_STATUSES))
        if scope_for(user).department_ids and not scope_for(user).has_role(Role.CENTER_OPERATOR):
            waiting &= Q(lead_department_id__in=mine)
        return waiting
    raise OrderInvalid(_("Unknown queue."), details={"queue": [_("Unknown queue.")]})


# The archive of closed orders is a tab without a count: it grows by the year and waits for
# nobody (its list still counts the rows a filter or a figure asks for).
UNCOUNTED_QUEUES: Final = frozenset({Queue.CLOSED})


def queue_counts(
    user: User | AnonymousUser, queues: list[str] | None = None, now: dt.datetime | None = None
) -> dict[str, int]:
    """How many visible orders wait in each queue; by default the user's own queues
    (:func:`queues_for`). The queues of :data:`UNCOUNTED_QUEUES` are left out."""
    now = now or timezone.now()
    names = queues if queues is not None else queues_for(user)
    counted = [name for name in names if name not in UNCOUNTED_QUEUES]
    if not counted:
        return {}
    # One aggregate over the orders not yet closed (the status index) and those to review (the
    # partial index ``hotline_needs_review``), not over every visible order: a district's two
    # million closed orders took seconds to read.
    aggregates = {name: Count("pk", filter=_queue_q(user, name, now)) for name in counted}
    not_closed = [status for status in OrderStatus.values if status != OrderStatus.CLOSED]
    waiting = orders_visible(user).filter(Q(status__in=not_closed) | Q(needs_review=True))
    return dict(waiting.aggregate(**aggregates))


#: The columns the text filter searches (and the side table of ``core.textsearch`` indexes).
SEARCHED = ["upstream_number", "title", "content", "address"]


@dataclass
class OrderFilters:
    status: list[str] | str = field(default_factory=list)  # one status or several
    order_type: str = ""
    urgency_class: str = ""
    source_system: str = ""
    channel: str = ""
    department: str = ""  # a department code: led or cooperated on
    town: str = ""  # an area code
    date_from: dt.date | None = None  # arrival
    date_to: dt.date | None = None
    text: str = ""  # upstream number, title, content, address of the matter
    light: str = ""
    queue: str = ""


def _check_choice(value: str, allowed: list[str], name: str) -> None:
    if value and value not in allowed:
        raise OrderInvalid(_("Unknown value."), details={name: [_("Choose one of the allowed values.")]})


def apply_filters(
    user: User | AnonymousUser, query: QuerySet[HotlineOrder], filters: OrderFilters, now: dt.datetime | None = None
) -> QuerySet[HotlineOrder]:
    now = now or timezone.now()
    if filters.status:
        statuses = [filters.status] if isinstance(filters.status, str) else list(filters.status)
        for status in statuses:
            _check_choice(status, OrderStatus.values, "status")
        query = query.filter(status__in=statuses)
    _check_choice(filters.order_type, OrderType.values, "order_type")
    _check_choice(filters.urgency_class, UrgencyClass.values, "urgency_class")
    _check_choice(filters.source_system, SourceSystem.values, "source_system")
    _check_choice(filters.channel, Channel.values, "channel")
    _check_choice(filters.light, Light.values, "light")
    if filters.order_type:
        query = query.filter(order_type=filters.order_type)
    if filters.urgency_class:
        query = query.filter(urgency_class=filters.urgency_class)
    if filters.source_system:
        query = query.filter(source_system=filters.source_system)
    if filters.channel:
        query = query.filter(channel=filters.channel)
    if filters.department:
        through = HotlineOrder.cooperating_departments.through
        query = query.filter(led_or_cooperated_q(through, "hotlineorder_id", filters.department))
    if filters.town:
        area = latest_by_code(filters.town)
        query = query.filter(area_path__startswith=area.path) if area else query.none()
    tz = timezone.get_current_timezone()
    if filters.date_from:
        query = query.filter(arrived_at__gte=dt.datetime.combine(filters.date_from, dt.time.min, tz))
    if filters.date_to:
        query = query.filter(
            arrived_at__lt=dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, tz)
        )
    if filters.text:
        text = filters.text.strip()[:100]
        query = textsearch.containing(query, SEARCHED, text)
    if filters.light:
        query = query.filter(Q(status__in=OPEN_ORDER_STATUSES) & light_q(filters.light, now))
    if filters.queue:
        query = query.filter(_queue_q(user, filters.queue, now))
    return query


# --- keyset pagination --------------------------------------------------------------------

# Newest arrival first; the id orders orders that arrived at the same moment.
ORDER: Final = ("-arrived_at", "-id")


def page(
    query: QuerySet[HotlineOrder], *, cursor: str | None = None, limit: int = PAGE_SIZE, now: dt.datetime | None = None
) -> Page[HotlineOrder]:
    """One page, newest arrival first, continuing after ``cursor`` (keyset); each order carries
    its ``light`` annotation. A bad cursor is :class:`~gridgov.core.errors.Invalid`."""
    now = now or timezone.now()
    rows = query.select_related("town", "lead_department").annotate(light=light_expression(now))
    return keyset_page(rows, ORDER, cursor, int(limit), max_limit=PAGE_MAX)


def overdue_count(now: dt.datetime) -> int:
    """Open orders past their step's or reply's deadline, in the whole installation (the
    ``overdue`` queue's definition without a viewer's scope: the metrics)."""
    return HotlineOrder.objects.filter(overdue_q(now)).count()
