"""The visit pages' place in the web shell's navigation (added when the app is ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.web.nav import NavEntry, add_entries

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
    NavEntry("visit-households", _("Households"), "visits:households", roles=AREA_ROLES),
    NavEntry("visit-list", _("Visits"), "visits:list", roles=AREA_ROLES),
    NavEntry(
        "visit-overdue",
        _("Overdue visits"),
        "visits:overdue",
        roles=frozenset({Role.GRID_LEADER, Role.VILLAGE_STAFF, Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.ADMIN}),
    ),
    NavEntry("visit-coverage", _("Visit coverage"), "visits:coverage", roles=AREA_ROLES),
]


def register() -> None:
    """Put the entries before the administration links. Registering twice changes nothing."""
    add_entries(NAV_ENTRIES)
