"""Reads of the notice. The public reads return only what the center chose to publish."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Q, QuerySet

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.selectors import current_grid, town_of
from gridgov.people.models import Role, RoleAssignment
from gridgov.people.selectors import role_assignments

from .models import ConductComplaint, NoticeSetting, Poster, Publication, PublicReport

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
else:
    User = get_user_model()

PUBLIC_ROLES = (Role.GRID_WORKER, Role.GRID_LEADER)
# Who manages the notice (what is published, the posters, spam): the center of the town.
CENTER_ROLES = (Role.CENTER_OPERATOR, Role.ADMIN)
VERSION_KEY = "notice:version"


@dataclass(frozen=True)
class Card:
    """One person on the notice, as published."""

    user_id: int
    role: str
    role_label: str
    name: str
    photo: bool
    work_phone: str
    duties: str
    service_hours: str


def version() -> int:
    """The notice's cache version, bumped on any change to what is published."""
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, 1, None)
        current = cache.get(VERSION_KEY, 1)
    return int(current)


def version_bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, None)


def public_area(code: str) -> Area | None:
    """The current village or grid of this code (a public page exists for those only)."""
    area = Area.objects.current().filter(code=code, level__in=[AreaLevel.VILLAGE, AreaLevel.GRID]).first()
    return area


def grid_cards(grid: Area) -> list[Card]:
    """The published grid workers of a grid and grid leaders of its village, leaders first."""
    rows = (
        role_assignments(
            Q(user__is_active=True, user__publication__published=True)
            & (Q(role=Role.GRID_WORKER, area_id=grid.pk) | Q(role=Role.GRID_LEADER, area_id=grid.parent_id))
        )
        .select_related("user__publication")
        .order_by("role", "user_id")
    )
    cards: dict[tuple[str, int], Card] = {}
    default_hours = town_setting(grid).service_hours
    for row in rows:
        publication = row.user.publication
        profile = getattr(row.user, "profile", None)
        cards[(row.role, row.user_id)] = Card(
            user_id=row.user_id,
            role=row.role,
            role_label=str(Role(row.role).label),
            name=publication.display_name or (profile.full_name if profile else ""),
            photo=bool(publication.show_photo and profile is not None and profile.photo),
            work_phone=publication.work_phone,
            duties=publication.duties,
            service_hours=publication.service_hours or default_hours,
        )
    order: dict[str, int] = {Role.GRID_LEADER: 0, Role.GRID_WORKER: 1}
    return sorted(cards.values(), key=lambda card: (order.get(card.role, 2), card.user_id))


def town_setting(area: Area) -> NoticeSetting:
    """The notice's settings of the area's town (blank ones when it has none)."""
    town = town_of(area)
    setting = NoticeSetting.objects.filter(town=town).first() if town is not None else None
    return setting or NoticeSetting(town=town)


def supervision_phone(area: Area) -> str:
    return town_setting(area).supervision_phone


def staff_fingerprint(grid: Area) -> str:
    """A digest of what a grid's poster shows: another value means the board needs a reprint."""
    payload = {
        "grid": [grid.code, grid.name],
        "cards": [asdict(card) for card in grid_cards(grid)],
        "supervision": supervision_phone(grid),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def published_photo_owner(user_id: int) -> Any:
    """The profile whose photo is published, else ``None``: only while the person serves a
    grid (a revoked grid role takes the photo off the public pages at once)."""
    if not is_public_grid_staff(user_id):
        return None
    publication = (
        Publication.objects.filter(user_id=user_id, published=True, show_photo=True, user__is_active=True)
        .select_related("user__profile")
        .first()
    )
    if publication is None:
        return None
    profile = getattr(publication.user, "profile", None)
    return profile if profile is not None and profile.photo else None


def is_public_grid_staff(user_id: int) -> bool:
    return role_assignments(Q(user_id=user_id, role__in=PUBLIC_ROLES)).exists()


# --- The center's reads ---------------------------------------------------------------------


def center_towns(user: User | AnonymousUser) -> list[Area]:
    """The towns whose notice the user manages (the center's operators; the administrator: all)."""
    scope = scope_for(user)
    if scope.everything and scope.has_role(Role.ADMIN):
        # The administrator manages every town's notice; a discipline supervisor, who reads
        # everything, manages none.
        return list(Area.objects.current().filter(level=AreaLevel.TOWN).order_by("code"))
    paths = scope.paths_for_roles(*CENTER_ROLES)
    return [town for town in Area.objects.current().filter(level=AreaLevel.TOWN) if town.path in paths]


def town_grids(town: Area) -> QuerySet[Area]:
    return Area.objects.current().filter(level=AreaLevel.GRID, path__startswith=town.path).order_by("code")


def grids_managed(user: User | AnonymousUser) -> list[Area]:
    grids: list[Area] = []
    for town in center_towns(user):
        grids.extend(town_grids(town))
    return grids


def grid_managed(user: User | AnonymousUser, code: str) -> Area | None:
    grid = current_grid(code=code)
    if grid is None:
        return None
    return grid if any(grid.path.startswith(town.path) for town in center_towns(user)) else None


def staff_managed(user: User | AnonymousUser) -> QuerySet[RoleAssignment]:
    """The grid workers' and grid leaders' roles inside the towns the user manages."""
    paths = [town.path for town in center_towns(user)]
    within = Q(pk__in=[])
    for path in paths:
        within |= Q(area__path__startswith=path)
    return role_assignments(Q(role__in=PUBLIC_ROLES) & within).order_by("area__code", "role", "user_id")


def latest_posters(grids: list[Area]) -> dict[int, Poster]:
    latest: dict[int, Poster] = {}
    for poster in Poster.objects.filter(grid__in=grids).order_by("grid_id", "-generated_at", "-pk"):
        latest.setdefault(poster.grid_id, poster)
    return latest


@dataclass(frozen=True)
class PosterRow:
    """A grid of the center's towns with its latest poster: ``state`` is ``none`` (no poster
    yet), ``up_to_date`` or ``reprint`` (the published staff changed since it was printed)."""

    grid: Area
    poster: Poster | None
    state: str

    @property
    def reprint(self) -> bool:
        return self.state == "reprint"


def poster_rows(user: User | AnonymousUser) -> list[PosterRow]:
    grids = grids_managed(user)
    posters = latest_posters(grids)
    rows = []
    for grid in grids:
        poster = posters.get(grid.pk)
        if poster is None:
            state = "none"
        elif poster.fingerprint != staff_fingerprint(grid):
            state = "reprint"
        else:
            state = "up_to_date"
        rows.append(PosterRow(grid=grid, poster=poster, state=state))
    return rows


def posters_managed(user: User | AnonymousUser) -> QuerySet[Poster]:
    return Poster.objects.filter(grid__in=grids_managed(user)).select_related("grid")


def public_reports_managed(user: User | AnonymousUser) -> QuerySet[PublicReport]:
    paths = [town.path for town in center_towns(user)]
    rows = PublicReport.objects.none()
    for path in paths:
        rows = rows | PublicReport.objects.filter(case__town__path=path)
    return rows.select_related("case", "case__grid", "case__category")


# Roles above a member of staff: who manages the areas the staff serve. A complaint about
# someone is never shown to them nor to anyone holding one of these roles over them, even when
# that person also holds the supervisor's role.
SUPERIOR_ROLES = (Role.GRID_LEADER, Role.VILLAGE_STAFF, Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.ADMIN)


def complaints_visible(user: User | AnonymousUser) -> QuerySet[ConductComplaint]:
    """Conduct complaints go to the discipline office only: supervisors see those of their area
    (all, without one); no other role sees any. Never the complaints about the viewer, nor about
    staff the viewer manages (a supervisor who is also a grid leader does not see the complaints
    about the village's grid workers)."""
    scope = scope_for(user)
    if not scope.has_role(Role.SUPERVISOR):
        return ConductComplaint.objects.none()
    paths = scope.paths_for_roles(Role.SUPERVISOR)
    supervisor_rows = [row for row in scope.assignments if row[0] == Role.SUPERVISOR]
    if any(area_id is None for _role, area_id, _dept in supervisor_rows):
        rows = ConductComplaint.objects.all()
    else:
        rows = ConductComplaint.objects.none()
        for path in paths:
            rows = rows | ConductComplaint.objects.filter(town__path__startswith=path)
    rows = rows.exclude(concerning_id=user.pk)
    managed = scope.paths_for_roles(*SUPERIOR_ROLES)
    if managed:
        below = Q(pk__in=[])
        for path in managed:
            below |= Q(area__path__startswith=path)
        rows = rows.exclude(concerning_id__in=role_assignments(below).values("user_id"))
    return rows.select_related("grid", "town", "concerning__profile")
