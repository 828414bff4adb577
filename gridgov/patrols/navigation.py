"""The patrol pages' place in the web shell's navigation (added when the app is ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.web.nav import NAV, NavEntry

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
    ),
]


def register() -> None:
    """Put the entries before the administration links. Registering twice changes nothing."""
    keys = {entry.key for entry in NAV}
    position = next((i for i, entry in enumerate(NAV) if entry.key == "admin"), len(NAV))
    for entry in NAV_ENTRIES:
        if entry.key not in keys:
            NAV.insert(position, entry)
            position += 1
