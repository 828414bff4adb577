"""Creating a case: a report (``reported``), or a case closed at once when the grid worker
handled it on the spot (self-handled). Everything is read and checked before the short write
transaction, which is only inserts."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.access.scope import Scope, scope_for
from gridgov.areas.locate import locate
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.selectors import area_by_id, current_grid, town_of
from gridgov.categories.models import Category, Urgency
from gridgov.categories.selectors import category_by_code
from gridgov.core.actors import signed_in
from gridgov.core.inserts import insert
from gridgov.notify.services import notify_queue
from gridgov.people.models import Role

from .. import rollups
from ..access import area_paths
from ..models import AttachmentKind, Case, CaseEvent, CaseStage, PartyKind, Source, Status
from ..transitions import REPORT, SELF_HANDLE, Party
from . import idempotency
from .attachments import CheckedPhotos, photos_check, photos_store
from .clock import first_stage
from .common import COMMENT_MAX, DESCRIPTION_MAX, CaseForbidden, Photo, case_url, clean_text, now_or
from .notifications import recipient_ids
from .numbers import NUMBER_LAST, next_number, number_last_in_transaction, provisional_number

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
else:
    User = get_user_model()

# Roles that may report a case.
REPORTER_ROLES: Final = frozenset(
    {Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_STAFF, Role.CENTER_OPERATOR, Role.TOWN_LEADER}
)
CENTER_ROLES: Final = frozenset({Role.CENTER_OPERATOR})
# What a report from the field is; the center sets any source (a resident's call, a meeting's
# resolution), a town leader also the leader's instruction.
FIELD_SOURCES: Final = frozenset({Source.GRID_REPORT, Source.PATROL})


def sources_allowed(scope: Scope) -> frozenset[str]:
    """The sources a reporter with ``scope`` may give a case."""
    if scope.everything or scope.has_role(*CENTER_ROLES):
        return frozenset(Source.values)
    if scope.has_role(Role.TOWN_LEADER):
        return FIELD_SOURCES | {Source.LEADER, Source.MEETING}
    if scope.has_role(Role.GRID_LEADER, Role.VILLAGE_STAFF):
        # A village's opinion meetings (gridgov.meetings) turn resolutions into cases.
        return FIELD_SOURCES | {Source.MEETING}
    return FIELD_SOURCES


@dataclass(frozen=True)
class Place:
    """Where a new case belongs: its grid and town, with their paths."""

    grid_id: int
    grid_code: str
    grid_name: str
    area_path: str
    town_id: int
    town_code: str
    town_path: str


@dataclass(frozen=True)
class Report:
    """A report as checked, ready to be written."""

    category: Category
    description: str
    address: str
    place: Place
    checked: CheckedPhotos
    party_name: str = ""
    party_phone: str = ""


def case_create(
    *,
    actor: User | AnonymousUser,
    category: Category | str,
    description: str,
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    source: str = Source.GRID_REPORT,
    urgency: str = Urgency.NORMAL,
    grid: Area | str | None = None,
    party_kind: str = "",
    party_name: str = "",
    party_phone: str = "",
    self_handle: bool = False,
    comment: str = "",
    photos_in: Sequence[Photo] = (),
    idempotency_key: str | None = None,
    at: dt.datetime | None = None,
    occurred_at: dt.datetime | None = None,
) -> tuple[Case, bool]:
    """Create a case (``reported``, or ``closed`` at once when self-handled).

    ``occurred_at`` is when the reporter recorded it on the device; it is kept beside the
    server's receive time (``reported_at``, where the deadlines start) and flagged when the
    device's clock looks wrong (:func:`device_time_doubtful`), never refused.

    Returns ``(case, created)``: with an ``idempotency_key`` already used by the same actor
    for the same report the existing case comes back with ``created`` False, even under
    concurrent retries. The same key with a different report is refused (422), so that a
    client that reuses a key by mistake does not lose the second report silently.
    """
    key = idempotency.key_clean(idempotency_key)
    user = signed_in(actor)
    if user is None:
        raise CaseForbidden(_("Your role cannot report cases."))
    digest = ""
    if key is not None:
        digest = idempotency.fingerprint(
            category.code if isinstance(category, Category) else category,
            description,
            lat,
            lng,
            address,
            grid.code if isinstance(grid, Area) else grid,
            self_handle,
        )
        existing = idempotency.created_before(user, key, digest)
        if existing is not None:
            return existing, False
    now = now_or(at)
    report = _report_checked(
        actor=user,
        category=category,
        description=description,
        lat=lat,
        lng=lng,
        address=address,
        source=source,
        urgency=urgency,
        grid=grid,
        party_kind=party_kind,
        party_name=party_name,
        party_phone=party_phone,
        self_handle=self_handle,
        photos_in=photos_in,
    )
    case = Case(
        number="",
        town=Area(
            pk=report.place.town_id,
            code=report.place.town_code,
            path=report.place.town_path,
            level=AreaLevel.TOWN,
        ),
        grid=Area(
            pk=report.place.grid_id,
            code=report.place.grid_code,
            name=report.place.grid_name,
            path=report.place.area_path,
            level=AreaLevel.GRID,
        ),
        area_path=report.place.area_path,
        category=report.category,
        urgency=urgency,
        source=source,
        status=Status.CLOSED if self_handle else Status.REPORTED,
        self_handled=self_handle,
        closed_at=now if self_handle else None,
        description=report.description,
        address=report.address,
        lat=lat,
        lng=lng,
        party_kind=party_kind,
        party_name=report.party_name,
        party_phone=report.party_phone,
        reporter=user,
        reported_at=now,
        occurred_at=occurred_at,
        occurred_at_doubtful=occurred_at is not None and device_time_doubtful(occurred_at, now),
    )
    try:
        _insert(case, report, actor=user, comment=comment, key=key, digest=digest, now=now)
    except IntegrityError:
        if key is not None:
            existing = idempotency.created_before(user, key, digest)
            if existing is not None:
                return existing, False
        raise
    return case, True


# A party's phone as people write it: a mobile, a landline with its area code or extension.
PHONE: Final = re.compile(r"\+?[\d\s()\-]{5,25}")
PHONE_DIGITS: Final = (5, 20)

# A device clock ahead of the server by more than this, or a report recorded longer ago than
# DEVICE_TIME_OLDEST, is kept but flagged (a phone can queue reports offline for a day or two).
DEVICE_TIME_AHEAD: Final = dt.timedelta(minutes=5)
DEVICE_TIME_OLDEST: Final = dt.timedelta(days=7)


def device_time_doubtful(occurred_at: dt.datetime, received_at: dt.datetime) -> bool:
    """Whether a device's time for a report cannot be right against the server's clock."""
    return occurred_at > received_at + DEVICE_TIME_AHEAD or occurred_at < received_at - DEVICE_TIME_OLDEST


def _report_checked(
    *,
    actor: User,
    category: Category | str,
    description: str,
    lat: float | None,
    lng: float | None,
    address: str,
    source: str,
    urgency: str,
    grid: Area | str | None,
    party_kind: str,
    self_handle: bool,
    photos_in: Sequence[Photo],
    party_name: str = "",
    party_phone: str = "",
) -> Report:
    """The report checked in the order the answers name it: the reporter's role, the fields,
    the place, the photos, then self-handling."""
    scope = scope_for(actor)
    if not scope.has_role(*REPORTER_ROLES):
        raise CaseForbidden(_("Your role cannot report cases."))
    chosen = _category(category)
    errors = _field_errors(chosen, source=source, urgency=urgency, party_kind=party_kind, lat=lat, lng=lng)
    if source in Source.values and source not in sources_allowed(scope):
        errors.setdefault("source", []).append(
            _("Your role reports from the field: the source is a grid report or a patrol; the center sets the others.")
        )
    description, address, party_name, party_phone = _texts(description, address, party_name, party_phone, errors)
    place = _place(scope, grid=grid, lat=lat, lng=lng)
    if not scope.everything and not _covers_path(actor, place.town_path):
        raise CaseForbidden(_("The location is outside your town."))
    checked = photos_check(photos_in)
    if self_handle:
        _check_self_handle(chosen, scope, checked)
    return Report(chosen, description, address, place, checked, party_name, party_phone)


def _category(category: Category | str) -> Category:
    if isinstance(category, Category):
        return category
    found = category_by_code(category)
    if found is None:
        raise ValidationError({"category": [_("Unknown category.")]})
    return found


def _texts(
    description: str, address: str, party_name: str, party_phone: str, errors: dict[str, list[Any]]
) -> tuple[str, str, str, str]:
    """A new case's texts cleaned and its party's phone checked; ``ValidationError`` with these
    fields' refusals and the ``errors`` found before, if any."""
    description = clean_text(description, "description", required=True, maximum=DESCRIPTION_MAX)
    address = clean_text(address, "address", required=False, maximum=200)
    party_name = clean_text(party_name, "party_name", required=False, maximum=100)
    party_phone = clean_text(party_phone, "party_phone", required=False, maximum=30)
    digits = sum(char.isdigit() for char in party_phone)
    if party_phone and not (PHONE.fullmatch(party_phone) and PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]):
        errors.setdefault("party_phone", []).append(
            _("Enter a phone number: digits, with + - ( ) or spaces, 5 to 20 digits.")
        )
    if errors:
        raise ValidationError(errors)
    return description, address, party_name, party_phone


def _field_errors(
    category: Category, *, source: str, urgency: str, party_kind: str, lat: float | None, lng: float | None
) -> dict[str, list[Any]]:
    errors: dict[str, list[Any]] = {}
    if category.is_major:
        errors.setdefault("category", []).append(_("Choose a minor class, not a major class."))
    elif not category.is_active:
        errors.setdefault("category", []).append(_("This category is no longer in use."))
    if source not in Source.values:
        errors.setdefault("source", []).append(_("Unknown source."))
    if urgency not in Urgency.values:
        errors.setdefault("urgency", []).append(_("Unknown urgency."))
    if party_kind and party_kind not in PartyKind.values:
        errors.setdefault("party_kind", []).append(_("Unknown party kind."))
    if (lat is None) != (lng is None):
        errors.setdefault("lat", []).append(_("Give both latitude and longitude."))
    if lat is not None and lng is not None and not _valid_point(lat, lng):
        errors.setdefault("lat", []).append(_("The location is not a valid coordinate."))
    return errors


def _valid_point(lat: float, lng: float) -> bool:
    return -90 <= lat <= 90 and -180 <= lng <= 180 and not math.isnan(lat) and not math.isnan(lng)


def _place(scope: Scope, *, grid: Area | str | None, lat: float | None, lng: float | None) -> Place:
    """The grid the center chose, else the grid at the location."""
    if grid is not None:
        if not scope.has_role(*CENTER_ROLES):
            raise CaseForbidden(_("Only the center may choose the grid of a case."))
        area = current_grid(code=grid) if isinstance(grid, str) else grid
        if area is None or area.level != AreaLevel.GRID:
            raise ValidationError({"grid": [_("Unknown grid.")]})
        town = _town_of(area)
        return Place(area.pk, area.code, area.name, area.path, town.pk, town.code, town.path)
    if lat is None or lng is None:
        raise ValidationError({"lat": [_("Give the location (or, at the center, the grid).")]})
    located = locate(lat, lng)
    if located is None:
        raise ValidationError({"lat": [_("The location is outside every grid. Check the position on the map.")]})
    if located.town_id is not None and located.path:
        # The index carries the grid's path and town: no rows to read. The town's path is
        # the grid's path cut after the town's id.
        marker = f"/{located.town_id}/"
        town_path = located.path[: located.path.index(marker) + len(marker)]
        return Place(
            located.id, located.code, located.name, located.path, located.town_id, located.town_code, town_path
        )
    area = area_by_id(located.id)  # a grid outside any town
    town = _town_of(area)
    return Place(located.id, located.code, located.name, area.path, town.pk, town.code, town.path)


def _check_self_handle(category: Category, scope: Scope, checked: CheckedPhotos) -> None:
    if not category.self_handle_allowed:
        raise ValidationError({"self_handle": [_("This category cannot be handled on the spot.")]})
    if not scope.has_role(Role.GRID_WORKER):
        raise CaseForbidden(_("Only grid workers self-handle cases."))
    kinds = {item.kind for item, _info in checked}
    if not {AttachmentKind.BEFORE, AttachmentKind.AFTER} <= kinds:
        raise ValidationError({"photos": [_("Self-handling needs a photo before and a photo after handling.")]})


def _town_of(area: Area) -> Area:
    town = town_of(area)
    if town is None:
        raise ValidationError({"grid": [_("The area is not inside a town.")]})
    return town


def _covers_path(actor: User, town_path: str) -> bool:
    """Does one of the actor's area roles lie inside the town (by its path), or cover it?"""
    return any(path.startswith(town_path) or town_path.startswith(path) for path in area_paths(actor))


def public_case_create(
    *,
    category: Category | str,
    description: str,
    grid: Area | None = None,
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    party_name: str = "",
    party_phone: str = "",
    photos_in: Sequence[Photo] = (),
    at: dt.datetime | None = None,
) -> Case:
    """Create a case a resident reported from a public notice page, without an account.

    No one signs in: the case has no reporter and its timeline's first line no actor (the
    system on the resident's behalf); its source is ``public``. The same checks as a report
    run (category, text, phone, photos); the place is the grid of the page the resident came
    from, or the grid at the location they picked. The resident's name and phone are the case's
    encrypted party fields. From there the case goes through the normal loop."""
    now = now_or(at)
    chosen = _category(category)
    errors = _field_errors(chosen, source=Source.PUBLIC, urgency=Urgency.NORMAL, party_kind="", lat=lat, lng=lng)
    description, address, party_name, party_phone = _texts(description, address, party_name, party_phone, errors)
    if lat is not None and lng is not None:
        place = _place(Scope(user_id=None, everything=True), grid=None, lat=lat, lng=lng)
    elif grid is not None and grid.level == AreaLevel.GRID:
        town = _town_of(grid)
        place = Place(grid.pk, grid.code, grid.name, grid.path, town.pk, town.code, town.path)
    else:
        raise ValidationError({"lat": [_("Pick the place on the map, or report from a grid's page.")]})
    checked = photos_check(photos_in)
    report = Report(chosen, description, address, place, checked, party_name, party_phone)
    case = Case(
        number="",
        town=Area(pk=place.town_id, code=place.town_code, path=place.town_path, level=AreaLevel.TOWN),
        grid=Area(
            pk=place.grid_id, code=place.grid_code, name=place.grid_name, path=place.area_path, level=AreaLevel.GRID
        ),
        area_path=place.area_path,
        category=chosen,
        urgency=Urgency.NORMAL,
        source=Source.PUBLIC,
        status=Status.REPORTED,
        description=description,
        address=address,
        lat=lat,
        lng=lng,
        party_kind=PartyKind.RESIDENT if party_name or party_phone else "",
        party_name=party_name,
        party_phone=party_phone,
        reporter=None,
        reported_at=now,
    )
    _insert(case, report, actor=None, comment="", key=None, digest="", now=now)
    return case


def _insert(
    case: Case, report: Report, *, actor: User | None, comment: str, key: str | None, digest: str, now: dt.datetime
) -> None:
    """Write the new case, its key, timeline, photos and first stage, and tell the village."""
    # Everything is read and computed before the write transaction (the first stage's
    # deadlines, the recipients of the notification), so that the transaction is only
    # inserts and holds the write lock (SQLite) or the number row (PostgreSQL) briefly.
    stage: CaseStage | None = None
    users: list[User] = []
    if not case.self_handled:
        stage = first_stage(case, now)
        # recipient_ids() only returns active users: no second check is needed.
        users = [User(pk=pk) for pk in recipient_ids(case, Party.VILLAGE_LEADER) if actor is None or pk != actor.pk]
    rollups.prepare(case)  # its statements written now, run at the end
    year = timezone.localtime(now).year
    number_last = connection.vendor in NUMBER_LAST
    with transaction.atomic():
        case.number = provisional_number() if number_last else next_number(case.town, year)
        insert(case)
        event = CaseEvent(
            case=case,
            action=REPORT,
            actor_id=actor.pk if actor is not None else None,
            at=now,
            from_status="",
            to_status=Status.REPORTED,
            comment=comment.strip()[:COMMENT_MAX],
            data={},
        )
        insert(event)
        photos_store(case, report.checked, actor=actor, event=event)
        if stage is None:
            CaseEvent.objects.create(
                case=case,
                action=SELF_HANDLE,
                actor_id=actor.pk if actor is not None else None,
                at=now,
                from_status=Status.REPORTED,
                to_status=Status.CLOSED,
                data={},
            )
        else:
            stage.case = case
            insert(stage)
        # Last, the rows other reports wait for once written: the town's number, the rollup
        # rows of the town and the district, and the audit chain (the notification's row).
        # The key after the rollup rows, as a desk action writes its own: a report and an
        # action reusing one key then queue on the rows and the loser is refused, where the
        # other order deadlocked.
        if number_last:
            number_last_in_transaction(case, year)
        rollups.run_deferred(case)
        if key and actor is not None:
            idempotency.remember_creation(actor, key, case=case, digest=digest)
        if users:
            notify_queue(
                users=users,
                kind="case.reported",
                params={"number": case.number, "category_name": report.category.name},
                body=case.description[:120],
                url=case_url(case),
                obj=case,
                actor=actor,
            )
