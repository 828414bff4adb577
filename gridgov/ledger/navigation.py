"""The ledger import's place in the web shell's navigation (added when the app is ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.web.nav import NavEntry, add_entries

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "ledger-import",
        _("Historical ledger import"),
        "ledger:list",
        roles=frozenset({Role.CENTER_OPERATOR, Role.ADMIN}),
        description=_("Past cases of the old platform or spreadsheets, brought in for the statistics"),
        group="system",
    ),
]


def register() -> None:
    """Put the entry before the administration links. Registering twice changes nothing."""
    add_entries(NAV_ENTRIES)
