"""The patrol pages' place in the web shell's navigation (added when the app is ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.web.nav import NavEntry, add_entries

OVERSIGHT_NAV_ROLES = frozenset(
    {
        Role.CENTER_OPERATOR,
        Role.TOWN_LEADER,
        Role.SUPERVISOR,
        Role.ADMIN,
        Role.GRID_LEADER,
        Role.VILLAGE_STAFF,
    }
)

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "patrol-list",
        _("Patrols"),
        "patrols:list",
        roles=frozenset(
            {
                Role.CENTER_OPERATOR,
                Role.TOWN_LEADER,
                Role.SUPERVISOR,
                Role.ADMIN,
                Role.GRID_LEADER,
                Role.VILLAGE_STAFF,
            }
        ),
        group="grid",
    ),
    NavEntry("patrol-days", _("Patrol days"), "patrols:days", roles=OVERSIGHT_NAV_ROLES, group="grid"),
]


def register() -> None:
    """Put the entries before the administration links. Registering twice changes nothing."""
    add_entries(NAV_ENTRIES)
