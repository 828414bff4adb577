"""Writes of patrols: store a patrol the phone recorded, once per client UUID."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.access.scope import scope_for
from gridgov.areas.geometry import metres
from gridgov.areas.locate import locate
from gridgov.areas.selectors import grid_by_id, is_grid
from gridgov.cases.selectors import reported_case_ids
from gridgov.core.audit import record
from gridgov.people.models import Role

from . import roads
from .coverage import Checkpoint, GridArea, checkpoints_passed, usable_points
from .models import CoverageMeasure, Patrol, PatrolFinding, PatrolStandard, PatrolStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

    from gridgov.areas.models import Area

# Who records patrols: grid workers, and grid leaders or village staff walking a grid.
PATROL_ROLES: Final = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_STAFF})
MAX_HOURS: Final = 24
MAX_FINDINGS: Final = 200
# Clock difference between the phone and the server that is still accepted.
CLOCK_SKEW: Final = dt.timedelta(minutes=5)
# A point may lie this much outside [started_at, ended_at] (the phone samples around the taps).
POINT_SLACK: Final = dt.timedelta(seconds=60)


def max_points() -> int:
    return int(getattr(settings, "GRIDGOV_PATROL_MAX_POINTS", 2000))


def max_accuracy_m() -> float:
    """Points less accurate than this are kept in the track but not counted in the distance."""
    return float(getattr(settings, "GRIDGOV_PATROL_MAX_ACCURACY_M", 100))


@dataclass(frozen=True)
class TrackPoint:
    t: dt.datetime
    lat: float
    lng: float
    accuracy: float | None = None


def track_distance(points: Sequence[TrackPoint]) -> int:
    """The length of the route in metres, over the points accurate enough to count."""
    limit = max_accuracy_m()
    usable = [p for p in points if p.accuracy is None or p.accuracy <= limit]
    total = sum(metres(a.lat, a.lng, b.lat, b.lng) for a, b in itertools.pairwise(usable))
    return round(total)


def _fingerprint(started_at: dt.datetime, ended_at: dt.datetime, points: int) -> str:
    canonical = json.dumps([started_at.isoformat(), ended_at.isoformat(), points])
    return hashlib.sha256(canonical.encode()).hexdigest()


def _client_uuid(client_id: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(client_id).strip())
    except (ValueError, AttributeError, TypeError):
        raise ValidationError({"client_id": [_("The patrol's client id must be a UUID.")]}) from None


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _check_times(started_at: dt.datetime, ended_at: dt.datetime, now: dt.datetime) -> None:
    if ended_at <= started_at:
        raise ValidationError({"ended_at": [_("The patrol must end after it started.")]})
    if ended_at - started_at > dt.timedelta(hours=MAX_HOURS):
        raise ValidationError({"ended_at": [_("A patrol lasts at most %(n)s hours.") % {"n": MAX_HOURS}]})
    if ended_at > now + CLOCK_SKEW:
        raise ValidationError({"ended_at": [_("The patrol ends in the future. Check the phone's clock.")]})


def _check_track(track: Sequence[TrackPoint], started_at: dt.datetime, ended_at: dt.datetime) -> list[TrackPoint]:
    if len(track) > max_points():
        raise ValidationError({"track": [_("A patrol has at most %(n)s points.") % {"n": max_points()}]})
    checked = []
    for index, point in enumerate(track):
        values = (point.lat, point.lng) + ((point.accuracy,) if point.accuracy is not None else ())
        if any(not math.isfinite(value) for value in values):
            raise ValidationError({"track": [_("Point %(n)s is not a valid coordinate.") % {"n": index + 1}]})
        if not (-90 <= point.lat <= 90 and -180 <= point.lng <= 180) or (point.lat == 0 and point.lng == 0):
            raise ValidationError({"track": [_("Point %(n)s is not a valid coordinate.") % {"n": index + 1}]})
        if point.accuracy is not None and point.accuracy < 0:
            raise ValidationError({"track": [_("Point %(n)s has a negative accuracy.") % {"n": index + 1}]})
        moment = _aware(point.t)
        if not started_at - POINT_SLACK <= moment <= ended_at + POINT_SLACK:
            raise ValidationError({"track": [_("Point %(n)s was taken outside the patrol's time.") % {"n": index + 1}]})
        checked.append(TrackPoint(t=moment, lat=point.lat, lng=point.lng, accuracy=point.accuracy))
    checked.sort(key=lambda p: p.t)
    return checked


def _check_findings(findings: Sequence[str]) -> list[str]:
    keys: list[str] = []
    for value in findings:
        key = str(value).strip()
        if not key or len(key) > 64:
            raise ValidationError({"findings": [_("Each finding is the client id (1 to 64 characters) of a report.")]})
        if key not in keys:
            keys.append(key)
    if len(keys) > MAX_FINDINGS:
        raise ValidationError({"findings": [_("At most %(n)s findings per patrol.") % {"n": MAX_FINDINGS}]})
    return keys


def _grid_for(actor: User | AnonymousUser, points: Sequence[TrackPoint]) -> Area:
    """The worker's grid; for someone with several grids, or none, the grid of the first point
    that lies in one (it must lie inside the actor's own areas)."""
    scope = scope_for(actor)
    own = sorted({area_id for role, area_id, _d in scope.assignments if role == Role.GRID_WORKER and area_id})
    located_ids = []
    for point in points:
        found = locate(point.lat, point.lng)
        if found is not None:
            located_ids.append(found.id)
            break
    if len(own) == 1:
        chosen: int | None = own[0]
    elif own:
        chosen = located_ids[0] if located_ids and located_ids[0] in own else own[0]
    else:
        chosen = located_ids[0] if located_ids else None
    if chosen is None:
        raise ValidationError({"track": [_("The route lies outside every grid, so the patrol's grid is unknown.")]})
    grid = grid_by_id(chosen)
    if grid is None:
        raise ValidationError({"track": [_("The patrol's grid is unknown.")]})
    if not scope.everything and not any(grid.path.startswith(path) for path in scope.role_area_paths):
        raise ValidationError({"track": [_("The route lies outside your area.")]})
    return grid


def _existing(worker: User, client_id: uuid.UUID, fingerprint: str) -> Patrol | None:
    found = Patrol.objects.filter(worker=worker, client_id=client_id).first()
    if found is None:
        return None
    if found.fingerprint != fingerprint:
        raise ValidationError(
            {"client_id": [_("This client id was already used for a different patrol. Use a new one.")]}
        )
    return found


@transaction.atomic
def patrol_record(
    *,
    actor: User | AnonymousUser,
    client_id: str | uuid.UUID,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    track: Sequence[TrackPoint],
    consent: bool,
    findings: Sequence[str] = (),
    consent_at: dt.datetime | None = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> tuple[Patrol, bool]:
    """Store a patrol the phone recorded. Returns ``(patrol, created)``: the same ``client_id``
    from the same worker for the same patrol (start, end, number of points) is the patrol
    already stored, ``created`` False, even under concurrent retries; the same id for another
    patrol is refused (422).

    ``findings`` are the client ids (the ``Idempotency-Key``) of the cases the worker reported
    during the patrol; those not on the server yet are looked up again when the patrol is read.
    """
    now = now or timezone.now()
    if not scope_for(actor).has_role(*PATROL_ROLES):
        raise PermissionDenied(_("Your role does not record patrols."))
    worker = cast("User", actor)  # a role holder is signed in
    client_uuid = _client_uuid(client_id)
    started_at, ended_at = _aware(started_at), _aware(ended_at)
    fingerprint = _fingerprint(started_at, ended_at, len(track))
    existing = _existing(worker, client_uuid, fingerprint)
    if existing is not None:
        return existing, False

    if consent is not True:
        raise ValidationError({"consent": [_("The worker's consent to record the route is required.")]})
    _check_times(started_at, ended_at, now)
    points = _check_track(track, started_at, ended_at)
    keys = _check_findings(findings)
    grid = _grid_for(actor, points)
    consent_moment = _aware(consent_at) if consent_at is not None else started_at

    patrol = Patrol(
        worker=worker,
        grid=grid,
        area_path=grid.path,
        client_id=client_uuid,
        fingerprint=fingerprint,
        status=PatrolStatus.COMPLETE if len(points) >= 2 else PatrolStatus.NO_TRACK,
        started_at=started_at,
        ended_at=ended_at,
        consent=True,
        consent_at=consent_moment,
        distance_m=track_distance(points),
        point_count=len(points),
        track=[
            [
                round((p.t - started_at).total_seconds()),
                round(p.lat, 6),
                round(p.lng, 6),
                None if p.accuracy is None else round(p.accuracy, 1),
            ]
            for p in points
        ],
    )
    judge(patrol, grid)
    try:
        with transaction.atomic():
            patrol.save(force_insert=True)
    except IntegrityError:
        # A concurrent retry stored it first (the unique constraint waited for its commit).
        existing = _existing(worker, client_uuid, fingerprint)
        if existing is not None:
            return existing, False
        raise
    cases = reported_case_ids(worker.pk, keys)
    PatrolFinding.objects.bulk_create(
        [PatrolFinding(patrol=patrol, client_id=key, case_id=cases.get(key)) for key in keys]
    )
    record(
        action="patrol.record",
        actor=actor,
        obj=patrol,
        request=request,
        data={
            "client_id": str(client_uuid),
            "grid": grid.code,
            "points": patrol.point_count,
            "distance_m": patrol.distance_m,
            "findings": len(keys),
            "coverage": patrol.coverage,
            "coverage_measure": patrol.coverage_measure,
            "checkpoints_passed": len(patrol.checkpoints_passed),
        },
    )
    return patrol, True


# --- judging a patrol -----------------------------------------------------------------------


def judge(
    patrol: Patrol, grid: Area, *, grid_area: GridArea | None = None, standard: PatrolStandard | None = None
) -> None:
    """Set the patrol's frozen figures from its track: the coverage of its grid and the
    checkpoints of the grid's standard it passed (docs/patrols.md, "Coverage"). ``grid_area``
    and ``standard`` may be given to judge many patrols of one grid (the demo)."""

    points = usable_points(patrol.track, max_accuracy_m())
    if grid_area is None:
        grid_area = roads.grid_area(grid)
    patrol.coverage = None if grid_area is None else round(grid_area.share([grid_area.route(points)]), 4)
    patrol.coverage_measure = grid_area.measure if grid_area is not None else CoverageMeasure.AREA
    if standard is None:
        standard = PatrolStandard.objects.filter(grid=grid).first()
    checkpoints = standard.checkpoint_list() if standard is not None else []
    patrol.checkpoints_passed = checkpoints_passed(points, checkpoints)
    patrol.checkpoint_total = len(checkpoints)


# --- patrol standards -------------------------------------------------------------------------

# Who sets a grid's patrol standard: the center (and administrators) for the town, a grid
# leader for the grids of their village.
STANDARD_ROLES: Final = frozenset({Role.CENTER_OPERATOR, Role.GRID_LEADER})
MAX_CHECKPOINTS: Final = 50


def may_set_standard(actor: User | AnonymousUser, grid: Area) -> bool:
    scope = scope_for(actor)
    if not getattr(actor, "is_authenticated", False):
        return False
    if scope.everything:
        return True
    return any(grid.path.startswith(path) for path in scope.paths_for_roles(*STANDARD_ROLES))


def _check_checkpoints(items: Sequence[Checkpoint]) -> list[dict[str, Any]]:
    if len(items) > MAX_CHECKPOINTS:
        raise ValidationError({"checkpoints": [_("At most %(n)s checkpoints per grid.") % {"n": MAX_CHECKPOINTS}]})
    names: set[str] = set()
    checked = []
    for index, item in enumerate(items, start=1):
        name = item.name.strip()
        if not name or len(name) > 100 or name in names:
            raise ValidationError(
                {
                    "checkpoints": [
                        _("Checkpoint %(n)s needs a name of its own (at most 100 characters).") % {"n": index}
                    ]
                }
            )
        names.add(name)
        if not (
            math.isfinite(item.lat) and math.isfinite(item.lng) and -90 <= item.lat <= 90 and -180 <= item.lng <= 180
        ):
            raise ValidationError({"checkpoints": [_("Checkpoint %(n)s is not a valid coordinate.") % {"n": index}]})
        if not 5 <= item.radius_m <= 500:
            raise ValidationError(
                {"checkpoints": [_("Checkpoint %(n)s: the radius is 5 to 500 metres.") % {"n": index}]}
            )
        if not 0 <= item.visits_per_week <= 50:
            raise ValidationError(
                {"checkpoints": [_("Checkpoint %(n)s: the visits per week are 0 to 50.") % {"n": index}]}
            )
        checked.append(
            {
                "name": name,
                "lat": round(item.lat, 6),
                "lng": round(item.lng, 6),
                "radius_m": round(item.radius_m, 1),
                "visits_per_week": int(item.visits_per_week),
            }
        )
    return checked


@transaction.atomic
def standard_set(
    *,
    actor: User | AnonymousUser,
    grid: Area,
    min_minutes_per_day: int,
    checkpoints: Sequence[Checkpoint],
    request: HttpRequest | None = None,
) -> PatrolStandard:
    """Create or change the patrol standard of a grid. The audit row ``patrol.standard_set``
    keeps the standard before and after (its history). Patrols already stored keep the
    checkpoints they were judged against."""
    if not may_set_standard(actor, grid):
        raise PermissionDenied(_("You may not set the patrol standard of this grid."))
    if not is_grid(grid):
        raise ValidationError({"grid": [_("A patrol standard belongs to a grid.")]})
    if not 0 <= int(min_minutes_per_day) <= 600:
        raise ValidationError({"min_minutes_per_day": [_("The minimum is 0 to 600 minutes per day.")]})
    items = _check_checkpoints(checkpoints)
    standard = PatrolStandard.objects.select_for_update().filter(grid=grid).first()
    before = None
    if standard is None:
        standard = PatrolStandard(grid=grid, area_path=grid.path)
    else:
        before = {"min_minutes_per_day": standard.min_minutes_per_day, "checkpoints": standard.checkpoints}
    standard.area_path = grid.path
    standard.min_minutes_per_day = int(min_minutes_per_day)
    standard.checkpoints = items
    standard.updated_by = cast("User", actor)
    standard.save()
    record(
        action="patrol.standard_set",
        actor=actor,
        obj=standard,
        request=request,
        data={
            "grid": grid.code,
            "before": before,
            "after": {"min_minutes_per_day": standard.min_minutes_per_day, "checkpoints": items},
        },
    )
    return standard
