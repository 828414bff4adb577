"""The bulletin pages' place in the web shell's navigation (added when the app is ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import DESK_ROLES
from gridgov.web.nav import NavEntry, add_entries

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "bulletin-list",
        _("Monthly bulletins"),
        "bulletins:list",
        roles=DESK_ROLES,
        description=_("The monthly bulletin of the town and each village, as Word, PDF and Excel"),
        group="figures",
    ),
]


def register() -> None:
    """Put the entries before the administration links. Registering twice changes nothing."""
    add_entries(NAV_ENTRIES)
