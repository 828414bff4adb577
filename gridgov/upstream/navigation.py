"""The delivery page's place in the web shell's navigation (added when the app is ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.web.nav import NavEntry, add_entries

from .selectors import MANAGE_ROLES

NAV_ENTRY = NavEntry(
    "upstream-delivery", _("Upstream delivery"), "upstream:delivery", roles=MANAGE_ROLES, group="system"
)


def register() -> None:
    """Put the entry before the administration links. Registering twice changes nothing."""
    add_entries([NAV_ENTRY])
