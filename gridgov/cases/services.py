"""Writes of the case loop: create a case, apply an action, add photos, sweep deadlines.

Every function runs in one transaction, locks the case row it changes, writes a
:class:`CaseEvent` for each change and queues notifications through the outbox in the same
transaction. :func:`case_act` is the only code that changes a case's status after creation,
following :mod:`gridgov.cases.transitions`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any, Final

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.areas.locate import locate
from gridgov.areas.models import Area, AreaLevel
from gridgov.categories.models import Category, Urgency
from gridgov.people.models import Department, Role, RoleAssignment

from . import deadlines, photos
from .access import ancestor_ids, area_paths, parties_of, visible_q
from .models import (
    STATUS_STAGE,
    AttachmentKind,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseNumberSequence,
    CaseStage,
    IdempotencyKey,
    PartyKind,
    Source,
    Status,
)
from .transitions import (
    ACTION_LABELS,
    ATTACH,
    DEADLINE_WARNING,
    OVERDUE,
    REPORT,
    SELF_HANDLE,
    TABLE,
    Action,
    Party,
)

User = get_user_model()
logger = logging.getLogger(__name__)

DESCRIPTION_MAX: Final = 2000
COMMENT_MAX: Final = 2000
EXTENSION_DAYS_MAX: Final = 30
MAX_PHOTOS: Final = 9
# Roles that may report a case.
REPORTER_ROLES: Final = frozenset(
    {Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_STAFF, Role.CENTER_OPERATOR, Role.TOWN_LEADER}
)
CENTER_ROLES: Final = frozenset({Role.CENTER_OPERATOR})
# Called inside the closing transaction when a case closes, as ``hook(case, actor, at)``.
# Features that wait on cases (hotline orders) add theirs when ready, so the case loop
# imports none of them.
CLOSE_HOOKS: list[Callable[[Case, Any, dt.datetime], None]] = []


class CaseError(Exception):
    """A refused action: ``status`` is the HTTP status the API answers with."""

    status = 400
    code = "error"

    def __init__(self, message: Any, *, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code


class CaseNotFound(CaseError):
    status = 404
    code = "not_found"


class CaseForbidden(CaseError):
    status = 403
    code = "forbidden"


class CaseConflict(CaseError):
    status = 409
    code = "conflict"


@dataclass(frozen=True)
class Photo:
    """A photo handed to a service: its bytes and what it shows."""

    file: IO[bytes]
    kind: str = AttachmentKind.REPORT
    name: str = "photo"


# --- helpers ----------------------------------------------------------------------------


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _clean_text(value: str | None, field: str, *, required: bool, maximum: int, message: Any = None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: [message or _("This field is required.")]})
    if len(text) > maximum:
        raise ValidationError({field: [_("Keep it under %(n)s characters.") % {"n": maximum}]})
    return text


def _town_of(area: Area) -> Area:
    ids = area.ancestor_ids()
    if area.level == AreaLevel.TOWN:
        return area
    town = Area.objects.filter(id__in=ids, level=AreaLevel.TOWN).first()
    if town is None:
        raise ValidationError({"grid": [_("The area is not inside a town.")]})
    return town


def _next_number(town: Area, year: int) -> str:
    """The next case number of a town and year, ``YYYY-TTT-NNNNNN`` (TTT: the township digits).

    One ``UPDATE … RETURNING`` takes the number: it locks the town's sequence row until the
    commit, so callers take the number as late in their transaction as they can."""
    table = connection.ops.quote_name(CaseNumberSequence._meta.db_table)
    increment = f"UPDATE {table} SET last = last + 1 WHERE town_id = %s AND year = %s RETURNING last"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(increment, [town.pk, year])
        row = cursor.fetchone()
        if row is None:
            try:
                with transaction.atomic():
                    CaseNumberSequence.objects.create(town=town, year=year, last=0)
            except IntegrityError:
                pass  # another transaction created it meanwhile
            cursor.execute(increment, [town.pk, year])
            row = cursor.fetchone()
    return f"{year}-{town.code[6:9]}-{int(row[0]):06d}"


def _event(
    case: Case,
    action: str,
    *,
    actor: Any,
    at: dt.datetime,
    from_status: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at,
        from_status=from_status,
        to_status=case.status,
        comment=comment,
        data=data or {},
    )


def _stage_department(case: Case) -> Department | None:
    return case.lead_department if case.status in (Status.DISPATCHED, Status.IN_PROGRESS) else None


def _end_stage(case: Case, at: dt.datetime) -> None:
    stage = CaseStage.objects.filter(case=case, ended_at__isnull=True).first()
    if stage is None:
        return
    stage.ended_at = at
    stage.on_time = None if stage.deadline is None else at <= stage.deadline
    stage.save(update_fields=["ended_at", "on_time"])


def _enter_stage(case: Case, at: dt.datetime, *, restart: bool = False) -> None:
    """Close the stage the case was in and open the one its status now has. With ``restart``
    a new stage row starts even if the stage name is unchanged (a rework)."""
    wanted = STATUS_STAGE.get(case.status, "")
    if case.status == Status.PARKED:
        return  # the clock stops; resume shifts the open stage
    if wanted == case.stage and not restart and wanted:
        return
    _end_stage(case, at)
    if not wanted:
        case.stage = ""
        case.stage_started_at = case.stage_warn_at = case.stage_deadline = case.next_alert_at = None
        return
    timing = deadlines.timing(at, case.category_id, case.urgency, wanted)
    CaseStage.objects.create(
        case=case,
        stage=wanted,
        started_at=at,
        warn_at=timing.warn_at,
        deadline=timing.deadline,
        limit_amount=timing.amount,
        limit_unit=timing.unit,
        department=_stage_department(case),
    )
    case.stage = wanted
    case.stage_started_at = at
    case.stage_warn_at = timing.warn_at
    case.stage_deadline = timing.deadline
    case.next_alert_at = timing.warn_at


def _save(case: Case, *fields: str) -> None:
    case.version += 1
    stage_fields = ("stage", "stage_started_at", "stage_warn_at", "stage_deadline", "next_alert_at")
    case.save(update_fields=sorted({*fields, *stage_fields, "status", "version", "updated_at"}))


# --- recipients and notifications -------------------------------------------------------


def recipient_ids(case: Case, party: Party) -> list[int]:
    """Ids of the active users standing in ``party`` for the case (for notifications), in
    one query."""
    ids = ancestor_ids(case)
    assignments = RoleAssignment.objects.filter(user__is_active=True)
    if party == Party.CENTER:
        assignments = assignments.filter(role=Role.CENTER_OPERATOR, area_id__in=ids)
    elif party == Party.LEADER:
        assignments = assignments.filter(role=Role.TOWN_LEADER, area_id__in=ids)
    elif party == Party.VILLAGE_LEADER:
        assignments = assignments.filter(role=Role.GRID_LEADER, area_id__in=ids)
    elif party == Party.VILLAGE:
        assignments = assignments.filter(role__in=[Role.GRID_LEADER, Role.VILLAGE_STAFF], area_id__in=ids)
    elif party == Party.GRID_WORKER:
        if case.grid_id is None:
            return []
        assignments = assignments.filter(role=Role.GRID_WORKER, area_id=case.grid_id)
    elif party in (Party.LEAD_DEPARTMENT, Party.HANDLER):
        if party == Party.HANDLER and case.handled_by_village:
            return recipient_ids(case, Party.VILLAGE)
        if case.lead_department_id is None:
            return []
        assignments = assignments.filter(role=Role.DEPARTMENT_HANDLER, department_id=case.lead_department_id)
    else:  # pragma: no cover - every party is listed above
        return []
    return sorted(set(assignments.order_by().values_list("user_id", flat=True)))


def responsible(case: Case) -> list[Party]:
    """Who must act next on the case in its current status."""
    if case.status == Status.REPORTED:
        return [Party.CENTER] if case.escalated else [Party.VILLAGE_LEADER, Party.CENTER]
    if case.status in (Status.REGISTERED, Status.RETURNED):
        return [Party.CENTER]
    if case.status in (Status.DISPATCHED, Status.IN_PROGRESS):
        return [Party.HANDLER]
    if case.status == Status.AWAITING_VERIFICATION:
        return [Party.GRID_WORKER] if case.category.verification_required else [Party.CENTER]
    return []


def case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def _notify(
    case: Case,
    parties: Iterable[Party],
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    actor: Any,
    body: str = "",
    exclude: Iterable[int] = (),
) -> None:
    """Notify ``parties`` of the case; the text is rendered for each reader (``notices.py``)."""
    user_ids = {user_id for party in parties for user_id in recipient_ids(case, party)}
    user_ids.difference_update(exclude)
    if not user_ids:
        return
    from gridgov.notify.services import notify

    notify(
        recipients=[User(pk=user_id) for user_id in sorted(user_ids)],
        kind=kind,
        params={"number": case.number, **(params or {})},
        body=body or case.description[:120],
        url=case_url(case),
        obj=case,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


# --- creation -------------------------------------------------------------------------


def _check_photos(items: Sequence[Photo]) -> list[tuple[Photo, photos.ImageInfo]]:
    if len(items) > MAX_PHOTOS:
        raise ValidationError({"photos": [_("At most %(n)s photos at a time.") % {"n": MAX_PHOTOS}]})
    checked = []
    for item in items:
        if item.kind not in AttachmentKind.values:
            raise ValidationError({"photos": [_("Unknown photo kind.")]})
        try:
            info = photos.inspect_image(item.file)
        except ValidationError as error:
            raise ValidationError({"photos": error.messages}) from error
        checked.append((item, info))
    return checked


def _store_photos(
    case: Case, checked: list[tuple[Photo, photos.ImageInfo]], *, actor: Any, event: CaseEvent | None
) -> list[CaseAttachment]:
    stored = []
    for item, info in checked:
        if CaseAttachment.objects.filter(case=case, sha256=info.sha256, kind=item.kind).exists():
            continue  # the same photo sent twice (a phone's retry) is kept once
        item.file.seek(0)
        extension = {"jpeg": "jpg"}.get(info.format, info.format)
        attachment = CaseAttachment(
            case=case,
            event=event,
            kind=item.kind,
            content_type=info.content_type,
            width=info.width,
            height=info.height,
            size=info.size,
            sha256=info.sha256,
            taken_at=info.taken_at,
            exif_lat=info.lat,
            exif_lng=info.lng,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        attachment.file.save(f"{info.sha256[:16]}.{extension}", ContentFile(item.file.read()), save=False)
        attachment.save()
        stored.append(attachment)
    if stored:
        from .tasks import make_thumbnails

        ids = [a.pk for a in stored]
        transaction.on_commit(lambda: make_thumbnails.delay(ids))
    return stored


def thumbnails_make(attachment_ids: Sequence[int]) -> int:
    """Make the thumbnail (and, where needed, an upright display copy without EXIF) of each
    photo that has none yet; run by the worker. A photo that cannot be read is logged and
    left as it is (the pages fall back to the original)."""
    done = 0
    for attachment in CaseAttachment.objects.filter(pk__in=list(attachment_ids), thumbnail=""):
        try:
            with attachment.file.open("rb") as source:
                thumbnail = photos.build_thumbnail(source)
                source.seek(0)
                display = photos.display_copy(source)
        except (OSError, ValueError, ValidationError):
            logger.exception("Thumbnail of attachment %s failed", attachment.pk)
            continue
        with transaction.atomic():
            attachment.thumbnail.save(f"{attachment.sha256[:16]}-t.jpg", ContentFile(thumbnail), save=False)
            fields = ["thumbnail"]
            if display is not None:
                attachment.display.save(f"{attachment.sha256[:16]}-d.jpg", ContentFile(display), save=False)
                fields.append("display")
            attachment.save(update_fields=fields)
        done += 1
    return done


@transaction.atomic
def export_recorded(*, actor: Any, rows: int, filters: dict[str, Any], request: Any = None) -> None:
    """Write the audit row of an export of cases (who, which filters, how many rows)."""
    from gridgov.core.audit import record

    record(action="case.export", actor=actor, request=request, data={"rows": rows, "filters": filters})


def _covers_path(actor: Any, town_path: str) -> bool:
    """Does one of the actor's area roles lie inside the town (by its path), or cover it?"""
    return any(path.startswith(town_path) or town_path.startswith(path) for path in area_paths(actor))


def _fingerprint(*parts: Any) -> str:
    """What identifies one report for its idempotency key (not the photos: a retry may send
    them again or not)."""
    canonical = json.dumps([str(part).strip() if part is not None else None for part in parts], ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(actor: Any, key: str, fingerprint: str) -> Case | None:
    """The case an earlier request with this key created, or None; a different report under
    the same key (or a key already used for an action) is refused."""
    # Only a few columns: the (rare) hit loads the case; the miss stays an index read.
    row = IdempotencyKey.objects.filter(user=actor, key=key).values_list("case_id", "fingerprint", "action").first()
    if row is None:
        return None
    case_id, stored, used_for = row
    if used_for or (stored and fingerprint and stored != fingerprint):
        raise ValidationError(
            {"idempotency_key": [_("This idempotency key was already used for a different report. Use a new key.")]}
        )
    return Case.objects.get(pk=case_id)


def _clean_key(idempotency_key: str | None) -> str | None:
    """The key stripped, or None when none was sent; a blank or too long key is refused."""
    if idempotency_key is None:
        return None
    key = idempotency_key.strip()
    if not key or len(key) > 64:
        raise ValidationError({"idempotency_key": [_("The idempotency key must be 1 to 64 characters.")]})
    return key


KEY_REUSED: Final = _("This idempotency key was already used for a different request. Use a new key.")


def _replayed(actor: Any, key: str, *, case_id: int, action: str, fingerprint: str) -> IdempotencyKey | None:
    """The stored use of ``key`` when it was this same action on this same case with the same
    body (a retry), None when the key is new; any other earlier use is refused (422).

    Callers hold the case's row lock, so a concurrent retry waits here for the first request's
    commit and then finds its key."""
    stored = IdempotencyKey.objects.filter(user=actor, key=key).first()
    if stored is None:
        return None
    if (stored.case_id, stored.action, stored.fingerprint) != (case_id, action, fingerprint):
        raise ValidationError({"idempotency_key": [KEY_REUSED]})
    return stored


def _remember(actor: Any, key: str, *, case: Case, action: str, fingerprint: str, event: CaseEvent) -> None:
    """Store the key with the action, in the action's transaction."""
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                user=actor, key=key, case=case, action=action, event=event, fingerprint=fingerprint
            )
    except IntegrityError:
        # Used meanwhile by a request on another case (same-case retries wait on the row
        # lock): the whole action is rolled back.
        raise ValidationError({"idempotency_key": [KEY_REUSED]}) from None


def case_create(
    *,
    actor: Any,
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
) -> tuple[Case, bool]:
    """Create a case (``reported``, or ``closed`` at once when self-handled).

    Returns ``(case, created)``: with an ``idempotency_key`` already used by the same actor
    for the same report the existing case comes back with ``created`` False, even under
    concurrent retries. The same key with a different report is refused (422), so that a
    client that reuses a key by mistake does not lose the second report silently.
    """
    key = _clean_key(idempotency_key)
    fingerprint = ""
    if key is not None:
        fingerprint = _fingerprint(
            category.code if isinstance(category, Category) else category,
            description,
            lat,
            lng,
            address,
            grid.code if isinstance(grid, Area) else grid,
            self_handle,
        )
        existing = _existing(actor, key, fingerprint)
        if existing is not None:
            return existing, False
    try:
        case = _create(
            actor=actor,
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
            comment=comment,
            photos_in=photos_in,
            idempotency_key=key,
            fingerprint=fingerprint,
            at=at,
        )
    except IntegrityError:
        if key is not None:
            existing = _existing(actor, key, fingerprint)
            if existing is not None:
                return existing, False
        raise
    return case, True


def _create(
    *,
    actor: Any,
    category: Category | str,
    description: str,
    lat: float | None,
    lng: float | None,
    address: str,
    source: str,
    urgency: str,
    grid: Area | str | None,
    party_kind: str,
    party_name: str,
    party_phone: str,
    self_handle: bool,
    comment: str,
    photos_in: Sequence[Photo],
    idempotency_key: str | None,
    fingerprint: str,
    at: dt.datetime | None,
) -> Case:
    from gridgov.access.scope import scope_for

    now = _now(at)
    scope = scope_for(actor)
    if not scope.has_role(*REPORTER_ROLES):
        raise CaseForbidden(_("Your role cannot report cases."))
    errors: dict[str, list[Any]] = {}
    if isinstance(category, str):
        try:
            category = Category.objects.get(code=category)
        except Category.DoesNotExist:
            raise ValidationError({"category": [_("Unknown category.")]}) from None
    if category.is_major:
        errors.setdefault("category", []).append(_("Choose a minor class, not a major class."))
    elif not category.is_active:
        errors.setdefault("category", []).append(_("This category is no longer in use."))
    description = _clean_text(description, "description", required=True, maximum=DESCRIPTION_MAX)
    address = _clean_text(address, "address", required=False, maximum=200)
    if source not in Source.values:
        errors.setdefault("source", []).append(_("Unknown source."))
    if urgency not in Urgency.values:
        errors.setdefault("urgency", []).append(_("Unknown urgency."))
    if party_kind and party_kind not in PartyKind.values:
        errors.setdefault("party_kind", []).append(_("Unknown party kind."))
    if (lat is None) != (lng is None):
        errors.setdefault("lat", []).append(_("Give both latitude and longitude."))
    if (
        lat is not None
        and lng is not None
        and (not (-90 <= lat <= 90 and -180 <= lng <= 180) or math.isnan(lat) or math.isnan(lng))
    ):
        errors.setdefault("lat", []).append(_("The location is not a valid coordinate."))
    if errors:
        raise ValidationError(errors)

    is_center = scope.has_role(*CENTER_ROLES)
    grid_id: int
    if grid is not None:
        if not is_center:
            raise CaseForbidden(_("Only the center may choose the grid of a case."))
        area = Area.objects.current().filter(code=grid).first() if isinstance(grid, str) else grid
        if area is None or area.level != AreaLevel.GRID:
            raise ValidationError({"grid": [_("Unknown grid.")]})
        town = _town_of(area)
        grid_id, grid_code, grid_name, area_path = area.pk, area.code, area.name, area.path
        town_id, town_code, town_path = town.pk, town.code, town.path
    elif lat is not None and lng is not None:
        located = locate(lat, lng)
        if located is None:
            raise ValidationError({"lat": [_("The location is outside every grid. Check the position on the map.")]})
        grid_id, grid_code, grid_name, area_path = located.id, located.code, located.name, located.path
        if located.town_id is not None and area_path:
            # The index carries the grid's path and town: no rows to read. The town's path is
            # the grid's path cut after the town's id.
            town_id, town_code = located.town_id, located.town_code
            town_path = area_path[: area_path.index(f"/{town_id}/") + len(f"/{town_id}/")]
        else:  # a grid outside any town
            area = Area.objects.get(pk=located.id)
            town = _town_of(area)
            area_path, town_id, town_code, town_path = area.path, town.pk, town.code, town.path
    else:
        raise ValidationError({"lat": [_("Give the location (or, at the center, the grid).")]})
    if not scope.everything and not _covers_path(actor, town_path):
        raise CaseForbidden(_("The location is outside your town."))
    checked = _check_photos(photos_in)
    if self_handle:
        if not category.self_handle_allowed:
            raise ValidationError({"self_handle": [_("This category cannot be handled on the spot.")]})
        if not scope.has_role(Role.GRID_WORKER):
            raise CaseForbidden(_("Only grid workers self-handle cases."))
        kinds = {item.kind for item, _info in checked}
        if not {AttachmentKind.BEFORE, AttachmentKind.AFTER} <= kinds:
            raise ValidationError({"photos": [_("Self-handling needs a photo before and a photo after handling.")]})

    # Everything is read and computed before the write transaction (the first stage's
    # deadlines, the recipients of the notification), so that the transaction is only
    # inserts and holds the write lock (SQLite) or the number row (PostgreSQL) briefly.
    town_ref = Area(pk=town_id, code=town_code, path=town_path, level=AreaLevel.TOWN)
    grid_ref = Area(pk=grid_id, code=grid_code, name=grid_name, path=area_path, level=AreaLevel.GRID)
    case = Case(
        number="",
        town=town_ref,
        grid=grid_ref,
        area_path=area_path,
        category=category,
        urgency=urgency,
        source=source,
        status=Status.CLOSED if self_handle else Status.REPORTED,
        self_handled=self_handle,
        closed_at=now if self_handle else None,
        description=description,
        address=address,
        lat=lat,
        lng=lng,
        party_kind=party_kind,
        party_name=party_name.strip()[:100],
        party_phone=party_phone.strip()[:30],
        reporter=actor,
        reported_at=now,
    )
    stage: CaseStage | None = None
    users: list[Any] = []
    if not self_handle:
        wanted = STATUS_STAGE[Status.REPORTED]
        timing = deadlines.timing(now, category.pk, urgency, wanted)
        case.stage = wanted
        case.stage_started_at = now
        case.stage_warn_at = case.next_alert_at = timing.warn_at
        case.stage_deadline = timing.deadline
        stage = CaseStage(
            stage=wanted,
            started_at=now,
            warn_at=timing.warn_at,
            deadline=timing.deadline,
            limit_amount=timing.amount,
            limit_unit=timing.unit,
            department=None,
        )
        # recipient_ids() only returns active users: no second check is needed.
        users = [User(pk=pk) for pk in recipient_ids(case, Party.VILLAGE_LEADER) if pk != getattr(actor, "pk", None)]
    reporter_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    year = timezone.localtime(now).year

    with transaction.atomic():
        # The number last before the case's insert: on PostgreSQL its row stays locked to
        # the commit, so what follows is a handful of inserts.
        case.number = _next_number(town_ref, year)
        case.save(force_insert=True)
        if idempotency_key:
            IdempotencyKey.objects.create(user=actor, key=idempotency_key, case=case, fingerprint=fingerprint)
        event = CaseEvent.objects.create(
            case=case,
            action=REPORT,
            actor_id=reporter_id,
            at=now,
            from_status="",
            to_status=Status.REPORTED,
            comment=comment.strip()[:COMMENT_MAX],
            data={},
        )
        _store_photos(case, checked, actor=actor, event=event)
        if self_handle:
            CaseEvent.objects.create(
                case=case,
                action=SELF_HANDLE,
                actor_id=reporter_id,
                at=now,
                from_status=Status.REPORTED,
                to_status=Status.CLOSED,
                data={},
            )
            return case
        assert stage is not None
        stage.case = case
        stage.save(force_insert=True)
        if users:
            from gridgov.notify.services import notify_queue

            notify_queue(
                users=users,
                kind="case.reported",
                params={"number": case.number, "category_name": category.name},
                body=case.description[:120],
                url=case_url(case),
                obj=case,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
            )
    return case


# --- actions --------------------------------------------------------------------------


def _lock_visible(case_id: int, actor: Any) -> Case:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("category", "grid", "lead_department")
        .filter(visible_q(actor), pk=case_id)
        .first()
    )
    if case is None:
        raise CaseNotFound(_("No such case."))
    return case


def allowed_actions(user: Any, case: Case, now: dt.datetime | None = None) -> list[Action]:
    """The actions ``user`` may take on the case now (for showing only the usable forms)."""
    now = _now(now)
    parties = parties_of(user, case)
    result = []
    for action, transition in TABLE.items():
        if case.status not in transition.sources or not (parties & transition.parties):
            continue
        if transition.guard is not None and not transition.guard.check(case, now):
            continue
        result.append(action)
    return result


@transaction.atomic
def case_act(
    case_id: int,
    action: str,
    *,
    actor: Any,
    comment: str = "",
    version: int | None = None,
    departments: Sequence[str] = (),
    result: str = "",
    into: str | None = None,
    days: int | None = None,
    grid: str | None = None,
    photos_in: Sequence[Photo] = (),
    idempotency_key: str | None = None,
    at: dt.datetime | None = None,
) -> Case:
    """Apply one action of the transition table to a case. ``register`` may correct the grid
    (``grid``: the code of another grid of the case's town), e.g. for a report made near a
    boundary.

    With an ``idempotency_key`` already used by the actor for this same action on this same
    case with the same body, nothing is done again and the case comes back as it is now (a
    phone's retry after a lost answer); the key used for anything else is refused (422).

    Raises :class:`CaseNotFound` (the actor cannot see the case), :class:`CaseForbidden` (not
    the actor's move), :class:`CaseConflict` (not in this status, a guard, or ``version`` is
    stale) or ``ValidationError`` (bad input). Nothing is written when it raises.
    """
    now = _now(at)
    key = _clean_key(idempotency_key)
    case = _lock_visible(case_id, actor)
    try:
        transition = TABLE[Action(action)]
    except ValueError:
        raise CaseNotFound(_("Unknown action."), code="unknown_action") from None
    fingerprint = ""
    if key is not None:
        # The body without ``version`` (a retry sends the same one) and without the photos
        # (a retry may send them again or not; the same photo is stored once anyway).
        fingerprint = _fingerprint(comment, list(departments), result, into, days, grid)
        if _replayed(actor, key, case_id=case.pk, action=transition.action.value, fingerprint=fingerprint):
            return case
    if not (parties_of(actor, case) & transition.parties):
        raise CaseForbidden(_("This action is not yours to take on this case."))
    if version is not None and version != case.version:
        raise CaseConflict(
            _("Someone else changed this case meanwhile. Reload it; your text is kept in the form."),
            code="version_conflict",
        )
    if case.status not in transition.sources:
        raise CaseConflict(
            _("“%(action)s” is not possible while the case is %(status)s.")
            % {"action": ACTION_LABELS[transition.action], "status": Status(case.status).label},
            code="invalid_transition",
        )
    if transition.guard is not None and not transition.guard.check(case, now):
        raise CaseConflict(transition.guard.message, code=transition.guard.code)
    comment = _clean_text(
        comment,
        "comment",
        required=transition.comment_required,
        maximum=COMMENT_MAX,
        message=_("Give a reason or comment for this action."),
    )
    checked = _check_photos(photos_in)
    before = case.status
    data: dict[str, Any] = {}
    fields: set[str] = set()
    notify_parties: list[Party] = []
    kind = f"case.{action}"
    restart = False
    target = transition.next_status(case)

    act = transition.action
    if grid and act != Action.REGISTER:
        raise ValidationError({"grid": [_("The grid can only be corrected when registering.")]})
    if act == Action.REGISTER and grid and grid != (case.grid.code if case.grid else ""):
        new_grid = _grid_in_town(case, grid)
        data["grid"] = {"from": case.grid.code if case.grid else "", "to": new_grid.code}
        case.grid = new_grid
        case.area_path = new_grid.path
        fields.update({"grid", "area_path"})
    if act == Action.ACCEPT:
        case.handled_by_village = True
        fields.add("handled_by_village")
    elif act == Action.ESCALATE:
        case.escalated = True
        fields.add("escalated")
        notify_parties = [Party.CENTER]
    elif act == Action.MERGE:
        other = _merge_target(case, into, actor)
        case.merged_into = other
        fields.add("merged_into")
        data["into"] = other.number
    elif act == Action.DISPATCH:
        chosen = _departments(case, departments)
        case.lead_department = chosen[0]
        case.handled_by_village = False
        fields.update({"lead_department", "handled_by_village"})
        data["departments"] = [d.code for d in chosen]
        notify_parties = [Party.LEAD_DEPARTMENT]
    elif act == Action.REPORT_BACK:
        data["result"] = _clean_text(
            result or comment, "result", required=True, maximum=COMMENT_MAX, message=_("Describe the result.")
        )
        notify_parties = [Party.GRID_WORKER] if case.category.verification_required else [Party.CENTER]
    elif act == Action.RETURN:
        case.return_count += 1
        fields.add("return_count")
        data["by_village"] = case.handled_by_village
        case.handled_by_village = False
        fields.add("handled_by_village")
        notify_parties = [Party.CENTER]
    elif act == Action.VERIFY_FAIL:
        case.rework_count += 1
        fields.add("rework_count")
        restart = True
        notify_parties = [Party.HANDLER]
    elif act == Action.REQUEST_EXTENSION:
        wanted_days = _extension_days(days)
        case.pending_extension = {"days": wanted_days, "reason": comment, "by": actor.pk, "stage": case.stage}
        fields.add("pending_extension")
        data["days"] = wanted_days
        notify_parties = [Party.CENTER]
    elif act in (Action.APPROVE_EXTENSION, Action.REJECT_EXTENSION):
        request = case.pending_extension or {}
        data["days"] = request.get("days")
        case.pending_extension = None
        fields.add("pending_extension")
        if act == Action.APPROVE_EXTENSION:
            _extend_stage(case, int(request.get("days") or 1), now)
            case.extension_count += 1
            fields.add("extension_count")
        notify_parties = [Party.HANDLER]
    elif act == Action.PARK:
        case.parked_from = case.status
        case.parked_at = now
        fields.update({"parked_from", "parked_at"})
    elif act == Action.RESUME:
        _resume_stage(case, now)
        case.parked_from = ""
        case.parked_at = None
        fields.update({"parked_from", "parked_at"})
    elif act == Action.REMIND:
        case.reminder_count += 1
        fields.add("reminder_count")
        notify_parties = responsible(case)
    elif act == Action.SUPERVISE:
        case.supervision_pending = True
        case.supervision_count += 1
        fields.update({"supervision_pending", "supervision_count"})
        notify_parties = [*responsible(case), Party.CENTER]
    elif act == Action.REPLY_SUPERVISION:
        case.supervision_pending = False
        fields.add("supervision_pending")
        notify_parties = [Party.LEADER]
    elif act == Action.REOPEN:
        case.reopen_count += 1
        case.closed_at = None
        fields.update({"reopen_count", "closed_at"})

    if target != before and case.pending_extension is not None:
        # A request belongs to the stage it was made in; a new stage drops it undecided.
        data["extension_dropped"] = case.pending_extension.get("days")
        case.pending_extension = None
        fields.add("pending_extension")
    case.status = target
    if target == Status.CLOSED:
        case.closed_at = now
        fields.add("closed_at")
    if target == Status.PARKED:
        _end_clock(case)
    else:
        _enter_stage(case, now, restart=restart)
    _save(case, *fields)
    event = _event(case, action, actor=actor, at=now, from_status=before, comment=comment, data=data)
    if key is not None:
        _remember(actor, key, case=case, action=transition.action.value, fingerprint=fingerprint, event=event)
    _store_photos(case, checked, actor=actor, event=event)
    if notify_parties:
        _notify(case, notify_parties, kind, {"action": act.value}, actor=actor, body=comment)
    if target == Status.CLOSED:
        for hook in CLOSE_HOOKS:
            hook(case, actor, now)
    return case


def _grid_in_town(case: Case, code: str) -> Area:
    """A current grid of the case's town, by code (the center corrects a case's grid)."""
    found = Area.objects.current().filter(code=code.strip(), level=AreaLevel.GRID).first()
    if found is None or f"/{case.town_id}/" not in found.path:
        raise ValidationError({"grid": [_("Choose a grid of the case's town.")]})
    return found


def _extension_days(days: Any) -> int:
    message = _("Ask for 1 to %(n)s working days.") % {"n": EXTENSION_DAYS_MAX}
    try:
        value = int(days)
    except (TypeError, ValueError):
        raise ValidationError({"days": [message]}) from None
    if not 1 <= value <= EXTENSION_DAYS_MAX:
        raise ValidationError({"days": [message]})
    return value


def _departments(case: Case, codes: Sequence[str]) -> list[Department]:
    """The departments of a dispatch, lead first; sets the cooperating ones (a re-dispatch
    after a return replaces the earlier ones)."""
    if not codes:
        default_id = case.category.default_department_id
        default = None if default_id is None else Department.objects.filter(pk=default_id, is_active=True).first()
        if default is None:
            raise ValidationError({"departments": [_("Choose the department to dispatch to.")]})
        case.cooperating_departments.clear()
        return [default]
    seen: list[str] = []
    for code in codes:
        if code not in seen:
            seen.append(code)
    found = {d.code: d for d in Department.objects.filter(code__in=seen, is_active=True)}
    missing = [code for code in seen if code not in found]
    if missing:
        raise ValidationError({"departments": [_("Unknown department: %(codes)s") % {"codes": ", ".join(missing)}]})
    chosen = [found[code] for code in seen]
    case.cooperating_departments.set(chosen[1:])
    return chosen


def _merge_target(case: Case, into: str | None, actor: Any) -> Case:
    if not into:
        raise ValidationError({"into": [_("Give the number of the case this one duplicates.")]})
    query = Case.objects.filter(visible_q(actor))
    other = query.filter(number=into.strip()).first()
    if other is None and str(into).strip().isdigit():
        other = query.filter(pk=int(str(into).strip())).first()
    if other is None or other.pk == case.pk:
        raise ValidationError({"into": [_("No such case to merge into.")]})
    if other.status == Status.VOIDED:
        raise ValidationError({"into": [_("A voided case cannot take in duplicates.")]})
    return other


def _open_stage(case: Case) -> CaseStage | None:
    return CaseStage.objects.filter(case=case, ended_at__isnull=True).first()


def _extend_stage(case: Case, days: int, now: dt.datetime) -> None:
    stage = _open_stage(case)
    if stage is None or stage.deadline is None:
        return
    stage.deadline = deadlines.extend(stage.deadline, days)
    stage.warn_at = deadlines.warn_point(stage.started_at, stage.deadline, stage.limit_unit or "working_days")
    stage.extended = True
    stage.warning_sent = stage.warn_at <= now and stage.warning_sent
    stage.overdue_sent = False
    stage.save(update_fields=["deadline", "warn_at", "extended", "warning_sent", "overdue_sent"])
    case.stage_deadline = stage.deadline
    case.stage_warn_at = stage.warn_at
    case.next_alert_at = stage.deadline if stage.warning_sent else stage.warn_at


def _end_clock(case: Case) -> None:
    """Parked: the open stage keeps its row; the case shows no light and the sweep skips it."""
    case.stage_warn_at = case.stage_deadline = case.next_alert_at = None


def _resume_stage(case: Case, now: dt.datetime) -> None:
    stage = _open_stage(case)
    if stage is None or case.parked_at is None:
        return
    if stage.deadline is not None:
        unit = stage.limit_unit or "working_days"
        stage.deadline = deadlines.shift(stage.deadline, unit, case.parked_at, now)
        if stage.warn_at is not None:
            stage.warn_at = deadlines.shift(stage.warn_at, unit, case.parked_at, now)
    stage.paused_minutes += int((now - case.parked_at).total_seconds() // 60)
    stage.save(update_fields=["deadline", "warn_at", "paused_minutes"])
    case.stage_deadline = stage.deadline
    case.stage_warn_at = stage.warn_at
    if stage.deadline is None:
        case.next_alert_at = None
    elif not stage.warning_sent and stage.warn_at is not None:
        case.next_alert_at = stage.warn_at
    elif not stage.overdue_sent:
        case.next_alert_at = stage.deadline
    else:
        case.next_alert_at = None


# Photo kinds only some parties may add (others: anyone working on the case).
PHOTO_KIND_PARTIES: Final[dict[str, frozenset[Party]]] = {
    AttachmentKind.RESULT: frozenset({Party.HANDLER}),
    AttachmentKind.VERIFY: frozenset({Party.GRID_WORKER}),
}


def attachments_add(
    case_id: int,
    *,
    actor: Any,
    photos_in: Sequence[Photo],
    comment: str = "",
    idempotency_key: str | None = None,
) -> list[CaseAttachment]:
    """Add photos to a case the actor is related to (reporter, grid worker, handler, center)."""
    stored, _replay = attachments_add_once(
        case_id, actor=actor, photos_in=photos_in, comment=comment, idempotency_key=idempotency_key
    )
    return stored


def _content_hash(item: Photo) -> str:
    digest = hashlib.sha256()
    item.file.seek(0)
    for chunk in iter(lambda: item.file.read(1 << 16), b""):
        digest.update(chunk)
    item.file.seek(0)
    return digest.hexdigest()


@transaction.atomic
def attachments_add_once(
    case_id: int,
    *,
    actor: Any,
    photos_in: Sequence[Photo],
    comment: str = "",
    idempotency_key: str | None = None,
) -> tuple[list[CaseAttachment], bool]:
    """:func:`attachments_add`, and whether it was a retry: with an ``idempotency_key`` the
    actor already used for the same photos (same content, kinds and comment) on this case,
    nothing is stored again and the photos of the first request come back with ``True``."""
    key = _clean_key(idempotency_key)
    case = _lock_visible(case_id, actor)
    if not photos_in:
        raise ValidationError({"photos": [_("Choose at least one photo.")]})
    fingerprint = ""
    if key is not None:
        fingerprint = _fingerprint(comment, *[f"{item.kind}:{_content_hash(item)}" for item in photos_in])
        done = _replayed(actor, key, case_id=case.pk, action=ATTACH, fingerprint=fingerprint)
        if done is not None:
            first = [] if done.event_id is None else list(CaseAttachment.objects.filter(event_id=done.event_id))
            return first, True
    parties = parties_of(actor, case)
    if not parties and case.reporter_id != getattr(actor, "pk", None):
        raise CaseForbidden(_("Only people working on this case may add photos."))
    for item in photos_in:
        needed = PHOTO_KIND_PARTIES.get(item.kind)
        if needed and not parties & needed:
            # A result photo speaks for the handler, a verification photo for the grid worker.
            raise CaseForbidden(_("You may not add photos of this kind to this case."))
    if not case.is_open and not (case.self_handled and case.reporter_id == actor.pk):
        raise CaseConflict(_("Photos cannot be added to a finished case."), code="case_finished")
    checked = _check_photos(photos_in)
    event = _event(
        case, ATTACH, actor=actor, at=timezone.now(), from_status=case.status, comment=comment.strip()[:COMMENT_MAX]
    )
    if key is not None:
        _remember(actor, key, case=case, action=ATTACH, fingerprint=fingerprint, event=event)
    stored = _store_photos(case, checked, actor=actor, event=event)
    event.data = {"photos": len(stored)}
    event.save(update_fields=["data"])
    return stored, False


# --- the deadline sweep -----------------------------------------------------------------


def sweep_due(now: dt.datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Send the 80 % warnings and overdue notices that fell due since the last sweep.

    Reads only cases whose ``next_alert_at`` has passed (an indexed range), each in its own
    short transaction, so a million open cases cost nothing while nothing crosses a line.
    """
    now = _now(now)
    counts = {"warnings": 0, "overdue": 0}
    # What each center operator is told in this sweep: one notice per case when it is one
    # case, one digest when many cross a line in the same minute (no burst of messages).
    digest: dict[int, list[tuple[str, Case]]] = {}
    # Keyset on (next_alert_at, id), the order of the index: the read stays a range of the
    # index even when nothing is due (ordering by id alone makes SQLite scan the table).
    after: tuple[dt.datetime | None, int] | None = None
    while True:
        due = Case.objects.filter(next_alert_at__lte=now)
        if after is not None:
            due = due.filter(Q(next_alert_at__gt=after[0]) | Q(next_alert_at=after[0], id__gt=after[1]))
        rows = list(due.order_by("next_alert_at", "id").values_list("next_alert_at", "id")[:batch])
        if not rows:
            break
        for _at, case_id in rows:
            outcome = _sweep_one(case_id, now, digest)
            if outcome:
                counts[outcome] += 1
        after = rows[-1]
    if digest:
        _send_digest(digest, now)
    return counts


SWEEP_KINDS: Final = {"overdue": "case.overdue", "warnings": "case.warning"}


@transaction.atomic
def _send_digest(digest: dict[int, list[tuple[str, Case]]], now: dt.datetime) -> None:
    """The center's part of a sweep: the notice itself for a single case, else one digest
    that counts the cases and links to the workbench queue."""
    from gridgov.notify.services import notify

    users = {user.pk: user for user in User.objects.filter(pk__in=list(digest))}
    for user_id, items in digest.items():
        user = users.get(user_id)
        if user is None:
            continue
        if len(items) == 1:
            outcome, case = items[0]
            notify(
                recipients=[user],
                kind=SWEEP_KINDS[outcome],
                params={"number": case.number},
                body=case.description[:120],
                url=case_url(case),
                obj=case,
            )
            continue
        overdue = sum(1 for outcome, _case in items if outcome == "overdue")
        warned = len(items) - overdue
        notify(
            recipients=[user],
            kind="case.digest",
            params={
                "cases": len(items),
                "overdue": overdue,
                "warned": warned,
                "numbers": [case.number for _outcome, case in items[:20]],
                "more": max(len(items) - 20, 0),
            },
            url=reverse("cases:workbench") + ("?queue=overdue" if overdue else "?queue=warning"),
        )


@transaction.atomic
def _sweep_one(case_id: int, now: dt.datetime, digest: dict[int, list[tuple[str, Case]]] | None = None) -> str | None:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("category", "lead_department")
        .filter(pk=case_id, next_alert_at__lte=now)
        .first()
    )
    if case is None:
        return None
    stage = _open_stage(case)
    outcome: str | None = None
    if stage is None or stage.deadline is None or case.status == Status.PARKED:
        case.next_alert_at = None
    elif now > stage.deadline and not stage.overdue_sent:
        stage.overdue_sent = True
        stage.warning_sent = True
        case.next_alert_at = None
        outcome = "overdue"
    elif stage.warn_at is not None and now >= stage.warn_at and not stage.warning_sent:
        stage.warning_sent = True
        case.next_alert_at = stage.deadline
        outcome = "warnings"
    else:
        case.next_alert_at = None if stage.overdue_sent else stage.deadline
    if stage is not None:
        stage.save(update_fields=["warning_sent", "overdue_sent"])
    case.save(update_fields=["next_alert_at"])
    if outcome is not None:
        action = OVERDUE if outcome == "overdue" else DEADLINE_WARNING
        _event(case, action, actor=None, at=now, from_status=case.status, data={"stage": case.stage})
        parties = responsible(case)
        if outcome == "overdue":
            parties = [*parties, Party.CENTER]
        center: list[int] = []
        if digest is not None and Party.CENTER in parties:
            center = recipient_ids(case, Party.CENTER)
            for user_id in center:
                digest.setdefault(user_id, []).append((outcome, case))
        _notify(case, parties, SWEEP_KINDS[outcome], actor=None, exclude=center)
    return outcome


def reveal_party(case: Case, *, actor: Any, request: Any = None) -> dict[str, str]:
    """The involved party's name and phone in full, for a viewer allowed to see them; the
    reveal is recorded in the audit log."""
    from gridgov.core.audit import record

    from .access import can_reveal

    if not can_reveal(actor, case):
        raise CaseForbidden(_("You may not see this person's details."))
    record(action="case.reveal_party", actor=actor, obj=case, request=request, data={"number": case.number})
    return {"party_name": case.party_name, "party_phone": case.party_phone}
