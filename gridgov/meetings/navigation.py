"""The meetings' place in the web shell's navigation."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.web.nav import NavEntry, add_entries

from .services import LIST_ROLES

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "meeting-list",
        _("Opinion meetings"),
        "meetings:list",
        roles=LIST_ROLES,
        description=_("Public-opinion analysis meetings: agenda, sign-in, minutes, resolutions and their follow-up"),
        also=("meetings:detail", "meetings:resolutions"),
        group="grid",
    ),
]


def register() -> None:
    add_entries(NAV_ENTRIES)
