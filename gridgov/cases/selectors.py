"""Reads of the case loop, always scoped to what the user may see (see ``access``)."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import BooleanField, CharField, Count, ExpressionWrapper, F, Func, Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.access.scope import scope_for
from gridgov.areas.geometry import metres
from gridgov.areas.selectors import latest_by_code
from gridgov.categories.selectors import category_ids
from gridgov.core import textsearch
from gridgov.core.pagination import Page, keyset_page
from gridgov.people.models import Role
from gridgov.people.selectors import led_or_cooperated_q

from . import photos
from .access import visible_q
from .deadlines import light_expression, light_q
from .models import (
    LATENESS_STAGES,
    OPEN_STATUSES,
    AttachmentKind,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseStage,
    IdempotencyKey,
    Light,
    Status,
)
from .rollups import VILLAGE_DEPTH
from .transitions import Action

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

logger = logging.getLogger("gridgov.cases.selectors")

PAGE_SIZE: Final = 50
PAGE_MAX: Final = 200


class Queue:
    """Named work queues of the workbenches and inboxes."""

    TO_REGISTER = "to_register"
    TO_DISPATCH = "to_dispatch"
    RETURNED = "returned"
    TO_VERIFY = "to_verify"
    WARNING = "warning"
    OVERDUE = "overdue"
    PARKED = "parked"
    EXTENSIONS = "extensions"
    SUPERVISION = "supervision"
    DEPARTMENT = "department"  # dispatched to or handled by the user's departments
    VILLAGE = "village"  # reports of the user's villages awaiting the grid leader
    MINE = "mine"  # reported by the user
    OPEN = "open"
    CALLBACK = "callback"  # closed, the party left a phone, not called back since closing


def cases_visible(user: User | AnonymousUser) -> QuerySet[Case]:
    return Case.objects.filter(visible_q(user))


def case_get(user: User | AnonymousUser, case_id: int) -> Case:
    """A case the user may see; ``Case.DoesNotExist`` otherwise (the same as a missing one)."""
    return (
        cases_visible(user)
        .select_related("category", "category__parent", "grid", "town", "lead_department", "reporter", "merged_into")
        .prefetch_related("cooperating_departments")
        .get(pk=case_id)
    )


PHOTO_VARIANTS: Final = photos.VARIANTS


def attachment_open(user: User | AnonymousUser, pk: int, variant: str) -> tuple[FieldFile, str]:
    """One photo of a case the user may see, opened for reading (:func:`photos.open_variant`).
    A file missing on disk, or one that does not decrypt, is ``CaseAttachment.DoesNotExist`` too."""
    item = CaseAttachment.objects.filter(pk=pk, case__in=cases_visible(user)).first()
    opened = photos.open_variant(item, variant) if item is not None else None
    if opened is None:
        raise CaseAttachment.DoesNotExist
    return opened


def attachment_file(user: User | AnonymousUser, pk: int, variant: str) -> tuple[FieldFile, str]:
    """The stored file of one photo of a case the user may see, and its content type
    (:func:`photos.variant_file`). Raises ``CaseAttachment.DoesNotExist`` otherwise."""
    item = CaseAttachment.objects.filter(pk=pk, case__in=cases_visible(user)).first()
    chosen = photos.variant_file(item, variant) if item is not None else None
    if chosen is None:
        raise CaseAttachment.DoesNotExist
    return chosen


def case_history(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor", "actor__profile").prefetch_related("attachments").order_by("at", "id")


def result_text(event: CaseEvent) -> str:
    """What a report-back says the department did (its result, else its comment)."""
    return str((event.data or {}).get("result") or event.comment or "")


def latest_round(photos: list[CaseAttachment], last: CaseEvent | None) -> list[CaseAttachment]:
    """Of a case's result photos, those sent with its last report-back (an earlier round's show
    a result the verification refused); all of them when none came with it."""
    if last is None:
        return photos
    return [photo for photo in photos if photo.event_id == last.pk] or photos


def late_stages(case_ids: list[int], cutoff: dt.datetime) -> QuerySet[CaseStage]:
    """The stages that make the cases late (:data:`LATENESS_STAGES`), oldest first: those that
    ended after their deadline (the frozen ``on_time`` that ``closed_on_time`` reads on closing)
    and those still running whose deadline came before ``cutoff``. Not scoped: for the cases the
    caller has already chosen."""
    return (
        CaseStage.objects.filter(case_id__in=case_ids, stage__in=LATENESS_STAGES, deadline__isnull=False)
        .filter(Q(on_time=False) | Q(ended_at__isnull=True, deadline__lt=cutoff))
        .order_by("case_id", "started_at", "id")
    )


def last_report_back(case_id: int) -> CaseEvent | None:
    """The case's latest report-back (its ``data["result"]`` is the handling result), if any.
    Not scoped: the caller has checked that the reader may see the case."""
    return CaseEvent.objects.filter(case_id=case_id, action=Action.REPORT_BACK).order_by("-at", "-id").first()


@dataclass
class CaseFilters:
    status: list[str] = field(default_factory=list)
    category: str = ""  # a minor code, or a major code for all its minors
    grid: str = ""  # an area code: a grid, or a village/town for everything under it
    department: str = ""
    source: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str = ""
    light: str = ""
    queue: str = ""
    urgency: str = ""
    # "imported": cases brought in from a historical ledger; "imported_review": those of them
    # with review notes (docs/ledger.md).
    imported: str = ""
    # With a department: "led" or "cooperated" keeps only that part of its cases (the capped
    # count counts the two parts as a UNION, cases.views.workbench_count); empty, both.
    department_part: str = field(default="", metadata={"internal": True})


IMPORTED_CHOICES: Final = ("imported", "imported_review")


def callback_due_q() -> Q:
    """Closed cases to call back (the same rule as the ``callback`` guard)."""
    return (
        Q(status=Status.CLOSED) & ~Q(party_phone="") & (Q(callback_at__isnull=True) | Q(callback_at__lt=F("closed_at")))
    )


def _queue_q(user: User | AnonymousUser, queue: str, now: dt.datetime) -> Q:
    if queue == Queue.TO_REGISTER:
        return Q(status=Status.REPORTED)
    if queue == Queue.TO_DISPATCH:
        return Q(status=Status.REGISTERED)
    if queue == Queue.RETURNED:
        return Q(status=Status.RETURNED)
    if queue == Queue.TO_VERIFY:
        return Q(status=Status.AWAITING_VERIFICATION)
    if queue == Queue.WARNING:
        return Q(status__in=OPEN_STATUSES) & light_q(Light.YELLOW, now)
    if queue == Queue.OVERDUE:
        return Q(status__in=OPEN_STATUSES) & light_q(Light.RED, now)
    if queue == Queue.PARKED:
        return Q(status=Status.PARKED)
    if queue == Queue.EXTENSIONS:
        return Q(pending_extension__isnull=False, status__in=OPEN_STATUSES)
    if queue == Queue.SUPERVISION:
        return Q(supervision_pending=True, status__in=OPEN_STATUSES)
    if queue == Queue.DEPARTMENT:
        departments = sorted(scope_for(user).department_ids)
        return Q(lead_department_id__in=departments, status__in=[Status.DISPATCHED, Status.IN_PROGRESS])
    if queue == Queue.VILLAGE:
        return Q(status=Status.REPORTED, escalated=False) | Q(handled_by_village=True, status__in=[Status.IN_PROGRESS])
    if queue == Queue.MINE:
        return Q(reporter_id=user.pk)
    if queue == Queue.OPEN:
        return Q(status__in=OPEN_STATUSES)
    if queue == Queue.CALLBACK:
        return callback_due_q()
    raise ValidationError({"queue": [_("Unknown queue.")]})


#: The columns the text filter searches (and the side table of ``core.textsearch`` indexes).
SEARCHED = ["number", "description", "address"]


def apply_filters(
    user: User | AnonymousUser, query: QuerySet[Case], filters: CaseFilters, now: dt.datetime | None = None
) -> QuerySet[Case]:
    now = now or timezone.now()
    if filters.status:
        unknown = [s for s in filters.status if s not in Status.values]
        if unknown:
            raise ValidationError({"status": [_("Unknown status.")]})
        query = query.filter(status__in=filters.status)
    if filters.category:
        query = query.filter(category_id__in=category_ids(filters.category))
    if filters.grid:
        area = latest_by_code(filters.grid)
        query = _in_area(query, area.path) if area else query.none()
    if filters.department:
        part = filters.department_part
        query = query.filter(
            led_or_cooperated_q(
                Case.cooperating_departments.through,
                "case_id",
                filters.department,
                led=part != "cooperated",
                cooperated=part != "led",
            )
        )
    if filters.source:
        query = query.filter(source=filters.source)
    if filters.urgency:
        query = query.filter(urgency=filters.urgency)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        query = query.filter(reported_at__gte=dt.datetime.combine(filters.date_from, dt.time.min, tz))
    if filters.date_to:
        query = query.filter(
            reported_at__lt=dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, tz)
        )
    if filters.text:
        query = textsearch.containing(query, SEARCHED, filters.text.strip()[:100])
    if filters.light:
        if filters.light not in Light.values:
            raise ValidationError({"light": [_("Unknown light.")]})
        query = query.filter(Q(status__in=OPEN_STATUSES) & light_q(filters.light, now))
    if filters.queue:
        query = query.filter(_queue_q(user, filters.queue, now))
    if filters.imported:
        query = _imported(query, filters.imported)
    return query


class _VillageOfPath(Func):
    """The village's id in a case's ``area_path`` (``/district/town/village/grid/``): the
    expression of the index ``case_village_reported`` (migration 0018, PostgreSQL)."""

    template = "split_part(%(expressions)s, '/', 4)"
    output_field = CharField()


def _in_area(query: QuerySet[Case], path: str) -> QuerySet[Case]:
    """The cases in the area of ``path`` (its own and its children's). For a village on
    PostgreSQL, asked as the village's id in the case's path: the same cases, found through the
    index of villages and report dates (migration 0018) instead of the town's rows
    (docs/benchmarks.md, "District scale")."""
    ids = path.strip("/").split("/")
    if len(ids) == VILLAGE_DEPTH and connections[query.db].vendor == "postgresql":
        # The same cases: the village's id in the third place of a path fixes the two before it.
        # Not both: PostgreSQL would multiply their shares and expect a few rows.
        return query.filter(Exact(_VillageOfPath("area_path"), ids[-1]))
    return query.filter(area_path__startswith=path)


def _imported(query: QuerySet[Case], value: str) -> QuerySet[Case]:
    """Cases from a historical ledger, or those of them with review notes."""
    if value not in IMPORTED_CHOICES:
        raise ValidationError({"imported": [_("Unknown choice.")]})
    query = query.filter(imported=True)
    return query.exclude(import_review=[]) if value == "imported_review" else query


# --- keyset pagination --------------------------------------------------------------------

# Newest report first; the id orders reports of the same moment.
ORDER: Final = ("-reported_at", "-id")


def page(
    query: QuerySet[Case], *, cursor: str | None = None, limit: int = PAGE_SIZE, now: dt.datetime | None = None
) -> Page[Case]:
    """One page, newest report first, continuing after ``cursor`` (keyset, so a page deep in
    the list costs the same as the first); each case carries its ``light`` annotation. A bad
    cursor is :class:`~gridgov.core.errors.Invalid`."""
    now = now or timezone.now()
    rows = query.select_related("category", "grid", "lead_department").annotate(light=light_expression(now))
    return keyset_page(rows, ORDER, cursor, int(limit), max_limit=PAGE_MAX, ids_first=True)


def map_points(
    query: QuerySet[Case], *, limit: int, now: dt.datetime | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """The cases of ``query`` as map points, newest first, at most ``limit`` (and whether more
    were left out). A case without coordinates (the center chose only its grid) is placed at
    its grid's centre with ``approximate`` set."""
    now = now or timezone.now()
    rows = list(
        query.filter(Q(lat__isnull=False, lng__isnull=False) | Q(grid__center_lat__isnull=False))
        .order_by("-reported_at", "-id")
        .annotate(
            light=light_expression(now),
            point_lat=Coalesce("lat", "grid__center_lat"),
            point_lng=Coalesce("lng", "grid__center_lng"),
            approximate=ExpressionWrapper(Q(lat__isnull=True) | Q(lng__isnull=True), output_field=BooleanField()),
        )
        .values(
            "id",
            "number",
            "status",
            "light",
            "category__code",
            "category__name",
            "point_lat",
            "point_lng",
            "approximate",
        )[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


# Queues whose cases are not all open: each is counted on its own index (``MINE``: the
# reporter's foreign key; ``CALLBACK``: the partial index ``case_callback_due``).
OWN_COUNT_QUEUES: Final = frozenset({Queue.MINE, Queue.CALLBACK})


def queue_counts(user: User | AnonymousUser, queues: list[str], now: dt.datetime | None = None) -> dict[str, int]:
    """How many visible cases wait in each queue: one aggregate over the open cases for the
    queues of open cases, and one count for each queue of :data:`OWN_COUNT_QUEUES`. (One
    aggregate over every visible case read a district's whole table: seconds at ten million.)"""
    now = now or timezone.now()
    visible = cases_visible(user)
    open_queues = [name for name in queues if name not in OWN_COUNT_QUEUES]
    found: dict[str, int] = {}
    if open_queues:
        aggregates = {name: Count("pk", filter=_queue_q(user, name, now)) for name in open_queues}
        found.update(visible.filter(status__in=OPEN_STATUSES).aggregate(**aggregates))
    for name in queues:
        if name in OWN_COUNT_QUEUES:
            found[name] = visible.filter(_queue_q(user, name, now)).count()
    return found


# --- duplicates -------------------------------------------------------------------------


def possible_duplicates(
    user: User | AnonymousUser, *, category: str, lat: float, lng: float, now: dt.datetime | None = None, limit: int = 5
) -> list[tuple[Case, int]]:
    """Open visible cases of the same category near the point, reported recently, nearest
    first, each with its distance in metres."""
    now = now or timezone.now()
    radius = settings.GRIDGOV_DUPLICATE_RADIUS_M
    days = settings.GRIDGOV_DUPLICATE_WINDOW_DAYS
    dlat = radius / 111_000
    dlng = radius / (111_000 * max(math.cos(math.radians(lat)), 0.01))
    candidates = (
        cases_visible(user)
        .filter(
            category__code=category,
            status__in=OPEN_STATUSES,
            reported_at__gte=now - dt.timedelta(days=days),
            lat__range=(lat - dlat, lat + dlat),
            lng__range=(lng - dlng, lng + dlng),
        )
        .select_related("category", "grid")[:200]
    )
    found = []
    for case in candidates:
        assert case.lat is not None and case.lng is not None
        distance = metres(lat, lng, case.lat, case.lng)
        if distance <= radius:
            found.append((case, round(distance)))
    found.sort(key=lambda pair: pair[1])
    return found[:limit]


def worker_grid_ids(user: User | AnonymousUser) -> list[int]:
    """The grids the user works as a grid worker."""
    return sorted(
        {area_id for role, area_id, _d in scope_for(user).assignments if role == Role.GRID_WORKER and area_id}
    )


def verify_queue(user: User | AnonymousUser) -> QuerySet[Case]:
    """Cases of the worker's grids whose result waits for the worker's on-site check."""
    return cases_visible(user).filter(
        status=Status.AWAITING_VERIFICATION, grid_id__in=worker_grid_ids(user), category__verification_required=True
    )


@dataclass(frozen=True)
class VerifyPackItem:
    """One case of a grid worker's to-verify queue with what the on-site check needs."""

    case: Case
    result: CaseEvent | None
    photos: list[CaseAttachment]


def verify_pack(
    user: User | AnonymousUser, limit: int, now: dt.datetime | None = None
) -> tuple[list[VerifyPackItem], int]:
    """The worker's to-verify queue, earliest deadline first, at most ``limit`` cases, each with
    its last report-back and the department's result photos; and the whole queue's size. The
    phone keeps it to verify without signal."""
    now = now or timezone.now()
    queue = verify_queue(user)
    cases = list(
        queue.select_related("category", "grid")
        .annotate(light=light_expression(now))
        .order_by(F("stage_deadline").asc(nulls_last=True), "id")[:limit]
    )
    total = len(cases) if len(cases) < limit else queue.count()
    ids = [case.pk for case in cases]
    results: dict[int, CaseEvent] = {}
    events = CaseEvent.objects.filter(case_id__in=ids, action=Action.REPORT_BACK).select_related("actor__profile")
    for event in events.order_by("at", "id"):
        results[event.case_id] = event
    photos: dict[int, list[CaseAttachment]] = {}
    for attachment in CaseAttachment.objects.filter(case_id__in=ids, kind=AttachmentKind.RESULT).order_by("id"):
        photos.setdefault(attachment.case_id, []).append(attachment)
    return [
        VerifyPackItem(case, results.get(case.pk), latest_round(photos.get(case.pk, []), results.get(case.pk)))
        for case in cases
    ], total


def reported_case_ids(user_id: int, client_keys: list[str]) -> dict[str, int]:
    """The cases a user reported with these client keys (the phone's ``Idempotency-Key`` of a
    report), by key; keys not on the server yet are missing."""
    if not client_keys:
        return {}
    return dict(
        IdempotencyKey.objects.filter(user_id=user_id, key__in=client_keys, action="").values_list("key", "case_id")
    )


def overdue_count(now: dt.datetime) -> int:
    """Open cases whose stage is past its deadline, in the whole installation (the ``overdue``
    queue's definition without a viewer's scope: the metrics)."""
    return Case.objects.filter(Q(status__in=OPEN_STATUSES) & light_q(Light.RED, now)).count()
