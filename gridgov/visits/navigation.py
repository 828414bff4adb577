"""The visit pages' place in the web shell's navigation (added when the app is ready)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.cases.views_stats import CockpitTile, add_cockpit_tiles
from gridgov.people.models import Role
from gridgov.web.nav import NavEntry, add_entries

from . import selectors

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

AREA_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.GRID_LEADER,
        Role.VILLAGE_STAFF,
        Role.CENTER_OPERATOR,
        Role.TOWN_LEADER,
        Role.SUPERVISOR,
        Role.ADMIN,
    }
)

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "visit-basic-data",
        _("Basic data"),
        "visits:households",
        roles=AREA_ROLES,
        also=(
            "visits:household",
            "visits:household_new",
            "visits:household_edit",
            "visits:units",
            "visits:unit_new",
            "visits:unit_edit",
            "visits:import",
        ),
        group="grid",
    ),
    NavEntry(
        "visit-list",
        _("Visits"),
        "visits:list",
        roles=AREA_ROLES,
        also=("visits:overdue", "visits:coverage"),
        group="grid",
    ),
]


def cockpit_tiles(user: User | AnonymousUser) -> list[CockpitTile]:
    """The cockpit's visit figures: this month's coverage (in per cent) and the overdue visits."""
    today = timezone.localdate()
    visited, due = selectors.coverage_total(user, year=today.year, month=today.month)
    if not due:
        return []
    return [
        CockpitTile(
            label=gettext("Visit coverage this month (%)"),
            count=round(100 * visited / due),
            url=reverse("visits:coverage"),
        ),
        CockpitTile(label=gettext("Overdue visits"), count=len(selectors.overdue(user)), url=reverse("visits:overdue")),
    ]


def register() -> None:
    """Put the entries before the administration links and the visit figures on the cockpit.
    Registering twice changes nothing."""
    add_entries(NAV_ENTRIES)
    add_cockpit_tiles(cockpit_tiles)
