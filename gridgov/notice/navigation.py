"""The notice pages' place in the web shell's navigation (added when the app is ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.web.nav import NavEntry, add_entries

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "notice-manage",
        _("Public notice"),
        "notice:manage",
        roles=frozenset({Role.CENTER_OPERATOR, Role.ADMIN}),
        group="grid",
    ),
]


def register() -> None:
    """Put the entries before the administration links. Registering twice changes nothing."""
    add_entries(NAV_ENTRIES)
