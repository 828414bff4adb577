"""The meetings' place in the web shell's navigation."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.web.nav import NavEntry, add_entries

from .services import READER_ROLES

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "meeting-list",
        _("Opinion meetings"),
        "meetings:list",
        roles=frozenset({*READER_ROLES, Role.DEPARTMENT_HANDLER}),
        description=_("Public-opinion analysis meetings: agenda, sign-in, minutes, resolutions and their follow-up"),
        also=("meetings:detail", "meetings:resolutions"),
        group="grid",
    ),
]


def register() -> None:
    add_entries(NAV_ENTRIES)
